// Attaching an XDP program to an interface, detaching it, and asking what is attached.

/// How an XDP program runs on an interface.
public enum XDPMode: String, Sendable, CaseIterable {
    /// In the driver, before the kernel allocates an skb (`xdp` in `ip link`). Only drivers with
    /// XDP support take it; attaching refuses otherwise rather than falling back.
    case native
    /// In the kernel's generic hook, after skb allocation (`xdpgeneric`): any interface, slower.
    case generic
}

/// An XDP program attached to one interface.
///
/// ```swift
/// let a = try XDPAttachment.attach(program, ifindex: idx, mode: .native)
/// defer { try? a.detach() }
/// ```
public struct XDPAttachment: Sendable {
    public let ifindex: Int32
    public let mode: XDPMode
    /// The id the kernel gave the attached program.
    public let programID: UInt32

    /// Attaches `program` (an XDP program of a loaded object) to interface `ifindex`.
    ///
    /// - Parameters:
    ///   - mode: ``XDPMode/native`` fails with a clear message when the driver has no native
    ///     XDP; ask for ``XDPMode/generic`` explicitly to run there anyway.
    ///   - replace: replace a program already attached in that mode; without it an attached
    ///     program makes this fail (EBUSY), so Verdict never silently evicts another tool's.
    public static func attach(_ program: BPFProgram, ifindex: Int32, mode: XDPMode = .native, replace: Bool = false) throws(BPFError) -> XDPAttachment {
        guard program.kind == .xdp else {
            throw BPFError(operation: "bpf_xdp_attach(\(program.name))", errno: 22, message: "\(program.name) is not an XDP program")
        }
        let fd = program.fd
        guard fd >= 0 else { throw BPFError(operation: "bpf_xdp_attach(\(program.name))", errno: 9, message: "the program is not loaded") }
        var flags = mode == .native ? Libbpf.xdpFlagsDriver : Libbpf.xdpFlagsSKB
        if !replace { flags |= Libbpf.xdpFlagsUpdateIfNoExist }
        do throws(BPFError) {
            try Libbpf.captured { () throws(BPFError) in try Libbpf.xdpAttach(ifindex: ifindex, fd: fd, flags: flags) }
        } catch {
            var e = error
            switch e.errno {
            case 95 /* EOPNOTSUPP */ where mode == .native:
                e.message = "the driver of interface \(ifindex) has no native XDP; attach in generic mode to run it anyway"
            case 16 /* EBUSY */, 17 /* EEXIST */:
                e.message = "interface \(ifindex) already has an XDP program (detach it, or replace)"
            default: break
            }
            throw e
        }
        let q = try Libbpf.xdpQuery(ifindex: ifindex)
        return XDPAttachment(ifindex: ifindex, mode: mode, programID: mode == .native ? q.driverProgramID : q.genericProgramID)
    }

    /// Replaces the XDP program with id `expectedID` on `ifindex` by `program` in one step
    /// (XDP_FLAGS_REPLACE with the old program's fd): every frame meets one program or the
    /// other. Fails (EEXIST) when a different program is attached there by then.
    public static func replace(_ program: BPFProgram, ifindex: Int32, mode: XDPMode, expectedID: UInt32) throws(BPFError) -> XDPAttachment {
        guard program.kind == .xdp else {
            throw BPFError(operation: "bpf_xdp_attach(\(program.name))", errno: 22, message: "\(program.name) is not an XDP program")
        }
        let fd = program.fd
        guard fd >= 0 else { throw BPFError(operation: "bpf_xdp_attach(\(program.name))", errno: 9, message: "the program is not loaded") }
        let flags = mode == .native ? Libbpf.xdpFlagsDriver : Libbpf.xdpFlagsSKB
        do throws(BPFError) {
            try Libbpf.captured { () throws(BPFError) in try Libbpf.xdpReplace(ifindex: ifindex, fd: fd, flags: flags, oldID: expectedID) }
        } catch {
            var e = error
            if e.errno == 17 /* EEXIST */ { e.message = "interface \(ifindex) no longer runs program id \(expectedID) (another program replaced it)" }
            if e.errno == 2 /* ENOENT */ { e.message = "program id \(expectedID) no longer exists" }
            throw e
        }
        let q = try Libbpf.xdpQuery(ifindex: ifindex)
        return XDPAttachment(ifindex: ifindex, mode: mode, programID: mode == .native ? q.driverProgramID : q.genericProgramID)
    }

    /// Detaches the program from the interface (whatever program is attached in this mode).
    public func detach() throws(BPFError) {
        try XDPAttachment.detach(ifindex: ifindex, mode: mode)
    }

    /// Detaches the XDP program of `mode` from `ifindex`; nothing attached is not an error.
    public static func detach(ifindex: Int32, mode: XDPMode) throws(BPFError) {
        try Libbpf.captured { () throws(BPFError) in
            try Libbpf.xdpDetach(ifindex: ifindex, flags: mode == .native ? Libbpf.xdpFlagsDriver : Libbpf.xdpFlagsSKB)
        }
    }

    /// What is attached to `ifindex`: per mode, the program id (absent when none).
    public static func query(ifindex: Int32) throws(BPFError) -> [XDPMode: UInt32] {
        let q = try Libbpf.xdpQuery(ifindex: ifindex)
        var out: [XDPMode: UInt32] = [:]
        if q.driverProgramID != 0 { out[.native] = q.driverProgramID }
        if q.genericProgramID != 0 { out[.generic] = q.genericProgramID }
        return out
    }
}

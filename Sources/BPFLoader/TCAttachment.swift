// Attaching a TC program to an interface's clsact qdisc (direct action), and removing it.

/// Which side of an interface a TC program sees.
public enum TCDirection: String, Sendable, CaseIterable {
    /// Frames the interface receives.
    case ingress
    /// Frames the interface sends.
    case egress
}

/// A TC program attached as a direct-action filter of an interface's clsact qdisc.
///
/// ```swift
/// let a = try TCAttachment.attach(program, ifindex: idx, direction: .ingress)
/// defer { try? a.detach(); try? TCAttachment.removeQdisc(ifindex: idx) }
/// ```
public struct TCAttachment: Sendable {
    public let ifindex: Int32
    public let direction: TCDirection
    public let handle: UInt32
    public let priority: UInt32
    public let programID: UInt32
    /// True when this attachment created the clsact qdisc (so removing it is the owner's job).
    public let createdQdisc: Bool

    /// Attaches `program` (a TC program of a loaded object) to `ifindex`, creating the clsact
    /// qdisc when missing.
    ///
    /// - Parameters:
    ///   - handle, priority: identify the filter; the same pair detaches it.
    ///   - replace: replace a filter with the same handle and priority; without it, one makes
    ///     this fail (EEXIST).
    public static func attach(_ program: BPFProgram, ifindex: Int32, direction: TCDirection,
                              handle: UInt32 = 1, priority: UInt32 = 1, replace: Bool = false) throws(BPFError) -> TCAttachment {
        guard program.kind == .tc else {
            throw BPFError(operation: "bpf_tc_attach(\(program.name))", errno: 22, message: "\(program.name) is not a TC program")
        }
        let fd = program.fd
        guard fd >= 0 else { throw BPFError(operation: "bpf_tc_attach(\(program.name))", errno: 9, message: "the program is not loaded") }
        return try Libbpf.captured { () throws(BPFError) -> TCAttachment in
            let created = try Libbpf.tcHookCreate(ifindex: ifindex)
            let id = try Libbpf.tcAttach(ifindex: ifindex, ingress: direction == .ingress, fd: fd, handle: handle, priority: priority, replace: replace)
            return TCAttachment(ifindex: ifindex, direction: direction, handle: handle, priority: priority, programID: id, createdQdisc: created)
        }
    }

    /// Removes this filter (the qdisc stays: see ``removeQdisc(ifindex:)``).
    public func detach() throws(BPFError) {
        try TCAttachment.detach(ifindex: ifindex, direction: direction, handle: handle, priority: priority)
    }

    /// Removes the filter with `handle` and `priority` from one side of `ifindex`.
    public static func detach(ifindex: Int32, direction: TCDirection, handle: UInt32 = 1, priority: UInt32 = 1) throws(BPFError) {
        try Libbpf.captured { () throws(BPFError) in
            try Libbpf.tcDetach(ifindex: ifindex, ingress: direction == .ingress, handle: handle, priority: priority)
        }
    }

    /// The program id of the filter with `handle` and `priority`, or nil.
    public static func query(ifindex: Int32, direction: TCDirection, handle: UInt32 = 1, priority: UInt32 = 1) throws(BPFError) -> UInt32? {
        // Captured: for a missing filter libbpf prints the kernel's "Cannot find specified filter chain".
        try Libbpf.captured { () throws(BPFError) -> UInt32? in
            try Libbpf.tcQuery(ifindex: ifindex, ingress: direction == .ingress, handle: handle, priority: priority)
        }
    }

    /// Removes the clsact qdisc of `ifindex` with every filter on it; no qdisc is not an error.
    public static func removeQdisc(ifindex: Int32) throws(BPFError) {
        try Libbpf.captured { () throws(BPFError) in try Libbpf.tcHookDestroy(ifindex: ifindex) }
    }
}

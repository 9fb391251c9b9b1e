// One program of a BPFObject: its fd, what the verifier said, BPF_PROG_TEST_RUN, pinning.

/// What the verifier reported for a program loaded with `load(verifierStatistics: true)`.
public struct VerifierStatistics: Sendable, Equatable {
    /// Instructions the verifier processed (the kernel's limit is 1,000,000).
    public var processedInstructions: Int
    public var totalStates: Int
    public var peakStates: Int
    public var maxStatesPerInstruction: Int
    /// Verification time in microseconds.
    public var verificationMicroseconds: Int
    /// Stack bytes per function, as `232+176+120`.
    public var stackDepth: String

    /// Parses the verifier's BPF_LOG_STATS lines.
    init?(log: String) {
        func number(after key: String, in line: Substring) -> Int? {
            guard let r = line.firstRange(of: key) else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        var processed: Int?, total = 0, peak = 0, perInsn = 0, time = 0, stack = ""
        for line in log.split(separator: "\n") {
            if line.hasPrefix("processed ") {
                processed = number(after: "processed ", in: line)
                total = number(after: "total_states ", in: line) ?? 0
                peak = number(after: "peak_states ", in: line) ?? 0
                perInsn = number(after: "max_states_per_insn ", in: line) ?? 0
            } else if line.hasPrefix("verification time ") {
                time = number(after: "verification time ", in: line) ?? 0
            } else if line.hasPrefix("stack depth ") {
                stack = String(line.dropFirst("stack depth ".count))
            }
        }
        guard let processed else { return nil }
        processedInstructions = processed
        totalStates = total
        peakStates = peak
        maxStatesPerInstruction = perInsn
        verificationMicroseconds = time
        stackDepth = stack
    }
}

/// The result of one BPF_PROG_TEST_RUN.
public struct TestRunResult: Sendable {
    /// The program's return value: XDP_DROP 1 / XDP_PASS 2; TC_ACT_OK 0 / TC_ACT_SHOT 2.
    public var returnValue: UInt32
    /// Mean time per repetition, in nanoseconds, as the kernel measured it.
    public var durationNanoseconds: UInt32
    /// The packet after the program (when an output buffer was asked for).
    public var dataOut: [UInt8]
    /// The context after the program (when a context was given).
    public var contextOut: [UInt8]
}

/// A program of a ``BPFObject``. Keeps its object alive.
public struct BPFProgram {
    let object: BPFObject
    let handle: OpaquePointer

    public enum Kind: Sendable { case xdp, tc, other }

    /// The C function name (`vd_xdp`).
    public var name: String { Libbpf.programName(handle) }
    /// The ELF section (`xdp`, `tc`).
    public var section: String { Libbpf.programSection(handle) }
    /// The kernel's file descriptor, valid once the object is loaded (-1 before).
    public var fd: Int32 { Libbpf.programFD(handle) }
    /// Instructions in the program as compiled (before the verifier's rewrites).
    public var instructionCount: Int { Libbpf.instructionCount(handle) }
    public var kind: Kind {
        switch Libbpf.programType(handle) {
        case Libbpf.xdpProgramType: return .xdp
        case Libbpf.tcProgramType: return .tc
        default: return .other
        }
    }

    /// The verifier's statistics text (only after `load(verifierStatistics: true)`).
    public var verifierLog: String? { object.verifierLog(of: name) }
    /// The parsed statistics (only after `load(verifierStatistics: true)`).
    public var verifierStatistics: VerifierStatistics? { verifierLog.flatMap(VerifierStatistics.init(log:)) }

    /// Runs the program on one frame inside the kernel (BPF_PROG_TEST_RUN): no interface, no
    /// traffic; maps are read and written as for a real packet.
    ///
    /// - Parameters:
    ///   - frame: the whole frame from the Ethernet header (at least 14 bytes).
    ///   - repeat: runs; the duration is the mean.
    ///   - context: for TC, an optional `struct __sk_buff` image (mark, tstamp, ...).
    ///   - dataOutCapacity: bytes to receive the frame after the program (0: none).
    public func testRun(_ frame: [UInt8], repeat count: Int = 1, context: [UInt8]? = nil, dataOutCapacity: Int = 0) throws(BPFError) -> TestRunResult {
        guard object.isLoaded else { throw BPFError(operation: "bpf_prog_test_run_opts(\(name))", errno: 9, message: "the object is not loaded") }
        let fd = self.fd, name = self.name
        // Plain buffers rather than nested withUnsafeBytes closures, which do not carry typed throws.
        let data = Self.copy(frame)
        let ctxIn = context.map(Self.copy)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(dataOutCapacity, 1), alignment: 8)
        let ctxOut = UnsafeMutableRawBufferPointer.allocate(byteCount: max(context?.count ?? 0, 1), alignment: 8)
        defer {
            data.deallocate()
            ctxIn?.deallocate()
            out.deallocate()
            ctxOut.deallocate()
        }
        let run = try Libbpf.testRun(fd, data: UnsafeRawBufferPointer(data),
                                     dataOut: dataOutCapacity > 0 ? UnsafeMutableRawBufferPointer(rebasing: out[0..<dataOutCapacity]) : nil,
                                     context: ctxIn.map { UnsafeRawBufferPointer($0) },
                                     contextOut: ctxIn == nil ? nil : UnsafeMutableRawBufferPointer(rebasing: ctxOut[0..<context!.count]),
                                     repeat: Int32(count), program: name)
        return TestRunResult(returnValue: run.retval, durationNanoseconds: run.duration,
                             dataOut: Array(UnsafeRawBufferPointer(rebasing: out[0..<min(Int(run.dataSizeOut), dataOutCapacity)])),
                             contextOut: ctxIn == nil ? [] : Array(UnsafeRawBufferPointer(rebasing: ctxOut[0..<min(Int(run.contextSizeOut), context!.count)])))
    }

    /// A `struct __sk_buff` context for ``testRun(_:repeat:context:dataOutCapacity:)`` of a TC
    /// program with only `tstamp` set (the TC programs built with `vd_replay_clock` take
    /// conntrack time from it, so a capture replays with its own timestamps).
    public static func skbContext(timestampNanoseconds: UInt64) -> [UInt8] {
        Libbpf.skbContext(tstamp: timestampNanoseconds)
    }

    private static func copy(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { if $0.count > 0 { b.copyMemory(from: $0) } }
        return UnsafeMutableRawBufferPointer(rebasing: b[0..<bytes.count])
    }

    /// The kernel's id of the loaded program (what an attachment reports once attached).
    public var id: UInt32 {
        get throws(BPFError) {
            guard object.isLoaded, fd >= 0 else { throw BPFError(operation: "program id of \(name)", errno: 9, message: "the object is not loaded") }
            return try Libbpf.programID(fd)
        }
    }

    /// Pins the program at `path` (on a bpffs mount).
    public func pin(at path: String) throws(BPFError) {
        guard object.isLoaded else { throw BPFError(operation: "bpf_obj_pin(\(name))", errno: 9, message: "the object is not loaded") }
        try Libbpf.pin(fd, path: path)
    }

    /// Removes the pin at `path`.
    public func unpin(at path: String) throws(BPFError) { try FileSystem.remove(path) }
}

// A failed libbpf or kernel operation, as a value: what was attempted, the errno, a readable
// message, and what libbpf printed meanwhile (for a failed load, the verifier's log).

#if canImport(Glibc)
import Glibc
#endif

/// An error from libbpf or the kernel.
///
/// ```swift
/// do throws(BPFError) { try object.load() } catch { print(error.verifierLog) }
/// ```
public struct BPFError: Error, CustomStringConvertible, Sendable {
    /// The call that failed, with its subject: `bpf_object__load(policy_xdp)`.
    public var operation: String
    /// The kernel's errno (positive), or 0 when the error is not an errno.
    public var errno: Int32
    /// A sentence for people: strerror, or what BPFLoader found wrong.
    public var message: String
    /// libbpf's messages during the operation; for a failed load, the verifier log.
    public var log: String

    public init(operation: String, errno: Int32, message: String? = nil, log: String = "") {
        self.operation = operation
        self.errno = errno
        self.message = message ?? (errno == 0 ? "failed" : String(cString: strerror(errno)))
        self.log = log
    }

    /// The verifier's part of ``log`` (between libbpf's BEGIN/END PROG LOAD LOG markers), or
    /// the whole log when it has no such part.
    public var verifierLog: String {
        guard let start = log.firstRange(of: "-- BEGIN PROG LOAD LOG --\n") else { return log }
        let rest = log[start.upperBound...]
        let end = rest.firstRange(of: "-- END PROG LOAD LOG --")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// True when the error means missing privilege (EPERM, EACCES).
    public var isPermissionDenied: Bool { errno == EPERM || errno == EACCES }

    public var description: String {
        var s = "\(operation): \(message)"
        if errno != 0 { s += " (errno \(errno))" }
        if !log.isEmpty { s += "\n" + log }
        return s
    }
}

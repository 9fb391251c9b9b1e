// Running code inside a named network namespace (`ip netns add NAME`), on the calling thread.

#if canImport(Glibc)
import Glibc
#endif

/// A network namespace of `ip netns` (a file under /run/netns).
public enum NetworkNamespace {
    /// Runs `body` on the calling thread inside namespace `name`, then moves the thread back.
    ///
    /// Network namespaces belong to threads: `body` must be synchronous (no `await` in it, so
    /// the task cannot resume on another thread), and everything it calls that acts on the
    /// network (if_nametoindex, XDP and TC attach, sockets) acts inside the namespace.
    public static func run<T>(_ name: String, _ body: () throws(BPFError) -> T) throws(BPFError) -> T {
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw BPFError(operation: "open(/proc/thread-self/ns/net)", errno: errno) }
        defer { close(original) }
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw BPFError(operation: "open(/run/netns/\(name))", errno: errno) }
        defer { close(target) }
        guard Libbpf.enterNetworkNamespace(target) == 0 else { throw BPFError(operation: "setns(\(name))", errno: errno) }
        defer {
            // Failing to return would leave a pool thread in the wrong namespace: stop here.
            if Libbpf.enterNetworkNamespace(original) != 0 { fatalError("setns back to the original network namespace failed: errno \(errno)") }
        }
        return try body()
    }

    /// The index of interface `name` in the calling thread's namespace.
    public static func interfaceIndex(_ name: String) throws(BPFError) -> Int32 {
        let i = Libbpf.interfaceIndex(name)
        guard i > 0 else { throw BPFError(operation: "if_nametoindex(\(name))", errno: errno == 0 ? ENODEV : errno) }
        return i
    }
}

// A network namespace that a test creates and always deletes, with a veth pair inside it.
// Names carry the process id and a counter, so parallel tests and parallel runs never collide;
// .ci leftovers from a crashed run have the prefix `vdt`.

import BPFLoader
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class TestNamespace {
    let name: String
    private static let counter = Atomic<Int>(0)

    /// Creates namespace `vdt<pid>_<n>` with its loopback up and, unless `bare`, a veth pair
    /// `vd0`/`vd1` in it (not `a`/`b`: iproute2 reads those as abbreviations of keywords).
    init(bare: Bool = false) throws {
        let n = TestNamespace.counter.add(1, ordering: .relaxed).newValue
        name = "vdt\(getpid())_\(n)"
        try Shell.must(["ip", "netns", "add", name])
        do {
            try Shell.must(["ip", "-n", name, "link", "set", "lo", "up"])
            if bare { return }
            try Shell.must(["ip", "-n", name, "link", "add", "name", "vd0", "type", "veth", "peer", "name", "vd1"])
            try Shell.must(["ip", "-n", name, "link", "set", "vd0", "up"])
            try Shell.must(["ip", "-n", name, "link", "set", "vd1", "up"])
        } catch {
            Shell.run(["ip", "netns", "del", name])
            throw error
        }
    }

    deinit {
        // Deleting the namespace removes the veth pair and every program attached to it.
        Shell.run(["ip", "netns", "del", name])
    }

    /// `ip -n NAME ARGS...`
    @discardableResult
    func ip(_ args: String...) throws -> String { try Shell.must(["ip", "-n", name] + args) }

    /// `tc -n NAME ARGS...`
    @discardableResult
    func tc(_ args: String...) throws -> String { try Shell.must(["tc", "-n", name] + args) }

    /// The index of interface `interface` inside the namespace.
    func index(_ interface: String) throws(BPFError) -> Int32 {
        try NetworkNamespace.run(name) { () throws(BPFError) -> Int32 in try NetworkNamespace.interfaceIndex(interface) }
    }

    /// True when `ip netns add/del` works here (needs CAP_SYS_ADMIN and iproute2).
    static let available: Bool = {
        let probe = "vdtprobe\(getpid())"
        guard Shell.run(["ip", "netns", "add", probe]).status == 0 else { return false }
        return Shell.run(["ip", "netns", "del", probe]).status == 0
    }()
}

/// Two namespaces joined by a veth pair: `vd0` 10.0.0.1/24 in `left`, `vd1` 10.0.0.2/24 in `right`.
final class TestNamespacePair {
    let left: TestNamespace
    let right: TestNamespace

    init() throws {
        left = try TestNamespace(bare: true)
        right = try TestNamespace(bare: true)
        try Shell.must(["ip", "link", "add", "name", "vd0", "netns", left.name, "type", "veth", "peer", "name", "vd1", "netns", right.name])
        _ = try left.ip("addr", "add", "10.0.0.1/24", "dev", "vd0")
        _ = try right.ip("addr", "add", "10.0.0.2/24", "dev", "vd1")
        _ = try left.ip("link", "set", "vd0", "up")
        _ = try right.ip("link", "set", "vd1", "up")
    }
}

/// A UDP socket made inside a namespace (a socket stays in the namespace it was made in).
final class UDPSocket {
    let fd: Int32

    init(in namespace: String, bind address: String, port: UInt16) throws {
        fd = try NetworkNamespace.run(namespace) { () throws(BPFError) -> Int32 in
            let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard s >= 0 else { throw BPFError(operation: "socket", errno: errno) }
            return s
        }
        var sa = UDPSocket.address(address, port)
        let r = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { close(fd); throw BPFError(operation: "bind \(address):\(port)", errno: errno) }
    }

    deinit { close(fd) }

    static func address(_ a: String, _ port: UInt16) -> sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        inet_pton(AF_INET, a, &sa.sin_addr)
        return sa
    }

    func send(_ text: String, to address: String, port: UInt16) throws {
        var sa = UDPSocket.address(address, port)
        let bytes = Array(text.utf8)
        let n = withUnsafePointer(to: &sa) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard n == bytes.count else { throw BPFError(operation: "sendto \(address):\(port)", errno: errno) }
    }

    /// The next datagram as text, or nil after `timeoutMilliseconds`.
    func receive(timeoutMilliseconds: Int32) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}

/// A bpffs mounted on a fresh directory under /tmp, unmounted and removed on deinit.
final class PrivateBPFFS {
    let path: String
    private static let counter = Atomic<Int>(0)

    init() throws {
        path = "/tmp/vdt-bpffs-\(getpid())-\(PrivateBPFFS.counter.add(1, ordering: .relaxed).newValue)"
        guard mkdir(path, 0o700) == 0 else { throw BPFError(operation: "mkdir \(path)", errno: errno) }
        do {
            try Shell.must(["mount", "-t", "bpf", "bpf", path])
        } catch {
            rmdir(path)
            throw error
        }
    }

    deinit {
        Shell.run(["umount", path])
        rmdir(path)
    }
}

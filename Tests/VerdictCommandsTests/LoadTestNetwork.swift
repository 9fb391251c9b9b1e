// The world `verdict load` is tested in: two network namespaces joined by a veth pair, a private
// bpffs and state directory, and real sockets (TCP connect, UDP, ICMP echo through ping sockets)
// opened inside the namespaces. Everything is created per test with unique names (namespaces
// `vdt<pid>_<n>c|s`, so scripts/test clears leftovers) and removed on deinit, also on failure.

import BPFLoader
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a system tool (ip, tc, mount, nsenter) from the root namespace.
@discardableResult
func tool(_ path: String, _ args: [String], stdin: String? = nil) throws -> ProcessResult {
    try runVerdict(args, stdin: stdin, executable: URL(fileURLWithPath: path))
}

/// Namespace `client` (veth `vdc0`) and namespace `server` (veth `vds0`), static MACs, no IPv6
/// link-local addresses (so no router solicitations or MLD reports add packets of their own),
/// ping sockets allowed. Addresses are placed per probe (``place(_:_:)``).
final class LoadTestNetwork {
    static let counter = Atomic<Int>(0)
    static let clientMAC = "02:76:64:00:00:01", serverMAC = "02:76:64:00:00:02"

    let client: String, server: String
    let bpffs: String, stateDir: String
    var pinPath: String { bpffs + "/verdict" }

    init() throws {
        let n = Self.counter.add(1, ordering: .relaxed).newValue
        let id = "vdt\(getpid())_\(n)"
        client = id + "c"
        server = id + "s"
        bpffs = "/tmp/vdt-bpffs-\(getpid())-e\(n)"
        stateDir = "/tmp/vdt-state-\(getpid())-\(n)"
        do {
            try must("/usr/sbin/ip", ["netns", "add", client])
            try must("/usr/sbin/ip", ["netns", "add", server])
            try must("/usr/sbin/ip", ["link", "add", "vdc0", "netns", client, "address", Self.clientMAC, "type", "veth",
                                      "peer", "name", "vds0", "netns", server, "address", Self.serverMAC])
            for (ns, dev) in [(client, "vdc0"), (server, "vds0")] {
                try must("/usr/sbin/ip", ["-n", ns, "link", "set", dev, "addrgenmode", "none"])
                try must("/usr/sbin/ip", ["-n", ns, "link", "set", "lo", "up"])
                try must("/usr/sbin/ip", ["-n", ns, "link", "set", dev, "up"])
                try must("/usr/sbin/ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
            }
            guard mkdir(bpffs, 0o700) == 0 else { throw BPFError(operation: "mkdir \(bpffs)", errno: errno) }
            try must("/usr/bin/mount", ["-t", "bpf", "bpf", bpffs])
        } catch {
            cleanUp()
            throw error
        }
    }

    deinit { cleanUp() }

    /// Deleting the namespaces removes the veths and everything attached to them.
    private func cleanUp() {
        _ = try? tool("/usr/sbin/ip", ["netns", "del", client])
        _ = try? tool("/usr/sbin/ip", ["netns", "del", server])
        _ = try? tool("/usr/bin/umount", [bpffs])
        rmdir(bpffs)
        try? FileManager.default.removeItem(atPath: stateDir)
    }

    @discardableResult
    func must(_ path: String, _ args: [String], stdin: String? = nil) throws -> String {
        let r = try tool(path, args, stdin: stdin)
        guard r.status == 0 else { throw LoadTestError("\(path) \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)\(r.stdout)") }
        return r.stdout
    }

    /// `verdict ARGS --pin-path … --state-dir …` inside namespace `ns` (nsenter keeps the
    /// mounts, where `ip netns exec` would hide the bpffs).
    func verdict(_ ns: String, _ args: [String]) throws -> ProcessResult {
        guard let binary = FixturePaths.verdictBinary?.path else { throw LoadTestError("verdict binary not found next to the tests: run swift build first") }
        return try tool("/usr/bin/nsenter", ["--net=/run/netns/\(ns)", binary] + args + ["--pin-path", pinPath, "--state-dir", stateDir])
    }

    func device(_ ns: String) -> String { ns == client ? "vdc0" : "vds0" }
    func peerMAC(_ ns: String) -> String { ns == client ? Self.serverMAC : Self.clientMAC }

    /// Gives `source` to `from`'s veth and `destination` to the other namespace's, with host
    /// routes and permanent neighbour entries both ways (no ARP or neighbour discovery on the
    /// wire). Returns the batch that undoes it.
    func place(from: String, source: String, destination: String) throws -> () -> Void {
        let to = from == client ? server : client
        func batch(_ ns: String, local: String, remote: String, verb: String) -> String {
            let bits = local.contains(":") ? "128" : "32"
            let dev = device(ns)
            let add = verb == "add"
            return [
                "address \(verb) \(local)/\(bits) dev \(dev)\(add && bits == "128" ? " nodad" : "")",
                "route \(add ? "replace" : "del") \(remote)/\(bits) dev \(dev)",
                add ? "neigh replace \(remote) lladdr \(peerMAC(ns)) dev \(dev) nud permanent" : "neigh del \(remote) dev \(dev)",
            ].joined(separator: "\n") + "\n"
        }
        try must("/usr/sbin/ip", ["-n", from, "-batch", "-"], stdin: batch(from, local: source, remote: destination, verb: "add"))
        try must("/usr/sbin/ip", ["-n", to, "-batch", "-"], stdin: batch(to, local: destination, remote: source, verb: "add"))
        return { [self] in
            _ = self
            _ = try? tool("/usr/sbin/ip", ["-n", from, "-force", "-batch", "-"], stdin: batch(from, local: source, remote: destination, verb: "del"))
            _ = try? tool("/usr/sbin/ip", ["-n", to, "-force", "-batch", "-"], stdin: batch(to, local: destination, remote: source, verb: "del"))
        }
    }
}

struct LoadTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// One socket address, v4 or v6, as bytes for bind/connect/sendto.
struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t
    var family: Int32

    init(_ ip: String, port: UInt16) {
        if ip.contains(":") {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            inet_pton(AF_INET6, ip, &sa.sin6_addr)
            var ss = sockaddr_storage()
            withUnsafeBytes(of: sa) { src in withUnsafeMutableBytes(of: &ss) { $0.copyMemory(from: src) } }
            storage = ss
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            inet_pton(AF_INET, ip, &sa.sin_addr)
            var ss = sockaddr_storage()
            withUnsafeBytes(of: sa) { src in withUnsafeMutableBytes(of: &ss) { $0.copyMemory(from: src) } }
            storage = ss
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
    }

    func with<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}

/// Real traffic: each call opens its sockets inside the namespaces (a socket stays in the
/// namespace it was made in) and closes them.
enum Traffic {
    /// A socket made inside `ns`, bound to `ip:port`.
    static func socket(in ns: String, family: Int32, type: Int32, proto: Int32 = 0, bind ip: String, port: UInt16 = 0) throws -> Int32 {
        let fd = try NetworkNamespace.run(ns) { () throws(BPFError) -> Int32 in
            let s = Glibc.socket(family, type, proto)
            guard s >= 0 else { throw BPFError(operation: "socket in \(ns)", errno: errno) }
            return s
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
        let r = SocketAddress(ip, port: port).with { bind(fd, $0, $1) }
        guard r == 0 else { let e = errno; close(fd); throw BPFError(operation: "bind \(ip):\(port) in \(ns)", errno: e) }
        return fd
    }

    static func localPort(_ fd: Int32) -> UInt16 {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return withUnsafeBytes(of: ss) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    static func waitReadable(_ fd: Int32, _ ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) == 1
    }

    /// TCP connect from `src` (in `from`) to `dst:port` (listening in `to`): (connected, source port).
    /// One SYN: the wait ends before the first retransmission (1 s), and closing a socket in
    /// SYN-SENT sends nothing.
    static func tcp(from: String, src: String, to: String, dst: String, port: UInt16, timeoutMs: Int32) throws -> (Bool, UInt16) {
        let fam = dst.contains(":") ? AF_INET6 : AF_INET
        let listener = try socket(in: to, family: fam, type: Int32(SOCK_STREAM.rawValue), bind: dst, port: port)
        defer { close(listener) }
        guard listen(listener, 16) == 0 else { throw BPFError(operation: "listen", errno: errno) }
        let c = try socket(in: from, family: fam, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), bind: src)
        defer { close(c) }
        _ = SocketAddress(dst, port: port).with { connect(c, $0, $1) }
        var p = pollfd(fd: c, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, timeoutMs) == 1 else { return (false, localPort(c)) }
        var err: Int32 = 0
        var len = socklen_t(4)
        getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len)
        return (err == 0, localPort(c))
    }

    /// One UDP datagram from `src` to `dst:port`: (delivered, source port).
    static func udp(from: String, src: String, to: String, dst: String, port: UInt16, timeoutMs: Int32) throws -> (Bool, UInt16) {
        let fam = dst.contains(":") ? AF_INET6 : AF_INET
        let server = try socket(in: to, family: fam, type: Int32(SOCK_DGRAM.rawValue), bind: dst, port: port)
        defer { close(server) }
        let c = try socket(in: from, family: fam, type: Int32(SOCK_DGRAM.rawValue), bind: src)
        defer { close(c) }
        let payload: [UInt8] = Array("verdict".utf8)
        _ = SocketAddress(dst, port: port).with { sendto(c, payload, payload.count, 0, $0, $1) }
        return (waitReadable(server, timeoutMs), localPort(c))
    }

    /// One ICMP or ICMPv6 echo request from `src` to `dst` (the kernel in the other namespace
    /// answers): true when the reply came back.
    static func ping(from: String, src: String, dst: String, timeoutMs: Int32) throws -> Bool {
        let v6 = dst.contains(":")
        let fd = try socket(in: from, family: v6 ? AF_INET6 : AF_INET, type: Int32(SOCK_DGRAM.rawValue),
                            proto: v6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP), bind: src)
        defer { close(fd) }
        // type, code, checksum (the kernel fills it), id (the kernel sets it), sequence, data
        let echo: [UInt8] = [v6 ? 128 : 8, 0, 0, 0, 0, 0, 0, 1] + Array("verdict".utf8)
        _ = SocketAddress(dst, port: 0).with { sendto(fd, echo, echo.count, 0, $0, $1) }
        guard waitReadable(fd, timeoutMs) else { return false }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n >= 8 && buffer[0] == (v6 ? 129 : 0)
    }
}

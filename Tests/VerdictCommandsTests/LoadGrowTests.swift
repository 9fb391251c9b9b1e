// A reload whose table outgrows the pinned maps (DECISIONS 57): new maps with the pinned vd_ct,
// the attached programs replaced in one step each, the pins exchanged. Under a stream of new
// UDP flows both versions allow, with a TCP connection opened before and used after.

import BPFLoader
import Foundation
import MatchTable
import PolicyCompiler
import PolicyModel
import Synchronization
import Testing
@testable import VerdictCommands

#if canImport(Glibc)
import Glibc
#endif

/// A datagram from a fresh socket every 0.5 ms (each a new flow, so each is classified) from
/// `source` in `from` to `destination:port` in `to`, counted on both ends until ``stop()``.
final class UDPStream {
    final class Counters: Sendable {
        let stop = Atomic<Bool>(false), sent = Atomic<Int>(0), received = Atomic<Int>(0)
    }
    let counters = Counters()
    let receiver: Int32
    let sender: Thread, drain: Thread

    init(_ net: LoadTestNetwork, from: String, source: String, to: String, destination: String, port: UInt16) throws {
        let receiver = try Traffic.socket(in: to, family: AF_INET, type: Int32(SOCK_DGRAM.rawValue), bind: destination, port: port)
        self.receiver = receiver
        var big: Int32 = 8 << 20
        setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &big, socklen_t(4))
        let c = counters
        sender = Thread {
            _ = try? NetworkNamespace.run(from) { () throws(BPFError) in
                let dst = SocketAddress(destination, port: port), src = SocketAddress(source, port: 0)
                while !c.stop.load(ordering: .relaxed) {
                    let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                    guard fd >= 0 else { continue }
                    _ = src.with { bind(fd, $0, $1) }
                    let n = dst.with { sendto(fd, "x", 1, 0, $0, $1) }
                    close(fd)
                    if n == 1 { c.sent.add(1, ordering: .relaxed) }
                    usleep(500)
                }
            }
        }
        drain = Thread {
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                if !Traffic.waitReadable(receiver, 300) { if c.stop.load(ordering: .relaxed) { break } else { continue } }
                if recv(receiver, &buffer, buffer.count, 0) > 0 { c.received.add(1, ordering: .relaxed) }
            }
        }
        sender.start()
        drain.start()
    }

    /// Stops sending, waits for the last datagrams; (sent, received).
    func finish() -> (sent: Int, received: Int) {
        counters.stop.store(true, ordering: .relaxed)
        while !sender.isFinished || !drain.isFinished { usleep(10_000) }
        return (counters.sent.load(ordering: .relaxed), counters.received.load(ordering: .relaxed))
    }

    deinit {
        if !counters.stop.load(ordering: .relaxed) { _ = finish() }
        close(receiver)
    }
}

/// One TCP connection between two namespaces: the client's socket and the server's accepted one.
final class TCPConnection {
    let client: Int32, accepted: Int32

    init(_ net: LoadTestNetwork, from: String, source: String, to: String, destination: String, port: UInt16) throws {
        let listener = try Traffic.socket(in: to, family: AF_INET, type: Int32(SOCK_STREAM.rawValue), bind: destination, port: port)
        defer { close(listener) }   // the accepted connection outlives its listener
        guard listen(listener, 4) == 0 else { throw BPFError(operation: "listen", errno: errno) }
        let c = try Traffic.socket(in: from, family: AF_INET, type: Int32(SOCK_STREAM.rawValue), bind: source)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard SocketAddress(destination, port: port).with({ connect(c, $0, $1) }) == 0 else {
            let e = errno
            close(c)
            throw LoadTestError("connect \(source) → \(destination):\(port): \(String(cString: strerror(e)))")
        }
        guard Traffic.waitReadable(listener, 2000) else { close(c); throw LoadTestError("accept: no connection") }
        let a = accept(listener, nil, nil)
        guard a >= 0 else { close(c); throw LoadTestError("accept: \(String(cString: strerror(errno)))") }
        client = c
        accepted = a
    }

    deinit { close(client); close(accepted) }

    /// One message each way; true when both arrived within a second.
    func exchange(_ text: String) -> Bool {
        func pass(_ from: Int32, _ to: Int32) -> Bool {
            let bytes = Array(text.utf8)
            guard send(from, bytes, bytes.count, 0) == bytes.count, Traffic.waitReadable(to, 1000) else { return false }
            var buffer = [UInt8](repeating: 0, count: 256)
            return recv(to, &buffer, buffer.count, 0) == bytes.count
        }
        return pass(client, accepted) && pass(accepted, client)
    }
}

/// `status -o json`'s one interface, decoded.
func statusInterface(_ net: LoadTestNetwork, _ ns: String, _ interface: String) throws -> [String: Any] {
    let r = try net.verdict(ns, ["status", "--interface", interface, "-o", "json"])
    guard r.status == 0 else { throw LoadTestError("status exited \(r.status): \(r.stderr)") }
    let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    guard let interfaces = o?["interfaces"] as? [[String: Any]], interfaces.count == 1 else { throw LoadTestError("status: \(r.stdout)") }
    return interfaces[0]
}

/// `status`'s maps: name → (kernel map id, maxEntries).
func statusMaps(_ status: [String: Any]) -> [String: (id: Int, entries: Int)] {
    Dictionary(uniqueKeysWithValues: (status["maps"] as? [[String: Any]] ?? []).compactMap { m in
        guard let n = m["name"] as? String, let id = m["id"] as? Int, let e = m["maxEntries"] as? Int else { return nil }
        return (n, (id, e))
    })
}

/// zero-trust-calico plus a policy of `rules` Deny rules on addresses and ports no test traffic
/// uses, and (when `denyDatabase`) a Deny of new TCP connections to port 3306.
func grownPolicy(_ base: URL, rules: Int, denyDatabase: Bool) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vdt-policy-v2-\(getpid())-grow")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.copyItem(at: base, to: dir)
    var yaml = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: many-denies}
    spec:
      order: 10
      selector: all()
      types: [Ingress]
      ingress:

    """
    if denyDatabase { yaml += "  - {action: Deny, protocol: TCP, destination: {ports: [3306]}}\n" }
    for i in 0..<rules {
        yaml += "  - {action: Deny, protocol: TCP, source: {nets: [198.18.\(i / 250).\(i % 250 + 1)/32]}, destination: {ports: [\(20000 + i)]}}\n"
    }
    try yaml.write(to: dir.appendingPathComponent("many-denies.yaml"), atomically: true, encoding: .utf8)
    return dir
}

extension LoadEndToEndTests {
    @Test("a reload that outgrows the maps replaces programs and maps under traffic: no allowed datagram lost, an established TCP connection kept",
          arguments: ["tc", "xdp-generic"])
    func reloadIntoLargerMaps(_ mode: String) throws {
        let ex = try LoadedExample("zero-trust-calico")
        let v2 = try grownPolicy(ex.dir, rules: 400, denyDatabase: true)
        defer { try? FileManager.default.removeItem(at: v2) }
        let v2Table = try PolicyCompiler.compile(PolicySet.resolve(ResourceLoader.load([ResourceLoader.Input(v2.path)], recursive: false)))
        func address(_ ns: String, _ name: String) throws -> String {
            try #require(ex.set.endpoints.first { $0.namespace == ns && $0.name == name }?.addresses.first).description
        }
        let frontend = try address("dev-app", "frontend"), coredns = try address("kube-system", "coredns")
        let backend = try address("dev-app", "backend"), database = try address("dev-app", "database")

        let net = try LoadTestNetwork()
        let first = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "--mode", mode, "-q"])
        try #require(first.status == 0, "\(first.stderr)")
        let before = try statusInterface(net, net.server, "vds0")
        let idsBefore = (before["programs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }

        let undoDNS = try net.place(from: net.client, source: frontend, destination: coredns)
        defer { undoDNS() }
        let undoDB = try net.place(from: net.client, source: backend, destination: database)
        defer { undoDB() }
        let tcp = try TCPConnection(net, from: net.client, source: backend, to: net.server, destination: database, port: 3306)
        #expect(tcp.exchange("before"), "the TCP connection does not work before the reload")

        let stream = try UDPStream(net, from: net.client, source: frontend, to: net.server, destination: coredns, port: 53)
        usleep(200_000)
        let grow = try net.verdict(net.server, ["load", "-f", v2.path, "--interface", "vds0", "--mode", mode, "-q"])
        #expect(grow.status == 0, "\(grow.stderr)")
        #expect(grow.stdout.contains("reloaded vds0 into larger maps (") && grow.stdout.contains("conntrack kept"), "\(grow.stdout)")
        usleep(200_000)
        // Back to the small policy: an ordinary reload (stage and flip) in the new maps.
        let back = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "--mode", mode, "-q"])
        #expect(back.status == 0 && back.stdout.contains("reloaded vds0: generation 0 active"), "\(back.stdout)\(back.stderr)")
        usleep(200_000)
        let (sent, received) = stream.finish()
        print("reload into larger maps (\(mode)): \(sent) datagrams sent, \(received) received; \(grow.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(sent > 200)
        #expect(received == sent, "\(sent - received) of \(sent) datagrams lost")

        // The connection opened under the small policy still works under both later versions
        // (vd_ct was kept), while the grown table refused new connections to 3306 (checked
        // by reloading it once more after the stream).
        #expect(tcp.exchange("after"), "the established TCP connection broke")
        let again = try net.verdict(net.server, ["load", "-f", v2.path, "--interface", "vds0", "--mode", mode, "-q"])
        #expect(again.status == 0 && again.stdout.contains("reloaded vds0: generation 1 active"), "\(again.stdout)\(again.stderr)")
        #expect(tcp.exchange("still"), "the established TCP connection broke")
        let fresh = try Traffic.tcp(from: net.client, src: backend, to: net.server, dst: database, port: 3306, timeoutMs: 700)
        #expect(!fresh.0, "a new connection to 3306 got through the grown table's Deny")

        let after = try statusInterface(net, net.server, "vds0")
        #expect(after["generation"] as? Int == 1)
        #expect(after["reloads"] as? Int == 3)
        #expect((after["table"] as? [String: Any])?["rules"] as? Int == DataPlaneCommand.ruleCount(v2Table))
        #expect(after["attached"] as? Bool == true)
        let idsAfter = (after["programs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        #expect(idsAfter.count == idsBefore.count && Set(idsAfter).isDisjoint(with: idsBefore), "programs \(idsBefore) → \(idsAfter)")
        // New table maps, the same conntrack map (same kernel id: reused, not copied).
        let mapsBefore = statusMaps(before), mapsAfter = statusMaps(after)
        let rulesBefore = try #require(mapsBefore["vd_rules"]), rulesAfter = try #require(mapsAfter["vd_rules"])
        #expect(rulesAfter.entries > rulesBefore.entries && rulesAfter.id != rulesBefore.id, "vd_rules \(rulesBefore) → \(rulesAfter)")
        let ctBefore = try #require(mapsBefore["vd_ct"]), ctAfter = try #require(mapsAfter["vd_ct"])
        #expect(ctAfter.id == ctBefore.id && ctAfter.entries == ctBefore.entries, "vd_ct \(ctBefore) → \(ctAfter)")
        let pinned = ((try? FileManager.default.contentsOfDirectory(atPath: net.pinPath)) ?? []).sorted()
        #expect(pinned == ["vds0"], "pin directories: \(pinned)")

        let unload = try net.verdict(net.server, ["unload", "--interface", "vds0"])
        #expect(unload.status == 0, "\(unload.stderr)")
        for dir in ["ingress", "egress"] {
            #expect(try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", dir]).isEmpty)
        }
        #expect(!(try net.must("/usr/sbin/ip", ["-n", net.server, "-d", "link", "show", "vds0"])).contains("prog/xdp"))
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: net.bpffs)) ?? []).filter { !$0.hasSuffix(".debug") }
        #expect(left.isEmpty, "left under \(net.bpffs): \(left)")
        #expect(!FileManager.default.fileExists(atPath: net.stateDir))
    }
}

extension LoadEndToEndTests {
    /// state.json as a growth interrupted after the programs were replaced and before the state
    /// was written: the recorded programs are the ones replaced, the pending ones are attached,
    /// and `<if>:next` holds pins (links to the live maps' pins).
    func simulateInterruptedGrowth(_ net: LoadTestNetwork, replacedIDs: [String: UInt32]) throws {
        let paths = StatePaths(stateRoot: net.stateDir, interface: "vds0")
        var state = try #require(try paths.read())
        let next = DataPlaneCommand.growthDirectory(state.pinDirectory)
        state.pending = PendingGrowth(pinDirectory: next, programs: state.programs)
        for i in state.programs.indices { state.programs[i].id = replacedIDs[state.programs[i].hook] ?? 0 }
        try paths.write(state)
        guard mkdir(next, 0o700) == 0, link(state.pinDirectory + "/vd_cfg", next + "/vd_cfg") == 0 else {
            throw LoadTestError("cannot make \(next): \(String(cString: strerror(errno)))")
        }
    }

    @Test("an interrupted growth: load replaces our programs in place and loads afresh; unload removes old, pending and :next",
          arguments: ["tc", "xdp-generic"])
    func interruptedGrowth(_ mode: String) throws {
        let ex = try LoadedExample("zero-trust-calico")
        let v2 = try grownPolicy(ex.dir, rules: 400, denyDatabase: false)
        defer { try? FileManager.default.removeItem(at: v2) }
        let frontend = try #require(ex.set.endpoints.first { $0.namespace == "dev-app" && $0.name == "frontend" }?.addresses.first).description
        let coredns = try #require(ex.set.endpoints.first { $0.namespace == "kube-system" && $0.name == "coredns" }?.addresses.first).description
        let net = try LoadTestNetwork()
        let first = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "--mode", mode, "-q"])
        try #require(first.status == 0, "\(first.stderr)")
        let paths = StatePaths(stateRoot: net.stateDir, interface: "vds0")
        let small = try #require(try paths.read())
        let grow = try net.verdict(net.server, ["load", "-f", v2.path, "--interface", "vds0", "--mode", mode, "-q"])
        try #require(grow.status == 0 && grow.stdout.contains("into larger maps"), "\(grow.stdout)\(grow.stderr)")
        try simulateInterruptedGrowth(net, replacedIDs: Dictionary(uniqueKeysWithValues: small.programs.map { ($0.hook, $0.id) }))
        let status = try net.verdict(net.server, ["status", "--interface", "vds0"])
        #expect(status.stdout.contains("a reload into larger maps was interrupted"), "\(status.stdout)")

        // Recovery under traffic: our programs are replaced where they run, never detached.
        let undo = try net.place(from: net.client, source: frontend, destination: coredns)
        defer { undo() }
        let stream = try UDPStream(net, from: net.client, source: frontend, to: net.server, destination: coredns, port: 53)
        usleep(200_000)
        let recover = try net.verdict(net.server, ["load", "-f", v2.path, "--interface", "vds0", "--mode", mode, "-q"])
        usleep(200_000)
        let (sent, received) = stream.finish()
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(recover.stderr.contains("a reload into larger maps was interrupted"), "\(recover.stderr)")
        #expect(recover.stdout.contains("loaded vds0:"), "\(recover.stdout)")
        #expect(sent > 200 && received == sent, "\(sent - received) of \(sent) datagrams lost while recovering")
        let recovered = try #require(try paths.read())
        #expect(recovered.pending == nil && recovered.reloads == 0)
        #expect(!FileManager.default.fileExists(atPath: DataPlaneCommand.growthDirectory(recovered.pinDirectory)))
        #expect(mode != "tc" || recovered.createdQdisc, "the qdisc load created is no longer recorded as created")
        // status (in the server's namespace) finds the recorded programs attached.
        let s = try statusInterface(net, net.server, "vds0")
        #expect(s["attached"] as? Bool == true)
        #expect((s["programs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int } == recovered.programs.map { Int($0.id) })

        // The same interruption, then unload: it detaches the pending programs and removes all pins.
        let grow2 = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "--mode", mode, "-q"])
        #expect(grow2.status == 0, "\(grow2.stderr)")
        try simulateInterruptedGrowth(net, replacedIDs: [:])
        let unload = try net.verdict(net.server, ["unload", "--interface", "vds0"])
        #expect(unload.status == 0 && unload.stdout.contains("detached"), "\(unload.stdout)\(unload.stderr)")
        for dir in ["ingress", "egress"] {
            #expect(try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", dir]).isEmpty)
        }
        #expect(!(try net.must("/usr/sbin/tc", ["-n", net.server, "qdisc", "show", "dev", "vds0"])).contains("clsact"))
        #expect(!(try net.must("/usr/sbin/ip", ["-n", net.server, "-d", "link", "show", "vds0"])).contains("prog/xdp"))
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: net.bpffs)) ?? []).filter { !$0.hasSuffix(".debug") }
        #expect(left.isEmpty, "left under \(net.bpffs): \(left)")
        #expect(!FileManager.default.fileExists(atPath: net.stateDir))
    }
}

// `verdict load`, `status` and `unload` end to end, as root: the binary attaches to a veth in
// namespaces the test makes, real TCP, UDP, ping and ping6 cross it, and what gets through must
// be what each example's probes.json expects; the counters `status -o json` reports must equal
// what the Swift classifier counts for the packets sent; a reload under a stream of new flows
// loses none; unload leaves nothing attached or pinned.

import BPFLoader
import Classifier
import CVerdictABI
import Foundation
import MatchTable
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator
import Synchronization
import Testing
@testable import VerdictCommands

#if canImport(Glibc)
import Glibc
#endif

/// Why the suite cannot run here, or nil.
let loadEndToEndSkip: String? = {
    if getuid() != 0 { return "needs root (namespaces, bpffs mounts, attaching programs)" }
    if let r = BPFCapabilities.attachRefusal { return r }
    if !FileManager.default.isExecutableFile(atPath: "/usr/bin/nsenter") { return "needs nsenter (util-linux)" }
    if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") { return "needs ip (iproute2: scripts/setup-system)" }
    return nil
}()

/// One probe of an example as traffic: who sends, to what, and what the example expects.
struct TrafficProbe {
    var id: String
    var packet: Packet
    var expect: Bool
    var kind: Kind
    enum Kind { case tcp(UInt16), udp(UInt16), ping }

    /// The probes of `file` that real traffic can express (TCP, UDP, ICMP/ICMPv6 echo requests).
    static func load(_ set: PolicySet, _ file: URL) throws -> (probes: [TrafficProbe], skipped: [String]) {
        let evaluator = ReferenceEvaluator(set)
        var out: [TrafficProbe] = [], skipped: [String] = []
        for spec in try ProbeLoader.load(path: file.path) {
            let p = try evaluator.resolve(spec).packet
            let id = spec.id ?? "\(p)"
            guard let expect = spec.expect else { skipped.append(id); continue }
            let kind: Kind
            switch (p.protocolNumber, p.icmpType) {
            case (6, _): kind = .tcp(p.destinationPort ?? 0)
            case (17, _): kind = .udp(p.destinationPort ?? 0)
            case (1, 8) where p.family == .v4, (58, 128) where p.family == .v6: kind = .ping
            default: skipped.append(id); continue
            }
            out.append(TrafficProbe(id: id, packet: p, expect: expect == "allow", kind: kind))
        }
        return (out, skipped)
    }

    /// Sends it from namespace `from` to `to`: whether it got through, and the key of the packet
    /// that opened the flow (with the source port the socket really used).
    func send(_ net: LoadTestNetwork, from: String, to: String, timeoutMs: Int32 = 700) throws -> (delivered: Bool, key: PacketKey) {
        let src = packet.source.description, dst = packet.destination.description
        let undo = try net.place(from: from, source: src, destination: dst)
        defer { undo() }
        var delivered = false, sport: UInt16? = nil
        switch kind {
        case .tcp(let port): (delivered, sport) = try Traffic.tcp(from: from, src: src, to: to, dst: dst, port: port, timeoutMs: timeoutMs)
        case .udp(let port): (delivered, sport) = try Traffic.udp(from: from, src: src, to: to, dst: dst, port: port, timeoutMs: timeoutMs)
        case .ping: delivered = try Traffic.ping(from: from, src: src, dst: dst, timeoutMs: timeoutMs)
        }
        let key = PacketKey(source: packet.source, destination: packet.destination, protocolNumber: packet.protocolNumber,
                            sourcePort: sport, destinationPort: packet.destinationPort, icmpType: packet.icmpType, icmpCode: packet.icmpCode)
        return (delivered, key)
    }
}

/// An example's policy set and table.
struct LoadedExample {
    var dir: URL
    var set: PolicySet
    var table: MatchTable

    /// The whole example directory, or only `files` of it.
    var inputs: [String]

    init(_ name: String, files: [String]? = nil) throws {
        let dir = FixturePaths.examples.appendingPathComponent(name)
        let inputs = files?.map { dir.appendingPathComponent($0).path } ?? [dir.path]
        self.dir = dir
        self.inputs = inputs
        set = try PolicySet.resolve(ResourceLoader.load(inputs.map { ResourceLoader.Input($0) }, recursive: false))
        table = try PolicyCompiler.compile(set)
    }

    /// `-f` arguments for verdict.
    var fileArguments: [String] { inputs.flatMap { ["-f", $0] } }
}

/// An example (or some of its files), its probes file and how to attach.
struct NodeScenario: Sendable, CustomTestStringConvertible {
    var example: String
    var files: [String]?
    var probes = "probes.json"
    var mode = "tc"
    var testDescription: String { "\(example)\(files.map { " " + $0.joined(separator: "+") } ?? "") \(probes) \(mode)" }

    static let all: [NodeScenario] = [
        NodeScenario(example: "zero-trust-k8s"),
        NodeScenario(example: "zero-trust-calico"),
        NodeScenario(example: "icmp-howto"),
        // Pings allowed, ping6 among them (the full example denies every ICMP).
        NodeScenario(example: "icmp-howto", files: ["cluster.yaml", "allow-ping-in-cluster.yaml"], probes: "probes-allow-ping.json"),
        NodeScenario(example: "zero-trust-calico", mode: "xdp"),
    ]
}

/// `status -o json`'s rules of the one interface, as comparable text.
func statusRules(_ net: LoadTestNetwork, _ ns: String, _ interface: String) throws -> [String] {
    let r = try net.verdict(ns, ["status", "--interface", interface, "-o", "json"])
    guard r.status == 0 else { throw LoadTestError("status exited \(r.status): \(r.stderr)") }
    let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    let interfaces = o?["interfaces"] as? [[String: Any]] ?? []
    guard interfaces.count == 1, let rules = interfaces[0]["rules"] as? [[String: Any]] else { throw LoadTestError("status: \(r.stdout)") }
    return rules.map { row in JSONValue(any: row).render() }
}

/// What `status` must say after `counts[chain][rule]` decisions.
func expectedRules(_ table: MatchTable, _ counts: [[UInt64]]) -> [String] {
    // Through JSONSerialization, as statusRules reads them (same key order).
    RuleHits(Classifier(table), hits: counts).rows.map { row in
        JSONValue(any: (try? JSONSerialization.jsonObject(with: Data(row.json.render().utf8))) ?? [:]).render()
    }
}

func zeroCounts(_ table: MatchTable) -> [[UInt64]] { table.chains.indices.map { [UInt64](repeating: 0, count: table.rules(chain: $0).count) } }

@Suite("verdict load end to end", .serialized, .enabled(if: loadEndToEndSkip == nil, Comment(rawValue: "skipped: \(loadEndToEndSkip ?? "")")))
struct LoadEndToEndTests {
    /// Node mode: the server's veth runs the programs; every probe of the example crosses it
    /// from the client namespace, and status counts what the Swift classifier counts.
    @Test("node mode: real traffic gets the example's expected verdicts and status counts it",
          arguments: NodeScenario.all)
    func nodeMode(_ scenario: NodeScenario) throws {
        let example = scenario.testDescription, mode = scenario.mode
        let ex = try LoadedExample(scenario.example, files: scenario.files)
        let (probes, skipped) = try TrafficProbe.load(ex.set, ex.dir.appendingPathComponent(scenario.probes))
        #expect(probes.count >= 8, "probes that traffic can express: \(probes.count), skipped \(skipped)")
        let net = try LoadTestNetwork()
        let load = try net.verdict(net.server, ["load"] + ex.fileArguments + ["--interface", "vds0", "--mode", mode, "-q"])
        try #require(load.status == 0, "\(load.stderr)")
        let classifier = Classifier(ex.table)
        var v4 = 0, v6 = 0, pings = 0
        for p in probes {
            let (delivered, key) = try p.send(net, from: net.client, to: net.server)
            #expect(delivered == p.expect, "\(example) \(p.id) \(p.packet): \(delivered ? "got through" : "timed out"), expected \(p.expect ? "allow" : "deny")")
            classifier.count(classifier.classify(key))
            if p.packet.family == .v4 { v4 += 1 } else { v6 += 1 }
            if case .ping = p.kind { pings += 1 }
        }
        let counts = ex.table.chains.indices.map { c in (0..<ex.table.rules(chain: c).count).map { classifier.hits(chain: c, rule: $0) } }
        #expect(counts.joined().reduce(0, +) > 0)
        let got = try statusRules(net, net.server, "vds0"), want = expectedRules(ex.table, counts)
        #expect(got == want, "status: \(got.filter { !want.contains($0) })\nclassifier: \(want.filter { !got.contains($0) })")
        print("\(example): \(probes.count) probes as traffic (\(v4) IPv4, \(v6) IPv6, \(pings) pings), \(skipped.count) not expressible: \(skipped)")
    }

    /// Endpoint mode, as Calico on a workload's host-side veth: the client namespace holds the
    /// veth the programs run on, the workload lives behind it in the server namespace. Packets
    /// to it meet its ingress policy (TC egress of the veth), packets from it its egress policy
    /// (TC ingress); the other endpoint's policy plays no part.
    @Test("endpoint mode: the workload's own policy in both directions, as the reference evaluator gives it")
    func endpointMode() throws {
        let ex = try LoadedExample("zero-trust-calico")
        let (probes, _) = try TrafficProbe.load(ex.set, ex.dir.appendingPathComponent("probes.json"))
        let backend = try #require(ex.set.endpoints.first { $0.namespace == "dev-app" && $0.name == "backend" })
        let backendIP = try #require(backend.addresses.first)
        let evaluator = ReferenceEvaluator(ex.set)
        let net = try LoadTestNetwork()
        let load = try net.verdict(net.client, ["load", "-f", ex.dir.path, "--interface", "vdc0", "--endpoint", "dev-app/backend", "-q"])
        try #require(load.status == 0, "\(load.stderr)")
        let classifier = Classifier(ex.table)
        let index = try #require(classifier.endpoint(owning: backendIP))
        var counts = zeroCounts(ex.table)
        var checked = 0
        for p in probes where p.packet.destination == backendIP || p.packet.source == backendIP {
            let ingress = p.packet.destination == backendIP
            let expect = evaluator.evaluateEndpoint(backend, ingress ? .ingress : .egress, p.packet).verdict == .allow
            // The workload sends from the server side; traffic to it comes from the client side.
            let (delivered, key) = try p.send(net, from: ingress ? net.client : net.server, to: ingress ? net.server : net.client)
            #expect(delivered == expect, "\(p.id) \(p.packet): \(delivered ? "got through" : "timed out"), backend's \(ingress ? "ingress" : "egress") says \(expect ? "allow" : "deny")")
            let chain = try #require(ex.table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: ingress ? VD_DIR_INGRESS : VD_DIR_EGRESS))
            let rule = classifier.classifyPoint(chain: chain, endpoint: index, key: key)
            if rule != VD_NONE { counts[chain][Int(rule)] += 1 }
            checked += 1
        }
        #expect(checked >= 6)
        let got = try statusRules(net, net.client, "vdc0"), want = expectedRules(ex.table, counts)
        #expect(got == want, "status: \(got.filter { !want.contains($0) })\nclassifier: \(want.filter { !got.contains($0) })")
    }

    /// A stream of new UDP flows frontend → coredns:53 (each datagram from a fresh socket, so
    /// each is classified, not passed by conntrack) while `load` swaps between two versions of
    /// the policy that both allow it: every datagram arrives.
    @Test("reload under traffic drops no packet both versions allow")
    func reloadUnderTraffic() throws {
        let ex = try LoadedExample("zero-trust-calico")
        let v2 = FileManager.default.temporaryDirectory.appendingPathComponent("vdt-policy-v2-\(getpid())")
        try? FileManager.default.removeItem(at: v2)
        try FileManager.default.copyItem(at: ex.dir, to: v2)
        defer { try? FileManager.default.removeItem(at: v2) }
        // Version 2 adds a policy (so the table differs) that leaves DNS alone.
        try """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-telnet}
        spec:
          order: 10
          selector: all()
          types: [Ingress]
          ingress:
          - {action: Deny, protocol: TCP, destination: {ports: [23]}}
        """.write(to: v2.appendingPathComponent("deny-telnet.yaml"), atomically: true, encoding: .utf8)

        let frontend = try #require(ex.set.endpoints.first { $0.namespace == "dev-app" && $0.name == "frontend" }?.addresses.first).description
        let coredns = try #require(ex.set.endpoints.first { $0.namespace == "kube-system" && $0.name == "coredns" }?.addresses.first).description
        let net = try LoadTestNetwork()
        let first = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "-q"])
        try #require(first.status == 0, "\(first.stderr)")
        let undo = try net.place(from: net.client, source: frontend, destination: coredns)
        defer { undo() }

        let receiver = try Traffic.socket(in: net.server, family: AF_INET, type: Int32(SOCK_DGRAM.rawValue), bind: coredns, port: 53)
        defer { close(receiver) }
        var big: Int32 = 8 << 20
        setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &big, socklen_t(4))
        let stop = Atomic<Bool>(false), sent = Atomic<Int>(0), received = Atomic<Int>(0)
        let client = net.client
        let sender = Thread {
            // The whole loop runs inside the client namespace (namespaces belong to threads).
            _ = try? NetworkNamespace.run(client) { () throws(BPFError) in
                let dst = SocketAddress(coredns, port: 53)
                let src = SocketAddress(frontend, port: 0)
                while !stop.load(ordering: .relaxed) {
                    let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                    guard fd >= 0 else { continue }
                    _ = src.with { bind(fd, $0, $1) }
                    let n = dst.with { sendto(fd, "x", 1, 0, $0, $1) }
                    close(fd)
                    if n == 1 { sent.add(1, ordering: .relaxed) }
                    usleep(500)
                }
            }
        }
        let drain = Thread {
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                if !Traffic.waitReadable(receiver, 300) { if stop.load(ordering: .relaxed) { break } else { continue } }
                if recv(receiver, &buffer, buffer.count, 0) > 0 { received.add(1, ordering: .relaxed) }
            }
        }
        sender.start()
        drain.start()
        var reloads: [String] = []
        for version in [v2, ex.dir, v2, ex.dir] {
            usleep(150_000)
            let r = try net.verdict(net.server, ["load", "-f", version.path, "--interface", "vds0", "-q"])
            #expect(r.status == 0, "\(r.stderr)")
            reloads.append(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        usleep(150_000)
        stop.store(true, ordering: .relaxed)
        while !sender.isFinished || !drain.isFinished { usleep(10_000) }
        let s = sent.load(ordering: .relaxed), g = received.load(ordering: .relaxed)
        print("reload under traffic: \(s) datagrams sent, \(g) received across \(reloads.count) reloads: \(reloads)")
        #expect(s > 200)
        #expect(g == s, "\(s - g) of \(s) datagrams lost during the reloads")
        #expect(reloads.last?.contains("reload 4") == true)
    }

    /// After unload: no XDP program, no Verdict filter or clsact qdisc, no pin, no state.
    @Test("unload leaves nothing attached or pinned", arguments: ["tc", "xdp-generic"])
    func unloadLeavesNothing(_ mode: String) throws {
        let ex = try LoadedExample("icmp-howto")
        let net = try LoadTestNetwork()
        let load = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "--mode", mode, "-q"])
        try #require(load.status == 0, "\(load.stderr)")
        let link = try net.must("/usr/sbin/ip", ["-n", net.server, "-d", "link", "show", "vds0"])
        let filters = try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", "ingress"])
        #expect(mode == "tc" ? filters.contains("vd_tc_ingress") : link.contains("prog/xdp"), "\(link)\n\(filters)")
        #expect(FileManager.default.fileExists(atPath: net.pinPath + "/vds0/vd_cfg"))

        let r = try net.verdict(net.server, ["unload", "--interface", "vds0"])
        #expect(r.status == 0, "\(r.stderr)")
        let linkAfter = try net.must("/usr/sbin/ip", ["-n", net.server, "-d", "link", "show", "vds0"])
        #expect(!linkAfter.contains("xdp"), "\(linkAfter)")
        for dir in ["ingress", "egress"] {
            #expect(try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", dir]).isEmpty)
        }
        #expect(!(try net.must("/usr/sbin/tc", ["-n", net.server, "qdisc", "show", "dev", "vds0"])).contains("clsact"))
        // A fresh bpffs holds the kernel's maps.debug and progs.debug iterators; anything else is a pin.
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: net.bpffs)) ?? []).filter { !$0.hasSuffix(".debug") }
        #expect(left.isEmpty, "left under \(net.bpffs): \(left)")
        #expect(!FileManager.default.fileExists(atPath: net.stateDir))
        let status = try net.verdict(net.server, ["status", "--interface", "vds0"])
        #expect(status.status == 2 && status.stderr.contains("nothing is loaded on vds0"))
        let again = try net.verdict(net.server, ["unload", "--interface", "vds0"])
        #expect(again.status == 2 && again.stderr.contains("nothing is loaded on vds0"))
    }

    @Test("--dry-run verifies and prints, but attaches and pins nothing")
    func dryRun() throws {
        let ex = try LoadedExample("zero-trust-k8s")
        let net = try LoadTestNetwork()
        let r = try net.verdict(net.server, ["load", "-f", ex.dir.path, "--interface", "vds0", "--dry-run", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("would attach: vd_tc_ingress") && r.stdout.contains("vd_tc_egress: ") && r.stdout.contains("instructions processed"))
        #expect(r.stdout.contains("vd_class"))
        #expect(try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", "ingress"]).isEmpty)
        // A fresh bpffs holds the kernel's maps.debug and progs.debug iterators; anything else is a pin.
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: net.bpffs)) ?? []).filter { !$0.hasSuffix(".debug") }
        #expect(left.isEmpty, "left under \(net.bpffs): \(left)")
    }
}

/// Refusals that need no namespace: usage errors and missing privilege.
struct LoadCommandLineTests {
    static let example = FixturePaths.examples.appendingPathComponent("icmp-howto").path

    @Test("XDP polices only what an interface receives: --direction egress is a usage error")
    func xdpEgress() throws {
        let r = try runVerdict(["load", "-f", Self.example, "--interface", "lo", "--mode", "xdp", "--direction", "egress"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--mode xdp sees only the traffic lo receives: it takes --direction ingress"))
    }

    @Test("--endpoint and --host-endpoint together are a usage error")
    func bothEndpoints() throws {
        let r = try runVerdict(["load", "-f", Self.example, "--interface", "lo", "--endpoint", "demo/web", "--host-endpoint", "node1-eth0"])
        #expect(r.status == 64)
    }

    @Test("without CAP_BPF/CAP_SYS_ADMIN, or CAP_NET_ADMIN, load exits 77 naming the capability",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv to drop capabilities"),
          arguments: [("-bpf,-sys_admin", "CAP_BPF"), ("-net_admin", "CAP_NET_ADMIN")])
    func noPrivilege(_ drop: String, _ capability: String) throws {
        let binary = try #require(FixturePaths.verdictBinary).path
        let r = try runVerdict(["--bounding-set", drop, binary, "load", "-f", Self.example, "--interface", "lo", "--state-dir", "/nonexistent"],
                               executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
        #expect(r.status == 77, "\(r.stderr)")
        #expect(r.stderr.contains(capability))
    }

    @Test("unload and status of an interface nothing was loaded on exit 2")
    func nothingLoaded() throws {
        let dir = "/tmp/vdt-empty-state-\(getpid())"
        let u = try runVerdict(["unload", "--interface", "vdtnone0", "--state-dir", dir, "--pin-path", dir + "/pins"])
        #expect(u.status == 2 && u.stderr.contains("nothing is loaded on vdtnone0"))
        let s = try runVerdict(["status", "--interface", "vdtnone0", "--state-dir", dir])
        #expect(s.status == 2 && s.stderr.contains("nothing is loaded on vdtnone0"))
        let all = try runVerdict(["status", "--state-dir", dir, "-o", "json"])
        #expect(all.status == 0 && all.stdout.contains("\"interfaces\":[]"))
    }

    /// DECISIONS 35 rests on this: an ARRAY_OF_MAPS update returns only after an RCU grace
    /// period, which takes far longer than a bpf() call that waits for nothing (a few µs).
    @Test("ReaderBarrier waits for a grace period", .enabled(if: BPFCapabilities.current.canLoadPrograms, "BPF unavailable"))
    func readerBarrier() throws {
        let barrier = try ReaderBarrier()
        var clock = timespec()
        func now() -> Double { clock_gettime(CLOCK_MONOTONIC, &clock); return Double(clock.tv_sec) * 1e6 + Double(clock.tv_nsec) / 1e3 }
        let start = now()
        for _ in 0..<10 { try barrier.wait() }
        let mean = (now() - start) / 10
        print("ReaderBarrier.wait: \(Int(mean)) µs on average (synchronize_rcu)")
        #expect(mean > 50, "a wait of \(mean) µs is no grace period")
    }
}

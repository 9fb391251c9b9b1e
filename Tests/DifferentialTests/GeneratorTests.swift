// The generators themselves: deterministic per seed, accepted by the loader, covering the features
// they promise, and producing packets that reach the rules.

import Addresses
import PolicyModel
import ReferenceEvaluator
import Testing

@Suite("Random policy and packet generators")
struct GeneratorTests {
    @Test("the same seed gives the same YAML; different seeds give different sets")
    func deterministic() {
        let g = RandomPolicyGenerator()
        for seed: UInt64 in [0, 1, 7, 42, 299, 123_456_789] {
            #expect(g.yaml(seed: seed) == g.yaml(seed: seed))
            #expect(g.scenario(seed: seed) == g.scenario(seed: seed))
        }
        let distinct = Set((0..<50 as Range<UInt64>).map { g.yaml(seed: $0) })
        #expect(distinct.count == 50)
    }

    @Test("the same seed and set give the same packets")
    func packetsDeterministic() throws {
        let c = try #require(Corpus.cases.first)
        var a = RandomPacketGenerator(seed: c.seed, set: c.set)
        var b = RandomPacketGenerator(seed: c.seed, set: c.set)
        // A set resolved again from the same text (dictionaries iterate differently) gives the same packets.
        let again = try DifferentialHarness.load(c.yaml, file: "again.yaml").get()
        var d = RandomPacketGenerator(seed: c.seed, set: again)
        let pa = a.packets(300), pb = b.packets(300), pd = d.packets(300)
        #expect(pa == pb)
        #expect(pa == pd)
    }

    @Test("at least 99% of 300 seeds load and resolve without errors")
    func seedsLoad() {
        let rejected = Corpus.results.filter { if case .failure = $0.result { return true } else { return false } }
        let lines = rejected.map { r -> String in
            guard case let .failure(e) = r.result else { return "" }
            return "seed \(r.seed): \(e)"
        }
        print("[DifferentialTests] \(Corpus.results.count - rejected.count)/\(Corpus.results.count) generated sets load; rejected: \(rejected.count)\(lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n"))")
        #expect(rejected.count * 100 <= Corpus.results.count, "generator bugs:\n\(lines.joined(separator: "\n"))")
    }

    @Test("the dense preset loads too")
    func denseLoads() {
        var h = DifferentialHarness()
        h.config = .dense
        let rejected = (1000..<1030 as Range<UInt64>).compactMap { seed -> String? in
            guard case let .failure(e) = h.makeCase(seed: seed) else { return nil }
            return "seed \(seed): \(e)"
        }
        #expect(rejected.isEmpty, "\(rejected.joined(separator: "\n"))")
    }

    @Test("the generated sets cover the promised features")
    func coverage() {
        var counts: [String: Int] = [:]
        func count(_ feature: String, _ n: Int = 1) { counts[feature, default: 0] += n }
        for c in Corpus.cases {
            let s = c.scenario
            if s.pods.contains(where: { $0.ips.count > 1 }) { count("dual-stack pod") }
            if s.pods.contains(where: { $0.ports.contains { $0.name != nil } }) { count("named container port") }
            if !s.hostEndpoints.isEmpty { count("host endpoint") }
            if s.hostEndpoints.contains(where: { !$0.ports.isEmpty }) { count("host endpoint named port") }
            if s.felix?.inbound?.isEmpty == false { count("failsafe inbound") }
            if s.felix?.endpointToHost == "Drop" { count("endpointToHost Drop") }
            if !s.workloadEndpoints.isEmpty { count("WorkloadEndpoint") }
            if s.networkSets.contains(where: { $0.namespace == nil }) { count("GlobalNetworkSet") }
            if s.networkSets.contains(where: { $0.namespace != nil }) { count("NetworkSet") }
            if s.tiers.contains(where: { $0.defaultAction == "Pass" }) { count("tier Pass") }
            if !s.profiles.isEmpty { count("Profile") }
            if !s.kubernetesPolicies.isEmpty { count("Kubernetes NetworkPolicy") }
            if s.kubernetesPolicies.contains(where: { ($0.ingress + $0.egress).contains { $0.peers.contains { $0.ipBlock?.except.isEmpty == false } } }) { count("ipBlock except") }
            if s.kubernetesPolicies.contains(where: { ($0.ingress + $0.egress).contains { $0.ports.contains { $0.endPort != nil } } }) { count("endPort") }
            if s.policies.contains(where: { $0.doNotTrack }) { count("doNotTrack") }
            if s.policies.contains(where: { $0.preDNAT }) { count("preDNAT") }
            if s.policies.contains(where: { $0.applyOnForward && !$0.doNotTrack && !$0.preDNAT }) { count("applyOnForward") }
            if s.policies.contains(where: { $0.namespaceSelector != nil }) { count("GNP namespaceSelector") }
            if s.policies.contains(where: { $0.serviceAccountSelector != nil }) { count("serviceAccountSelector") }
            let rules = s.policies.flatMap { $0.ingress + $0.egress } + s.profiles.flatMap { $0.ingress + $0.egress }
            for r in rules {
                count("action \(r.action)")
                if r.ipVersion != nil { count("ipVersion") }
                if r.notProtocol != nil { count("notProtocol") }
                if r.icmp?.code != nil { count("icmp type+code") }
                if r.notICMP != nil { count("notICMP") }
                for e in [r.source, r.destination].compactMap({ $0 }) {
                    if e.nets.contains(where: { $0.contains(":") }) { count("v6 nets") }
                    if !e.notNets.isEmpty { count("notNets") }
                    if e.notSelector != nil { count("notSelector") }
                    if e.namespaceSelector == .global { count("namespaceSelector global()") }
                    if e.serviceAccounts != nil { count("serviceAccounts") }
                    if e.ports.contains(where: { if case .range = $0 { return true } else { return false } }) { count("port range") }
                    if (e.ports + e.notPorts).contains(where: { if case .named = $0 { return true } else { return false } }) { count("named rule port") }
                    if !e.notPorts.isEmpty { count("notPorts") }
                }
            }
        }
        let required = ["dual-stack pod", "named container port", "host endpoint", "host endpoint named port", "failsafe inbound",
                        "endpointToHost Drop", "WorkloadEndpoint", "GlobalNetworkSet", "NetworkSet", "tier Pass", "Profile",
                        "Kubernetes NetworkPolicy", "ipBlock except", "endPort", "doNotTrack", "preDNAT", "applyOnForward",
                        "GNP namespaceSelector", "serviceAccountSelector", "action Allow", "action Deny", "action Pass", "action Log",
                        "ipVersion", "notProtocol", "icmp type+code", "notICMP", "v6 nets", "notNets", "notSelector",
                        "namespaceSelector global()", "serviceAccounts", "port range", "named rule port", "notPorts"]
        print("[DifferentialTests] feature counts over \(Corpus.cases.count) sets: "
              + counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        for f in required { #expect(counts[f, default: 0] > 0, "no generated set has \(f)") }
    }

    @Test("packets reach the rules: a good fraction is decided by a policy rule, not by defaults")
    func packetsHitRules() {
        var h = DifferentialHarness()
        h.packetsPerSet = 200
        let (report, t) = timed { h.run(cases: Array(Corpus.cases.prefix(100))) { Engines.reference($0.set) } }
        print("[DifferentialTests] reference over 100 sets × 200 packets in \(seconds(t)):\n\(report.summary)")
        #expect(report.mismatches == 0)
        // Most packets meet at least one policing point, and a good share is decided by a policy rule
        // (the rest by end-of-tier deny, the kns.* allow profiles, forwarded-without-policy, …).
        #expect(report.packetsDecidedByPolicyRule * 100 >= report.packets * 35, "\(report.summary)")
        #expect(report.packetsWithoutPoints * 100 <= report.packets * 15, "\(report.summary)")
        #expect(report.decisionKinds["rule", default: 0] * 100 >= report.points * 20, "\(report.summary)")
    }
}

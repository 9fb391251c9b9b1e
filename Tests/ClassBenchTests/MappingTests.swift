// ClassBench rules → one Calico policy: hand-written rules with the reference evaluator's answers,
// the port/protocol cases, the YAML route, and the first 2000 headers of each real set.

import Addresses
import ClassBench
import Foundation
import PolicyModel
import ReferenceEvaluator
import Testing

struct MappingTests {
    static let file = "hand.rules"
    /// 0 TCP dport 80 from 10/8; 1 any protocol to 192.168.1.0/24 dport 1000–2000 (split);
    /// 2 ICMP; 3 UDP sport 0–1023 (notPorts); 4 GRE with a source port (no Calico rule);
    /// 5 anything from 172.16/12. No catch-all, so some headers match nothing.
    static let rulesText = """
    @10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t
    @0.0.0.0/0\t192.168.1.0/24\t0 : 65535\t1000 : 2000\t0x00/0x00\t0x0000/0x0000\t
    @0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x01/0xFF\t0x0000/0x0000\t
    @0.0.0.0/0\t0.0.0.0/0\t0 : 1023\t0 : 65535\t0x11/0xFF\t0x0000/0x0000\t
    @0.0.0.0/0\t0.0.0.0/0\t5 : 5\t0 : 65535\t0x2F/0xFF\t0x0000/0x0000\t
    @172.16.0.0/12\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t

    """

    static func ip(_ s: String) -> UInt32 { IPAddress(s)!.v4 }

    /// (source, destination, sport, dport, proto, ClassBench answer, reference answer)
    static let cases: [(String, String, UInt16, UInt16, UInt8, Int32, Int32)] = [
        ("10.1.2.3", "1.1.1.1", 40000, 80, 6, 0, 0),
        ("10.1.2.3", "192.168.1.5", 40000, 1500, 6, 1, 1),
        ("8.8.8.8", "192.168.1.5", 40000, 1000, 17, 1, 1),
        ("8.8.8.8", "192.168.1.5", 40000, 2000, 132, 1, 1),
        ("8.8.8.8", "192.168.1.5", 53, 2001, 17, 3, 3),
        ("8.8.8.8", "1.1.1.1", 0, 9, 17, 3, 3),        // port 0: only notPorts can say it
        ("8.8.8.8", "1.1.1.1", 1024, 9, 17, -1, -1),
        ("8.8.8.8", "192.168.1.5", 0, 0, 1, 2, 2),        // ICMP, "ports" outside rule 1's range
        ("8.8.8.8", "1.1.1.1", 6, 0, 47, -1, -1),
        ("172.16.1.1", "1.1.1.1", 0, 0, 50, 5, 5),
        ("172.16.1.1", "192.168.1.1", 1, 1500, 6, 1, 1),
        ("172.16.1.1", "192.168.1.1", 1, 2001, 6, 5, 5),
        // Unrepresentable: ClassBench answers with a port-restricted rule for a portless protocol.
        ("8.8.8.8", "192.168.1.5", 0, 1500, 1, 1, 2),     // ICMP "dport" 1500 → rule 1; Calico: ICMP rule 2
        ("8.8.8.8", "1.1.1.1", 5, 0, 47, 4, -1),          // GRE "sport" 5 → rule 4; Calico has no such rule
    ]

    @Test func handWrittenRulesGiveTheReferenceAnswers() throws {
        let rules = try ClassBenchRuleFile.parse(Self.rulesText, file: Self.file)
        let policy = try ClassBenchPolicy(rules: rules, file: Self.file)
        #expect(policy.classBenchIndex == [0, 1, 1, 1, 2, 3, 5])
        #expect(policy.splitRules == [1])
        #expect(policy.unmappedRules == [4])
        #expect(policy.portDependent == [false, true, false, false, true, false])
        let engine = ClassBenchReferenceEngine(policy)

        var trace = ClassBenchTrace(file: "hand.trace")
        for c in Self.cases {
            trace.append(source: Self.ip(c.0), destination: Self.ip(c.1), sourcePort: c.2, destinationPort: c.3, protocolNumber: c.4, expected: c.5)
        }
        for (i, c) in Self.cases.enumerated() {
            // The brute-force ClassBench definition gives the stated answer…
            let cb = rules.firstIndex { $0.matches(source: Self.ip(c.0), destination: Self.ip(c.1), sourcePort: c.2, destinationPort: c.3, protocolNumber: c.4) }
            #expect(Int32(cb ?? -1) == c.5, "case \(i)")
            // …and the reference evaluator the stated one, equal to it exactly when representable.
            let got = engine.classify(trace, i)
            #expect(got == c.6, "case \(i): \(policy.packet(trace, i)) gave \(got)")
            #expect(policy.isRepresentable(trace, i) == (c.5 == c.6), "case \(i)")
        }

        // Actions: Allow for even indices, Deny for odd ones; nothing matched is the tier's end.
        let ev = ReferenceEvaluator(policy.policySet)
        let t0 = ev.evaluateEndpoint(policy.endpoint, .ingress, policy.packet(trace, 0))
        #expect(t0.verdict == .allow)
        let t1 = ev.evaluateEndpoint(policy.endpoint, .ingress, policy.packet(trace, 1))
        #expect(t1.verdict == .deny)
        if case let .rule(tier, name, kind, index, action) = t1.decision {
            #expect(tier == "default" && name == "classbench-0000" && kind == .globalNetworkPolicy && index == 1 && action == .deny)
        } else {
            Issue.record("rule 1 should decide: \(t1.decision)")
        }
        let none = ev.evaluateEndpoint(policy.endpoint, .ingress, policy.packet(trace, 6))
        #expect(none.decision == .endOfTier(tier: "default"))
        // Rule locations point at the ClassBench line.
        let ingress = policy.policySet.allPolicies[0].ingress
        #expect(ingress.map(\.location.line) == [1, 2, 2, 2, 3, 4, 6])
        #expect(ingress.allSatisfy { $0.location.file == Self.file })
    }

    @Test func rulesAreTheCalicoRulesTheYAMLLoaderBuilds() throws {
        let rules = try ClassBenchRuleFile.parse(Self.rulesText, file: Self.file)
        let policy = try ClassBenchPolicy(rules: rules, file: Self.file)
        let yaml = try ClassBenchPolicy.yaml(rules, file: Self.file)
        // Through the loader: validated as Calico validates, so the direct rules are valid Calico rules.
        let set = try PolicySet.resolve(try ResourceLoader.load(text: yaml, file: "mapped.yaml"))
        func stripped(_ rs: [Rule]) -> [Rule] {
            rs.map { var r = $0; r.location = SourceLocation(file: "", line: 0, column: 0); return r }
        }
        let viaYAML = set.allPolicies.first { $0.name == "classbench-0000" }!.ingress
        let direct = policy.policySet.allPolicies.first { $0.name == "classbench-0000" }!.ingress
        #expect(stripped(viaYAML) == stripped(direct))
        #expect(viaYAML.count == 7)
        #expect(yaml.contains("notPorts: ['1024:65535']"))
        #expect(yaml.contains("# ClassBench rule 4: ports with protocol 47, which has none: no Calico rule"))
        #expect(set.endpoints.map(\.id) == policy.policySet.endpoints.map(\.id))
    }

    /// Past Calico's 1024 rules per policy, the rules continue in the next policy of the tier, and
    /// first-match order holds across the boundary. 1023 single rules, then a split rule (3 Calico
    /// rules, which move whole to the second policy), then more.
    @Test func longRuleFilesSpreadOverOrderedPolicies() throws {
        var lines: [String] = []
        for i in 0..<2500 {
            let octets = "10.\(i / 256).\(i % 256).0/24"
            lines.append(i == 1023
                ? "@\(octets)\t0.0.0.0/0\t0 : 65535\t7 : 7\t0x00/0x00\t0x0000/0x0000\t"
                : "@\(octets)\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x06/0xFF\t0x0000/0x0000\t")
        }
        lines.append("@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t")
        let text = lines.joined(separator: "\n") + "\n"
        let rules = try ClassBenchRuleFile.parse(text, file: "long.rules")
        let policy = try ClassBenchPolicy(rules: rules, file: "long.rules")
        #expect(policy.policyNames == ["classbench-0000", "classbench-0001", "classbench-0002"])
        #expect(policy.policyRuleOffsets == [0, 1023, 2047])
        let policies = policy.policySet.allPolicies
        #expect(policies.map(\.name) == policy.policyNames)
        #expect(policies.map(\.ingress.count) == [1023, 1024, 2503 - 2047])
        #expect(policy.classBenchIndex(policy: "classbench-0001", rule: 0) == 1023)
        #expect(policy.classBenchIndex(policy: "classbench-0001", rule: 3) == 1024)
        #expect(policy.classBenchIndex(policy: "classbench-0002", rule: 0) == 2045)
        #expect(policy.classBenchIndex(policy: "classbench-0002", rule: 10_000) == -1)
        #expect(policy.classBenchIndex(policy: "other", rule: 0) == -1)

        let engine = ClassBenchReferenceEngine(policy)
        func answer(_ ip: String, _ proto: UInt8, _ dport: UInt16) -> Int32 {
            engine.classify(ClassBenchPolicy.packet(source: Self.ip(ip), destination: 1, sourcePort: 1, destinationPort: dport, protocolNumber: proto))
        }
        #expect(answer("10.0.5.1", 6, 80) == 5)
        #expect(answer("10.3.255.1", 17, 7) == 1023)   // the split rule, UDP, in the second policy
        #expect(answer("10.3.255.1", 6, 80) == 2500)   // TCP but not port 7: falls to the last rule
        #expect(answer("10.4.0.1", 6, 80) == 1024)
        #expect(answer("10.9.195.1", 6, 80) == 2499)   // third policy
        #expect(answer("10.200.0.1", 1, 0) == 2500)
        #expect(answer("11.0.0.1", 6, 80) == -1)

        // The YAML route validates (each policy within Calico's limit) and gives the same rules.
        let set = try PolicySet.resolve(try ResourceLoader.load(text: try ClassBenchPolicy.yaml(rules, file: "long.rules"), file: "long.yaml"))
        #expect(set.allPolicies.map(\.name) == policy.policyNames)
        #expect(set.allPolicies.map(\.ingress.count) == policies.map(\.ingress.count))
        #expect(set.allPolicies.map(\.order) == [0, 1, 2])
    }

    @Test func exactProtocolZeroIsAnError() throws {
        let rules = try ClassBenchRuleFile.parse("@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0xFF\t0x0000/0x0000\t", file: Self.file)
        expectError(file: Self.file, line: 1, field: "protocol", message: "no Calico equivalent") { () throws(InputError) in
            try ClassBenchPolicy(rules: rules, file: Self.file)
        }
    }

    @Test func traceIndicesPastTheLastRuleAreAnError() throws {
        let policy = try ClassBenchPolicy(rules: ClassBenchRuleFile.parse(Self.rulesText, file: Self.file), file: Self.file)
        var trace = ClassBenchTrace(file: "other.trace")
        trace.append(source: 1, destination: 2, sourcePort: 3, destinationPort: 4, protocolNumber: 6, expected: 5)
        trace.append(source: 1, destination: 2, sourcePort: 3, destinationPort: 4, protocolNumber: 6, expected: 6)
        expectError(file: "other.trace", line: 2, field: "expected", message: "past the last rule") { () throws(InputError) in
            try policy.check(trace)
        }
    }

    /// The first 2000 headers of each shared set through the reference evaluator: 0 mismatches
    /// (the full sets take minutes in a debug build; `verdict bench classbench --engine reference`).
    @Test(arguments: Paths.sets)
    func sharedSetsFirst2000(_ set: String) throws {
        let rules = try ClassBenchRuleFile.load(path: Paths.rules(set))
        let trace = try ClassBenchTrace.read(path: Paths.trace(set), limit: 2000)
        #expect(trace.count == 2000)
        let policy = try ClassBenchPolicy(rules: rules, file: Paths.rules(set))
        try policy.check(trace)
        let engine = ClassBenchReferenceEngine(policy)
        var mismatches: [String] = []
        for i in 0..<trace.count {
            #expect(policy.isRepresentable(trace, i))
            // Column 8 is the brute-force first match.
            let brute = rules.firstIndex { $0.matches(source: trace.source[i], destination: trace.destination[i], sourcePort: trace.sourcePort[i],
                                                        destinationPort: trace.destinationPort[i], protocolNumber: trace.protocolNumber[i]) }
            #expect(Int32(brute ?? -1) == trace.expected[i], "line \(i + 1)")
            let got = engine.classify(trace, i)
            if got != trace.expected[i] { mismatches.append("line \(i + 1): expected \(trace.expected[i]), got \(got)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    /// Time of both routes to a PolicySet at 100K rules (the shared acl1 set repeated with shifted
    /// addresses). Manual: CLASSBENCH_SCALE_TIMING=1 swift test --filter ClassBench.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CLASSBENCH_SCALE_TIMING"] != nil))
    func timingAt100K() throws {
        let base = try ClassBenchRuleFile.load(path: Paths.rules("acl1_1k"))
        var rules: [ClassBenchRule] = []
        var k = 0
        while rules.count < 100_000 {
            for var r in base where rules.count < 100_000 {
                r.source = CIDR(address: IPAddress(v4: r.source.address.v4 &+ UInt32(k) << 8).masked(to: r.source.prefixLength), prefixLength: r.source.prefixLength)
                r.line = rules.count + 1
                rules.append(r)
            }
            k += 1
        }
        let clock = ContinuousClock()
        var t = clock.now
        let direct = try ClassBenchPolicy(rules: rules, file: "scaled.rules")
        print("100K rules, direct model values: \(clock.now - t) (\(direct.classBenchIndex.count) Calico rules)")
        t = clock.now
        let yaml = try ClassBenchPolicy.yaml(rules, file: "scaled.rules")
        let generated = clock.now - t
        t = clock.now
        let set = try PolicySet.resolve(try ResourceLoader.load(text: yaml, file: "scaled.yaml"))
        print("100K rules, YAML: generate \(generated), load+resolve \(clock.now - t) (\(yaml.utf8.count) bytes, \(set.allPolicies.count) policies, \(set.allPolicies.reduce(0) { $0 + $1.ingress.count }) rules)")
    }
}

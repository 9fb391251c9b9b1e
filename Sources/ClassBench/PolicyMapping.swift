// ClassBench rules → ordered Calico policies (the mapping is described in ClassBench.swift and
// docs/DECISIONS.md), and trace headers → packets.
//
// The namespace, pod and (rule-less) policy are loaded from YAML through ResourceLoader, so they
// are validated and normalised like any input; the rules are then built as model values and put
// into the policy. Building 100K rules through YAML would take far longer (see
// ``ClassBenchPolicy/yaml(_:file:)``, kept for inspection and for the test that both routes give
// the same rules). The rules built here are valid Calico rules by construction: ports only with
// protocol TCP, UDP or SCTP, port numbers 1–65535, canonical CIDRs, protocol numbers 1–255.

import Addresses
import PolicyModel
import ReferenceEvaluator

/// The policy set a ClassBench rule file maps to, and the way back from a policy rule to a ClassBench index.
public struct ClassBenchPolicy: Sendable {
    /// Calico's limit on the rules of one policy direction (CRD schema, SEMANTICS V31): longer rule
    /// files are spread over consecutive policies, which keeps first-match order (see ``ClassBench``).
    public static let maxRulesPerPolicy = 1024

    public let rules: [ClassBenchRule]
    public let policySet: PolicySet
    /// The one workload endpoint the policy governs (`classbench/subject`).
    public let endpoint: Endpoint
    /// Its index in `policySet.endpoints`.
    public let endpointIndex: Int
    /// The policies' names in evaluation order (`classbench-0000`, `classbench-0001`, …).
    public let policyNames: [String]
    /// Where each policy's first ingress rule sits in ``classBenchIndex``.
    public let policyRuleOffsets: [Int]
    /// For each ingress rule of the policies, in evaluation order, the ClassBench index it came from.
    public let classBenchIndex: [Int32]
    /// Per ClassBench index: the rule restricts ports without a protocol that has them (see
    /// ``ClassBenchRule/restrictsPortsWithoutPortProtocol``).
    public let portDependent: [Bool]
    /// ClassBench indices that have no Calico rule (an exact protocol without ports, and ports).
    public let unmappedRules: [Int]
    /// ClassBench indices split into TCP, UDP and SCTP rules (protocol any, and ports).
    public let splitRules: [Int]
    private let policyByName: [String: Int]

    /// The name of the `k`th policy.
    public static func policyName(_ k: Int) -> String {
        let digits = String(k)
        return ClassBench.policyName + "-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Maps `rules` (read from `file`, which rule locations point at).
    public init(rules: [ClassBenchRule], file: String) throws(InputError) {
        // Calico rules per policy, a ClassBench rule's Calico rules never split across two policies.
        var chunks: [[Rule]] = [[]]
        var index: [Int32] = []
        index.reserveCapacity(rules.count)
        var unmapped: [Int] = [], split: [Int] = []
        for (i, r) in rules.enumerated() {
            let mapped = try Self.calicoRules(for: r, index: i, file: file)
            if mapped.isEmpty { unmapped.append(i) }
            if mapped.count > 1 { split.append(i) }
            if chunks[chunks.count - 1].count + mapped.count > Self.maxRulesPerPolicy { chunks.append([]) }
            chunks[chunks.count - 1] += mapped
            index += repeatElement(Int32(i), count: mapped.count)
        }
        let names = chunks.indices.map(Self.policyName)
        var loaded = try ResourceLoader.load(text: Self.skeleton(policies: names.map { ($0, "") }), file: "<classbench>")
        var offsets: [Int] = []
        var offset = 0
        for (k, name) in names.enumerated() {
            guard let p = loaded.policies.firstIndex(where: { $0.name == name }) else {
                preconditionFailure("the ClassBench skeleton lost policy \(name)")
            }
            loaded.policies[p].ingress = chunks[k]
            offsets.append(offset)
            offset += chunks[k].count
        }
        let set = try PolicySet.resolve(loaded)
        guard let e = set.endpoints.firstIndex(where: { $0.id == ClassBench.endpointID }) else {
            preconditionFailure("the ClassBench skeleton lost its pod")
        }
        self.rules = rules
        self.policySet = set
        self.endpoint = set.endpoints[e]
        self.endpointIndex = e
        self.policyNames = names
        self.policyRuleOffsets = offsets
        self.classBenchIndex = index
        self.portDependent = rules.map(\.restrictsPortsWithoutPortProtocol)
        self.unmappedRules = unmapped
        self.splitRules = split
        self.policyByName = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    }

    /// The ClassBench index of ingress rule `rule` of policy `policy` (qualified name), or -1 when
    /// that is not one of the mapped policies' rules.
    public func classBenchIndex(policy: String, rule: Int) -> Int32 {
        guard let k = policyByName[policy], rule >= 0 else { return -1 }
        let flat = policyRuleOffsets[k] + rule
        let end = k + 1 < policyRuleOffsets.count ? policyRuleOffsets[k + 1] : classBenchIndex.count
        return flat < end ? classBenchIndex[flat] : -1
    }

    // MARK: Rules

    /// The Calico ingress rules for ClassBench rule `index`: usually one; three (TCP, UDP, SCTP)
    /// for protocol any with ports; none for another exact protocol with ports.
    public static func calicoRules(for r: ClassBenchRule, index: Int, file: String) throws(InputError) -> [Rule] {
        let location = SourceLocation(file: file, line: r.line, column: 1)
        var base = Rule(action: index % 2 == 0 ? .allow : .deny, location: location)
        if r.source.prefixLength > 0 { base.source.nets = [r.source] }
        if r.destination.prefixLength > 0 { base.destination.nets = [r.destination] }
        if r.protocolNumber == 0 {
            throw InputError(SourceLocation(file: file, line: r.line, column: 1), field: "protocol",
                             "protocol 0x00/0xFF (exactly 0) has no Calico equivalent: Calico protocol numbers are 1–255")
        }
        guard r.restrictsPorts else {
            base.protocol = r.protocolNumber.map { ProtocolSpec(number: $0, name: nil) }
            return [base]
        }
        ports(r.sourcePorts, into: &base.source)
        ports(r.destinationPorts, into: &base.destination)
        switch r.protocolNumber {
        case nil:
            return ClassBench.portProtocols.map { p in
                var rule = base
                rule.protocol = ProtocolSpec(number: p, name: nil)
                return rule
            }
        case let p? where ClassBench.isPortProtocol(p):
            base.protocol = ProtocolSpec(number: p, name: nil)
            return [base]
        case _?:
            return []
        }
    }

    /// A ClassBench port range as Calico criteria: nothing for 0–65535, `ports: [lo:hi]` for a range
    /// not starting at 0, and `notPorts: [hi+1:65535]` for 0–hi (Calico refuses port 0).
    static func ports(_ range: ClosedRange<UInt16>, into e: inout EntityRule) {
        if range == ClassBenchRule.allPorts { return }
        if range.lowerBound > 0 {
            e.ports = [.range(range.lowerBound, range.upperBound)]
        } else {
            e.notPorts = [.range(range.upperBound + 1, 65535)]
        }
    }

    // MARK: YAML

    /// The namespace, the pod and the policies as YAML: (name, ingress rules as YAML list items, or "").
    static func skeleton(policies: [(name: String, ingress: String)]) -> String {
        var out = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: \(ClassBench.namespace)}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: \(ClassBench.podName), namespace: \(ClassBench.namespace), labels: {\(ClassBench.labelKey): \(ClassBench.labelValue)}}
        spec: {containers: [{name: subject, image: classbench}]}
        status: {podIP: \(ClassBench.podAddress)}

        """
        for (k, p) in policies.enumerated() {
            out += """
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: \(p.name)}
            spec:
              order: \(k)
              selector: \(ClassBench.labelKey) == '\(ClassBench.labelValue)'
              types: [Ingress]
              ingress:\(p.ingress.isEmpty ? " []" : "\n" + p.ingress)

            """
        }
        return out
    }

    /// The whole mapped policy set as YAML that `verdict check -f` reads; the rules are the same as
    /// ``init(rules:file:)`` builds, apart from their source locations.
    public static func yaml(_ rules: [ClassBenchRule], file: String) throws(InputError) -> String {
        var policies: [(name: String, ingress: String)] = [(policyName(0), "")]
        var count = 0
        for (i, r) in rules.enumerated() {
            let mapped = try calicoRules(for: r, index: i, file: file)
            if count + mapped.count > maxRulesPerPolicy {
                policies.append((policyName(policies.count), ""))
                count = 0
            }
            count += mapped.count
            var out = ""
            if mapped.isEmpty { out += "  # ClassBench rule \(i): ports with protocol \(r.protocolNumber!), which has none: no Calico rule\n" }
            for rule in mapped {
                out += "  - action: \(rule.action.rawValue)  # ClassBench rule \(i)\n"
                if let p = rule.protocol { out += "    protocol: \(p.number)\n" }
                for (name, e) in [("source", rule.source), ("destination", rule.destination)] where !e.isEmpty {
                    out += "    \(name):\n"
                    if !e.nets.isEmpty { out += "      nets: [\(e.nets.map(\.description).joined(separator: ", "))]\n" }
                    if !e.ports.isEmpty { out += "      ports: [\(e.ports.map { "'\($0)'" }.joined(separator: ", "))]\n" }
                    if !e.notPorts.isEmpty { out += "      notPorts: [\(e.notPorts.map { "'\($0)'" }.joined(separator: ", "))]\n" }
                }
            }
            policies[policies.count - 1].ingress += out
        }
        return skeleton(policies: policies)
    }

    // MARK: Packets

    /// Trace header `i` as a packet arriving at the subject pod: ports only for TCP, UDP, UDP-Lite and SCTP.
    public func packet(_ trace: ClassBenchTrace, _ i: Int) -> Packet {
        Self.packet(source: trace.source[i], destination: trace.destination[i], sourcePort: trace.sourcePort[i],
                    destinationPort: trace.destinationPort[i], protocolNumber: trace.protocolNumber[i])
    }

    public static func packet(source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16, protocolNumber: UInt8) -> Packet {
        var p = Packet(source: IPAddress(v4: source), destination: IPAddress(v4: destination), protocolNumber: protocolNumber,
                       sourcePort: sourcePort, destinationPort: destinationPort)
        if !p.hasPorts {
            p.sourcePort = nil
            p.destinationPort = nil
        }
        return p
    }

    /// Whether header `i`'s expected answer can be given by a Calico policy: false when its protocol
    /// has no ports and its expected rule restricts ports (the answer depends on fields the packet lacks).
    public func isRepresentable(_ trace: ClassBenchTrace, _ i: Int) -> Bool {
        let e = Int(trace.expected[i])
        return e < 0 || ClassBench.isPortProtocol(trace.protocolNumber[i]) || !portDependent[e]
    }

    /// Checks that every expected index names a rule of this set.
    public func check(_ trace: ClassBenchTrace) throws(InputError) {
        let n = Int32(rules.count)
        for i in 0..<trace.count where trace.expected[i] >= n {
            throw InputError(SourceLocation(file: trace.file, line: trace.line(of: i), column: 1), field: "expected",
                             "expected rule index \(trace.expected[i]) is past the last rule (the rule file has \(n) rules, 0–\(n - 1)): is this the trace of another rule file?")
        }
    }

    /// The ClassBench index a reference-evaluator decision stands for: the deciding rule's, or -1
    /// when no rule matched (the default tier's end-of-tier Deny).
    public func classBenchIndex(of decision: Decision) -> Int32 {
        if case let .rule(_, policy, _, ruleIndex, _) = decision { return classBenchIndex(policy: policy, rule: ruleIndex) }
        return -1
    }
}

/// ClassBench headers through the reference evaluator: the subject pod's ingress, one header at a time.
public struct ClassBenchReferenceEngine: Sendable {
    public let policy: ClassBenchPolicy
    public let evaluator: ReferenceEvaluator

    public init(_ policy: ClassBenchPolicy) {
        self.policy = policy
        self.evaluator = ReferenceEvaluator(policy.policySet)
    }

    /// The ClassBench index of the rule that decides `packet`, or -1.
    public func classify(_ packet: Packet) -> Int32 {
        policy.classBenchIndex(of: evaluator.evaluateEndpoint(policy.endpoint, .ingress, packet).decision)
    }

    public func classify(_ trace: ClassBenchTrace, _ i: Int) -> Int32 { classify(policy.packet(trace, i)) }
}

// VD006: rules that can never match. The compiler's answer is exact: a rule whose compiled terms
// are empty (vd_rule.term_count == 0 in every chain it is written to) matches no packet at any
// endpoint. The reason is then named from the rule's own criteria where one explains it.

import Addresses
import CVerdictABI
import MatchTable
import PolicyCompiler
import PolicyModel

enum NeverMatchCheck {
    static func findings(_ set: PolicySet, excluding reported: Set<RuleKey>) -> ([Finding], CheckRun) {
        let kind = FindingKind.ruleNeverMatches
        let table: MatchTable
        do throws(CompileError) {
            table = try PolicyCompiler.compile(set)
        } catch {
            return ([], CheckRun(id: kind.id, ran: false, note: "the policy set does not compile: \(error)"))
        }
        var live: [RuleKey: Bool] = [:]
        for (ci, chain) in table.chains.enumerated() {
            let d: Direction = chain.direction == UInt8(VD_DIR_INGRESS.rawValue) ? .ingress : .egress
            for r in table.rules(chain: ci) where r.origin == UInt8(VD_ORIGIN_POLICY.rawValue) {
                let key = RuleKey(kind: table.string(r.policy_kind), policy: table.string(r.policy), direction: d, index: Int(r.index))
                live[key] = (live[key] ?? false) || r.term_count > 0
            }
        }
        var out: [Finding] = []
        for p in set.allPolicies {
            for d in Direction.allCases {
                for (i, r) in p.rules(d).enumerated() {
                    let key = RuleKey(kind: p.kind.rawValue, policy: p.qualifiedName, direction: d, index: i)
                    guard live[key] == false, !reported.contains(key) else { continue }
                    out.append(Finding(id: kind.id, severity: kind.defaultSeverity,
                                       message: "\(d.rawValue) rule \(i) (\(r.action.rawValue)) of \(resourceName(p)) can never match: \(reason(r, set)) (its compiled terms are empty)",
                                       resource: resourceName(p), rule: i, direction: d, location: r.location))
                }
            }
        }
        return (out, CheckRun(id: kind.id, ran: true, note: nil))
    }

    /// Why no packet satisfies the rule, from its criteria; a generic reason when the emptiness
    /// comes from a combination (e.g. nets that contain no address of the selected endpoints).
    static func reason(_ r: Rule, _ set: PolicySet) -> String {
        var families: Set<IPFamily> = [.v4, .v6]
        if let v = r.ipVersion { families = families.intersection([v]) }
        if let f = r.protocol?.impliedFamily { families = families.intersection([f]) }
        for nets in [r.source.nets, r.source.notNets, r.destination.nets, r.destination.notNets] where !nets.isEmpty {
            families = families.intersection(nets.map(\.family))
        }
        if families.isEmpty { return "its ipVersion, protocol and CIDRs leave no IP family in common" }
        if let p = r.protocol, let n = r.notProtocol, p.number == n.number { return "protocol \(p) is also its notProtocol" }
        if let m = r.icmp, let n = r.notICMP, m.type == n.type, n.code == nil || n.code == m.code {
            return "icmp \(m) is excluded by notICMP \(n)"
        }
        for (side, e) in [("source", r.source), ("destination", r.destination)] {
            if !e.nets.isEmpty && e.nets.allSatisfy({ n in e.notNets.contains { $0.contains(n) } }) {
                return "every CIDR of \(side).nets (\(e.nets.map(\.description).joined(separator: ", "))) lies inside \(side).notNets (\(e.notNets.map(\.description).joined(separator: ", ")))"
            }
            if let sel = e.addressSelector,
               !set.endpoints.contains(where: { !$0.addresses.isEmpty && sel.matches($0.effectiveLabels) }),
               !set.networkSets.contains(where: { !$0.nets.isEmpty && sel.matches($0.effectiveLabels) }) {
                return "the \(side) selector \(sel.canonical) matches no endpoint or network set"
            }
            let numeric = { (specs: [PortSpec]) in specs.compactMap { s -> ClosedRange<Int>? in
                if case let .range(a, b) = s { return Int(a)...Int(b) } else { return nil } } }
            let pos = numeric(e.ports), neg = numeric(e.notPorts)
            if !pos.isEmpty && pos.count == e.ports.count && pos.allSatisfy({ p in p.allSatisfy { port in neg.contains { $0.contains(port) } } }) {
                return "every port of \(side).ports is in \(side).notPorts"
            }
            let declared = Set(set.endpoints.flatMap { $0.namedPorts.map(\.name) })
            let names = e.ports.compactMap { s -> String? in if case let .named(n) = s { return n } else { return nil } }
            if !names.isEmpty && pos.isEmpty && !names.contains(where: declared.contains) {
                return "no endpoint declares the named port\(names.count == 1 ? "" : "s") \(names.map { "'\($0)'" }.joined(separator: ", "))"
            }
        }
        return "no packet satisfies all its criteria together"
    }
}

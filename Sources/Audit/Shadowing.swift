// VD007: a Deny rule that an earlier Allow (a lower-order policy, an earlier rule of the same
// policy, a Pass to a later tier that allows, an earlier tier, a failsafe port) decides first.
//
// The search (DECISIONS 28): for each Deny rule R of a policy P, for each endpoint P selects in
// R's direction, build candidate packets from the values the rules at that endpoint name — every
// endpoint address and the first and last address of every CIDR (and the addresses just outside)
// on the remote side, the endpoint's own addresses on its side, the protocols, the ends of every
// port range (and the ports just outside), named ports as the inventory resolves them, ICMP types
// and codes — keep those R matches, and evaluate each at the endpoint with the reference
// evaluator. A candidate "reaches" R when R decides it; it is a witness of shadowing when an
// earlier rule or default allows it. R is fully shadowed when some candidate is a witness and
// none reaches it, partly shadowed when both occur. A candidate denied earlier (another Deny)
// makes R redundant there, which is not reported.

import Addresses
import PolicyModel
import ReferenceEvaluator

enum ShadowCheck {
    /// Candidates per (rule, endpoint) beyond which the search stops (the verdict then rests on those).
    static let candidateLimit = 20_000
    /// Evaluations for the whole audit; Deny rules after the budget is spent are not searched.
    static let evaluationBudget = 400_000

    static func findings(_ set: PolicySet, _ evaluator: ReferenceEvaluator) -> ([Finding], CheckRun) {
        var out: [Finding] = []
        let kind = FindingKind.shadowedDeny
        var evaluations = 0
        var unsearched = 0
        for p in set.allPolicies {
            for d in p.types {
                for (i, r) in p.rules(d).enumerated() where r.action == .deny {
                    if evaluations >= evaluationBudget {
                        unsearched += 1
                        continue
                    }
                    var truncated = false
                    var reached: (Packet, Endpoint)? = nil
                    var witness: (Packet, Endpoint, Trail)? = nil
                    let subjects = set.endpoints.filter { e in
                        p.endpointSelector.matches(e.effectiveLabels) && (e.kind.isHost || (!p.doNotTrack && !p.preDNAT))
                    }
                    search: for e in subjects {
                        let (packets, cut) = candidates(r, d, e, set)
                        truncated = truncated || cut
                        for packet in packets where evaluator.mismatch(r, packet) == nil {
                            evaluations += 1
                            let t = e.kind.isHost ? evaluator.evaluateHostEndpoint(e, d, packet, forwarded: false) : evaluator.evaluateEndpoint(e, d, packet)
                            if t.decision == .rule(tier: p.tier, policy: p.qualifiedName, kind: p.kind, ruleIndex: i, action: .deny) {
                                if reached == nil { reached = (packet, e) }
                            } else if t.verdict == .allow, witness == nil {
                                witness = (packet, e, t)
                            }
                            if reached != nil && witness != nil { break search }
                        }
                    }
                    guard let (packet, e, t) = witness else { continue }
                    let head = "\(d.rawValue) Deny rule \(i) of \(resourceName(p))"
                    let example = "\(packet) at \(e.id) \(d.rawValue) is allowed by \(cause(t))"
                    let message: String
                    if let (other, oe) = reached {
                        message = "\(head) is partly shadowed: some packets it matches are allowed before it is reached, e.g. \(example); "
                            + "others still reach it, e.g. \(other) at \(oe.id)"
                    } else {
                        let scope = truncated ? " (among the first \(candidateLimit) candidate packets per endpoint)" : ""
                        message = "\(head) is fully shadowed: no packet it matches reaches it\(scope), e.g. \(example); "
                            + "move the Deny before the Allow (lower order, earlier rule or earlier tier) or narrow the Allow"
                    }
                    out.append(Finding(id: kind.id, severity: reached == nil ? .error : .warning, message: message,
                                       resource: resourceName(p), rule: i, direction: d, location: r.location))
                }
            }
        }
        let note = unsearched == 0 ? nil
            : "the search stopped after \(evaluationBudget) evaluations; \(unsearched) Deny rule\(unsearched == 1 ? " was" : "s were") not searched"
        return (out, CheckRun(id: kind.id, ran: true, note: note))
    }

    /// Can some packet match both rules? False only when a criterion both name rules it out
    /// (different protocols, disjoint CIDRs or port ranges, different ICMP types); true otherwise.
    static func mayOverlap(_ a: Rule, _ b: Rule) -> Bool {
        if let p = a.protocol, let q = b.protocol, p.number != q.number { return false }
        if let p = a.protocol, let n = b.notProtocol, p.number == n.number { return false }
        if let p = b.protocol, let n = a.notProtocol, p.number == n.number { return false }
        if let x = a.icmp, let y = b.icmp, x.type != y.type || (x.code != nil && y.code != nil && x.code != y.code) { return false }
        for (x, y) in [(a.source, b.source), (a.destination, b.destination)] {
            if !x.nets.isEmpty && !y.nets.isEmpty
                && !x.nets.contains(where: { m in y.nets.contains { n in m.family == n.family && (m.contains(n) || n.contains(m)) } }) {
                return false
            }
            if !x.nets.isEmpty && x.nets.allSatisfy({ m in y.notNets.contains { $0.contains(m) } }) { return false }
            if !y.nets.isEmpty && y.nets.allSatisfy({ m in x.notNets.contains { $0.contains(m) } }) { return false }
            func ranges(_ specs: [PortSpec]) -> [ClosedRange<UInt16>]? {
                let r = specs.compactMap { s -> ClosedRange<UInt16>? in if case let .range(lo, hi) = s { return lo...hi } else { return nil } }
                return r.count == specs.count && !r.isEmpty ? r : nil
            }
            if let rx = ranges(x.ports), let ry = ranges(y.ports), !rx.contains(where: { m in ry.contains { m.overlaps($0) } }) { return false }
        }
        return true
    }

    /// What allowed the witness, naming a Pass on the way.
    static func cause(_ t: Trail) -> String {
        var s = TrailText.decision(t.decision)
        if case let .rule(_, policy, _, _, _) = t.decision, let p = t.tiers.flatMap(\.policies).first(where: { $0.policy == policy }), let order = p.order {
            s += " (order \(order == order.rounded() ? String(Int(order)) : String(order)))"
        }
        if let passed = t.tiers.first(where: { $0.result == .pass }), let by = passed.policies.first(where: { $0.result == .pass }) {
            let rule = by.rules.last.map { " rule \($0.index)" } ?? ""
            s += " after \(passed.tier)/\(by.policy)\(rule) passed it on"
        }
        return s
    }

    /// Candidate packets for rule `r` at endpoint `e` in direction `d` (see the file comment).
    static func candidates(_ r: Rule, _ d: Direction, _ e: Endpoint, _ set: PolicySet) -> (packets: [Packet], truncated: Bool) {
        // The rules that can decide some packet R matches at this endpoint in this direction, R's
        // own included: only they can intercept R's packets, so only their values draw boundaries.
        var rules: [Rule] = []
        for p in set.allPolicies where p.types.contains(d) && p.endpointSelector.matches(e.effectiveLabels) { rules += p.rules(d) }
        for name in e.profiles { rules += set.profiles[name]?.rules(d) ?? [] }
        rules = rules.filter { mayOverlap($0, r) }

        var remote: [IPAddress] = []
        var seen = Set<IPAddress>()
        func add(_ a: IPAddress) { if seen.insert(a).inserted { remote.append(a) } }
        for rule in rules {
            let ent = d.remote(rule)
            for c in ent.nets + ent.notNets { AddressMath.probes(c).forEach(add) }
        }
        for other in set.endpoints { other.addresses.forEach(add) }
        for ns in set.networkSets { for c in ns.nets { AddressMath.probes(c).forEach(add) } }
        add(IPAddress("198.51.100.7")!)
        add(IPAddress("2001:db8::7")!)
        // Necessary conditions of R itself, applied early so that specific rules search few packets.
        let own = d.remote(r)
        remote = remote.filter { a in
            let nets = own.nets.filter { $0.family == a.family }
            return (nets.isEmpty || nets.contains { $0.contains(a) }) && !own.notNets.contains { $0.contains(a) }
        }
        func keep(_ ports: [UInt16], _ e: EntityRule) -> [UInt16] {
            let ranges = e.ports.compactMap { s -> ClosedRange<UInt16>? in if case let .range(a, b) = s { return a...b } else { return nil } }
            guard !ranges.isEmpty, ranges.count == e.ports.count else { return ports }  // named ports resolve per endpoint
            return ports.filter { p in ranges.contains { $0.contains(p) } }
        }

        func portValues(_ pick: (Rule) -> [PortSpec], default value: UInt16) -> [UInt16] {
            var values = Set<Int>()
            for rule in rules {
                for spec in pick(rule) {
                    switch spec {
                    case let .range(a, b):
                        for v in [Int(a), Int(b), Int(a) - 1, Int(b) + 1] where (1...65535).contains(v) { values.insert(v) }
                    case let .named(name):
                        for ep in set.endpoints { for np in ep.namedPorts where np.name == name { values.insert(Int(np.port)) } }
                    }
                }
            }
            if values.isEmpty { values.insert(Int(value)) }
            return values.sorted().map { UInt16($0) }
        }
        let dports = keep(portValues({ $0.destination.ports + $0.destination.notPorts }, default: 80), r.destination)
        let sports = keep(portValues({ $0.source.ports + $0.source.notPorts }, default: 40000), r.source)

        var protocols: [UInt8] = []
        if let p = r.protocol {
            protocols = [p.number]
        } else {
            var set: Set<UInt8> = [6, 17, 1, 58]
            for rule in rules { if let p = rule.protocol { set.insert(p.number) }; if let p = rule.notProtocol { set.insert(p.number) } }
            if let n = r.notProtocol { set.remove(n.number) }
            protocols = set.sorted()
        }
        var icmp: [(UInt8, UInt8)] = []
        for rule in rules {
            for m in [rule.icmp, rule.notICMP].compactMap({ $0 }) {
                let code = m.code ?? 0
                icmp.append((m.type, code))
                if code < 255 { icmp.append((m.type, code + 1)) }
            }
        }

        var out: [Packet] = []
        for local in e.addresses {
            for other in remote where other.family == local.family && other != local {
                let (src, dst) = d == .ingress ? (other, local) : (local, other)
                for proto in protocols {
                    if [6, 17, 132, 136].contains(proto) {
                        for dp in dports {
                            for sp in sports {
                                out.append(Packet(source: src, destination: dst, protocolNumber: proto, sourcePort: sp, destinationPort: dp))
                            }
                        }
                    } else if (proto == 1 && local.family == .v4) || (proto == 58 && local.family == .v6) {
                        let echo: UInt8 = proto == 1 ? 8 : 128
                        for (t, c) in [(echo, UInt8(0))] + icmp {
                            out.append(Packet(source: src, destination: dst, protocolNumber: proto, icmpType: t, icmpCode: c))
                        }
                    } else if proto != 1 && proto != 58 {
                        out.append(Packet(source: src, destination: dst, protocolNumber: proto))
                    }
                    if out.count >= candidateLimit { return (out, true) }
                }
            }
        }
        return (out, false)
    }
}

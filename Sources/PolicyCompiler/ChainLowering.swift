// Policies → the ordered rules and terms of one chain (SEMANTICS §2.5–§2.7 flattened).
//
// A chain is what one policing point evaluates: for example a workload's ingress. Its rules are
// laid out in evaluation order for *every* endpoint at once; each term carries the set of
// endpoints (the subject) it applies to, so "policy P selects endpoint E" becomes one more
// dimension. Precedence, as the classifier applies it:
//   1. The first term (lowest index) that accepts the packet in all six dimensions decides.
//   2. Pass jumps to the rule's pass_target: the first term after its tier (or profile).
//   3. Tiers and their end-of-tier pseudo-rules come in tier order; profiles follow, by position
//      in the endpoint's profile list; a final pseudo-rule (Deny, or Allow for forwarded traffic)
//      accepts everything, so every member of the chain gets a decision.
// Log rules are left out: they never decide.

import Addresses
import CVerdictABI
import MatchTable
import PolicyModel
import Selectors

/// One conjunction of per-dimension predicates (a rule becomes one term, or several when named
/// ports resolve differently on different endpoints).
struct Term {
    var dims: [RangeList]  // indexed by vd_dim
}

struct LoweredRule {
    var record: vd_rule
    var terms: [Term]
    /// Set for Pass rules: the pass target is the end of this group, fixed when the group closes.
    var group: Int
}

struct ChainSpec {
    var kind: vd_chain_kind
    var direction: Direction
    var members: [Int]  // endpoint indices
}

struct ChainLowering {
    let set: PolicySet
    let atoms: AddressAtoms
    let endpointIndex: [String: Int]
    var selectorAtoms: [String: RangeList] = [:]
    var strings: StringTable

    static let portKeys = Int(VD_PORT_KEYS)
    static let noPort = Int(VD_NO_PORT)
    static let portProtocols: [UInt8] = [6, 17, 132, 136]

    init(set: PolicySet, atoms: AddressAtoms, strings: StringTable) {
        self.set = set
        self.atoms = atoms
        self.strings = strings
        var idx: [String: Int] = [:]
        for (i, e) in set.endpoints.enumerated() where idx[e.id] == nil { idx[e.id] = i }
        endpointIndex = idx
    }

    /// Does the chain need ICMP type/code keys (any icmp or notICMP criterion)?
    static func needsICMPKeys(_ rules: [Rule]) -> Bool { rules.contains { $0.icmp != nil || $0.notICMP != nil } }

    // MARK: The chain's rule list

    mutating func lower(_ spec: ChainSpec) -> (rules: [LoweredRule], icmpKeys: Bool) {
        let d = spec.direction
        let subjectAll = RangeList(values: spec.members)
        var out: [LoweredRule] = []
        var group = 0
        var allRules: [Rule] = []

        func selected(_ p: Policy) -> RangeList {
            RangeList(values: spec.members.filter { p.endpointSelector.matches(set.endpoints[$0].effectiveLabels) })
        }

        // Failsafes (host traffic only, before any policy).
        if spec.kind == VD_CHAIN_HOST {
            let list = d == .ingress ? set.felix.failsafeInbound : set.felix.failsafeOutbound
            for fs in list {
                var r = record(action: VD_ACTION_ALLOW, origin: VD_ORIGIN_FAILSAFE, stage: VD_STAGE_NORMAL)
                r.policy = strings.intern("failsafe")
                r.port = fs.port
                r.protocol = fs.protocolNumber
                var dims = [subjectAll, RangeList.all(atoms.count), RangeList.all(atoms.count),
                            RangeList(values: [Int(fs.protocolNumber)]), portsAll(), RangeList(values: [Int(fs.port)])]
                if let net = fs.net {
                    dims[d == .ingress ? 1 : 2] = atoms.atoms(of: net)
                }
                out.append(LoweredRule(record: r, terms: [Term(dims: dims)], group: -1))
            }
        }

        // Stages of tiers: untracked, pre-DNAT (ingress), then normal with end-of-tier defaults.
        var stages: [(vd_stage, (Policy) -> Bool, Bool)] = []
        if spec.kind != VD_CHAIN_WORKLOAD {
            stages.append((VD_STAGE_UNTRACKED, { $0.doNotTrack }, false))
            if d == .ingress { stages.append((VD_STAGE_PRE_DNAT, { $0.preDNAT }, false)) }
        }
        if spec.kind == VD_CHAIN_HOST_FORWARD {
            stages.append((VD_STAGE_NORMAL, { $0.applyOnForward && !$0.doNotTrack && !$0.preDNAT }, true))
        } else {
            stages.append((VD_STAGE_NORMAL, { !$0.doNotTrack && !$0.preDNAT }, true))
        }
        for (stage, include, endOfTier) in stages {
            for tp in set.tiers {
                let policies = tp.policies.filter { include($0) && $0.types.contains(d) }
                var tierSubjects = RangeList.empty
                var emitted = false
                group += 1
                for p in policies {
                    let subjects = selected(p)
                    if subjects.isEmpty { continue }
                    tierSubjects = tierSubjects.union(subjects)
                    emitted = true
                    for (i, rule) in p.rules(d).enumerated() where rule.action != .log {
                        allRules.append(rule)
                        var r = record(action: action(rule.action), origin: VD_ORIGIN_POLICY, stage: stage)
                        r.tier = strings.intern(tp.tier.name)
                        r.policy = strings.intern(p.qualifiedName)
                        r.policy_kind = strings.intern(p.kind.rawValue)
                        r.index = Int32(i)
                        if rule.hasHTTPMatch { r.flags |= UInt8(VD_RULE_F_HTTP) }
                        out.append(LoweredRule(record: r, terms: terms(rule, subjects: subjects), group: group))
                    }
                }
                if emitted && endOfTier && tp.tier.defaultAction == .deny {
                    var r = record(action: VD_ACTION_DENY, origin: VD_ORIGIN_END_OF_TIER, stage: stage)
                    r.tier = strings.intern(tp.tier.name)
                    out.append(LoweredRule(record: r, terms: [Term(dims: [tierSubjects] + anyPacket())], group: group))
                }
            }
        }

        // Profiles, by position in each endpoint's list (tracked chains that fall through to them).
        if spec.kind != VD_CHAIN_HOST_FORWARD {
            let maxProfiles = spec.members.map { set.endpoints[$0].profiles.count }.max() ?? 0
            for k in 0..<maxProfiles {
                var byName: [String: [Int]] = [:]
                for m in spec.members {
                    let ps = set.endpoints[m].profiles
                    if k < ps.count { byName[ps[k], default: []].append(m) }
                }
                for name in byName.keys.sorted() {
                    guard let profile = set.profiles[name] else { continue }
                    group += 1
                    let subjects = RangeList(values: byName[name]!)
                    for (i, rule) in profile.rules(d).enumerated() where rule.action != .log {
                        allRules.append(rule)
                        var r = record(action: action(rule.action), origin: VD_ORIGIN_PROFILE, stage: VD_STAGE_NORMAL)
                        r.policy = strings.intern(name)
                        r.policy_kind = strings.intern("Profile")
                        r.index = Int32(i)
                        out.append(LoweredRule(record: r, terms: terms(rule, subjects: subjects), group: group))
                    }
                }
            }
        }

        // The final default.
        let last = spec.kind == VD_CHAIN_HOST_FORWARD
            ? record(action: VD_ACTION_ALLOW, origin: VD_ORIGIN_FORWARD_DEFAULT, stage: VD_STAGE_NORMAL)
            : record(action: VD_ACTION_DENY, origin: VD_ORIGIN_NO_PROFILE, stage: VD_STAGE_NORMAL)
        out.append(LoweredRule(record: last, terms: [Term(dims: [subjectAll] + anyPacket())], group: -1))
        return (out, ChainLowering.needsICMPKeys(allRules))
    }

    private func record(action: vd_action, origin: vd_origin, stage: vd_stage) -> vd_rule {
        var r = vd_rule()
        r.action = UInt8(action.rawValue)
        r.origin = UInt8(origin.rawValue)
        r.stage = UInt8(stage.rawValue)
        r.tier = VD_NONE
        r.policy = VD_NONE
        r.policy_kind = VD_NONE
        r.index = -1
        return r
    }

    private func action(_ a: RuleAction) -> vd_action {
        switch a {
        case .allow: return VD_ACTION_ALLOW
        case .deny: return VD_ACTION_DENY
        case .pass: return VD_ACTION_PASS
        case .log: preconditionFailure("Log rules are not lowered")
        }
    }

    private func anyPacket() -> [RangeList] {
        [RangeList.all(atoms.count), RangeList.all(atoms.count), RangeList.all(Int(VD_PROTO_KEYS_ICMP)), portsAll(), portsAll()]
    }

    private func portsAll() -> RangeList { RangeList.all(ChainLowering.portKeys) }

    // MARK: One rule

    /// The terms of one rule (SEMANTICS §1.3–§1.4, §6, §7): usually one; named ports that resolve
    /// differently on different endpoints split it into one term per resolution.
    mutating func terms(_ rule: Rule, subjects: RangeList) -> [Term] {
        // §7.1: the families the rule can match at all.
        var families: [IPFamily] = [.v4, .v6]
        if let v = rule.ipVersion { families = families.filter { $0 == v } }
        if let f = rule.protocol?.impliedFamily { families = families.filter { $0 == f } }
        for list in [rule.source.nets, rule.source.notNets, rule.destination.nets, rule.destination.notNets] where !list.isEmpty {
            families = families.filter { f in list.contains { $0.family == f } }
        }
        let familyAtoms = families.reduce(RangeList.empty) { $0.union(atoms.atoms(of: $1)) }
        if familyAtoms.isEmpty { return [] }

        let proto = protocolPredicate(rule)
        if proto.isEmpty { return [] }
        let srcBase = addressPredicate(rule.source).intersection(familyAtoms)
        let dstBase = addressPredicate(rule.destination)

        let hasNamed = (rule.source.ports + rule.source.notPorts + rule.destination.ports + rule.destination.notPorts)
            .contains { if case .named = $0 { return true } else { return false } }
        // Named ports resolve per protocol: with no rule protocol, take each port-carrying protocol apart.
        let protocolCases: [UInt8?] = (hasNamed && rule.protocol == nil) ? ChainLowering.portProtocols : [nil]

        var out: [Term] = []
        for pc in protocolCases {
            let resolveProtocol = rule.protocol?.number ?? pc
            let protoDim = pc.map { proto.intersection(RangeList(values: [Int($0)])) } ?? proto
            if protoDim.isEmpty { continue }
            let srcVariants = portVariants(rule.source, resolveProtocol: resolveProtocol)
            let dstVariants = portVariants(rule.destination, resolveProtocol: resolveProtocol)
            for s in srcVariants {
                let src = srcBase.intersection(s.atoms)
                if src.isEmpty { continue }
                for t in dstVariants {
                    let dst = dstBase.intersection(t.atoms)
                    if dst.isEmpty { continue }
                    out.append(Term(dims: [subjects, src, dst, protoDim, s.ports, t.ports]))
                }
            }
        }
        return out
    }

    /// §6: protocol, notProtocol, icmp and notICMP over the proto keys.
    private func protocolPredicate(_ rule: Rule) -> RangeList {
        let icmpBase = Int(VD_ICMP_KEY_BASE)
        // Plain keys: the protocol number, no ICMP header to look at.
        var plain = RangeList.all(256)
        if let p = rule.protocol { plain = RangeList(values: [Int(p.number)]) }
        if let p = rule.notProtocol { plain = plain.subtracting(RangeList(values: [Int(p.number)])) }
        if rule.icmp != nil || rule.notICMP != nil { plain = .empty }
        // ICMP keys: 256 + family * 65536 + (type << 8 | code); family 0 is ICMP (1), 1 is ICMPv6 (58).
        var icmp = RangeList.empty
        for (f, number) in [(0, 1), (1, 58)] {
            let base = icmpBase + f * 65536
            if let p = rule.protocol, Int(p.number) != number { continue }
            if let p = rule.notProtocol, Int(p.number) == number { continue }
            var keys = RangeList([base..<(base + 65536)])
            func keysOf(_ m: ICMPMatch) -> RangeList {
                let t = base + Int(m.type) << 8
                return m.code.map { RangeList(values: [t + Int($0)]) } ?? RangeList([t..<(t + 256)])
            }
            if let m = rule.icmp { keys = keys.intersection(keysOf(m)) }
            if let m = rule.notICMP { keys = keys.subtracting(keysOf(m)) }
            icmp = icmp.union(keys)
        }
        return plain.union(icmp)
    }

    /// §1.4, §7.3–§7.4: nets OR, notNets NOR, selectors as address sets.
    private mutating func addressPredicate(_ e: EntityRule) -> RangeList {
        var p = RangeList.all(atoms.count)
        if !e.nets.isEmpty { p = p.intersection(atoms.atoms(of: e.nets)) }
        if !e.notNets.isEmpty { p = p.subtracting(atoms.atoms(of: e.notNets)) }
        if let s = e.addressSelector { p = p.intersection(selectorSet(s)) }
        if let s = e.negatedAddressSelector { p = p.subtracting(selectorSet(s)) }
        return p
    }

    /// §2.2 IPs(sel): addresses of endpoints whose labels match, and CIDRs of matching network sets.
    mutating func selectorSet(_ s: Selector) -> RangeList {
        if let cached = selectorAtoms[s.canonical] { return cached }
        var ranges: [Range<Int>] = []
        for e in set.endpoints where s.matches(e.effectiveLabels) {
            for a in e.addresses { let i = atoms.atom(of: a); ranges.append(i..<(i + 1)) }
        }
        for ns in set.networkSets where s.matches(ns.effectiveLabels) {
            ranges.append(contentsOf: atoms.atoms(of: ns.nets).ranges)
        }
        let r = RangeList(ranges)
        selectorAtoms[s.canonical] = r
        return r
    }

    struct PortVariant {
        var atoms: RangeList
        var ports: RangeList
    }

    /// §7.6–§7.7: the port predicate of one side, split by how its named ports resolve. Each
    /// variant applies to a set of address atoms; without named ports there is one, for all atoms.
    private func portVariants(_ e: EntityRule, resolveProtocol: UInt8?) -> [PortVariant] {
        let allAtoms = RangeList.all(atoms.count)
        if e.ports.isEmpty && e.notPorts.isEmpty { return [PortVariant(atoms: allAtoms, ports: portsAll())] }
        func numeric(_ specs: [PortSpec]) -> RangeList {
            RangeList(specs.compactMap { if case let .range(a, b) = $0 { return Int(a)..<(Int(b) + 1) } else { return nil } })
        }
        func names(_ specs: [PortSpec]) -> Set<String> {
            Set(specs.compactMap { if case let .named(n) = $0 { return n } else { return nil } })
        }
        let posNames = names(e.ports), negNames = names(e.notPorts)
        let posNumeric = numeric(e.ports), negNumeric = numeric(e.notPorts)

        // Resolve names per address atom: (ports the positive names give, ports the negative names give).
        var resolution: [Int: (pos: Set<Int>, neg: Set<Int>)] = [:]
        if !posNames.isEmpty || !negNames.isEmpty {
            for ep in set.endpoints {
                if let sel = e.addressSelector, !sel.matches(ep.effectiveLabels) { continue }
                for np in ep.namedPorts where posNames.contains(np.name) || negNames.contains(np.name) {
                    if let p = resolveProtocol, np.protocolNumber != p { continue }
                    for a in ep.addresses {
                        let atom = atoms.atom(of: a)
                        var entry = resolution[atom] ?? ([], [])
                        if posNames.contains(np.name) { entry.pos.insert(Int(np.port)) }
                        if negNames.contains(np.name) { entry.neg.insert(Int(np.port)) }
                        resolution[atom] = entry
                    }
                }
            }
        }
        // Group atoms with the same resolution; the rest resolve nothing.
        struct Key: Hashable { var pos: [Int]; var neg: [Int] }
        var groups: [Key: [Int]] = [:]
        for (atom, r) in resolution { groups[Key(pos: r.pos.sorted(), neg: r.neg.sorted()), default: []].append(atom) }
        var resolved = RangeList.empty
        var variants: [PortVariant] = []
        let realPorts = RangeList([0..<ChainLowering.noPort])
        func ports(pos: [Int], neg: [Int]) -> RangeList? {
            var p = e.ports.isEmpty ? realPorts : posNumeric.union(RangeList(values: pos))
            p = p.subtracting(negNumeric.union(RangeList(values: neg)))
            return p.isEmpty ? nil : p
        }
        for key in groups.keys.sorted(by: { $0.pos.lexicographicallyPrecedes($1.pos) || ($0.pos == $1.pos && $0.neg.lexicographicallyPrecedes($1.neg)) }) {
            let atomSet = RangeList(values: groups[key]!)
            resolved = resolved.union(atomSet)
            if let p = ports(pos: key.pos, neg: key.neg) { variants.append(PortVariant(atoms: atomSet, ports: p)) }
        }
        let rest = allAtoms.subtracting(resolved)
        if !rest.isEmpty, let p = ports(pos: [], neg: []) { variants.append(PortVariant(atoms: rest, ports: p)) }
        return variants
    }
}


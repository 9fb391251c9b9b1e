// Policy set → match table: the compiler's entry point. One file per stage:
//   AddressAtoms.swift  cut the address space where any CIDR or endpoint address begins or ends;
//   ChainLowering.swift flatten tiers, Pass, defaults and profiles into ordered terms per chain;
//   ClassBuilder.swift  sweep each dimension into classes and rows of bits;
//   this file           endpoints, nodes, and the table's sections (MatchTable encodes them).

import Addresses
import CVerdictABI
import MatchTable
import PolicyModel

public enum PolicyCompiler {
    /// The chains every table holds, in this order (vd_chain_kind × direction).
    public static let chainOrder: [(vd_chain_kind, Direction)] = [
        (VD_CHAIN_WORKLOAD, .ingress), (VD_CHAIN_WORKLOAD, .egress),
        (VD_CHAIN_HOST, .ingress), (VD_CHAIN_HOST, .egress),
        (VD_CHAIN_HOST_FORWARD, .ingress), (VD_CHAIN_HOST_FORWARD, .egress),
    ]

    /// Compiles a resolved policy set. Deterministic: the same set gives byte-identical tables.
    public static func compile(_ set: PolicySet) throws(CompileError) -> MatchTable {
        MatchTable(contents: try contents(set))
    }

    public static func contents(_ set: PolicySet) throws(CompileError) -> TableContents {
        var c = TableContents()

        // Address atoms: every CIDR any rule, network set or failsafe names, and every endpoint address.
        var cidrs: [CIDR] = []
        func collect(_ r: Rule) {
            cidrs += r.source.nets + r.source.notNets + r.destination.nets + r.destination.notNets
        }
        for p in set.allPolicies { (p.ingress + p.egress).forEach(collect) }
        for name in set.profiles.keys.sorted() { let p = set.profiles[name]!; (p.ingress + p.egress).forEach(collect) }
        for ns in set.networkSets { cidrs += ns.nets }
        cidrs += (set.felix.failsafeInbound + set.felix.failsafeOutbound).compactMap(\.net)
        let atoms = AddressAtoms(cidrs: cidrs, addresses: set.endpoints.flatMap(\.addresses))
        c.v4Bounds = atoms.v4
        c.v6Bounds = atoms.v6.map { vd_ip6(hi: UInt64(truncatingIfNeeded: $0 >> 64), lo: UInt64(truncatingIfNeeded: $0)) }

        // Atom owners: the first endpoint (in inventory order) owning the atom's address.
        c.atoms = [vd_atom](repeating: vd_atom(endpoint: VD_NONE), count: atoms.count)
        for (i, e) in set.endpoints.enumerated() {
            for a in e.addresses {
                let atom = atoms.atom(of: a)
                if c.atoms[atom].endpoint == VD_NONE { c.atoms[atom].endpoint = UInt32(i) }
            }
        }

        // Nodes and endpoints.
        let nodeNames = Array(Set(set.endpoints.compactMap(\.node))).sorted()
        let nodeIndex = Dictionary(uniqueKeysWithValues: nodeNames.enumerated().map { ($1, $0) })
        var endpointIndex: [String: Int] = [:]
        for (i, e) in set.endpoints.enumerated() where endpointIndex[e.id] == nil { endpointIndex[e.id] = i }
        for e in set.endpoints {
            c.endpoints.append(vd_endpoint(name: c.strings.intern(e.id), kind_name: c.strings.intern(e.kind.description),
                                           node: e.node.flatMap { nodeIndex[$0] }.map(UInt32.init) ?? VD_NONE,
                                           kind: UInt8(e.kind.isHost ? VD_EP_HOST.rawValue : VD_EP_WORKLOAD.rawValue), pad: (0, 0, 0)))
        }
        for name in nodeNames {
            // The uplink: the node's first host endpoint (by name) with a named interface (SEMANTICS §2.8).
            let uplink = set.hostEndpoints(onNode: name).first { ($0.interfaceName ?? "") != "*" }
            c.nodes.append(vd_node(name: c.strings.intern(name), uplink: uplink.flatMap { endpointIndex[$0.id] }.map(UInt32.init) ?? VD_NONE))
        }
        switch set.felix.defaultEndpointToHostAction {
        case .drop: c.flags |= VD_E2H_DROP
        case .accept: c.flags |= VD_E2H_ACCEPT
        case .return: c.flags |= VD_E2H_RETURN
        }

        // Chains.
        var lowering = ChainLowering(set: set, atoms: atoms, strings: c.strings)
        let workloads = set.endpoints.indices.filter { !set.endpoints[$0].kind.isHost }
        let hosts = set.endpoints.indices.filter { set.endpoints[$0].kind.isHost }
        for (kind, direction) in chainOrder {
            let spec = ChainSpec(kind: kind, direction: direction, members: kind == VD_CHAIN_WORKLOAD ? workloads : hosts)
            let (rules, icmpKeys) = lowering.lower(spec)
            c.chains.append(try emit(rules, kind: kind, direction: direction, icmpKeys: icmpKeys,
                                     endpointCount: set.endpoints.count, atomCount: atoms.count))
        }
        c.strings = lowering.strings
        return c
    }

    /// Lays out one chain: terms in rule order, pass targets, and the six dimensions.
    static func emit(_ lowered: [LoweredRule], kind: vd_chain_kind, direction: Direction, icmpKeys: Bool,
                     endpointCount: Int, atomCount: Int) throws(CompileError) -> ChainContents {
        var rules: [vd_rule] = []
        var termRule: [UInt32] = []
        var predicates = [[RangeList]](repeating: [], count: Int(VD_DIM_COUNT.rawValue))
        var groupEnd: [Int: Int] = [:]
        for lr in lowered {
            var r = lr.record
            r.first_term = UInt32(termRule.count)
            r.term_count = UInt32(lr.terms.count)
            for t in lr.terms {
                termRule.append(UInt32(rules.count))
                for d in 0..<t.dims.count { predicates[d].append(t.dims[d]) }
            }
            rules.append(r)
            if lr.group >= 0 { groupEnd[lr.group] = termRule.count }
        }
        for (i, lr) in lowered.enumerated() where rules[i].action == UInt8(VD_ACTION_PASS.rawValue) {
            rules[i].pass_target = UInt32(groupEnd[lr.group] ?? termRule.count)
        }

        let keys = [endpointCount, atomCount, atomCount,
                    Int(icmpKeys ? VD_PROTO_KEYS_ICMP : VD_PROTO_KEYS_PLAIN), Int(VD_PORT_KEYS), Int(VD_PORT_KEYS)]
        var chain = vd_chain()
        chain.kind = UInt8(kind.rawValue)
        chain.direction = UInt8(direction == .ingress ? VD_DIR_INGRESS.rawValue : VD_DIR_EGRESS.rawValue)
        chain.icmp_keys = icmpKeys ? 1 : 0
        chain.term_count = UInt32(termRule.count)
        chain.rule_count = UInt32(rules.count)
        chain.words = UInt32((termRule.count + 63) / 64)
        var dims: [DimensionContents] = []
        var classCounts: [UInt32] = []
        for d in 0..<Int(VD_DIM_COUNT.rawValue) {
            let narrow = DimensionContents.uses16BitMap(d)
            let built = try ClassBuilder.build(keys: keys[d], predicates: predicates[d], maxClasses: narrow ? 65535 : Int(UInt32.max - 1))
            classCounts.append(UInt32(built.classCount))
            if built.isTrivial { chain.trivial_dims |= UInt8(1 << d) }
            dims.append(DimensionContents(classCount: UInt32(built.classCount),
                                          map16: narrow && !built.isTrivial ? built.map.map { UInt16($0) } : [],
                                          map32: !narrow && !built.isTrivial ? built.map : [],
                                          rows: built.isTrivial ? [] : built.rows, isTrivial: built.isTrivial))
        }
        withUnsafeMutableBytes(of: &chain.class_count) { p in
            for (d, n) in classCounts.enumerated() { p.storeBytes(of: n, toByteOffset: d * 4, as: UInt32.self) }
        }
        return ChainContents(chain: chain, rules: rules, termRule: termRule, dimensions: dims)
    }
}

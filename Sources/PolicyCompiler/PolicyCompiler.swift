// Policy set → match table: the compiler's entry point. One file per stage:
//   AddressAtoms.swift  cut the address space where any CIDR or endpoint address begins or ends;
//   ChainLowering.swift flatten tiers, Pass, defaults and profiles into ordered terms per chain;
//   ClassBuilder.swift  sweep each dimension into classes and rows of bits;
//   this file           endpoints, nodes, and the table's sections (MatchTable encodes them).

import Addresses
import CVerdictABI
import MatchTable
import PolicyModel

/// Choices that change the table's form, never its answers.
public struct CompileOptions: Sendable {
    /// Bit-vector maps and rows are written only when an upper bound of their size (every
    /// dimension with as many classes as its ranges have edges, at most one per key) stays within
    /// this many bytes. Rows grow as classes × terms: the fastest form up to about 10K rules, and
    /// hundreds of megabytes near 100K (DECISIONS 59); larger tables carry only the term sections,
    /// which the Swift fast path indexes. The BPF data plane needs the rows.
    public var bitVectorBudget: Int

    public init(bitVectorBudget: Int = CompileOptions.defaultBitVectorBudget) {
        self.bitVectorBudget = bitVectorBudget
    }

    /// 64 MiB: issue 6's memory target for a 100K-rule table.
    public static let defaultBitVectorBudget = 64 << 20
    /// Always write the rows, whatever the size: for the BPF data plane.
    public static let bpf = CompileOptions(bitVectorBudget: .max)
    /// Never write the rows (tests of the term index on small tables).
    public static let termIndexOnly = CompileOptions(bitVectorBudget: -1)
}

public enum PolicyCompiler {
    /// The chains every table holds, in this order (vd_chain_kind × direction).
    public static let chainOrder: [(vd_chain_kind, Direction)] = [
        (VD_CHAIN_WORKLOAD, .ingress), (VD_CHAIN_WORKLOAD, .egress),
        (VD_CHAIN_HOST, .ingress), (VD_CHAIN_HOST, .egress),
        (VD_CHAIN_HOST_FORWARD, .ingress), (VD_CHAIN_HOST_FORWARD, .egress),
    ]

    /// Compiles a resolved policy set. Deterministic: the same set gives byte-identical tables.
    public static func compile(_ set: PolicySet, options: CompileOptions = CompileOptions()) throws(CompileError) -> MatchTable {
        MatchTable(contents: try contents(set, options: options))
    }

    public static func contents(_ set: PolicySet, options: CompileOptions = CompileOptions()) throws(CompileError) -> TableContents {
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
        let lowered = chainOrder.map { kind, direction in
            lowering.lower(ChainSpec(kind: kind, direction: direction, members: kind == VD_CHAIN_WORKLOAD ? workloads : hosts))
        }
        let keyCounts = { (icmp: Bool) in [set.endpoints.count, atoms.count, atoms.count,
                                           Int(icmp ? VD_PROTO_KEYS_ICMP : VD_PROTO_KEYS_PLAIN), Int(VD_PORT_KEYS), Int(VD_PORT_KEYS)] }
        var rowBound = 0
        for (rules, icmpKeys) in lowered {
            rowBound = rowBound.addingReportingOverflow(Self.rowBytesBound(rules, keys: keyCounts(icmpKeys))).partialValue
        }
        let bitVectors = options.bitVectorBudget >= 0 && rowBound <= options.bitVectorBudget
        if !bitVectors { c.flags |= VD_TABLE_F_NO_ROWS }
        for ((kind, direction), (rules, icmpKeys)) in zip(chainOrder, lowered) {
            c.chains.append(try emit(rules, kind: kind, direction: direction, icmpKeys: icmpKeys,
                                     endpointCount: set.endpoints.count, atomCount: atoms.count, bitVectors: bitVectors))
        }
        c.strings = lowering.strings
        return c
    }

    /// An upper bound of a chain's row bytes without building a class: per dimension, a class
    /// starts only where some term's range starts or ends, so classes ≤ min(keys, edges + 1).
    static func rowBytesBound(_ lowered: [LoweredRule], keys: [Int]) -> Int {
        let terms = lowered.reduce(0) { $0 + $1.terms.count }
        let rowBytes = (terms + 63) / 64 * 8
        var total = 0
        for d in 0..<keys.count {
            var edges = Set<Int>()
            for lr in lowered {
                for t in lr.terms {
                    for r in t.dims[d].ranges where r.lowerBound < keys[d] {
                        edges.insert(r.lowerBound)
                        edges.insert(min(r.upperBound, keys[d]))
                    }
                }
            }
            let classes = min(keys[d], edges.count + 1)
            total = total.addingReportingOverflow(classes.multipliedReportingOverflow(by: rowBytes).partialValue).partialValue
        }
        return total
    }

    /// Lays out one chain: terms in rule order, pass targets, and the six dimensions.
    static func emit(_ lowered: [LoweredRule], kind: vd_chain_kind, direction: Direction, icmpKeys: Bool,
                     endpointCount: Int, atomCount: Int, bitVectors: Bool) throws(CompileError) -> ChainContents {
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
            let everyKey = RangeList.all(keys[d])
            // Predicates may name keys past the chain's key space (ICMP type/code keys in a chain
            // whose proto map is plain); the sweep below never reaches them, so neither do the ranges.
            let clipped = predicates[d].map { $0.intersection(everyKey) }
            // Trivial: every term accepts every key (ClassBuilder's test, one class whose row holds
            // every term, so both table forms agree on trivial_dims).
            if keys[d] > 0 && clipped.allSatisfy({ $0 == everyKey }) {
                chain.trivial_dims |= UInt8(1 << d)
                classCounts.append(bitVectors ? 1 : 0)
                dims.append(DimensionContents(classCount: bitVectors ? 1 : 0, rows: [], isTrivial: true))
                continue
            }
            var spans: [vd_span] = []
            var ranges: [vd_key_range] = []
            spans.reserveCapacity(clipped.count)
            for p in clipped {
                spans.append(vd_span(first: UInt32(ranges.count), count: UInt32(p.ranges.count)))
                for r in p.ranges { ranges.append(vd_key_range(lo: UInt32(r.lowerBound), hi: UInt32(r.upperBound))) }
            }
            guard bitVectors else {
                classCounts.append(0)
                dims.append(DimensionContents(classCount: 0, rows: [], isTrivial: false, spans: spans, ranges: ranges))
                continue
            }
            let built = try ClassBuilder.build(keys: keys[d], predicates: predicates[d], maxClasses: narrow ? 65535 : Int(UInt32.max - 1))
            classCounts.append(UInt32(built.classCount))
            dims.append(DimensionContents(classCount: UInt32(built.classCount),
                                          map16: narrow ? built.map.map { UInt16($0) } : [],
                                          map32: !narrow ? built.map : [],
                                          rows: built.rows, isTrivial: false, spans: spans, ranges: ranges))
        }
        withUnsafeMutableBytes(of: &chain.class_count) { p in
            for (d, n) in classCounts.enumerated() { p.storeBytes(of: n, toByteOffset: d * 4, as: UInt32.self) }
        }
        return ChainContents(chain: chain, rules: rules, termRule: termRule, dimensions: dims)
    }
}

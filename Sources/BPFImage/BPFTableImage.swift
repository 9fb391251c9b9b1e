// A compiled table as the exact contents of the table-derived BPF maps for one generation: the
// entries BPFLoader writes, computed in pure Swift so that they can be checked (BPFImageModel)
// before any kernel is involved. Layout of the two generations: BPFMapCapacity.swift.

import Addresses
import CVerdictABI
import MatchTable

public struct BPFImageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Consecutive entries of an ARRAY map: `values[i]` goes to index `base + i`.
public struct BPFArrayRun<Element>: @unchecked Sendable {
    public var base: UInt32
    public var values: [Element]

    public init(base: UInt32, values: [Element]) {
        self.base = base
        self.values = values
    }

    /// The map indices written: `base ..< base + values.count`.
    public var indices: Range<UInt32> { base..<base + UInt32(values.count) }
}

/// Everything one generation of one table puts into the BPF maps.
///
/// - `descriptor` is vd_gen[generation]: the E2H action, counts, and per chain (in the table's
///   fixed order, PolicyCompiler.chainOrder) the absolute bases of its data in the flat arrays.
/// - `ip4Keys`/`ip4Values` and `ip6Keys`/`ip6Values` are the LPM entries, index by index: every
///   address atom split into its minimal CIDR prefixes, keyed with this generation.
/// - The array runs are the values of vd_eps, vd_nodes, vd_class (per chain and non-trivial dim,
///   key → class widened to u32), vd_rows, vd_term_rule and vd_rules, each inside this
///   generation's region, so that writing them never touches the other generation.
///
/// Writing order for a reload (the inactive generation g, while packets use the other one):
/// delete every vd_ip4/vd_ip6 key of generation g that is not in this image (`staleIP4Keys`,
/// or all of g's keys: the tries must never hold more than capacity prefixes of one generation),
/// write the LPM entries and the array runs, then vd_gen[g], then vd_cfg (`configWrites`).
public struct BPFTableImage: @unchecked Sendable {
    public let generation: UInt32
    public let capacity: BPFMapCapacity
    /// vd_gen[generation].
    public var descriptor: vd_bpf_generation
    public var ip4Keys: [vd_lpm4_key]
    public var ip4Values: [vd_atom_ref]
    public var ip6Keys: [vd_lpm6_key]
    public var ip6Values: [vd_atom_ref]
    public var endpoints: BPFArrayRun<vd_endpoint>
    public var nodes: BPFArrayRun<vd_node>
    public var classes: BPFArrayRun<UInt32>
    public var rows: BPFArrayRun<UInt64>
    public var termRules: BPFArrayRun<UInt32>
    public var rules: BPFArrayRun<vd_bpf_rule>

    /// The table's chain roles, by index (PolicyCompiler.chainOrder): the BPF program finds a
    /// chain by role, so a table must hold exactly these six chains in this order.
    public static let chainRoles: [(kind: vd_chain_kind, direction: vd_direction)] = [
        (VD_CHAIN_WORKLOAD, VD_DIR_INGRESS), (VD_CHAIN_WORKLOAD, VD_DIR_EGRESS),
        (VD_CHAIN_HOST, VD_DIR_INGRESS), (VD_CHAIN_HOST, VD_DIR_EGRESS),
        (VD_CHAIN_HOST_FORWARD, VD_DIR_INGRESS), (VD_CHAIN_HOST_FORWARD, VD_DIR_EGRESS),
    ]

    /// The chain index of a role.
    /// Why a table compiled without bit vectors cannot go into the maps.
    public static let noBitVectors = "the table has no bit-vector rows (compiled for the Swift fast path only: `--bit-vectors never`, or rows over the 64 MiB bound of `auto`); the BPF data plane needs them: compile with `verdict compile --bit-vectors always`"

    public static func chainIndex(kind: vd_chain_kind, direction: vd_direction) -> Int {
        Int(kind.rawValue) * 2 + Int(direction.rawValue)
    }

    /// The image of `table` as generation `generation` (0 or 1), in maps of `capacity` per
    /// generation (default: exactly what the table needs).
    public init(_ table: MatchTable, generation: UInt32, capacity: BPFMapCapacity? = nil) throws(BPFImageError) {
        guard generation < VD_BPF_GENERATIONS else { throw BPFImageError("generation \(generation) is not 0 or 1") }
        guard table.hasBitVectors else { throw BPFImageError(Self.noBitVectors) }
        let chains = table.chains
        guard chains.count == Self.chainRoles.count else {
            throw BPFImageError("the table has \(chains.count) chains; the BPF maps hold exactly \(Self.chainRoles.count)")
        }
        for (i, role) in Self.chainRoles.enumerated()
        where chains[i].kind != UInt8(role.kind.rawValue) || chains[i].direction != UInt8(role.direction.rawValue) {
            throw BPFImageError("chain \(i) is (kind \(chains[i].kind), direction \(chains[i].direction)); expected (\(role.kind.rawValue), \(role.direction.rawValue))")
        }
        let counts = Self.entryCounts(of: table)
        let cap = capacity ?? BPFMapCapacity.required(for: table)
        for m in BPFMap.allCases {
            guard cap[m] <= BPFMapCapacity.limit else {
                throw BPFImageError("\(m.name): capacity \(cap[m]) is above \(BPFMapCapacity.limit) (max_entries would not fit in 32 bits)")
            }
            guard counts[m, default: 0] <= Int(cap[m]) else {
                throw BPFImageError("\(m.name): the table needs \(counts[m, default: 0]) entries per generation; the maps hold \(cap[m])")
            }
        }
        self.generation = generation
        self.capacity = cap

        // Endpoints and nodes.
        endpoints = BPFArrayRun(base: cap.base(of: .endpoints, generation: generation), values: Array(table.endpoints))
        nodes = BPFArrayRun(base: cap.base(of: .nodes, generation: generation), values: Array(table.nodes))

        // Chains: class maps, rows, term → rule, rules.
        // Each array is allocated once at its final size and filled by copies (most of an
        // image's entries are class maps: 65537 per port dimension).
        var classValues = [UInt32](repeating: 0, count: counts[.classes, default: 0])
        var rowValues = [UInt64](repeating: 0, count: counts[.rows, default: 0])
        var termValues = [UInt32](repeating: 0, count: counts[.termRules, default: 0])
        var ruleValues = [vd_bpf_rule](repeating: vd_bpf_rule(), count: counts[.rules, default: 0])
        var nClass = 0, nRow = 0, nTerm = 0, nRule = 0
        let classBase = cap.base(of: .classes, generation: generation), rowBase = cap.base(of: .rows, generation: generation)
        let termBase = cap.base(of: .termRules, generation: generation), ruleBase = cap.base(of: .rules, generation: generation)
        var bpfChains: [vd_bpf_chain] = []
        for (i, c) in chains.enumerated() {
            var mapBases = [UInt32](repeating: VD_NONE, count: Int(VD_DIM_COUNT.rawValue))
            var rowBases = [UInt32](repeating: VD_NONE, count: Int(VD_DIM_COUNT.rawValue))
            for d in 0..<Int(VD_DIM_COUNT.rawValue) where c.trivial_dims & (1 << UInt8(d)) == 0 {
                let keys = Self.keyCount(dim: d, chain: c, table: table)
                mapBases[d] = classBase + UInt32(nClass)
                if DimensionContents.uses16BitMap(d) {
                    let m = table.array(VD_SEC_MAP, chain: i, dim: d, as: UInt16.self)
                    guard m.count == keys else { throw BPFImageError("chain \(i) dim \(d): \(m.count) map entries, expected \(keys)") }
                    Self.widen(m, into: &classValues, at: nClass)
                } else {
                    let m = table.array(VD_SEC_MAP, chain: i, dim: d, as: UInt32.self)
                    guard m.count == keys else { throw BPFImageError("chain \(i) dim \(d): \(m.count) map entries, expected \(keys)") }
                    Self.copy(m, into: &classValues, at: nClass)
                }
                nClass += keys
                rowBases[d] = rowBase + UInt32(nRow)
                let r = table.array(VD_SEC_ROWS, chain: i, dim: d, as: UInt64.self)
                let classCount = Int(withUnsafeBytes(of: c.class_count) { $0.load(fromByteOffset: d * 4, as: UInt32.self) })
                guard r.count == classCount * Int(c.words) else {
                    throw BPFImageError("chain \(i) dim \(d): \(r.count) row words, expected \(classCount) classes × \(c.words) words")
                }
                Self.copy(r, into: &rowValues, at: nRow)
                nRow += r.count
            }
            var bc = vd_bpf_chain()
            bc.term_count = c.term_count
            bc.words = c.words
            bc.icmp_keys = UInt32(c.icmp_keys)
            bc.trivial_dims = UInt32(c.trivial_dims)
            bc.map_base = (mapBases[0], mapBases[1], mapBases[2], mapBases[3], mapBases[4], mapBases[5])
            bc.row_base = (rowBases[0], rowBases[1], rowBases[2], rowBases[3], rowBases[4], rowBases[5])
            bc.term_base = termBase + UInt32(nTerm)
            bc.rule_base = ruleBase + UInt32(nRule)
            let terms = table.termRules(chain: i)
            Self.copy(terms, into: &termValues, at: nTerm)
            nTerm += terms.count
            for r in table.rules(chain: i) {
                ruleValues[nRule] = vd_bpf_rule(action: r.action, stage: r.stage, pad: (0, 0), pass_target: r.pass_target)
                nRule += 1
            }
            bpfChains.append(bc)
        }
        precondition(nClass == classValues.count && nRow == rowValues.count && nTerm == termValues.count && nRule == ruleValues.count,
                     "entryCounts(of:) and the image disagree")
        classes = BPFArrayRun(base: classBase, values: classValues)
        rows = BPFArrayRun(base: rowBase, values: rowValues)
        termRules = BPFArrayRun(base: termBase, values: termValues)
        rules = BPFArrayRun(base: ruleBase, values: ruleValues)

        var g = vd_bpf_generation()
        g.e2h_action = table.endpointToHostAction
        g.endpoint_count = UInt32(table.endpoints.count)
        g.node_count = UInt32(table.nodes.count)
        g.endpoint_base = endpoints.base
        g.node_base = nodes.base
        g.pad = 0
        g.chains = (bpfChains[0], bpfChains[1], bpfChains[2], bpfChains[3], bpfChains[4], bpfChains[5])
        descriptor = g

        // LPM entries: every atom's interval as prefixes, valued with the atom and its owner.
        let atoms = table.atoms
        let v4 = table.array(VD_SEC_V4_BOUNDS, as: UInt32.self), v6 = table.array(VD_SEC_V6_BOUNDS, as: vd_ip6.self)
        let genBE = generation.bigEndian
        var k4: [vd_lpm4_key] = [], val4: [vd_atom_ref] = []
        k4.reserveCapacity(counts[.ip4, default: 0])
        val4.reserveCapacity(counts[.ip4, default: 0])
        for i in 0..<v4.count {
            let ref = vd_atom_ref(atom: UInt32(i), endpoint: atoms[i].endpoint)
            let hi = i + 1 < v4.count ? v4[i + 1] - 1 : UInt32.max
            RangePrefixes.forEach(lo: v4[i], hi: hi) { start, length in
                var key = vd_lpm4_key()
                key.prefixlen = 32 + UInt32(length)
                key.generation = genBE
                withUnsafeMutableBytes(of: &key.addr) { $0.storeBytes(of: start.bigEndian, toByteOffset: 0, as: UInt32.self) }
                k4.append(key)
                val4.append(ref)
            }
        }
        var k6: [vd_lpm6_key] = [], val6: [vd_atom_ref] = []
        k6.reserveCapacity(counts[.ip6, default: 0])
        val6.reserveCapacity(counts[.ip6, default: 0])
        for i in 0..<v6.count {
            let atom = v4.count + i
            let ref = vd_atom_ref(atom: UInt32(atom), endpoint: atoms[atom].endpoint)
            let hi = i + 1 < v6.count ? Self.u128(v6[i + 1]) - 1 : UInt128.max
            RangePrefixes.forEach(lo: Self.u128(v6[i]), hi: hi) { start, length in
                var key = vd_lpm6_key()
                key.prefixlen = 32 + UInt32(length)
                key.generation = genBE
                withUnsafeMutableBytes(of: &key.addr) { $0.storeBytes(of: start.bigEndian, toByteOffset: 0, as: UInt128.self) }
                k6.append(key)
                val6.append(ref)
            }
        }
        ip4Keys = k4
        ip4Values = val4
        ip6Keys = k6
        ip6Values = val6
    }

    /// Writes u16 classes as u32 at `out[at...]` (a pointer loop: fast even in a debug build).
    static func widen(_ m: UnsafeBufferPointer<UInt16>, into out: inout [UInt32], at: Int) {
        guard let src = m.baseAddress else { return }
        let n = m.count
        out.withUnsafeMutableBufferPointer { dst in
            precondition(at + n <= dst.count)
            let d = dst.baseAddress! + at
            var k = 0
            while k < n {
                d[k] = UInt32(truncatingIfNeeded: src[k])
                k += 1
            }
        }
    }

    /// Copies `m` to `out[at...]`.
    static func copy<T>(_ m: UnsafeBufferPointer<T>, into out: inout [T], at: Int) {
        guard let src = m.baseAddress else { return }
        out.withUnsafeMutableBufferPointer { dst in
            precondition(at + m.count <= dst.count)
            (dst.baseAddress! + at).update(from: src, count: m.count)
        }
    }

    static func u128(_ a: vd_ip6) -> UInt128 { UInt128(a.hi) << 64 | UInt128(a.lo) }

    /// Keys of dimension `dim` of a chain.
    static func keyCount(dim: Int, chain: vd_chain, table: MatchTable) -> Int {
        switch UInt32(dim) {
        case VD_DIM_SUBJECT.rawValue: return Int(table.header.endpoint_count)
        case VD_DIM_SRC.rawValue, VD_DIM_DST.rawValue: return Int(table.header.atom_count_v4) + Int(table.header.atom_count_v6)
        case VD_DIM_PROTO.rawValue: return Int(chain.icmp_keys != 0 ? VD_PROTO_KEYS_ICMP : VD_PROTO_KEYS_PLAIN)
        default: return Int(VD_PORT_KEYS)
        }
    }

    /// Entries one generation of `table` uses in each map.
    public static func entryCounts(of table: MatchTable) -> [BPFMap: Int] {
        var n: [BPFMap: Int] = [.endpoints: table.endpoints.count, .nodes: table.nodes.count]
        var classes = 0, rows = 0, terms = 0, rules = 0
        for c in table.chains {
            for d in 0..<Int(VD_DIM_COUNT.rawValue) where c.trivial_dims & (1 << UInt8(d)) == 0 {
                classes += keyCount(dim: d, chain: c, table: table)
                rows += Int(withUnsafeBytes(of: c.class_count) { $0.load(fromByteOffset: d * 4, as: UInt32.self) }) * Int(c.words)
            }
            terms += Int(c.term_count)
            rules += Int(c.rule_count)
        }
        n[.classes] = classes
        n[.rows] = rows
        n[.termRules] = terms
        n[.rules] = rules
        let v4 = table.array(VD_SEC_V4_BOUNDS, as: UInt32.self), v6 = table.array(VD_SEC_V6_BOUNDS, as: vd_ip6.self)
        var p4 = 0, p6 = 0
        for i in 0..<v4.count { p4 += RangePrefixes.count(lo: v4[i], hi: i + 1 < v4.count ? v4[i + 1] - 1 : UInt32.max) }
        for i in 0..<v6.count { p6 += RangePrefixes.count(lo: u128(v6[i]), hi: i + 1 < v6.count ? u128(v6[i + 1]) - 1 : UInt128.max) }
        n[.ip4] = p4
        n[.ip6] = p6
        return n
    }

    /// Entries this image writes to each map.
    public var entryCounts: [BPFMap: Int] {
        [.endpoints: endpoints.values.count, .nodes: nodes.values.count, .classes: classes.values.count, .rows: rows.values.count,
         .termRules: termRules.values.count, .rules: rules.values.count, .ip4: ip4Keys.count, .ip6: ip6Keys.count]
    }

    /// Bytes this image writes to each map: values for the arrays, keys and values for the tries.
    public var byteCounts: [BPFMap: Int] {
        var out: [BPFMap: Int] = [:]
        for (m, n) in entryCounts { out[m] = n * (m.isArray ? m.valueSize : m.keySize + m.valueSize) }
        return out
    }

    /// The chain descriptor of chain `index` (0..<6).
    public func chain(_ index: Int) -> vd_bpf_chain {
        withUnsafeBytes(of: descriptor.chains) { $0.load(fromByteOffset: index * MemoryLayout<vd_bpf_chain>.stride, as: vd_bpf_chain.self) }
    }

    // MARK: Reloads

    /// The vd_ip4 keys a previous image of the same generation wrote and this one does not: what
    /// the loader deletes before writing this image (kernel LPM keys match on prefixlen bits only,
    /// and every key here is already masked, so keys compare as bytes).
    public func staleIP4Keys(previous: BPFTableImage) -> [vd_lpm4_key] {
        guard previous.generation == generation else { return [] }
        let now = Set(ip4Keys.map(Self.packed))
        return previous.ip4Keys.filter { !now.contains(Self.packed($0)) }
    }

    /// The vd_ip6 keys a previous image of the same generation wrote and this one does not.
    public func staleIP6Keys(previous: BPFTableImage) -> [vd_lpm6_key] {
        guard previous.generation == generation else { return [] }
        let now = Set(ip6Keys.map(Self.packed))
        return previous.ip6Keys.filter { !now.contains(Self.packed($0)) }
    }

    struct Packed6: Hashable {
        var prefixlen: UInt32
        var generation: UInt32
        var addr: UInt128
    }

    /// Prefix length and address (the generation is the same for the keys compared).
    static func packed(_ k: vd_lpm4_key) -> UInt64 {
        let addr = withUnsafeBytes(of: k.addr) { $0.loadUnaligned(as: UInt32.self) }
        return UInt64(k.prefixlen) << 32 | UInt64(addr)
    }

    static func packed(_ k: vd_lpm6_key) -> Packed6 {
        let addr = withUnsafeBytes(of: k.addr) { $0.loadUnaligned(as: UInt128.self) }
        return Packed6(prefixlen: k.prefixlen, generation: k.generation, addr: addr)
    }

    /// The two writes to vd_cfg[0] that publish this image.
    ///
    /// `staged` fills in this generation's endpoint (endpoint mode) while packets still use the
    /// current generation; `active` differs from it only in `generation`, so the second write is
    /// the flip (one aligned u32 changes). With no `current` (first load: nothing runs yet),
    /// both are the same. A reload may not change the mode (mode and generation would change in
    /// one write that readers could see half done): that needs a fresh load.
    public func configWrites(mode: vd_bpf_mode, endpoint: UInt32? = nil, current: vd_bpf_config?) throws(BPFImageError)
        -> (staged: vd_bpf_config, active: vd_bpf_config) {
        if mode == VD_MODE_ENDPOINT {
            guard let e = endpoint, e < descriptor.endpoint_count else {
                throw BPFImageError("endpoint mode needs an endpoint index below \(descriptor.endpoint_count), got \(endpoint.map(String.init) ?? "none")")
            }
        }
        var staged = current ?? vd_bpf_config(generation: generation, mode: mode.rawValue, endpoint: (VD_NONE, VD_NONE))
        if let current {
            guard current.mode == mode.rawValue else {
                throw BPFImageError("a reload cannot change the mode (\(current.mode) to \(mode.rawValue)); unload and load again")
            }
            guard current.generation != generation else {
                throw BPFImageError("generation \(generation) is the active one; a reload writes the other")
            }
        }
        withUnsafeMutableBytes(of: &staged.endpoint) {
            $0.storeBytes(of: mode == VD_MODE_ENDPOINT ? endpoint! : VD_NONE, toByteOffset: Int(generation) * 4, as: UInt32.self)
        }
        var active = staged
        active.generation = generation
        return (staged, active)
    }
}

// The BPF program's lookup, in Swift, over the maps only (BPFMapState): the executable
// specification the C program in bpf/ is checked against. It reads what the program reads, in
// the order the program reads it: vd_cfg, vd_gen[generation], the LPM tries for both addresses,
// vd_eps/vd_nodes, and per policing point the class of each dimension (vd_class), the AND of six
// rows (vd_rows) word by word, vd_term_rule and vd_rules, following Pass targets. The path logic
// is Classifier.classify's (SEMANTICS §2.8); the answer is the vd_bpf_result the program leaves
// in vd_last. It never looks at a MatchTable.

import Addresses
import CVerdictABI

/// What the BPF program looks at in a packet (the same fields as Classifier.PacketKey).
public struct BPFPacketKey: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    /// The source port, or VD_NO_PORT when the packet has no ports.
    public var sourcePortKey: UInt32
    public var destinationPortKey: UInt32
    /// `type << 8 | code` of an ICMP/ICMPv6 packet whose header is present, else VD_NONE.
    public var icmpTypeCode: UInt32

    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePortKey: UInt32, destinationPortKey: UInt32, icmpTypeCode: UInt32) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePortKey = sourcePortKey
        self.destinationPortKey = destinationPortKey
        self.icmpTypeCode = icmpTypeCode
    }
}

/// Something the program would find wrong in the maps (a lookup past max_entries, a miss in an
/// LPM trie that should cover every address, a Pass that does not move forward). With a correct
/// image it never happens; the C program must treat each case as a fault, not as a verdict.
public struct BPFModelFault: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A vd_bpf_result as a Swift value, for comparisons (the model's, Swift's, the kernel's vd_last).
public struct BPFVerdict: Hashable, Sendable, CustomStringConvertible {
    public struct Point: Hashable, Sendable {
        /// vd_bpf_point.kind: PointDecision.Kind's raw values.
        public static let chain: UInt8 = 0
        public static let hostToLocalWorkload: UInt8 = 1
        public static let endpointToHost: UInt8 = 2

        public var kind: UInt8
        public var allow: Bool
        public var chain: UInt8
        public var endpoint: UInt32
        /// Relative to the chain, or VD_NONE.
        public var rule: UInt32

        public init(kind: UInt8, allow: Bool, chain: UInt8, endpoint: UInt32, rule: UInt32) {
            self.kind = kind
            self.allow = allow
            self.chain = chain
            self.endpoint = endpoint
            self.rule = rule
        }

        public init(_ p: vd_bpf_point) {
            self.init(kind: p.kind, allow: p.allow != 0, chain: p.chain, endpoint: p.endpoint, rule: p.rule)
        }

        public var point: vd_bpf_point {
            vd_bpf_point(kind: kind, allow: allow ? 1 : 0, chain: chain, pad: 0, endpoint: endpoint, rule: rule)
        }
    }

    public var allow: Bool
    public var points: [Point]

    public init(allow: Bool, points: [Point]) {
        self.allow = allow
        self.points = points
    }

    /// Reads a vd_bpf_result (count clamped to VD_BPF_MAX_POINTS).
    public init(_ r: vd_bpf_result) {
        var r = r
        let n = min(Int(r.count), Int(VD_BPF_MAX_POINTS))
        let points = withUnsafeBytes(of: &r.points) { raw in
            (0..<n).map { Point(raw.load(fromByteOffset: $0 * MemoryLayout<vd_bpf_point>.stride, as: vd_bpf_point.self)) }
        }
        self.init(allow: r.allow != 0, points: points)
    }

    /// As the program writes it (conntrack 0: a new connection, judged by policy).
    public var result: vd_bpf_result {
        var r = vd_bpf_result()
        r.allow = allow ? 1 : 0
        r.count = UInt32(points.count)
        withUnsafeMutableBytes(of: &r.points) { raw in
            for (i, p) in points.prefix(Int(VD_BPF_MAX_POINTS)).enumerated() {
                raw.storeBytes(of: p.point, toByteOffset: i * MemoryLayout<vd_bpf_point>.stride, as: vd_bpf_point.self)
            }
        }
        return r
    }

    public var description: String {
        "\(allow ? "allow" : "deny") [" + points.map { p in
            let rule = p.rule == VD_NONE ? "-" : "\(p.rule)"
            return "kind \(p.kind) chain \(p.chain) ep \(p.endpoint == VD_NONE ? "-" : "\(p.endpoint)") rule \(rule) \(p.allow ? "allow" : "deny")"
        }.joined(separator: "; ") + "]"
    }
}

/// The BPF program's classification, over map contents only.
public struct BPFImageModel: @unchecked Sendable {
    public var maps: BPFMapState

    public init(_ maps: BPFMapState) { self.maps = maps }

    // MARK: Whole packet

    /// The program's answer for the first packet of a new connection. In node mode, every
    /// policing point of the path (Classifier.classify); in endpoint mode, the one point of the
    /// enforced endpoint (vd_cfg.endpoint[generation]) in `direction` (VD_DIR_INGRESS: traffic
    /// to the endpoint, as on the TC egress of a workload's veth; VD_DIR_EGRESS: traffic from it).
    public func classify(_ key: BPFPacketKey, direction: vd_direction = VD_DIR_INGRESS) throws(BPFModelFault) -> vd_bpf_result {
        try verdict(key, direction: direction).result
    }

    public func verdict(_ key: BPFPacketKey, direction: vd_direction = VD_DIR_INGRESS) throws(BPFModelFault) -> BPFVerdict {
        let cfg = maps.config
        guard cfg.generation < VD_BPF_GENERATIONS else { throw BPFModelFault("vd_cfg.generation \(cfg.generation) is not 0 or 1") }
        let gen = cfg.generation
        let g = maps.generations[Int(gen)]
        var out = BPFVerdict(allow: true, points: [])
        func append(_ p: BPFVerdict.Point) {
            out.points.append(p)
            if !p.allow { out.allow = false }
        }
        let sa = try lookup(key.source, generation: gen), da = try lookup(key.destination, generation: gen)

        if cfg.mode == VD_MODE_ENDPOINT.rawValue {
            let e = withUnsafeBytes(of: cfg.endpoint) { $0.load(fromByteOffset: Int(gen) * 4, as: UInt32.self) }
            let ep = try endpoint(e, g)
            let chain = BPFTableImage.chainIndex(kind: ep.kind == UInt8(VD_EP_HOST.rawValue) ? VD_CHAIN_HOST : VD_CHAIN_WORKLOAD, direction: direction)
            append(try point(chain: chain, endpoint: e, key: key, src: sa.atom, dst: da.atom, g))
            return out
        }
        guard cfg.mode == VD_MODE_NODE.rawValue else { throw BPFModelFault("vd_cfg.mode \(cfg.mode) is unknown") }

        let se = sa.endpoint, de = da.endpoint
        let sEp = se == VD_NONE ? nil : try endpoint(se, g)
        let dEp = de == VD_NONE ? nil : try endpoint(de, g)
        let workload = UInt8(VD_EP_WORKLOAD.rawValue), host = UInt8(VD_EP_HOST.rawValue)
        let sNode = sEp?.node ?? VD_NONE, dNode = dEp?.node ?? VD_NONE
        let sameNode = sNode != VD_NONE && sNode == dNode
        func uplink(_ n: UInt32) throws(BPFModelFault) -> UInt32 {
            guard n < g.node_count else { throw BPFModelFault("node \(n) is not below node_count \(g.node_count)") }
            return try element(maps.nodes, g.node_base, n, .nodes).uplink
        }
        func chainPoint(_ role: (vd_chain_kind, vd_direction), _ e: UInt32) throws(BPFModelFault) -> BPFVerdict.Point {
            try point(chain: BPFTableImage.chainIndex(kind: role.0, direction: role.1), endpoint: e, key: key, src: sa.atom, dst: da.atom, g)
        }

        if sEp?.kind == host && dEp?.kind == workload && sameNode {
            append(.init(kind: BPFVerdict.Point.hostToLocalWorkload, allow: true, chain: 0, endpoint: de, rule: VD_NONE))
            return out
        }
        if sEp?.kind == workload {
            append(try chainPoint((VD_CHAIN_WORKLOAD, VD_DIR_EGRESS), se))
            if dEp?.kind == host && sameNode {
                append(.init(kind: BPFVerdict.Point.endpointToHost, allow: g.e2h_action != VD_E2H_DROP, chain: 0, endpoint: de, rule: VD_NONE))
                return out
            }
            if !sameNode, sNode != VD_NONE {
                let u = try uplink(sNode)
                if u != VD_NONE { append(try chainPoint((VD_CHAIN_HOST_FORWARD, VD_DIR_EGRESS), u)) }
            }
        } else if sEp?.kind == host {
            append(try chainPoint((VD_CHAIN_HOST, VD_DIR_EGRESS), se))
        }
        if dEp?.kind == workload {
            if !sameNode, dNode != VD_NONE {
                let u = try uplink(dNode)
                if u != VD_NONE { append(try chainPoint((VD_CHAIN_HOST_FORWARD, VD_DIR_INGRESS), u)) }
            }
            append(try chainPoint((VD_CHAIN_WORKLOAD, VD_DIR_INGRESS), de))
        } else if dEp?.kind == host {
            append(try chainPoint((VD_CHAIN_HOST, VD_DIR_INGRESS), de))
        }
        guard out.points.count <= Int(VD_BPF_MAX_POINTS) else { throw BPFModelFault("\(out.points.count) points; vd_bpf_result holds \(VD_BPF_MAX_POINTS)") }
        return out
    }

    // MARK: Maps

    /// vd_ip4/vd_ip6: the longest prefix of generation `generation` holding `a`, as the kernel's
    /// LPM trie answers a lookup with prefixlen = 32 + the address width.
    public func lookup(_ a: IPAddress, generation: UInt32) throws(BPFModelFault) -> vd_atom_ref {
        if a.family == .v4 {
            var k = vd_lpm4_key()
            k.prefixlen = 64
            k.generation = generation.bigEndian
            withUnsafeMutableBytes(of: &k.addr) { $0.storeBytes(of: a.v4.bigEndian, toByteOffset: 0, as: UInt32.self) }
            if let v = Self.longestPrefix(BPFMapState.LPMKey(k), in: maps.ip4) { return v }
        } else {
            var k = vd_lpm6_key()
            k.prefixlen = 160
            k.generation = generation.bigEndian
            let addr = UInt128(a.high) << 64 | UInt128(a.low)
            withUnsafeMutableBytes(of: &k.addr) { $0.storeBytes(of: addr.bigEndian, toByteOffset: 0, as: UInt128.self) }
            if let v = Self.longestPrefix(BPFMapState.LPMKey(k), in: maps.ip6) { return v }
        }
        throw BPFModelFault("no LPM entry of generation \(generation) holds \(a)")
    }

    static func longestPrefix(_ key: BPFMapState.LPMKey, in trie: [BPFMapState.LPMKey: vd_atom_ref]) -> vd_atom_ref? {
        var p = Int(key.prefixlen)
        while p >= 0 {
            if let v = trie[BPFMapState.LPMKey(prefixlen: UInt32(p), head: key.head, tail: key.tail)] { return v }
            p -= 1
        }
        return nil
    }

    func element<T>(_ array: [T], _ base: UInt32, _ i: UInt32, _ map: BPFMap) throws(BPFModelFault) -> T {
        let index = UInt64(base) + UInt64(i)
        guard index < UInt64(array.count) else { throw BPFModelFault("\(map.name)[\(index)] is past max_entries \(array.count)") }
        return array[Int(index)]
    }

    func endpoint(_ e: UInt32, _ g: vd_bpf_generation) throws(BPFModelFault) -> vd_endpoint {
        guard e < g.endpoint_count else { throw BPFModelFault("endpoint \(e) is not below endpoint_count \(g.endpoint_count)") }
        return try element(maps.endpoints, g.endpoint_base, e, .endpoints)
    }

    // MARK: One policing point

    func point(chain: Int, endpoint e: UInt32, key: BPFPacketKey, src: UInt32, dst: UInt32, _ g: vd_bpf_generation) throws(BPFModelFault) -> BPFVerdict.Point {
        let c = withUnsafeBytes(of: g.chains) { $0.load(fromByteOffset: chain * MemoryLayout<vd_bpf_chain>.stride, as: vd_bpf_chain.self) }
        let rule = try decide(c, chainIndex: chain, subject: e, key: key, src: src, dst: dst)
        var allow = false
        if rule != VD_NONE {
            allow = try element(maps.rules, c.rule_base, rule, .rules).action == UInt8(VD_ACTION_ALLOW.rawValue)
        }
        return .init(kind: BPFVerdict.Point.chain, allow: allow, chain: UInt8(chain), endpoint: e, rule: rule)
    }

    /// The deciding rule of chain `c` for `subject`, relative to the chain, or VD_NONE when the
    /// subject is not a member (or, defensively, nothing matches).
    public func decide(_ c: vd_bpf_chain, chainIndex: Int, subject: UInt32, key: BPFPacketKey, src: UInt32, dst: UInt32) throws(BPFModelFault) -> UInt32 {
        let proto: UInt32
        if c.icmp_keys != 0 && key.icmpTypeCode != VD_NONE {
            proto = VD_ICMP_KEY_BASE + (key.source.family == .v4 ? 0 : 65536) + key.icmpTypeCode
        } else {
            proto = UInt32(key.protocolNumber)
        }
        let keys: [UInt32] = [subject, src, dst, proto, key.sourcePortKey, key.destinationPortKey]
        let mapBase = withUnsafeBytes(of: c.map_base) { Array($0.bindMemory(to: UInt32.self)) }
        let rowBase = withUnsafeBytes(of: c.row_base) { Array($0.bindMemory(to: UInt32.self)) }
        let words = UInt64(c.words)
        // Per dimension: the first vd_rows index of the key's class row, or nil (trivial: all ones).
        var row = [UInt64?](repeating: nil, count: Int(VD_DIM_COUNT.rawValue))
        for d in 0..<Int(VD_DIM_COUNT.rawValue) where c.trivial_dims & (1 << UInt32(d)) == 0 {
            let cls = try element(maps.classes, mapBase[d], keys[d], .classes)
            if d == Int(VD_DIM_SUBJECT.rawValue) && cls == VD_NONE { return VD_NONE }
            row[d] = UInt64(rowBase[d]) + UInt64(cls) * words
        }
        var start: UInt32 = 0
        while start < c.term_count {
            var term: UInt32? = nil
            var w = UInt64(start >> 6)
            while w < words {
                var x: UInt64 = ~0
                for d in 0..<Int(VD_DIM_COUNT.rawValue) {
                    guard let r = row[d] else { continue }
                    let i = r + w
                    guard i < UInt64(maps.rows.count) else { throw BPFModelFault("vd_rows[\(i)] is past max_entries \(maps.rows.count)") }
                    x &= maps.rows[Int(i)]
                }
                if w == UInt64(start >> 6) { x &= ~0 << UInt64(start & 63) }
                if x != 0 {
                    term = UInt32(w << 6) + UInt32(x.trailingZeroBitCount)
                    break
                }
                w += 1
            }
            guard let t = term, t < c.term_count else { return VD_NONE }
            let rule = try element(maps.termRules, c.term_base, t, .termRules)
            let r = try element(maps.rules, c.rule_base, rule, .rules)
            if r.action != UInt8(VD_ACTION_PASS.rawValue) { return rule }
            guard r.pass_target > t else {
                throw BPFModelFault("chain \(chainIndex): rule \(rule) passes to term \(r.pass_target), not after term \(t)")
            }
            start = r.pass_target
        }
        return VD_NONE
    }
}

// Small tables written into the maps by hand, in the layout vd_abi.h describes for the maps
// (not produced by BPFImage: these tests check the programs and the loader on their own).

import BPFLoader
import CVerdictABI

/// The map sizes of a table: what the loader sets with bpf_map__set_max_entries before load.
struct MapSizes {
    var ip4: UInt32 = 64
    var ip6: UInt32 = 64
    var endpoints: UInt32 = 16
    var nodes: UInt32 = 4
    var classes: UInt32 = 1 << 18
    var rows: UInt32 = 4096
    var terms: UInt32 = 64
    var rules: UInt32 = 64
    var conntrack: UInt32 = 4096

    /// Maps of a table with 100K terms per chain (1563 words per row), two generations: each
    /// chain keeps 64 classes per dimension, 200K address atoms per family, 10K endpoints.
    static let hundredThousandTerms = MapSizes(
        ip4: 400_000, ip6: 400_000, endpoints: 20_000, nodes: 2_000,
        classes: 2 * 6 * (65_537 * 2 + 131_328 + 2 * 200_000 + 10_000),
        rows: 2 * 6 * 6 * 64 * 1563,
        terms: 2 * 6 * 100_000, rules: 2 * 6 * 100_000, conntrack: 1 << 20)

    func apply(to object: BPFObject) throws {
        try object.map("vd_ip4").setMaxEntries(ip4)
        try object.map("vd_ip6").setMaxEntries(ip6)
        try object.map("vd_eps").setMaxEntries(endpoints)
        try object.map("vd_nodes").setMaxEntries(nodes)
        try object.map("vd_class").setMaxEntries(classes)
        try object.map("vd_rows").setMaxEntries(rows)
        try object.map("vd_term_rule").setMaxEntries(terms)
        try object.map("vd_rules").setMaxEntries(rules)
        try object.map("vd_hits").setMaxEntries(rules)
        try object.map("vd_ct").setMaxEntries(conntrack)
    }
}

func ipv4Bytes(_ s: String) -> (UInt8, UInt8, UInt8, UInt8) {
    let p = s.split(separator: ".").map { UInt8($0)! }
    return (p[0], p[1], p[2], p[3])
}

extension BPFObject {
    func putV4(_ cidr: String, prefix: UInt32, generation: UInt32 = 0, atom: UInt32, endpoint: UInt32) throws {
        let key = vd_lpm4_key(prefixlen: 32 + prefix, generation: generation.bigEndian, addr: ipv4Bytes(cidr))
        try map("vd_ip4").update(key: key, value: vd_atom_ref(atom: atom, endpoint: endpoint))
    }

    func putV6Default(generation: UInt32 = 0, atom: UInt32) throws {
        var key = vd_lpm6_key()
        key.prefixlen = 32
        key.generation = generation.bigEndian
        try map("vd_ip6").update(key: key, value: vd_atom_ref(atom: atom, endpoint: VD_NONE))
    }

    func setConfig(generation: UInt32 = 0, mode: vd_bpf_mode = VD_MODE_NODE, endpoint: UInt32 = VD_NONE) throws {
        try map("vd_cfg").update(key: UInt32(0), value: vd_bpf_config(generation: generation, mode: mode.rawValue, endpoint: (endpoint, endpoint)))
    }

    /// The last packet's result on the CPU that ran it (BPF_PROG_TEST_RUN runs on the caller's
    /// CPU; the other slots are whatever earlier runs left, so take the one just written).
    func lastResults() throws -> [vd_bpf_result] {
        try map("vd_last").lookupPerCPU(key: UInt32(0), as: vd_bpf_result.self) ?? []
    }

    func hits(_ index: UInt32) throws -> UInt64 {
        (try map("vd_hits").lookupPerCPU(key: index, as: UInt64.self) ?? []).reduce(0, +)
    }
}

/// A chain of the generation struct with every dimension trivial except those in `maps`.
func chain(terms: UInt32, termBase: UInt32, ruleBase: UInt32, mapBase: [Int: UInt32] = [:], rowBase: [Int: UInt32] = [:],
           icmpKeys: Bool = false) -> vd_bpf_chain {
    var c = vd_bpf_chain()
    c.term_count = terms
    c.words = (terms + 63) / 64
    c.icmp_keys = icmpKeys ? 1 : 0
    var trivial: UInt32 = 0x3f
    for d in mapBase.keys { trivial &= ~(1 << UInt32(d)) }
    c.trivial_dims = trivial
    withUnsafeMutableBytes(of: &c.map_base) { b in for (d, v) in mapBase { b.storeBytes(of: v, toByteOffset: d * 4, as: UInt32.self) } }
    withUnsafeMutableBytes(of: &c.row_base) { b in for (d, v) in rowBase { b.storeBytes(of: v, toByteOffset: d * 4, as: UInt32.self) } }
    c.term_base = termBase
    c.rule_base = ruleBase
    return c
}

func generation(endpoints: UInt32, nodes: UInt32, e2h: UInt32 = VD_E2H_DROP, chains: [Int: vd_bpf_chain]) -> vd_bpf_generation {
    var g = vd_bpf_generation()
    g.e2h_action = e2h
    g.endpoint_count = endpoints
    g.node_count = nodes
    withUnsafeMutableBytes(of: &g.chains) { b in
        for (i, c) in chains { b.storeBytes(of: c, toByteOffset: i * MemoryLayout<vd_bpf_chain>.stride, as: vd_bpf_chain.self) }
    }
    return g
}

func rule(_ action: vd_action, passTarget: UInt32 = 0) -> vd_bpf_rule {
    var r = vd_bpf_rule()
    r.action = UInt8(action.rawValue)
    r.pass_target = passTarget
    return r
}

/// Two workloads on one node, `a` 10.0.0.1 (endpoint 0) and `b` 10.0.0.2 (endpoint 1), and a
/// host endpoint `h` 10.0.0.254 (endpoint 2, the node's uplink), in generation 0:
///
/// workload egress (chain 1): one term, rule 0 Allow.
/// workload ingress (chain 0), terms = rules:
///   t0 Allow  TCP to port 80
///   t1 Pass   to port 8080, pass target t3
///   t2 Allow  anything
///   t3 Deny   anything
/// Only the proto (3) and destination-port (5) dimensions are not trivial.
enum TwoPods {
    static let a = "10.0.0.1", b = "10.0.0.2", host = "10.0.0.254"
    // vd_class: proto map of chain 0 at 0 (256 keys), dport map at 256 (65537 keys).
    static let protoMap: UInt32 = 0, dportMap: UInt32 = 256
    // vd_rows: proto classes at 0 (2 classes), dport classes at 2 (3 classes); words = 1.
    static let protoRows: UInt32 = 0, dportRows: UInt32 = 2
    // vd_term_rule / vd_rules / vd_hits: chain 0 at 0 (4), chain 1 at 4 (1).
    static let ingressRules: UInt32 = 0, egressRules: UInt32 = 4

    static func write(to o: BPFObject) throws {
        try o.setConfig()
        try o.putV4("0.0.0.0", prefix: 0, atom: 0, endpoint: VD_NONE)
        try o.putV4(a, prefix: 32, atom: 1, endpoint: 0)
        try o.putV4(b, prefix: 32, atom: 2, endpoint: 1)
        try o.putV4(host, prefix: 32, atom: 3, endpoint: 2)
        try o.putV6Default(atom: 4)
        let eps = try o.map("vd_eps")
        try eps.update(key: UInt32(0), value: vd_endpoint(name: 0, kind_name: 0, node: 0, kind: UInt8(VD_EP_WORKLOAD.rawValue), pad: (0, 0, 0)))
        try eps.update(key: UInt32(1), value: vd_endpoint(name: 0, kind_name: 0, node: 0, kind: UInt8(VD_EP_WORKLOAD.rawValue), pad: (0, 0, 0)))
        try eps.update(key: UInt32(2), value: vd_endpoint(name: 0, kind_name: 0, node: 0, kind: UInt8(VD_EP_HOST.rawValue), pad: (0, 0, 0)))
        try o.map("vd_nodes").update(key: UInt32(0), value: vd_node(name: 0, uplink: 2))

        let classes = try o.map("vd_class")
        try classes.update(key: protoMap + 6, value: UInt32(1))
        try classes.update(key: dportMap + 80, value: UInt32(1))
        try classes.update(key: dportMap + 8080, value: UInt32(2))
        let rows = try o.map("vd_rows")
        try rows.updateBatch(keys: [protoRows, protoRows + 1, dportRows, dportRows + 1, dportRows + 2],
                             values: [UInt64(0b1110), 0b1111, 0b1100, 0b1101, 0b1110])
        try o.map("vd_term_rule").updateBatch(keys: [0, 1, 2, 3, 4] as [UInt32], values: [0, 1, 2, 3, 0] as [UInt32])
        try o.map("vd_rules").updateBatch(keys: [0, 1, 2, 3, 4] as [UInt32],
                                          values: [rule(VD_ACTION_ALLOW), rule(VD_ACTION_PASS, passTarget: 3), rule(VD_ACTION_ALLOW),
                                                   rule(VD_ACTION_DENY), rule(VD_ACTION_ALLOW)])
        let g = generation(endpoints: 3, nodes: 1, chains: [
            0: chain(terms: 4, termBase: 0, ruleBase: ingressRules,
                     mapBase: [3: protoMap, 5: dportMap], rowBase: [3: protoRows, 5: dportRows]),
            1: chain(terms: 1, termBase: 4, ruleBase: egressRules),
        ])
        try o.map("vd_gen").update(key: UInt32(0), value: g)
    }
}

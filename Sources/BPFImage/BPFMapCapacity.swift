// How the table-derived BPF maps are sized and split between the two generations
// (docs/DECISIONS.md, "BPF map layout for two generations").
//
// Every flat ARRAY map (vd_eps, vd_nodes, vd_class, vd_rows, vd_term_rule, vd_rules, and vd_hits,
// which is laid out like vd_rules) has max_entries = 2 × capacity, and generation g owns the
// region [g × capacity, (g + 1) × capacity). The loader picks one capacity for both generations
// when it creates the maps; every base in vd_gen[g] is an absolute index inside g's region, so
// writing generation 1 never touches an entry generation 0 can reach. The LPM tries (vd_ip4,
// vd_ip6) carry the generation in their keys instead: max_entries = 2 × capacity, and each
// generation holds at most `capacity` prefixes.

import CVerdictABI
import MatchTable

/// The table-derived BPF maps.
public enum BPFMap: String, CaseIterable, Sendable {
    case endpoints = "vd_eps"
    case nodes = "vd_nodes"
    case classes = "vd_class"
    case rows = "vd_rows"
    case termRules = "vd_term_rule"
    case rules = "vd_rules"
    case ip4 = "vd_ip4"
    case ip6 = "vd_ip6"

    /// The map's name in bpf/lib/maps.h.
    public var name: String { rawValue }

    /// Key bytes: a u32 index for the arrays, the LPM key for the tries.
    public var keySize: Int {
        switch self {
        case .ip4: return MemoryLayout<vd_lpm4_key>.size
        case .ip6: return MemoryLayout<vd_lpm6_key>.size
        default: return 4
        }
    }

    /// Value bytes.
    public var valueSize: Int {
        switch self {
        case .endpoints: return MemoryLayout<vd_endpoint>.size
        case .nodes: return MemoryLayout<vd_node>.size
        case .classes, .termRules: return 4
        case .rows: return 8
        case .rules: return MemoryLayout<vd_bpf_rule>.size
        case .ip4, .ip6: return MemoryLayout<vd_atom_ref>.size
        }
    }

    /// Whether generations are split by region (arrays) rather than by key (LPM tries).
    public var isArray: Bool { self != .ip4 && self != .ip6 }
}

/// Entries one generation may use in each table-derived map.
///
/// `required(for:)` gives what one table needs; the loader takes the largest of what it must
/// accept (the table being loaded, and any headroom it wants for later reloads) and creates each
/// map with `maxEntries(of:)` = 2 × capacity. A later table that does not fit needs new maps.
public struct BPFMapCapacity: Hashable, Sendable, CustomStringConvertible {
    public var endpoints: UInt32
    public var nodes: UInt32
    public var classes: UInt32
    public var rows: UInt32
    public var termRules: UInt32
    public var rules: UInt32
    public var ip4: UInt32
    public var ip6: UInt32

    public init(endpoints: UInt32, nodes: UInt32, classes: UInt32, rows: UInt32, termRules: UInt32, rules: UInt32, ip4: UInt32, ip6: UInt32) {
        self.endpoints = endpoints
        self.nodes = nodes
        self.classes = classes
        self.rows = rows
        self.termRules = termRules
        self.rules = rules
        self.ip4 = ip4
        self.ip6 = ip6
    }

    /// The largest capacity that still gives every map max_entries (2 × capacity) within a u32.
    public static let limit: UInt32 = UInt32.max / 2

    public subscript(map: BPFMap) -> UInt32 {
        get {
            switch map {
            case .endpoints: return endpoints
            case .nodes: return nodes
            case .classes: return classes
            case .rows: return rows
            case .termRules: return termRules
            case .rules: return rules
            case .ip4: return ip4
            case .ip6: return ip6
            }
        }
        set {
            switch map {
            case .endpoints: endpoints = newValue
            case .nodes: nodes = newValue
            case .classes: classes = newValue
            case .rows: rows = newValue
            case .termRules: termRules = newValue
            case .rules: rules = newValue
            case .ip4: ip4 = newValue
            case .ip6: ip6 = newValue
            }
        }
    }

    /// What `table` needs, at least 1 per map (a BPF map cannot have 0 entries).
    public static func required(for table: MatchTable) -> BPFMapCapacity {
        let n = BPFTableImage.entryCounts(of: table)
        var c = BPFMapCapacity(endpoints: 1, nodes: 1, classes: 1, rows: 1, termRules: 1, rules: 1, ip4: 1, ip6: 1)
        for m in BPFMap.allCases { c[m] = UInt32(clamping: max(1, n[m, default: 0])) }
        return c
    }

    /// Map by map, the larger of the two.
    public func union(_ other: BPFMapCapacity) -> BPFMapCapacity {
        var c = self
        for m in BPFMap.allCases { c[m] = max(self[m], other[m]) }
        return c
    }

    /// Whether every map of `self` is at least as large as `other`'s.
    public func holds(_ other: BPFMapCapacity) -> Bool {
        BPFMap.allCases.allSatisfy { self[$0] >= other[$0] }
    }

    /// max_entries to create `map` with: room for both generations.
    public func maxEntries(of map: BPFMap) -> UInt32 { self[map] * VD_BPF_GENERATIONS }

    /// The first index of generation `generation`'s region of an array map (0 for the tries,
    /// whose generations are told apart by key).
    public func base(of map: BPFMap, generation: UInt32) -> UInt32 {
        map.isArray ? generation * self[map] : 0
    }

    /// Bytes of keys and values of each map at max_entries, as userspace writes them (the kernel
    /// rounds array values up to 8 bytes and adds per-node overhead to LPM tries).
    public func bytes(of map: BPFMap) -> Int {
        Int(maxEntries(of: map)) * (map.isArray ? map.valueSize : map.keySize + map.valueSize)
    }

    public var description: String {
        BPFMap.allCases.map { "\($0.name)=\(self[$0])" }.joined(separator: " ")
    }
}

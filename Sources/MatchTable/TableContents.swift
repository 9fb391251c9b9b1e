// What a compiler hands to the encoder: the table as plain Swift arrays of the vd_abi.h structs.
// The encoder lays them out as sections (MatchTableEncoder.swift); MatchTable reads them back.

import CVerdictABI

/// Interned strings, referenced from the table by byte offset. Offset 0 is the empty string.
public struct StringTable: Sendable {
    public private(set) var bytes: [UInt8] = [0]
    private var offsets: [String: UInt32] = ["": 0]

    public init() {}

    public mutating func intern(_ s: String) -> UInt32 {
        if let o = offsets[s] { return o }
        let o = UInt32(bytes.count)
        bytes.append(contentsOf: Array(s.utf8))
        bytes.append(0)
        offsets[s] = o
        return o
    }
}

/// One dimension of a chain: the key → class map and the class rows. `map16` is used for the
/// proto and port dimensions, `map32` for the others; both are empty when the dimension is trivial.
/// The term sections (spans, ranges) are always there for a non-trivial dimension; the map and
/// rows are empty in a table without bit vectors (VD_TABLE_F_NO_ROWS).
public struct DimensionContents: Sendable {
    public var classCount: UInt32
    public var map16: [UInt16]
    public var map32: [UInt32]
    public var rows: [UInt64]
    public var isTrivial: Bool
    /// Per term, its ranges in `ranges`.
    public var spans: [vd_span]
    public var ranges: [vd_key_range]

    public init(classCount: UInt32, map16: [UInt16] = [], map32: [UInt32] = [], rows: [UInt64], isTrivial: Bool,
                spans: [vd_span] = [], ranges: [vd_key_range] = []) {
        self.classCount = classCount
        self.map16 = map16
        self.map32 = map32
        self.rows = rows
        self.isTrivial = isTrivial
        self.spans = spans
        self.ranges = ranges
    }

    /// Whether `dim` keys are stored in 16 bits.
    public static func uses16BitMap(_ dim: Int) -> Bool {
        dim == Int(VD_DIM_PROTO.rawValue) || dim == Int(VD_DIM_SPORT.rawValue) || dim == Int(VD_DIM_DPORT.rawValue)
    }
}

public struct ChainContents: Sendable {
    public var chain: vd_chain
    public var rules: [vd_rule]
    public var termRule: [UInt32]
    public var dimensions: [DimensionContents]

    public init(chain: vd_chain, rules: [vd_rule], termRule: [UInt32], dimensions: [DimensionContents]) {
        self.chain = chain
        self.rules = rules
        self.termRule = termRule
        self.dimensions = dimensions
    }
}

public struct TableContents: Sendable {
    public var strings = StringTable()
    /// Sorted first addresses of the v4 atoms; the first is 0.
    public var v4Bounds: [UInt32] = [0]
    /// Sorted first addresses of the v6 atoms; the first is ::.
    public var v6Bounds: [vd_ip6] = [vd_ip6(hi: 0, lo: 0)]
    public var atoms: [vd_atom] = []
    public var endpoints: [vd_endpoint] = []
    public var nodes: [vd_node] = []
    public var flags: UInt32 = 0
    public var chains: [ChainContents] = []

    public init() {}
}

extension vd_ip6: @retroactive @unchecked Sendable {}
extension vd_atom: @retroactive @unchecked Sendable {}
extension vd_endpoint: @retroactive @unchecked Sendable {}
extension vd_node: @retroactive @unchecked Sendable {}
extension vd_chain: @retroactive @unchecked Sendable {}
extension vd_rule: @retroactive @unchecked Sendable {}
extension vd_span: @retroactive @unchecked Sendable {}
extension vd_key_range: @retroactive @unchecked Sendable {}

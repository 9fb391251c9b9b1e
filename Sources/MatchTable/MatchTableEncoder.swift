// Lays a TableContents out as the bytes of a `.vdt` file: header, section directory, then each
// section on a 64-byte boundary. Deterministic: the same contents give the same bytes.

import CVerdictABI

enum MatchTableEncoder {
    struct PendingSection {
        var kind: vd_section_kind
        var chain: UInt16
        var dim: UInt16
        var elemSize: Int
        var count: Int
        var bytes: [UInt8]
    }

    static func encode(_ c: TableContents) -> [UInt8] {
        var sections: [PendingSection] = []
        func add<T>(_ kind: vd_section_kind, chain: Int = 0xffff, dim: Int = 0xffff, _ values: [T]) {
            let bytes = values.withUnsafeBytes { Array($0) }
            sections.append(PendingSection(kind: kind, chain: UInt16(chain), dim: UInt16(dim),
                                           elemSize: MemoryLayout<T>.stride, count: values.count, bytes: bytes))
        }
        add(VD_SEC_STRINGS, c.strings.bytes)
        add(VD_SEC_V4_BUCKETS, buckets(c.v4Bounds.map { Int($0 >> 16) }))
        add(VD_SEC_V4_BOUNDS, c.v4Bounds)
        add(VD_SEC_V6_BUCKETS, buckets(c.v6Bounds.map { Int($0.hi >> 48) }))
        add(VD_SEC_V6_BOUNDS, c.v6Bounds)
        add(VD_SEC_ATOMS, c.atoms)
        add(VD_SEC_ENDPOINTS, c.endpoints)
        add(VD_SEC_NODES, c.nodes)
        add(VD_SEC_CHAINS, c.chains.map(\.chain))
        for (i, chain) in c.chains.enumerated() {
            add(VD_SEC_RULES, chain: i, chain.rules)
            add(VD_SEC_TERM_RULE, chain: i, chain.termRule)
            let bitVectors = c.flags & VD_TABLE_F_NO_ROWS == 0
            for (d, dim) in chain.dimensions.enumerated() where !dim.isTrivial {
                if bitVectors {
                    if DimensionContents.uses16BitMap(d) {
                        add(VD_SEC_MAP, chain: i, dim: d, dim.map16)
                    } else {
                        add(VD_SEC_MAP, chain: i, dim: d, dim.map32)
                    }
                    add(VD_SEC_ROWS, chain: i, dim: d, dim.rows)
                }
                add(VD_SEC_TERM_SPANS, chain: i, dim: d, dim.spans)
                add(VD_SEC_TERM_RANGES, chain: i, dim: d, dim.ranges)
            }
        }

        let headerSize = MemoryLayout<vd_table_header>.stride
        let directorySize = MemoryLayout<vd_section>.stride * sections.count
        var offset = align(headerSize + directorySize)
        var directory: [vd_section] = []
        for s in sections {
            directory.append(vd_section(kind: UInt16(s.kind.rawValue), chain: s.chain, dim: s.dim, elem_size: UInt16(s.elemSize),
                                        reserved: 0, count: UInt32(s.count), offset: UInt64(offset)))
            offset = align(offset + s.bytes.count)
        }
        var out = [UInt8](repeating: 0, count: offset)
        directory.withUnsafeBytes { d in
            for (i, b) in d.enumerated() { out[headerSize + i] = b }
        }
        for (s, entry) in zip(sections, directory) {
            out.replaceSubrange(Int(entry.offset)..<Int(entry.offset) + s.bytes.count, with: s.bytes)
        }
        var header = vd_table_header()
        header.magic = VD_TABLE_MAGIC
        header.version = VD_TABLE_VERSION
        header.header_size = UInt32(headerSize)
        header.total_size = UInt64(out.count)
        header.section_count = UInt32(sections.count)
        header.endpoint_count = UInt32(c.endpoints.count)
        header.node_count = UInt32(c.nodes.count)
        header.chain_count = UInt32(c.chains.count)
        header.atom_count_v4 = UInt32(c.v4Bounds.count)
        header.atom_count_v6 = UInt32(c.v6Bounds.count)
        header.flags = c.flags
        header.checksum = out.withUnsafeBytes { fnv1a64(UnsafeRawBufferPointer(rebasing: $0[headerSize...])) }
        withUnsafeBytes(of: header) { h in
            for (i, b) in h.enumerated() { out[i] = b }
        }
        return out
    }

    /// buckets[h] = number of bounds whose top 16 bits are below h, for h in 0...65536.
    static func buckets(_ tops: [Int]) -> [UInt32] {
        var counts = [UInt32](repeating: 0, count: 65537)
        for t in tops { counts[t + 1] += 1 }
        for h in 1..<counts.count { counts[h] += counts[h - 1] }
        return counts
    }

    static func align(_ n: Int) -> Int {
        let a = Int(VD_SECTION_ALIGN)
        return (n + a - 1) / a * a
    }
}

/// FNV-1a, 64-bit: a cheap checksum that catches truncation and bit rot (not tampering).
func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01b3
    }
    return h
}

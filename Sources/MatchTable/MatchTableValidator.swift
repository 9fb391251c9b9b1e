// Checks a `.vdt` file before anything follows an index in it: every offset, count and index
// the classifier or the BPF loader will use is in range, so a corrupt file is a clear error.

import CVerdictABI

enum MatchTableValidator {
    typealias Key = MatchTable.SectionKey

    static func check(base: UnsafeRawBufferPointer, header h: vd_table_header, file: String) throws(MatchTableError) -> [Key: vd_section] {
        func fail(_ m: String) -> MatchTableError { MatchTableError(file: file, m) }
        guard h.magic == VD_TABLE_MAGIC else { throw fail("not a Verdict table (bad magic); compile one with `verdict compile`") }
        guard h.version == VD_TABLE_VERSION else {
            throw fail("table format version \(h.version) is not supported (this verdict reads version \(VD_TABLE_VERSION)); recompile the policies")
        }
        let headerSize = MemoryLayout<vd_table_header>.stride
        guard h.header_size == UInt32(headerSize) else { throw fail("header size \(h.header_size), expected \(headerSize)") }
        guard h.total_size == UInt64(base.count) else {
            throw fail(h.total_size > UInt64(base.count)
                ? "truncated: the header announces \(h.total_size) bytes but the file has \(base.count)"
                : "\(UInt64(base.count) - h.total_size) unexpected bytes after the table's announced \(h.total_size) bytes")
        }
        let sum = fnv1a64(UnsafeRawBufferPointer(rebasing: base[headerSize...]))
        guard sum == h.checksum else { throw fail("checksum mismatch: the table is corrupt") }

        let dirSize = MemoryLayout<vd_section>.stride
        guard UInt64(headerSize) + UInt64(h.section_count) * UInt64(dirSize) <= UInt64(base.count) else {
            throw fail("section directory (\(h.section_count) entries) runs past the end of the file")
        }
        var sections: [Key: vd_section] = [:]
        for i in 0..<Int(h.section_count) {
            let s = base.loadUnaligned(fromByteOffset: headerSize + i * dirSize, as: vd_section.self)
            let end = s.offset.addingReportingOverflow(UInt64(s.elem_size) * UInt64(s.count))
            guard s.offset % UInt64(VD_SECTION_ALIGN) == 0, !end.overflow, end.partialValue <= UInt64(base.count) else {
                throw fail("section \(i) (kind \(s.kind)) lies outside the file")
            }
            let key = Key(kind: s.kind, chain: s.chain, dim: s.dim)
            guard sections[key] == nil else { throw fail("section \(i) (kind \(s.kind)) appears twice") }
            sections[key] = s
        }

        func section(_ kind: vd_section_kind, chain: Int = 0xffff, dim: Int = 0xffff, elem: Int, count: Int? = nil, _ what: String) throws(MatchTableError) -> vd_section {
            guard let s = sections[Key(kind: UInt16(kind.rawValue), chain: UInt16(chain), dim: UInt16(dim))] else {
                throw fail("missing section: \(what)")
            }
            guard Int(s.elem_size) == elem else { throw fail("\(what): element size \(s.elem_size), expected \(elem)") }
            if let count, Int(s.count) != count { throw fail("\(what): \(s.count) entries, expected \(count)") }
            return s
        }
        func items<T>(_ s: vd_section, _: T.Type) -> UnsafeBufferPointer<T> {
            UnsafeBufferPointer(start: (base.baseAddress! + Int(s.offset)).assumingMemoryBound(to: T.self), count: Int(s.count))
        }

        let strings = items(try section(VD_SEC_STRINGS, elem: 1, "strings"), UInt8.self)
        guard let last = strings.last, last == 0 else { throw fail("string table is not NUL-terminated") }
        func checkString(_ o: UInt32, _ what: String) throws(MatchTableError) {
            guard o == VD_NONE || Int(o) < strings.count else { throw fail("\(what): string offset \(o) out of range") }
        }

        let nEndpoints = Int(h.endpoint_count), nNodes = Int(h.node_count), nChains = Int(h.chain_count)
        let n4 = Int(h.atom_count_v4), n6 = Int(h.atom_count_v6)
        guard n4 >= 1, n6 >= 1 else { throw fail("address atoms: each family needs at least one") }
        let b4 = items(try section(VD_SEC_V4_BOUNDS, elem: 4, count: n4, "IPv4 bounds"), UInt32.self)
        guard b4[0] == 0, zip(b4, b4.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("IPv4 bounds are not sorted from 0.0.0.0") }
        let bk4 = items(try section(VD_SEC_V4_BUCKETS, elem: 4, count: 65537, "IPv4 buckets"), UInt32.self)
        guard Array(bk4) == MatchTableEncoder.buckets(b4.map { Int($0 >> 16) }) else { throw fail("IPv4 buckets disagree with the bounds") }
        let b6 = items(try section(VD_SEC_V6_BOUNDS, elem: 16, count: n6, "IPv6 bounds"), vd_ip6.self)
        guard b6[0].hi == 0, b6[0].lo == 0, zip(b6, b6.dropFirst()).allSatisfy({ ($0.hi, $0.lo) < ($1.hi, $1.lo) }) else {
            throw fail("IPv6 bounds are not sorted from ::")
        }
        let bk6 = items(try section(VD_SEC_V6_BUCKETS, elem: 4, count: 65537, "IPv6 buckets"), UInt32.self)
        guard Array(bk6) == MatchTableEncoder.buckets(b6.map { Int($0.hi >> 48) }) else { throw fail("IPv6 buckets disagree with the bounds") }

        let atoms = items(try section(VD_SEC_ATOMS, elem: 4, count: n4 + n6, "atoms"), vd_atom.self)
        for (i, a) in atoms.enumerated() where a.endpoint != VD_NONE && Int(a.endpoint) >= nEndpoints {
            throw fail("atom \(i): endpoint \(a.endpoint) out of range")
        }
        let endpoints = items(try section(VD_SEC_ENDPOINTS, elem: MemoryLayout<vd_endpoint>.stride, count: nEndpoints, "endpoints"), vd_endpoint.self)
        for (i, e) in endpoints.enumerated() {
            try checkString(e.name, "endpoint \(i)")
            try checkString(e.kind_name, "endpoint \(i)")
            guard e.kind <= 1, e.node == VD_NONE || Int(e.node) < nNodes else { throw fail("endpoint \(i): bad kind or node") }
        }
        let nodes = items(try section(VD_SEC_NODES, elem: MemoryLayout<vd_node>.stride, count: nNodes, "nodes"), vd_node.self)
        for (i, n) in nodes.enumerated() {
            try checkString(n.name, "node \(i)")
            guard n.uplink == VD_NONE || Int(n.uplink) < nEndpoints else { throw fail("node \(i): uplink out of range") }
        }

        let bitVectors = h.flags & VD_TABLE_F_NO_ROWS == 0
        guard h.flags & ~(VD_TABLE_F_E2H_MASK | VD_TABLE_F_NO_ROWS) == 0 else { throw fail("unknown header flags \(h.flags)") }
        let chains = items(try section(VD_SEC_CHAINS, elem: MemoryLayout<vd_chain>.stride, count: nChains, "chains"), vd_chain.self)
        for (ci, c) in chains.enumerated() {
            let what = "chain \(ci)"
            let terms = Int(c.term_count), nRules = Int(c.rule_count)
            guard c.kind <= 2, c.direction <= 1, Int(c.words) == (terms + 63) / 64, terms <= 1 << 28 else { throw fail("\(what): bad header") }
            let rules = items(try section(VD_SEC_RULES, chain: ci, elem: MemoryLayout<vd_rule>.stride, count: nRules, "\(what) rules"), vd_rule.self)
            for (ri, r) in rules.enumerated() {
                guard r.action <= 2, r.origin <= 5, r.stage <= 2, Int(r.pass_target) <= terms,
                      Int(r.first_term) + Int(r.term_count) <= terms else { throw fail("\(what) rule \(ri): out of range") }
                try checkString(r.tier, "\(what) rule \(ri)")
                try checkString(r.policy, "\(what) rule \(ri)")
                try checkString(r.policy_kind, "\(what) rule \(ri)")
            }
            let termRule = items(try section(VD_SEC_TERM_RULE, chain: ci, elem: 4, count: terms, "\(what) terms"), UInt32.self)
            guard termRule.allSatisfy({ Int($0) < nRules }) else { throw fail("\(what): a term names a rule out of range") }
            for d in 0..<Int(VD_DIM_COUNT.rawValue) {
                if c.trivial_dims & (1 << d) != 0 { continue }
                let keys: Int
                switch d {
                case Int(VD_DIM_SUBJECT.rawValue): keys = nEndpoints
                case Int(VD_DIM_SRC.rawValue), Int(VD_DIM_DST.rawValue): keys = n4 + n6
                case Int(VD_DIM_PROTO.rawValue): keys = Int(c.icmp_keys != 0 ? VD_PROTO_KEYS_ICMP : VD_PROTO_KEYS_PLAIN)
                default: keys = Int(VD_PORT_KEYS)
                }
                let classes = withUnsafeBytes(of: c.class_count) { $0.load(fromByteOffset: d * 4, as: UInt32.self) }
                let spans = items(try section(VD_SEC_TERM_SPANS, chain: ci, dim: d, elem: 8, count: terms, "\(what) dim \(d) term spans"), vd_span.self)
                let ranges = items(try section(VD_SEC_TERM_RANGES, chain: ci, dim: d, elem: 8, "\(what) dim \(d) term ranges"), vd_key_range.self)
                for (t, sp) in spans.enumerated() {
                    guard Int(sp.first) + Int(sp.count) <= ranges.count else { throw fail("\(what) dim \(d) term \(t): ranges out of range") }
                    var previousEnd: UInt32? = nil
                    for r in ranges[Int(sp.first)..<Int(sp.first) + Int(sp.count)] {
                        // Sorted, disjoint and not adjacent, so that a bounding range plus the
                        // count tells an engine whether one comparison decides.
                        guard r.lo < r.hi, Int(r.hi) <= keys, previousEnd.map({ $0 < r.lo }) ?? true else {
                            throw fail("\(what) dim \(d) term \(t): ranges not sorted and within \(keys) keys")
                        }
                        previousEnd = r.hi
                    }
                }
                guard bitVectors else {
                    guard classes == 0 else { throw fail("\(what) dim \(d): classes in a table without bit vectors") }
                    continue
                }
                let bits16 = DimensionContents.uses16BitMap(d)
                let map = try section(VD_SEC_MAP, chain: ci, dim: d, elem: bits16 ? 2 : 4, count: keys, "\(what) dim \(d) map")
                let inRange = bits16 ? items(map, UInt16.self).allSatisfy { UInt32($0) < classes }
                                     : items(map, UInt32.self).allSatisfy { $0 < classes || (d == 0 && $0 == VD_NONE) }
                guard inRange else { throw fail("\(what) dim \(d): a key maps to a class out of range") }
                _ = try section(VD_SEC_ROWS, chain: ci, dim: d, elem: 8, count: Int(classes) * Int(c.words), "\(what) dim \(d) rows")
            }
        }
        return sections
    }
}

// A stable text form of a table, for `verdict inspect` and golden tests: everything the
// classifier reads, in file order, with names resolved and key maps shown as runs.

import CVerdictABI

extension MatchTable {
    public func dump() -> String {
        var out: [String] = []
        let h = header
        out.append("verdict match table, format version \(h.version)")
        out.append("bytes \(size), checksum \(hex(h.checksum)), sections \(h.section_count)")
        let e2h = ["Drop", "Accept", "Return"][Int(min(endpointToHostAction, 2))]
        out.append("endpoint-to-host action \(e2h)")
        if !hasBitVectors { out.append("no bit vectors: engines index the term ranges") }

        let b4 = array(VD_SEC_V4_BOUNDS, as: UInt32.self), b6 = array(VD_SEC_V6_BOUNDS, as: vd_ip6.self)
        out.append("")
        out.append("atoms: \(b4.count) IPv4, \(b6.count) IPv6")
        for (i, a) in atoms.enumerated() {
            let range: String
            if i < b4.count {
                let lo = b4[i], hi = i + 1 < b4.count ? b4[i + 1] - 1 : UInt32.max
                range = lo == hi ? v4(lo) : "\(v4(lo))-\(v4(hi))"
            } else {
                let j = i - b4.count
                let lo = b6[j]
                let hi = j + 1 < b6.count ? minusOne(b6[j + 1]) : vd_ip6(hi: .max, lo: .max)
                range = (lo.hi == hi.hi && lo.lo == hi.lo) ? v6(lo) : "\(v6(lo))-\(v6(hi))"
            }
            out.append("  atom \(i) \(range)" + (a.endpoint == VD_NONE ? "" : " owner \(a.endpoint)"))
        }
        out.append("")
        out.append("endpoints: \(endpoints.count)")
        for (i, e) in endpoints.enumerated() {
            out.append("  \(i) \(string(e.kind_name)) \(string(e.name))" + (e.node == VD_NONE ? "" : " node \(e.node)"))
        }
        out.append("nodes: \(nodes.count)")
        for (i, n) in nodes.enumerated() {
            out.append("  \(i) \(string(n.name))" + (n.uplink == VD_NONE ? "" : " uplink \(n.uplink)"))
        }
        let dimNames = ["subject", "src", "dst", "proto", "sport", "dport"]
        for (ci, c) in chains.enumerated() {
            let kind = ["workload", "host", "host-forward"][Int(min(c.kind, 2))]
            let dir = c.direction == 0 ? "ingress" : "egress"
            out.append("")
            out.append("chain \(ci) \(kind) \(dir): \(c.rule_count) rules, \(c.term_count) terms, \(c.words) words per row"
                       + (c.icmp_keys != 0 ? ", ICMP type/code keys" : ""))
            for (ri, r) in rules(chain: ci).enumerated() {
                out.append("  rule \(ri) " + describe(r))
            }
            let termRule = termRules(chain: ci)
            for d in 0..<Int(VD_DIM_COUNT.rawValue) {
                let classes = Swift.withUnsafeBytes(of: c.class_count) { $0.load(fromByteOffset: d * 4, as: UInt32.self) }
                if c.trivial_dims & (1 << d) != 0 {
                    out.append("  dim \(dimNames[d]): every key accepts every term")
                    continue
                }
                if !hasBitVectors {
                    // No classes: each term's keys, as the term index reads them.
                    out.append("  dim \(dimNames[d]): term ranges")
                    for t in 0..<Int(c.term_count) {
                        let r = termRanges(chain: ci, dim: d, term: t) ?? UnsafeBufferPointer(start: nil, count: 0)
                        let keys = r.map { $0.hi - $0.lo == 1 ? "\($0.lo)" : "\($0.lo)-\($0.hi - 1)" }
                        out.append("    term \(t): keys \(keys.isEmpty ? "none" : keys.joined(separator: ","))")
                    }
                    continue
                }
                out.append("  dim \(dimNames[d]): \(classes) classes")
                let rows = array(VD_SEC_ROWS, chain: ci, dim: d, as: UInt64.self)
                let words = Int(c.words)
                for k in 0..<Int(classes) {
                    var terms: [Int] = []
                    for t in 0..<Int(c.term_count) where rows[k * words + t / 64] & (1 << UInt64(t % 64)) != 0 { terms.append(t) }
                    out.append("    class \(k): terms \(runs(terms))")
                }
                var keys: [UInt32] = []
                if DimensionContents.uses16BitMap(d) {
                    keys = array(VD_SEC_MAP, chain: ci, dim: d, as: UInt16.self).map(UInt32.init)
                } else {
                    keys = Array(array(VD_SEC_MAP, chain: ci, dim: d, as: UInt32.self))
                }
                var start = 0
                for i in 1...keys.count where i == keys.count || keys[i] != keys[start] {
                    out.append("    keys \(start == i - 1 ? "\(start)" : "\(start)-\(i - 1)") → class \(keys[start] == VD_NONE ? "none" : String(keys[start]))")
                    start = i
                }
            }
            _ = termRule
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// One rule in words: action, origin and attribution, and its terms.
    public func describe(_ r: vd_rule) -> String {
        let action = ["allow", "deny", "pass"][Int(min(r.action, 2))]
        let stage = ["", " untracked", " preDNAT"][Int(min(r.stage, 2))]
        var s = "\(action)\(stage)"
        switch vd_origin(UInt32(r.origin)) {
        case VD_ORIGIN_POLICY: s += " \(string(r.policy_kind)) \(string(r.tier))/\(string(r.policy)) rule \(r.index)"
        case VD_ORIGIN_END_OF_TIER: s += " end of tier \(string(r.tier))"
        case VD_ORIGIN_PROFILE: s += " profile \(string(r.policy)) rule \(r.index)"
        case VD_ORIGIN_NO_PROFILE: s += " no policy or profile matched"
        case VD_ORIGIN_FAILSAFE: s += " failsafe protocol \(r.protocol) port \(r.port)"
        case VD_ORIGIN_FORWARD_DEFAULT: s += " forwarded, no applyOnForward policy decided"
        default: s += " origin \(r.origin)"
        }
        if r.flags & UInt8(VD_RULE_F_HTTP) != 0 { s += " (HTTP match not evaluated)" }
        if r.action == UInt8(VD_ACTION_PASS.rawValue) { s += " → term \(r.pass_target)" }
        s += r.term_count == 0 ? ", no terms (can never match)" : ", terms \(r.first_term)" + (r.term_count > 1 ? "-\(r.first_term + r.term_count - 1)" : "")
        return s
    }

    private func runs(_ v: [Int]) -> String {
        guard !v.isEmpty else { return "none" }
        var parts: [String] = []
        var start = v[0], prev = v[0]
        for x in v.dropFirst() + [Int.min] {
            if x == prev + 1 { prev = x; continue }
            parts.append(start == prev ? "\(start)" : "\(start)-\(prev)")
            start = x
            prev = x
        }
        return parts.joined(separator: ",")
    }

    private func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    private func v4(_ v: UInt32) -> String { "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)" }

    private func v6(_ a: vd_ip6) -> String {
        let groups = (0..<8).map { i -> UInt16 in
            let word = i < 4 ? a.hi : a.lo
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (i % 4)))
        }
        return groups.map { String($0, radix: 16) }.joined(separator: ":")
    }

    private func minusOne(_ a: vd_ip6) -> vd_ip6 {
        a.lo == 0 ? vd_ip6(hi: a.hi &- 1, lo: .max) : vd_ip6(hi: a.hi, lo: a.lo - 1)
    }
}

// The fast path: classify packets against a MatchTable. Per packet: two address lookups (bucket
// + short scan), then per policing point one class lookup per dimension and an AND of six rows of
// bits, word by word, stopping at the first word with a set bit. No allocation per packet; all
// unsafe pointer work stays in this file.

import Addresses
import CVerdictABI
import MatchTable

/// Classifies packets against one compiled table and counts rule hits.
///
/// Not thread-safe: give each thread its own classifier over the same (immutable) table.
public final class Classifier {
    public let table: MatchTable

    /// Pointers into the table for one chain, resolved once.

    struct ChainView {
        var words: Int
        var termCount: Int
        var icmpKeys: Bool
        var subjectMap: UnsafePointer<UInt32>?
        var srcMap: UnsafePointer<UInt32>?
        var dstMap: UnsafePointer<UInt32>?
        var protoMap: UnsafePointer<UInt16>?
        var sportMap: UnsafePointer<UInt16>?
        var dportMap: UnsafePointer<UInt16>?
        var rows: (UnsafePointer<UInt64>, UnsafePointer<UInt64>, UnsafePointer<UInt64>,
                   UnsafePointer<UInt64>, UnsafePointer<UInt64>, UnsafePointer<UInt64>)
        /// Aggregate rows (Baboescu & Varghese's ABV): bit i of a class's summary is set when word i
        /// of its row is non-zero, so the AND of six summaries names the only words worth reading.
        var summaries: (UnsafePointer<UInt64>, UnsafePointer<UInt64>, UnsafePointer<UInt64>,
                        UnsafePointer<UInt64>, UnsafePointer<UInt64>, UnsafePointer<UInt64>)
        var summaryWords: Int
        var termRule: UnsafePointer<UInt32>
        var rules: UnsafePointer<vd_rule>
        var counters: UnsafeMutablePointer<UInt64>
        /// Tables without bit vectors: the chain's term index (TermIndex.swift), else nil.
        var termIndex: UnsafeMutablePointer<TermIndex>?
    }

    let views: UnsafeMutablePointer<ChainView>
    /// Memory of the term indexes (huge pages where offered); freed with the classifier.
    private let arenas: [PageArena]
    /// Rule-shaped keys on which the two term indexes of a chain are compared.
    static let termIndexSample = 4096
    let chainCount: Int
    private let ones: UnsafeMutablePointer<UInt64>
    /// Summary rows, computed from the table's rows when the classifier is made.
    private let summaryStorage: [UnsafeMutablePointer<UInt64>]
    private let counterStorage: UnsafeMutablePointer<UInt64>
    private let counterCount: Int
    /// IPv4 address → atom (AddressIndex.swift); nil only past its atom limit, where the file's
    /// 16-bit buckets and a search over the bounds do.
    let v4Index: V4AtomIndex?
    let v4Buckets: UnsafePointer<UInt32>
    let v4Bounds: UnsafePointer<UInt32>
    let v6Buckets: UnsafePointer<UInt32>
    let v6Bounds: UnsafePointer<vd_ip6>
    let v4Count: Int
    let atoms: UnsafePointer<vd_atom>
    let endpoints: UnsafePointer<vd_endpoint>
    let nodes: UnsafePointer<vd_node>?
    /// Chain indices by role, or -1 when the table lacks the chain.
    let workloadIngress: Int, workloadEgress: Int, hostIngress: Int, hostEgress: Int,
                            forwardIngress: Int, forwardEgress: Int
    let endpointToHostAllows: Bool

    public convenience init(_ table: MatchTable) {
        self.init(table, termIndexCostModels: TermIndex.CostModel.allCases)
    }

    /// `termIndexCostModels`: the anchor cost models whose term indexes are built and compared
    /// (tests force one); `termIndexLayout`: the index's limits (tests shrink them).
    init(_ table: MatchTable, termIndexCostModels: [TermIndex.CostModel], termIndexLayout: TermIndex.Layout = .standard) {
        precondition(!termIndexCostModels.isEmpty, "a term index needs a cost model")
        self.table = table
        var arenas: [PageArena] = []
        let chains = table.chains
        chainCount = chains.count
        let maxWords = max(1, chains.map { Int($0.words) }.max() ?? 1)
        ones = UnsafeMutablePointer<UInt64>.allocate(capacity: maxWords)
        ones.initialize(repeating: ~0, count: maxWords)
        counterCount = chains.reduce(0) { $0 + Int($1.rule_count) }
        counterStorage = UnsafeMutablePointer<UInt64>.allocate(capacity: max(counterCount, 1))
        counterStorage.initialize(repeating: 0, count: max(counterCount, 1))
        views = UnsafeMutablePointer<ChainView>.allocate(capacity: max(chains.count, 1))
        var counterOffset = 0
        var summaryStorage: [UnsafeMutablePointer<UInt64>] = []
        let onesRow = UnsafePointer(ones)
        // Stands in for an empty section, which is never read: a chain without terms looks up no
        // term, and a table without endpoints has no atom owners to look up.
        let neverRead = UnsafeRawPointer(ones)
        for (i, c) in chains.enumerated() {
            func map32(_ d: vd_dim) -> UnsafePointer<UInt32>? {
                c.trivial_dims & (1 << d.rawValue) != 0 ? nil : table.array(VD_SEC_MAP, chain: i, dim: Int(d.rawValue), as: UInt32.self).baseAddress
            }
            func map16(_ d: vd_dim) -> UnsafePointer<UInt16>? {
                c.trivial_dims & (1 << d.rawValue) != 0 ? nil : table.array(VD_SEC_MAP, chain: i, dim: Int(d.rawValue), as: UInt16.self).baseAddress
            }
            func rows(_ d: vd_dim) -> UnsafePointer<UInt64> {
                c.trivial_dims & (1 << d.rawValue) != 0 ? onesRow : (table.array(VD_SEC_ROWS, chain: i, dim: Int(d.rawValue), as: UInt64.self).baseAddress ?? onesRow)
            }
            let sw = (Int(c.words) + 63) / 64
            let summaries = Dimension.all.map { d -> UnsafePointer<UInt64> in
                let classes = Int(Swift.withUnsafeBytes(of: c.class_count) { $0.load(fromByteOffset: Int(d.rawValue) * 4, as: UInt32.self) })
                let trivial = c.trivial_dims & (1 << d.rawValue) != 0
                let n = trivial ? 1 : classes
                let p = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, n * sw))
                p.initialize(repeating: trivial ? ~0 : 0, count: max(1, n * sw))
                if !trivial {
                    let r = table.array(VD_SEC_ROWS, chain: i, dim: Int(d.rawValue), as: UInt64.self)
                    for k in 0..<classes {
                        for wi in 0..<Int(c.words) where r[k * Int(c.words) + wi] != 0 { p[k * sw + wi / 64] |= 1 << UInt64(wi % 64) }
                    }
                }
                summaryStorage.append(p)
                return UnsafePointer(p)
            }
            var termIndex: UnsafeMutablePointer<TermIndex>? = nil
            if !table.hasBitVectors {
                let keys = [table.endpoints.count, Int(table.header.atom_count_v4 + table.header.atom_count_v6),
                            Int(table.header.atom_count_v4 + table.header.atom_count_v6),
                            Int(c.icmp_keys != 0 ? VD_PROTO_KEYS_ICMP : VD_PROTO_KEYS_PLAIN), Int(VD_PORT_KEYS), Int(VD_PORT_KEYS)]
                // Both anchor cost models, each in its own arena; the one doing less work on
                // rule-shaped keys stays (ClassBench sets favour key shares, clusters where
                // thousands of rules name one port favour traffic shares; DECISIONS 67).
                let sample = TermIndex.ruleShapedKeys(table: table, chain: i, count: Self.termIndexSample)
                var best: (index: TermIndex, arena: PageArena, work: Int)? = nil
                for model in termIndexCostModels {
                    let candidateArena = PageArena()
                    let candidate = TermIndex(table: table, chain: i, keys: keys, costModel: model, arena: candidateArena, layout: termIndexLayout)
                    let work = sample.withUnsafeBufferPointer { candidate.estimatedWork($0.baseAddress!, count: sample.count / TermIndex.dims) }
                    if best == nil || work < best!.work { best = (candidate, candidateArena, work) }
                }
                arenas.append(best!.arena)
                termIndex = .allocate(capacity: 1)
                termIndex!.initialize(to: best!.index)
            }
            let v = ChainView(words: Int(c.words), termCount: Int(c.term_count), icmpKeys: c.icmp_keys != 0,
                              subjectMap: map32(VD_DIM_SUBJECT), srcMap: map32(VD_DIM_SRC), dstMap: map32(VD_DIM_DST),
                              protoMap: map16(VD_DIM_PROTO), sportMap: map16(VD_DIM_SPORT), dportMap: map16(VD_DIM_DPORT),
                              rows: (rows(VD_DIM_SUBJECT), rows(VD_DIM_SRC), rows(VD_DIM_DST), rows(VD_DIM_PROTO), rows(VD_DIM_SPORT), rows(VD_DIM_DPORT)),
                              summaries: (summaries[0], summaries[1], summaries[2], summaries[3], summaries[4], summaries[5]),
                              summaryWords: sw,
                              termRule: table.termRules(chain: i).baseAddress ?? neverRead.assumingMemoryBound(to: UInt32.self),
                              rules: table.rules(chain: i).baseAddress!,
                              counters: counterStorage + counterOffset, termIndex: termIndex)
            (views + i).initialize(to: v)
            counterOffset += Int(c.rule_count)
        }
        self.summaryStorage = summaryStorage
        self.arenas = arenas
        let bounds4 = table.array(VD_SEC_V4_BOUNDS, as: UInt32.self)
        v4Index = V4AtomIndex(bounds4, nodeBudget: Self.v4NodeBudget(bounds: bounds4.count))
        v4Buckets = table.array(VD_SEC_V4_BUCKETS).baseAddress!
        v4Bounds = table.array(VD_SEC_V4_BOUNDS).baseAddress!
        v6Buckets = table.array(VD_SEC_V6_BUCKETS).baseAddress!
        v6Bounds = table.array(VD_SEC_V6_BOUNDS).baseAddress!
        v4Count = Int(table.header.atom_count_v4)
        atoms = table.atoms.baseAddress!
        endpoints = table.endpoints.baseAddress ?? neverRead.assumingMemoryBound(to: vd_endpoint.self)
        nodes = table.nodes.baseAddress
        workloadIngress = table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS) ?? -1
        workloadEgress = table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_EGRESS) ?? -1
        hostIngress = table.chainIndex(kind: VD_CHAIN_HOST, direction: VD_DIR_INGRESS) ?? -1
        hostEgress = table.chainIndex(kind: VD_CHAIN_HOST, direction: VD_DIR_EGRESS) ?? -1
        forwardIngress = table.chainIndex(kind: VD_CHAIN_HOST_FORWARD, direction: VD_DIR_INGRESS) ?? -1
        forwardEgress = table.chainIndex(kind: VD_CHAIN_HOST_FORWARD, direction: VD_DIR_EGRESS) ?? -1
        endpointToHostAllows = table.endpointToHostAction != VD_E2H_DROP
    }

    deinit {
        for i in 0..<chainCount {
            if let t = views[i].termIndex {
                t.deinitialize(count: 1)
                t.deallocate()
            }
        }
        views.deinitialize(count: chainCount)
        views.deallocate()
        ones.deallocate()
        counterStorage.deallocate()
        for p in summaryStorage { p.deallocate() }
        v4Index?.deallocate()
    }

    enum Dimension {
        static let all: [vd_dim] = [VD_DIM_SUBJECT, VD_DIM_SRC, VD_DIM_DST, VD_DIM_PROTO, VD_DIM_SPORT, VD_DIM_DPORT]
    }

    // MARK: Addresses

    /// Bytes the IPv4 index may spend on nodes: 1 MiB, or 16 bytes per bound when that is more.
    static func v4NodeBudget(bounds: Int) -> Int { max(1 << 20, 16 * bounds) }

    /// Bytes of the IPv4 index built for this classifier.
    public var addressIndexBytes: Int { v4Index?.byteCount ?? 0 }

    /// The atom holding `a`: count the bounds at or below it, starting from its bucket.

    public func atom(of a: IPAddress) -> Int {
        if a.family == .v4 {
            if let v4Index { return v4Index.atom(a.v4) }
            let v = a.v4, h = Int(v >> 16)
            let first = max(Int(v4Buckets[h]) - 1, 0)
            return first + V4AtomIndex.search(v4Bounds + first, Int(v4Buckets[h + 1]) - first, v)
        }
        let h = Int(a.high >> 48)
        var lo = Int(v6Buckets[h]), hi = Int(v6Buckets[h + 1])
        @inline(__always) func notAbove(_ b: vd_ip6) -> Bool { b.hi < a.high || (b.hi == a.high && b.lo <= a.low) }
        while hi - lo > 8 {
            let mid = (lo + hi) >> 1
            if notAbove(v6Bounds[mid]) { lo = mid + 1 } else { hi = mid }
        }
        while lo < hi && notAbove(v6Bounds[lo]) { lo += 1 }
        return v4Count + lo - 1
    }

    /// The endpoint owning `a` (first in inventory order), or nil.
    public func endpoint(owning a: IPAddress) -> Int? {
        let e = atoms[atom(of: a)].endpoint
        return e == VD_NONE ? nil : Int(e)
    }

    // MARK: One policing point

    /// The deciding rule of `chain` for `endpoint`, or VD_NONE when no term matches (the endpoint
    /// is not a member of the chain). Pure: hits are counted by ``count(_:)``.

    public func decide(chain: Int, endpoint: Int, key: PacketKey, srcAtom: Int, dstAtom: Int) -> UInt32 {
        let v = views[chain]
        return firstMatch(v, subject: endpoint, src: srcAtom, dst: dstAtom, proto: Self.protoKey(v, key),
                          sport: Int(key.sourcePortKey), dport: Int(key.destinationPortKey))
    }

    /// The packet's key in the protocol dimension of chain view `v`.
    @inline(__always)
    static func protoKey(_ v: ChainView, _ key: PacketKey) -> Int {
        if v.icmpKeys && key.icmpTypeCode != VD_NONE {
            return Int(VD_ICMP_KEY_BASE) + (key.source.family == .v4 ? 0 : 65536) + Int(key.icmpTypeCode)
        }
        return Int(key.protocolNumber)
    }

    @inline(__always)
    func firstMatch(_ v: ChainView, subject: Int, src: Int, dst: Int, proto: Int, sport: Int, dport: Int) -> UInt32 {
        if let index = v.termIndex { return Self.firstMatch(v, index, subject: subject, src: src, dst: dst, proto: proto, sport: sport, dport: dport) }
        let c0 = v.subjectMap.map { Int($0[subject]) } ?? 0
        if c0 == Int(VD_NONE) { return VD_NONE }
        return firstMatch(v, c0, v.srcMap.map { Int($0[src]) } ?? 0, v.dstMap.map { Int($0[dst]) } ?? 0,
                          v.protoMap.map { Int($0[proto]) } ?? 0, v.sportMap.map { Int($0[sport]) } ?? 0,
                          v.dportMap.map { Int($0[dport]) } ?? 0)
    }

    /// The first term whose bit is set in the rows of all six classes, following Pass targets.
    /// A trivial dimension has class 0, an all-ones row (stride 0) and an all-ones summary.
    @inline(__always)
    func firstMatch(_ v: ChainView, _ c0: Int, _ c1: Int, _ c2: Int, _ c3: Int, _ c4: Int, _ c5: Int) -> UInt32 {
        let w = v.words, sw = v.summaryWords
        let r0 = v.rows.0 + (v.subjectMap == nil ? 0 : c0 * w), r1 = v.rows.1 + (v.srcMap == nil ? 0 : c1 * w)
        let r2 = v.rows.2 + (v.dstMap == nil ? 0 : c2 * w), r3 = v.rows.3 + (v.protoMap == nil ? 0 : c3 * w)
        let r4 = v.rows.4 + (v.sportMap == nil ? 0 : c4 * w), r5 = v.rows.5 + (v.dportMap == nil ? 0 : c5 * w)
        let s0 = v.summaries.0 + (v.subjectMap == nil ? 0 : c0 * sw), s1 = v.summaries.1 + (v.srcMap == nil ? 0 : c1 * sw)
        let s2 = v.summaries.2 + (v.dstMap == nil ? 0 : c2 * sw), s3 = v.summaries.3 + (v.protoMap == nil ? 0 : c3 * sw)
        let s4 = v.summaries.4 + (v.sportMap == nil ? 0 : c4 * sw), s5 = v.summaries.5 + (v.dportMap == nil ? 0 : c5 * sw)
        var start = 0
        while start < v.termCount {
            let startWord = start >> 6
            var term = -1
            var si = startWord >> 6
            search: while si < sw {
                var candidates = s0[si] & s1[si] & s2[si] & s3[si] & s4[si] & s5[si]
                if si == startWord >> 6 { candidates &= ~0 << UInt64(startWord & 63) }
                while candidates != 0 {
                    let wi = si << 6 | candidates.trailingZeroBitCount
                    var x = r0[wi] & r1[wi] & r2[wi] & r3[wi] & r4[wi] & r5[wi]
                    if wi == startWord { x &= ~0 << UInt64(start & 63) }
                    if x != 0 {
                        term = wi << 6 | x.trailingZeroBitCount
                        break search
                    }
                    candidates &= candidates &- 1
                }
                si += 1
            }
            if term < 0 { return VD_NONE }
            let rule = v.termRule[term]
            let r = v.rules[Int(rule)]
            if r.action != UInt8(VD_ACTION_PASS.rawValue) { return rule }
            start = Int(r.pass_target)
        }
        return VD_NONE
    }

    /// The term-index form of the search above, following Pass targets the same way. Not inlined:
    /// the term index's code inlined here costs the bit-vector path's one-packet lookup about 40
    /// instructions per packet (registers spilled around it), and a call is nothing beside the
    /// index's cache misses.
    @inline(never)
    static func firstMatch(_ v: ChainView, _ index: UnsafeMutablePointer<TermIndex>,
                           subject: Int, src: Int, dst: Int, proto: Int, sport: Int, dport: Int) -> UInt32 {
        var k = (UInt32(truncatingIfNeeded: subject), UInt32(truncatingIfNeeded: src), UInt32(truncatingIfNeeded: dst),
                 UInt32(truncatingIfNeeded: proto), UInt32(truncatingIfNeeded: sport), UInt32(truncatingIfNeeded: dport))
        return withUnsafePointer(to: &k) { tuple in
            tuple.withMemoryRebound(to: UInt32.self, capacity: 6) { keys in
                rule(v, index, keys, firstTerm: v.termCount > 0 ? index.pointee.firstMatch(keys, from: 0) : -1)
            }
        }
    }

    /// The deciding rule, given the first matching term (-1 for none): its rule, or where that
    /// rule is a Pass, the rule of the first match at or after its target. Both come from the
    /// term's box line, which confirming the match has just loaded.
    @inline(__always)
    static func rule(_ v: ChainView, _ index: UnsafeMutablePointer<TermIndex>, _ keys: UnsafePointer<UInt32>, firstTerm: Int) -> UInt32 {
        var term = firstTerm
        while term >= 0 {
            let box = index.pointee.boxes + term * TermIndex.boxStride
            let start = box[TermIndex.passWord]
            if start == UInt32.max { return box[TermIndex.ruleWord] }
            term = Int(start) < v.termCount ? index.pointee.firstMatch(keys, from: Int(start)) : -1
        }
        return VD_NONE
    }

    /// ``classifyPoints(chain:endpoint:keys:into:)`` for a chain with a term index: groups of
    /// TermIndex.batchMax packets through its staged lookup.
    func classifyPoints(_ v: ChainView, _ index: UnsafeMutablePointer<TermIndex>, endpoint: Int, keys: UnsafeBufferPointer<PacketKey>,
                        into rules: UnsafeMutableBufferPointer<UInt32>) {
        let group = TermIndex.batchMax
        // Five buffers, each under the 1 KiB that withUnsafeTemporaryAllocation keeps on the stack.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: group * 6) { keyBuffer in
          withUnsafeTemporaryAllocation(of: UInt32.self, capacity: TermIndex.BatchScratch.items) { headBuffer in
           withUnsafeTemporaryAllocation(of: UInt32.self, capacity: TermIndex.BatchScratch.items) { endBuffer in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: TermIndex.BatchScratch.states) { stateBuffer in
             withUnsafeTemporaryAllocation(of: Int.self, capacity: group) { terms in
                let k = keyBuffer.baseAddress!, first = terms.baseAddress!
                let scratch = TermIndex.BatchScratch(heads: headBuffer.baseAddress!, ends: endBuffer.baseAddress!, states: stateBuffer.baseAddress!)
                var base = 0
                while base < keys.count {
                    let n = min(group, keys.count - base)
                    for j in 0..<n {
                        let key = keys[base + j]
                        k[j * 6] = UInt32(truncatingIfNeeded: endpoint)
                        k[j * 6 + 1] = UInt32(truncatingIfNeeded: atom(of: key.source))
                        k[j * 6 + 2] = UInt32(truncatingIfNeeded: atom(of: key.destination))
                        k[j * 6 + 3] = UInt32(truncatingIfNeeded: Self.protoKey(v, key))
                        k[j * 6 + 4] = key.sourcePortKey
                        k[j * 6 + 5] = key.destinationPortKey
                    }
                    if v.termCount > 0 {
                        index.pointee.firstMatches(k, count: n, into: first, scratch: scratch)
                    } else {
                        first.update(repeating: -1, count: n)
                    }
                    for j in 0..<n { rules[base + j] = Self.rule(v, index, k + j * 6, firstTerm: first[j]) }
                    base += n
                }
             }
            }
           }
          }
        }
    }

    /// Long lists the term indexes split again by a second dimension (TermIndex.NestedGroup).
    public var termIndexNestedGroups: Int {
        (0..<chainCount).reduce(0) { n, c in
            guard let t = views[c].termIndex?.pointee else { return n }
            return n + t.groupCount
        }
    }

    /// Bytes the term indexes allocated (0 for a table with bit vectors).
    public var termIndexBytes: Int {
        (0..<chainCount).reduce(0) { $0 + (views[$1].termIndex?.pointee.byteCount ?? 0) }
    }

    /// The deciding rule's action as a verdict.

    func allows(chain: Int, rule: UInt32) -> Bool {
        rule != VD_NONE && views[chain].rules[Int(rule)].action == UInt8(VD_ACTION_ALLOW.rawValue)
    }


    func point(chain: Int, endpoint: Int, key: PacketKey, srcAtom: Int, dstAtom: Int) -> PointDecision {
        let rule = chain >= 0 ? decide(chain: chain, endpoint: endpoint, key: key, srcAtom: srcAtom, dstAtom: dstAtom) : VD_NONE
        return PointDecision(kind: .chain, allow: chain >= 0 && allows(chain: chain, rule: rule), chain: UInt8(truncatingIfNeeded: chain),
                             endpoint: UInt32(endpoint), rule: rule)
    }

    // MARK: A whole path (SEMANTICS §2.8)

    /// Every policing point of a new connection from the packet's source to its destination, as
    /// the reference evaluator walks them: source egress (or the host's), the source node's uplink
    /// for traffic leaving it, the destination node's uplink for traffic entering it, and the
    /// destination's ingress (or the host's).

    public func classify(_ key: PacketKey) -> PathVerdict {
        var out = PathVerdict()
        let sa = atom(of: key.source), da = atom(of: key.destination)
        let se = atoms[sa].endpoint, de = atoms[da].endpoint
        let sKind = se == VD_NONE ? -1 : Int(endpoints[Int(se)].kind)
        let dKind = de == VD_NONE ? -1 : Int(endpoints[Int(de)].kind)
        let sNode = se == VD_NONE ? VD_NONE : endpoints[Int(se)].node
        let dNode = de == VD_NONE ? VD_NONE : endpoints[Int(de)].node
        let sameNode = sNode != VD_NONE && sNode == dNode
        let workload = Int(VD_EP_WORKLOAD.rawValue), host = Int(VD_EP_HOST.rawValue)

        if sKind == host && dKind == workload && sameNode {
            out.append(PointDecision(kind: .hostToLocalWorkload, allow: true, chain: 0, endpoint: de, rule: VD_NONE))
            return out
        }
        if sKind == workload {
            out.append(point(chain: workloadEgress, endpoint: Int(se), key: key, srcAtom: sa, dstAtom: da))
            if dKind == host && sameNode {
                out.append(PointDecision(kind: .endpointToHost, allow: endpointToHostAllows, chain: 0, endpoint: de, rule: VD_NONE))
                return out
            }
            if !sameNode, sNode != VD_NONE, let nodes, nodes[Int(sNode)].uplink != VD_NONE {
                out.append(point(chain: forwardEgress, endpoint: Int(nodes[Int(sNode)].uplink), key: key, srcAtom: sa, dstAtom: da))
            }
        } else if sKind == host {
            out.append(point(chain: hostEgress, endpoint: Int(se), key: key, srcAtom: sa, dstAtom: da))
        }
        if dKind == workload {
            if !sameNode, dNode != VD_NONE, let nodes, nodes[Int(dNode)].uplink != VD_NONE {
                out.append(point(chain: forwardIngress, endpoint: Int(nodes[Int(dNode)].uplink), key: key, srcAtom: sa, dstAtom: da))
            }
            out.append(point(chain: workloadIngress, endpoint: Int(de), key: key, srcAtom: sa, dstAtom: da))
        } else if dKind == host {
            out.append(point(chain: hostIngress, endpoint: Int(de), key: key, srcAtom: sa, dstAtom: da))
        }
        return out
    }

    /// Classifies `keys[i]` into `results[i]` for every i: the batch form of ``classify(_:)``.
    public func classify(_ keys: UnsafeBufferPointer<PacketKey>, into results: UnsafeMutableBufferPointer<PathVerdict>) {
        precondition(results.count >= keys.count, "results buffer too small")
        for i in 0..<keys.count { results[i] = classify(keys[i]) }
    }

    /// One policing point for many packets: `rules[i]` is the deciding rule for `keys[i]`.
    ///
    /// Packets go through in groups of eight: first every address lookup and class lookup of the
    /// group (independent loads the CPU overlaps), then the row ANDs. Dimensions whose rows accept
    /// everything are left out of the AND.
    public func classifyPoints(chain: Int, endpoint: Int, keys: UnsafeBufferPointer<PacketKey>, into rules: UnsafeMutableBufferPointer<UInt32>) {
        precondition(rules.count >= keys.count, "rules buffer too small")
        let v = views[chain]
        if let index = v.termIndex {
            classifyPoints(v, index, endpoint: endpoint, keys: keys, into: rules)
            return
        }
        let subjectClass = v.subjectMap.map { Int($0[endpoint]) } ?? 0
        if subjectClass == Int(VD_NONE) {
            for i in 0..<keys.count { rules[i] = VD_NONE }
            return
        }
        // Classes of the five packet dimensions for one group.
        let group = 8
        withUnsafeTemporaryAllocation(of: Int.self, capacity: group * 5) { cp in
            var base = 0
            while base < keys.count {
                let n = min(group, keys.count - base)
                for j in 0..<n {
                    let k = keys[base + j]
                    let sa = atom(of: k.source), da = atom(of: k.destination)
                    let protoKey = Self.protoKey(v, k)
                    cp[j * 5 + 0] = v.srcMap.map { Int($0[sa]) } ?? 0
                    cp[j * 5 + 1] = v.dstMap.map { Int($0[da]) } ?? 0
                    cp[j * 5 + 2] = v.protoMap.map { Int($0[protoKey]) } ?? 0
                    cp[j * 5 + 3] = v.sportMap.map { Int($0[Int(k.sourcePortKey)]) } ?? 0
                    cp[j * 5 + 4] = v.dportMap.map { Int($0[Int(k.destinationPortKey)]) } ?? 0
                }
                for j in 0..<n {
                    rules[base + j] = firstMatch(v, subjectClass, cp[j * 5], cp[j * 5 + 1], cp[j * 5 + 2], cp[j * 5 + 3], cp[j * 5 + 4])
                }
                base += n
            }
        }
    }

    /// One policing point, for callers that know the endpoint and direction (ClassBench, explain).
    public func classifyPoint(chain: Int, endpoint: Int, key: PacketKey) -> UInt32 {
        decide(chain: chain, endpoint: endpoint, key: key, srcAtom: atom(of: key.source), dstAtom: atom(of: key.destination))
    }

    // MARK: Counters

    /// Counts one hit for the deciding rule of every policing point of `v`: call it for packets
    /// whose verdict policy decided (not for replies that conntrack let through).
    public func count(_ v: PathVerdict) {
        for i in 0..<v.count {
            let p = v[i]
            if p.kind == .chain && p.rule != VD_NONE { views[Int(p.chain)].counters[Int(p.rule)] &+= 1 }
        }
    }

    /// The stage (VD_STAGE_*) of a rule.
    public func ruleStage(chain: Int, rule: Int) -> vd_stage { vd_stage(UInt32(views[chain].rules[rule].stage)) }

    /// Hits of rule `rule` of chain `chain` since creation or the last ``resetCounters()``.
    public func hits(chain: Int, rule: Int) -> UInt64 { views[chain].counters[rule] }

    public func resetCounters() { counterStorage.update(repeating: 0, count: max(counterCount, 1)) }
}

// The fast path for tables without bit vectors (VD_TABLE_F_NO_ROWS, large rule sets): the first
// matching term of a chain found from the table's term sections, with memory linear in the terms.
//
// Each term is filed under one *anchor* dimension, the one where it accepts the smallest share of
// keys (weighted, since traffic crowds onto few protocols and ports). Per anchor dimension, the
// keys are cut into elementary intervals where some anchored term's range starts or ends, and
// each range is stored at its canonical nodes of a segment tree over those intervals (at most two
// per level, so no range is copied into every interval it covers: a /8 costs as much as a /32).
// A packet's key in that dimension names one leaf; the terms whose anchor range holds the key are
// exactly those in the lists on the leaf's path to the root. Lists are in term order, so each is
// scanned only until a term at or past the best match so far; a candidate is confirmed against
// its bounding box in all six dimensions (one cache line), and against its exact ranges where a
// dimension has more than one. The answer is the least matching term: the same as the AND of the
// bit-vector rows, which the differential tests check on every conformance case.

import CPrefetch
import CVerdictABI
import MatchTable

/// The term index of one chain. Plain pointers (no reference counting on the hot path) into the
/// Classifier's PageArena, which frees them.
struct TermIndex {
    static let dims = Int(VD_DIM_COUNT.rawValue)

    /// A list entry: the term, and its range in a second dimension (its next most selective), so
    /// that most candidates are rejected from the list's own cache lines without loading the box.
    struct Entry {
        var term: UInt32
        var filterDim: UInt32
        var lo: UInt32
        var hi: UInt32
    }

    /// A long list split again, by its entries' filter dimension: per dimension, a segment tree
    /// over the elementary intervals of the entries' ranges in it, flattened per leaf like an
    /// anchor. A popular prefix's list then costs a few short lists instead of a scan of hundreds
    /// of entries (the second of the two dimensions a term is filed under). Its entries carry the
    /// term's range in a third dimension, for the same reason as the anchor's carry a second.
    struct NestedGroup {
        var dim: Int
        /// leaves + 1 sorted cut points; leaf i is [bounds[i], bounds[i + 1]).
        var bounds: UnsafeMutablePointer<UInt32>
        var leaves: Int
        var pathStart: UnsafeMutablePointer<UInt32>
        var lists: UnsafeMutablePointer<(UInt32, UInt32)>
        var entries: UnsafeMutablePointer<Entry>
    }

    /// Lists longer than this are split by filter dimension.
    static let nestThreshold = 32
    /// A list reference with this bit set names nested groups: (bit | first group, group count).
    static let nestedFlag: UInt32 = 0x8000_0000

    /// One anchor dimension's segment tree, flattened per leaf.
    struct Anchor {
        /// key → leaf (elementary interval).
        var leafOf: UnsafeMutablePointer<UInt32>
        /// CSR over leaves: leaf i's non-empty lists (itself and its ancestors in the segment tree,
        /// empty nodes skipped) are lists[pathStart[i] ..< pathStart[i + 1]], each a (first, end)
        /// pair of indices into entries.
        var pathStart: UnsafeMutablePointer<UInt32>
        var lists: UnsafeMutablePointer<(UInt32, UInt32)>
        var entries: UnsafeMutablePointer<Entry>
        var groups: UnsafeMutablePointer<NestedGroup>
        var groupCount: Int
    }

    /// The elementary intervals cut at `cuts`: the sorted distinct cut points, the number of
    /// intervals between them (leaves), and that number rounded up to a power of two.
    static func elementaryIntervals(_ cuts: [UInt32]) -> (bounds: [UInt32], leaves: Int, size: Int) {
        var bounds: [UInt32] = []
        for x in cuts.sorted() where bounds.last != x { bounds.append(x) }
        let leaves = bounds.count - 1
        var size = 1
        while size < leaves { size <<= 1 }
        return (bounds, leaves, size)
    }

    /// Canonical segment-tree nodes (implicit heap over `size` leaves) of leaves [l, r).
    static func canonicalNodes(_ l: Int, _ r: Int, size: Int, _ body: (Int) -> Void) {
        var l = l + size, r = r + size
        while l < r {
            if l & 1 == 1 { body(l); l += 1 }
            if r & 1 == 1 { r -= 1; body(r) }
            l >>= 1; r >>= 1
        }
    }

    /// For each leaf, the non-empty node lists from it to the root, as (first, end) pairs.
    static func leafPaths(leaves: Int, size: Int, nodeStart: [UInt32], arena: PageArena) -> (pathStart: UnsafeMutablePointer<UInt32>, lists: [(UInt32, UInt32)]) {
        let pathStart = arena.allocate(UInt32.self, leaves + 1)
        var lists: [(UInt32, UInt32)] = []
        for i in 0..<leaves {
            pathStart[i] = UInt32(lists.count)
            var node = i + size
            while node >= 1 {
                if nodeStart[node] != nodeStart[node + 1] { lists.append((nodeStart[node], nodeStart[node + 1])) }
                node >>= 1
            }
        }
        pathStart[leaves] = UInt32(lists.count)
        return (pathStart, lists)
    }

    /// The nested groups of one long list (entries in term order), and their bytes; `third(t)` is
    /// the entry term t gets in a nested list.
    static func nestedGroups(_ entries: UnsafeBufferPointer<Entry>, third: (UInt32) -> Entry, arena: PageArena) -> ([NestedGroup], Int) {
        var groups: [NestedGroup] = []
        var bytes = 0
        for dim in 0..<dims {
            let es = entries.filter { Int($0.filterDim) == dim }
            guard !es.isEmpty else { continue }
            var cuts: [UInt32] = []
            for e in es { cuts.append(e.lo); cuts.append(e.hi) }
            let (bounds, leaves, size) = elementaryIntervals(cuts)
            func leaf(_ x: UInt32) -> Int {
                var lo = 0, hi = bounds.count
                while lo < hi { let mid = (lo + hi) >> 1; if bounds[mid] < x { lo = mid + 1 } else { hi = mid } }
                return lo
            }
            var start = [UInt32](repeating: 0, count: 2 * size + 1)
            for e in es where e.lo < e.hi { canonicalNodes(leaf(e.lo), leaf(e.hi), size: size) { start[$0 + 1] += 1 } }
            for i in 1...(2 * size) { start[i] += start[i - 1] }
            let total = Int(start[2 * size])
            let nested = arena.allocate(Entry.self, max(1, total))
            var fill = Array(start.prefix(2 * size))
            for e in es where e.lo < e.hi {
                let entry = third(e.term)
                canonicalNodes(leaf(e.lo), leaf(e.hi), size: size) { node in (nested + Int(fill[node])).initialize(to: entry); fill[node] += 1 }
            }
            let (pathStart, lists) = leafPaths(leaves: leaves, size: size, nodeStart: start, arena: arena)
            let listStorage = arena.allocate((UInt32, UInt32).self, max(1, lists.count))
            listStorage.initialize(from: lists, count: lists.count)
            let boundStorage = arena.allocate(UInt32.self, bounds.count)
            boundStorage.initialize(from: bounds, count: bounds.count)
            groups.append(NestedGroup(dim: dim, bounds: boundStorage, leaves: leaves, pathStart: pathStart, lists: listStorage, entries: nested))
            bytes += bounds.count * 4 + (leaves + 1) * 4 + lists.count * 8 + total * MemoryLayout<Entry>.stride
        }
        return (groups, bytes)
    }

    let termCount: Int
    /// Per term, one 64-byte line of ``boxStride`` words: lo and hi (exclusive) of its bounding
    /// range in each dimension (words 0–11), then at ``exactWord`` bit d set when dimension d has
    /// more than one range (the box is not exact). A whole line, so that confirming a candidate
    /// costs one miss, never two.
    let boxes: UnsafeMutablePointer<UInt32>
    static let boxStride = 16
    static let exactWord = 12
    /// Per dimension, nil when trivial or when no term is anchored there.
    let anchors: UnsafeMutablePointer<Anchor?>
    /// Anchor dimensions in use, in the order a packet scans them.
    let anchorOrder: [Int]
    let anchorCount: Int
    let anchorList: UnsafeMutablePointer<Int>
    /// The table's spans and ranges for the exact check (nil for trivial dimensions).
    let spans: [UnsafePointer<vd_span>?]
    let ranges: [UnsafePointer<vd_key_range>?]
    /// Bytes this index allocated, for reports.
    let byteCount: Int

    /// How a term's anchor is chosen: the dimension where it is cheapest to file, by one of two
    /// estimates of how often packets meet it there. The Classifier builds both and keeps the
    /// index that does less work on rule-shaped keys (``estimatedWork(_:count:)``).
    enum CostModel: CaseIterable {
        /// The share of the dimension's keys the term accepts, weighted (``anchorWeight``).
        case keys
        /// The share of rule-shaped traffic its keys receive (``trafficShares(spans:ranges:terms:)``).
        case traffic
    }

    /// Relative cost of scanning a list in each dimension per unit of key share: traffic spreads
    /// over endpoints and addresses, but crowds onto a few protocols and ports, so a term anchored
    /// on "TCP" or "port 443" would be met by most packets.
    static let anchorWeight: [Double] = [1, 1, 1, 64, 16, 16]

    /// The share of traffic each term's ranges in one dimension would see if packets went where
    /// the rules point: every term spreads one unit of traffic evenly over the keys it accepts,
    /// and a term's share is the traffic of all terms that lands on its keys, over the terms.
    ///
    /// This is the expected cost of filing the term under this dimension: the chance that a
    /// packet's key meets it there. Sharing of keys, not their count, is what makes a list long:
    /// a /32 source that ten thousand rules name is met by most packets, a /32 destination named
    /// once by few, though both are one key of the same address space; and "TCP" or "port 443"
    /// are met by most packets because most rules name them.
    static func trafficShares(spans: UnsafePointer<vd_span>, ranges: UnsafePointer<vd_key_range>, terms n: Int) -> [Double] {
        // Density steps: at each range's lo the term's per-key traffic starts, at hi it stops.
        var steps: [(key: UInt32, delta: Double)] = []
        for t in 0..<n {
            let s = spans[t]
            var keys = 0
            for j in Int(s.first)..<Int(s.first + s.count) { keys += Int(ranges[j].hi - ranges[j].lo) }
            guard keys > 0 else { continue }
            let perKey = 1 / Double(keys)
            for j in Int(s.first)..<Int(s.first + s.count) {
                steps.append((ranges[j].lo, perKey))
                steps.append((ranges[j].hi, -perKey))
            }
        }
        steps.sort { $0.key < $1.key }
        // Traffic below each distinct step key (cumulative), to read any range's traffic off.
        var cutKeys: [UInt32] = [], below: [Double] = []
        var density = 0.0, mass = 0.0, last: UInt32 = 0
        for step in steps {
            if cutKeys.last != step.key {
                mass += density * Double(step.key - last)
                cutKeys.append(step.key)
                below.append(mass)
                last = step.key
            }
            density += step.delta
        }
        func traffic(below key: UInt32) -> Double {
            var lo = 0, hi = cutKeys.count
            while lo < hi { let mid = (lo + hi) >> 1; if cutKeys[mid] < key { lo = mid + 1 } else { hi = mid } }
            return below[lo]   // every range end is a cut key, so cutKeys[lo] == key
        }
        var share = [Double](repeating: 0, count: n)
        for t in 0..<n {
            let s = spans[t]
            var total = 0.0
            for j in Int(s.first)..<Int(s.first + s.count) { total += traffic(below: ranges[j].hi) - traffic(below: ranges[j].lo) }
            share[t] = total / Double(max(n, 1))
        }
        return share
    }


    init(table: MatchTable, chain: Int, keys: [Int], costModel: CostModel, arena: PageArena) {
        let c = table.chains[chain]
        let n = Int(c.term_count)
        termCount = n
        var bytes = 0
        boxes = arena.allocate(UInt32.self, n * Self.boxStride)
        boxes.initialize(repeating: 0, count: max(1, n) * Self.boxStride)
        bytes += n * Self.boxStride * 4
        var spans: [UnsafePointer<vd_span>?] = []
        var ranges: [UnsafePointer<vd_key_range>?] = []
        // Share of keys each term accepts per dimension, for the anchor choice.
        var cost = [Double](repeating: 1, count: n * Self.dims)
        for d in 0..<Self.dims {
            let trivial = c.trivial_dims & (1 << d) != 0
            let sp = trivial ? nil : table.array(VD_SEC_TERM_SPANS, chain: chain, dim: d, as: vd_span.self).baseAddress
            let rg = trivial ? nil : table.array(VD_SEC_TERM_RANGES, chain: chain, dim: d, as: vd_key_range.self).baseAddress
            spans.append(sp)
            ranges.append(rg)
            for t in 0..<n {
                guard let sp, let rg else {
                    boxes[t * Self.boxStride + 2 * d] = 0
                    boxes[t * Self.boxStride + 2 * d + 1] = UInt32.max
                    cost[t * Self.dims + d] = Self.anchorWeight[d]
                    continue
                }
                let s = sp[t]
                if s.count == 0 {
                    // Never matches: an empty box (lo > every key).
                    boxes[t * Self.boxStride + 2 * d] = UInt32.max
                    boxes[t * Self.boxStride + 2 * d + 1] = 0
                    cost[t * Self.dims + d] = 0
                    continue
                }
                boxes[t * Self.boxStride + 2 * d] = rg[Int(s.first)].lo
                boxes[t * Self.boxStride + 2 * d + 1] = rg[Int(s.first + s.count) - 1].hi
                if s.count > 1 { boxes[t * Self.boxStride + Self.exactWord] |= 1 << UInt32(d) }
                var covered = 0
                for j in Int(s.first)..<Int(s.first + s.count) { covered += Int(rg[j].hi - rg[j].lo) }
                cost[t * Self.dims + d] = Double(covered) / Double(max(keys[d], 1)) * Self.anchorWeight[d]
            }
            if costModel == .traffic, let sp, let rg {
                let share = Self.trafficShares(spans: sp, ranges: rg, terms: n)
                for t in 0..<n where sp[t].count > 0 { cost[t * Self.dims + d] = share[t] }
            }
        }
        self.spans = spans
        self.ranges = ranges

        // Anchor per term: the cheapest non-trivial dimension; a term that never matches is not
        // filed at all; a term trivial everywhere (a chain with no non-trivial dimension) goes
        // under a pseudo-anchor: dimension 0 with one leaf.
        var anchorOf = [Int](repeating: -1, count: n)
        var filterOf = [Int](repeating: 0, count: n)
        var thirdOf = [Int](repeating: 0, count: n)
        for t in 0..<n {
            var never = false
            var ranked: [(cost: Double, dim: Int)] = []
            for d in 0..<Self.dims where spans[d] != nil {
                if spans[d]![t].count == 0 { never = true; break }
                ranked.append((cost[t * Self.dims + d], d))
            }
            if never { continue }
            ranked.sort { $0.cost < $1.cost || ($0.cost == $1.cost && $0.dim < $1.dim) }
            // Without a second (third) dimension the filter is the anchor's (second's) own range.
            let best = ranked.first?.dim ?? -1
            filterOf[t] = ranked.count > 1 ? ranked[1].dim : max(best, 0)
            thirdOf[t] = ranked.count > 2 ? ranked[2].dim : filterOf[t]
            anchorOf[t] = best < 0 ? Self.dims : best
        }
        let box = boxes
        func entry(_ t: Int, _ f: Int) -> Entry {
            Entry(term: UInt32(t), filterDim: UInt32(f), lo: box[t * Self.boxStride + 2 * f], hi: box[t * Self.boxStride + 2 * f + 1])
        }

        anchors = arena.allocate(Anchor?.self, Self.dims + 1)
        anchors.initialize(repeating: nil, count: Self.dims + 1)
        var order: [Int] = []
        for d in 0...Self.dims {
            let members = (0..<n).filter { anchorOf[$0] == d }
            guard !members.isEmpty else { continue }
            // The term's ranges in this dimension (the pseudo-anchor: one range over one key).
            func termRanges(_ t: Int) -> UnsafeBufferPointer<vd_key_range> {
                let s = spans[d]![t]
                return UnsafeBufferPointer(start: ranges[d]! + Int(s.first), count: Int(s.count))
            }
            let keyCount = d == Self.dims ? 1 : keys[d]
            var cuts: [UInt32] = [0, UInt32(keyCount)]
            if d < Self.dims {
                for t in members { for r in termRanges(t) { cuts.append(r.lo); cuts.append(r.hi) } }
            }
            let (bounds, leaves, size) = Self.elementaryIntervals(cuts)
            let leafOf = arena.allocate(UInt32.self, keyCount)
            for i in 0..<leaves { (leafOf + Int(bounds[i])).initialize(repeating: UInt32(i), count: Int(bounds[i + 1] - bounds[i])) }
            func leaf(_ key: UInt32) -> Int { Int(leafOf[Int(key)]) }
            // Canonical nodes of leaves [l, r): the standard bottom-up segment-tree walk.
            func forEachNode(_ t: Int, _ body: (Int) -> Void) {
                if d == Self.dims { body(size); return }
                for r in termRanges(t) {
                    let l = leaf(r.lo)
                    let rr = Int(r.hi) == keyCount ? leaves : leaf(r.hi)
                    Self.canonicalNodes(l, rr, size: size, body)
                }
            }
            var start = [UInt32](repeating: 0, count: 2 * size + 1)
            for t in members { forEachNode(t) { start[$0 + 1] += 1 } }
            for i in 1...(2 * size) { start[i] += start[i - 1] }
            let total = Int(start[2 * size])
            let entries = arena.allocate(Entry.self, max(1, total))
            var fill = Array(start.prefix(2 * size))
            for t in members {   // ascending, so every list is in term order
                let entry = entry(t, filterOf[t])
                forEachNode(t) { node in (entries + Int(fill[node])).initialize(to: entry); fill[node] += 1 }
            }
            // Per leaf, the non-empty nodes from the leaf up to the root; a long node list is
            // replaced by a reference to its nested groups.
            let (pathStart, paths) = Self.leafPaths(leaves: leaves, size: size, nodeStart: start, arena: arena)
            var lists = paths
            var groups: [NestedGroup] = []
            var nestedRef: [UInt32: (UInt32, UInt32)] = [:]
            for i in lists.indices where Int(lists[i].1 - lists[i].0) > Self.nestThreshold {
                if let ref = nestedRef[lists[i].0] { lists[i] = ref; continue }
                let long = UnsafeBufferPointer(start: entries + Int(lists[i].0), count: Int(lists[i].1 - lists[i].0))
                let third: (UInt32) -> Entry = { t in entry(Int(t), thirdOf[Int(t)]) }
                let (g, gBytes) = Self.nestedGroups(long, third: third, arena: arena)
                let ref = (Self.nestedFlag | UInt32(groups.count), UInt32(g.count))
                nestedRef[lists[i].0] = ref
                groups += g
                bytes += gBytes
                lists[i] = ref
            }
            let listStorage = arena.allocate((UInt32, UInt32).self, max(1, lists.count))
            listStorage.initialize(from: lists, count: lists.count)
            let groupStorage = arena.allocate(NestedGroup.self, max(1, groups.count))
            groupStorage.initialize(from: groups, count: groups.count)
            anchors[d] = Anchor(leafOf: leafOf, pathStart: pathStart, lists: listStorage, entries: entries,
                                groups: groupStorage, groupCount: groups.count)
            bytes += keyCount * 4 + (leaves + 1) * 4 + lists.count * 8 + total * MemoryLayout<Entry>.stride
            order.append(d)
        }
        anchorOrder = order
        anchorCount = order.count
        anchorList = arena.allocate(Int.self, order.count)
        for (i, d) in order.enumerated() { anchorList[i] = d }
        byteCount = bytes
    }

    /// Whether term `t` accepts the six keys.
    @inline(__always)
    func matches(_ t: Int, _ k: UnsafePointer<UInt32>) -> Bool {
        let b = boxes + t * Self.boxStride
        // Unsigned compares of the six dimensions; no early exit, so no branch per dimension.
        var inside = (k[0] &- b[0]) < (b[1] &- b[0])
        inside = inside && (k[1] &- b[2]) < (b[3] &- b[2])
        inside = inside && (k[2] &- b[4]) < (b[5] &- b[4])
        inside = inside && (k[3] &- b[6]) < (b[7] &- b[6])
        inside = inside && (k[4] &- b[8]) < (b[9] &- b[8])
        inside = inside && (k[5] &- b[10]) < (b[11] &- b[10])
        guard inside else { return false }
        let exact = b[Self.exactWord]
        if exact == 0 { return true }
        for d in 0..<Self.dims where exact & (1 << d) != 0 {
            let s = spans[d]![t]
            let r = ranges[d]! + Int(s.first)
            // Ranges are sorted: the last one starting at or below the key decides.
            var lo = 0, hi = Int(s.count)
            while lo < hi {
                let mid = (lo + hi) >> 1
                if r[mid].lo <= k[d] { lo = mid + 1 } else { hi = mid }
            }
            if lo == 0 || k[d] >= r[lo - 1].hi { return false }
        }
        return true
    }

    /// The leaf of nested group `g` holding `key` (the last cut at or below it), or -1 when the
    /// key is outside every range of the group.
    @inline(__always)
    static func leaf(_ g: NestedGroup, _ key: UInt32) -> Int {
        var lo = 0, hi = g.leaves + 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if g.bounds[mid] <= key { lo = mid + 1 } else { hi = mid }
        }
        let leaf = lo - 1
        return leaf < 0 || leaf >= g.leaves ? -1 : leaf
    }

    /// Lowers `best` to the least term of the nested groups at or after `start` that accepts the keys.
    @inline(__always)
    func scanNested(_ groups: UnsafeMutablePointer<NestedGroup>, count: Int, _ k: UnsafePointer<UInt32>, from start: Int, best: inout Int) {
        for j in 0..<count {
            let g = groups[j]
            let leaf = Self.leaf(g, k[g.dim])
            if leaf < 0 { continue }
            for l in Int(g.pathStart[leaf])..<Int(g.pathStart[leaf + 1]) {
                scanList(g.entries, Int(g.lists[l].0), Int(g.lists[l].1), k, from: start, best: &best)
            }
        }
    }

    /// Lowers `best` to the least term of entries[first ..< end] (ascending) at or after `start`
    /// that accepts the keys: the scan stops at the first match or at a term no better than `best`.
    @inline(__always)
    func scanList(_ entries: UnsafeMutablePointer<Entry>, _ first: Int, _ end: Int, _ k: UnsafePointer<UInt32>, from start: Int, best: inout Int) {
        var e = first
        if start > 0 {
            // Pass: skip the terms before the target.
            var hi = end
            while e < hi {
                let mid = (e + hi) >> 1
                if Int(entries[mid].term) < start { e = mid + 1 } else { hi = mid }
            }
        }
        while e < end {
            let entry = entries[e]
            let t = Int(entry.term)
            if t >= best { break }
            let key = k[Int(entry.filterDim)]
            if (key &- entry.lo) < (entry.hi &- entry.lo) && matches(t, k) { best = t; break }
            e += 1
        }
    }

    /// Lowers `best` to the least term at or after `start` that accepts the keys among the lists
    /// [first, end) of anchor `a`: one leaf's path.
    @inline(__always)
    func scanPath(_ a: Anchor, _ first: Int, _ end: Int, _ k: UnsafePointer<UInt32>, from start: Int, best: inout Int) {
        for l in first..<end {
            if a.lists[l].0 & Self.nestedFlag != 0 {
                scanNested(a.groups + Int(a.lists[l].0 & ~Self.nestedFlag), count: Int(a.lists[l].1), k, from: start, best: &best)
                continue
            }
            scanList(a.entries, Int(a.lists[l].0), Int(a.lists[l].1), k, from: start, best: &best)
        }
    }

    /// The least term at or after `start` that accepts the keys, or -1.
    @inline(__always)
    func firstMatch(_ k: UnsafePointer<UInt32>, from start: Int) -> Int {
        var best = Int.max
        for i in 0..<anchorCount {
            let d = anchorList[i]
            let a = anchors[d].unsafelyUnwrapped
            let leaf = d == Self.dims ? 0 : Int(a.leafOf[Int(k[d])])
            scanPath(a, Int(a.pathStart[leaf]), Int(a.pathStart[leaf + 1]), k, from: start, best: &best)
        }
        return best == Int.max ? -1 : best
    }

    /// Keys shaped like the rules: key i is inside term (i × a large odd number) mod n in every
    /// dimension, at a point spread over its ranges, so each term is sampled about evenly and
    /// crowded keys are met as often as rules crowd onto them. Six UInt32 per key.
    static func ruleShapedKeys(table: MatchTable, chain: Int, count: Int) -> [UInt32] {
        let c = table.chains[chain]
        let n = Int(c.term_count)
        guard n > 0 else { return [] }
        var out: [UInt32] = []
        out.reserveCapacity(count * dims)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let spans = (0..<dims).map { d in c.trivial_dims & (1 << d) != 0 ? nil : table.array(VD_SEC_TERM_SPANS, chain: chain, dim: d, as: vd_span.self).baseAddress }
        let ranges = (0..<dims).map { d in c.trivial_dims & (1 << d) != 0 ? nil : table.array(VD_SEC_TERM_RANGES, chain: chain, dim: d, as: vd_key_range.self).baseAddress }
        for i in 0..<count {
            let t = (i &* 40_503) % n
            for d in 0..<dims {
                guard let sp = spans[d], let rg = ranges[d], sp[t].count > 0 else { out.append(0); continue }
                let r = rg[Int(sp[t].first) + Int(next() % UInt64(sp[t].count))]
                out.append(r.lo + UInt32(truncatingIfNeeded: next() % UInt64(r.hi - r.lo)))
            }
        }
        return out
    }

    /// Work the index would do for `count` keys (six UInt32 each): a unit per list and per level
    /// reached, plus every entry of every list met, as if no scan stopped early. Comparable between
    /// two indexes of the same chain, and deterministic (no timing on a shared machine).
    func estimatedWork(_ keys: UnsafePointer<UInt32>, count: Int) -> Int {
        var work = 0
        for p in 0..<count {
            let k = keys + p * Self.dims
            for i in 0..<anchorCount {
                let d = anchorList[i]
                let a = anchors[d].unsafelyUnwrapped
                let leaf = d == Self.dims ? 0 : Int(a.leafOf[Int(k[d])])
                work += 2
                for l in Int(a.pathStart[leaf])..<Int(a.pathStart[leaf + 1]) {
                    let (ref, end) = a.lists[l]
                    work += 1
                    if ref & Self.nestedFlag == 0 { work += Int(end - ref); continue }
                    for j in 0..<Int(end) {
                        let g = a.groups[Int(ref & ~Self.nestedFlag) + j]
                        work += 2 + Int.bitWidth - g.leaves.leadingZeroBitCount
                        let gl = Self.leaf(g, k[g.dim])
                        if gl < 0 { continue }
                        for m in Int(g.pathStart[gl])..<Int(g.pathStart[gl + 1]) { work += 1 + Int(g.lists[m].1 - g.lists[m].0) }
                    }
                }
            }
        }
        return work
    }

    /// Packets per call of ``firstMatches(_:count:into:scratch:)``: enough misses in flight to
    /// fill the core's miss buffers, few enough that the prefetched lines are still in L1.
    static let batchMax = 16
    /// UInt32s of scratch ``firstMatches(_:count:into:scratch:)`` needs.
    static let batchScratch = batchMax * (dims + 1) * 2

    /// `firstMatch(keys + 6 * i, from: 0)` into `out[i]` for i < `count` (at most ``batchMax``).
    ///
    /// The same search, in stages across the group: every packet's leaf slot, then every leaf's
    /// path bounds, then every path's lists, then every list's first entries are prefetched before
    /// any is read. A lone packet walks these four levels as a chain of dependent cache misses
    /// (100–160 ns each once the index outgrows L2); here a group's misses at each level overlap.
    func firstMatches(_ keys: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Int>,
                      scratch: UnsafeMutablePointer<UInt32>) {
        let na = anchorCount
        for p in 0..<count {
            for i in 0..<na {
                let d = anchorList[i]
                if d < Self.dims { vd_prefetch(anchors[d].unsafelyUnwrapped.leafOf + Int(keys[p * 6 + d])) }
            }
        }
        for p in 0..<count {
            for i in 0..<na {
                let d = anchorList[i]
                let a = anchors[d].unsafelyUnwrapped
                let leaf = d == Self.dims ? 0 : a.leafOf[Int(keys[p * 6 + d])]
                scratch[(p * na + i) * 2] = leaf
                vd_prefetch(a.pathStart + Int(leaf))
            }
        }
        for p in 0..<count {
            for i in 0..<na {
                let a = anchors[anchorList[i]].unsafelyUnwrapped
                let leaf = Int(scratch[(p * na + i) * 2])
                let first = a.pathStart[leaf]
                scratch[(p * na + i) * 2] = first
                scratch[(p * na + i) * 2 + 1] = a.pathStart[leaf + 1]
                vd_prefetch(a.lists + Int(first))
            }
        }
        for p in 0..<count {
            for i in 0..<na {
                let a = anchors[anchorList[i]].unsafelyUnwrapped
                for l in Int(scratch[(p * na + i) * 2])..<Int(scratch[(p * na + i) * 2 + 1]) {
                    let ref = a.lists[l].0
                    if ref & Self.nestedFlag == 0 { vd_prefetch(a.entries + Int(ref)) } else { vd_prefetch(a.groups + Int(ref & ~Self.nestedFlag)) }
                }
            }
        }
        for p in 0..<count {
            var best = Int.max
            for i in 0..<na {
                scanPath(anchors[anchorList[i]].unsafelyUnwrapped, Int(scratch[(p * na + i) * 2]), Int(scratch[(p * na + i) * 2 + 1]),
                         keys + p * 6, from: 0, best: &best)
            }
            out[p] = best == Int.max ? -1 : best
        }
    }
}

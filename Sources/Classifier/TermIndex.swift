// The fast path for tables without bit vectors (VD_TABLE_F_NO_ROWS, large rule sets): the first
// matching term of a chain found from the table's term sections, with memory near linear in the
// terms.
//
// Each term is filed under one *anchor* dimension, the one where packets meet it least often
// (``CostModel``). Per anchor dimension, the keys are cut into elementary intervals where some
// anchored term's range starts or ends, and each key maps straight to its interval's *list*: the
// terms whose anchor range holds the interval, in term order. Ranges are first placed at their
// canonical nodes of a segment tree over the intervals (at most two per level), and the nodes on
// each interval's path to the root are then merged into its list, from the leaf up, for as many
// levels as a memory budget allows; a node above that level stays one shared list that every
// interval under it also names. ClassBench sets at 100K rules flatten completely at 1.2–4× the
// segment tree's entries, so a packet meets one list per anchor dimension.
//
// A list longer than ``Layout/nestThreshold`` is split again by its entries' second dimension: per
// dimension, a *nested group* whose own intervals map to flattened lists, found by a search over
// the group's cut points. Every entry carries the term's range in one more dimension, so most
// candidates are rejected from the list's own cache lines; a candidate is confirmed against its
// bounding box in all six dimensions (one cache line), and against its exact ranges where a
// dimension has more than one. The answer is the least matching term: the same as the AND of the
// bit-vector rows, which the differential tests check on every conformance case.
//
// ``firstMatches(_:count:into:scratch:)`` runs a group of packets through the same search in
// stages, prefetching each stage's lines for the whole group before any is read, and confirming
// candidates only after their boxes were prefetched (DECISIONS 68).

import CPrefetch
import CVerdictABI
import MatchTable

/// The term index of one chain. Plain pointers (no reference counting on the hot path) into the
/// Classifier's PageArena, which frees them.
struct TermIndex {
    static let dims = Int(VD_DIM_COUNT.rawValue)

    /// A list entry: the term, and its range in one more dimension (its next most selective), so
    /// that most candidates are rejected from the list's own cache lines without loading the box.
    struct Entry {
        /// The term in the low 29 bits, the filter dimension in the top three: 12-byte entries,
        /// so that a scan reads a quarter fewer lines.
        var word: UInt32
        var lo: UInt32
        var hi: UInt32
        static let termMask: UInt32 = (1 << 29) - 1
        init(term: UInt32, filterDim: UInt32, lo: UInt32, hi: UInt32) {
            word = filterDim << 29 | (term & Self.termMask)
            self.lo = lo
            self.hi = hi
        }
        @inline(__always) var term: UInt32 { word & Self.termMask }
        @inline(__always) var filterDim: UInt32 { word >> 29 }
    }

    /// One cut point of a nested group and the start of the list of the interval it opens.
    struct Cut {
        var bound: UInt32
        var start: UInt32
    }

    /// A long list split again by one dimension, its entries' filter dimension: the elementary
    /// intervals of their ranges in it, each with its list (flattened, in term order). Entries
    /// carry the term's range in a third dimension. Interval i is [cuts[i].bound,
    /// cuts[i + 1].bound) and its list pool[cuts[i].start ..< cuts[i + 1].start].
    struct NestedGroup {
        var dim: Int
        var leaves: Int
        var cuts: UnsafeMutablePointer<Cut>
    }

    /// What a key names: one list, nested groups, or several of those (an interval under shared
    /// nodes). Kind in the top two bits, then a 30-bit and a 32-bit field:
    /// list (start, end) into ``pool``; groups (first, count) into ``groups``; refs (first,
    /// count) into ``refs``, whose elements are lists or groups.
    typealias Ref = UInt64
    static let listKind: UInt64 = 0, groupsKind: UInt64 = 1, refsKind: UInt64 = 2
    static func ref(_ kind: UInt64, _ a: Int, _ b: Int) -> Ref { kind << 62 | UInt64(b) << 32 | UInt64(a) }
    @inline(__always) static func kind(_ r: Ref) -> UInt64 { r >> 62 }
    @inline(__always) static func first(_ r: Ref) -> Int { Int(UInt32(truncatingIfNeeded: r)) }
    @inline(__always) static func second(_ r: Ref) -> Int { Int((r >> 32) & 0x3FFF_FFFF) }

    /// The limits that shape the index. Only tests change them: ClassBench sets at 100K rules
    /// flatten completely under the standard ones, so shared lists, groups kept at one interval
    /// and packets naming more than ``itemMax`` lists would otherwise go unexercised.
    struct Layout {
        /// Lists longer than this are split by filter dimension. Flattened lists are contiguous
        /// and scanned four entries per branch, so a list of up to 128 (32 lines, read in order)
        /// costs less than the searches that splitting it adds: acl1 at 100K ran about 20% faster
        /// than with 32 in alternating runs, fw1 a little, ipc1 the same (DECISIONS 68).
        var nestThreshold = 128
        /// A long list's entries of a filter dimension get a nested group when at least this
        /// many, else they share one list with the other few.
        var minGroup = 16
        /// A segment-tree level is merged into the intervals below it while the merged lists stay
        /// within flattenFactor × the tree's own entries + flattenSlack.
        var flattenFactor = 6
        var flattenSlack = 65_536
        /// A nested group whose flattened lists would exceed nestedFactor × its entries +
        /// nestedSlack keeps one interval.
        var nestedFactor = 4
        var nestedSlack = 64

        static let standard = Layout()
    }

    let termCount: Int
    /// Per term, one 64-byte line of ``boxStride`` words: lo and hi (exclusive) of its bounding
    /// range in each dimension (words 0–11), then at ``exactWord`` bit d set when dimension d has
    /// more than one range (the box is not exact), at ``ruleWord`` the term's rule, and at
    /// ``passWord`` that rule's Pass target, or `UInt32.max` when it is not a Pass. A whole line,
    /// so that confirming a candidate costs one miss, never two, and the rule it decides none.
    let boxes: UnsafeMutablePointer<UInt32>
    static let boxStride = 16
    static let exactWord = 12
    static let ruleWord = 13
    static let passWord = 14
    /// Anchor dimensions in use, in the order a packet scans them; ``dims`` is the pseudo-anchor
    /// of terms trivial in every dimension (one key, 0).
    let anchorCount: Int
    let anchorDims: UnsafeMutablePointer<Int>
    /// Per anchor (same order), the Ref of each key.
    let refOf: UnsafeMutablePointer<UnsafeMutablePointer<Ref>>
    /// All entries of all lists.
    let pool: UnsafeMutablePointer<Entry>
    let groups: UnsafeMutablePointer<NestedGroup>
    let groupCount: Int
    let refs: UnsafeMutablePointer<Ref>
    let refCount: Int
    /// The table's spans and ranges for the exact check (nil for trivial dimensions).
    let spans: [UnsafePointer<vd_span>?]
    let ranges: [UnsafePointer<vd_key_range>?]
    /// Bytes this index allocated, for reports.
    let byteCount: Int

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


    init(table: MatchTable, chain: Int, keys: [Int], costModel: CostModel, arena: PageArena, layout: Layout = .standard) {
        let c = table.chains[chain]
        let n = Int(c.term_count)
        precondition(n <= Int(Entry.termMask), "term index: more terms than an entry holds (2^29)")
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
        let termRules = table.termRules(chain: chain), rules = table.rules(chain: chain)
        for t in 0..<n {
            let rule = termRules[t]
            boxes[t * Self.boxStride + Self.ruleWord] = rule
            boxes[t * Self.boxStride + Self.passWord] = rules[Int(rule)].action == UInt8(VD_ACTION_PASS.rawValue) ? rules[Int(rule)].pass_target : UInt32.max
        }

        // Anchor per term: the cheapest non-trivial dimension; a term that never matches is not
        // filed at all; a term trivial everywhere (a chain with no non-trivial dimension) goes
        // under a pseudo-anchor (``dims``) with one key.
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

        var pool: [Entry] = []
        var groupList: [NestedGroup] = []
        var refList: [Ref] = []
        var nodeBytes = 0

        /// A list of terms (ascending) as a Ref: entries in the pool, or nested groups when long.
        func listRef(_ terms: [UInt32]) -> Ref {
            if terms.count <= layout.nestThreshold {
                let start = pool.count
                for t in terms { pool.append(entry(Int(t), filterOf[Int(t)])) }
                return Self.ref(Self.listKind, start, pool.count)
            }
            let firstGroup = groupList.count
            // Entries of dimensions too few to be worth a search of their own, kept in one list.
            var rest: [UInt32] = []
            func addGroup(dim: Int, leaves: Int, bounds: [UInt32], perLeaf: [[UInt32]], filter: [Int]) {
                let cutStorage = arena.allocate(Cut.self, leaves + 1)
                for l in 0..<leaves {
                    (cutStorage + l).initialize(to: Cut(bound: bounds[l], start: UInt32(pool.count)))
                    for t in perLeaf[l] { pool.append(entry(Int(t), filter[Int(t)])) }
                }
                (cutStorage + leaves).initialize(to: Cut(bound: bounds[leaves], start: UInt32(pool.count)))
                nodeBytes += (leaves + 1) * MemoryLayout<Cut>.stride
                groupList.append(NestedGroup(dim: dim, leaves: leaves, cuts: cutStorage))
            }
            for dim in 0..<Self.dims {
                // Entries filtered on `dim`, with a non-empty range there (others never match).
                let members = terms.filter { filterOf[Int($0)] == dim && box[Int($0) * Self.boxStride + 2 * dim] < box[Int($0) * Self.boxStride + 2 * dim + 1] }
                guard !members.isEmpty else { continue }
                if members.count < layout.minGroup {
                    rest += members
                    continue
                }
                func lo(_ t: UInt32) -> UInt32 { box[Int(t) * Self.boxStride + 2 * dim] }
                func hi(_ t: UInt32) -> UInt32 { box[Int(t) * Self.boxStride + 2 * dim + 1] }
                var cuts: [UInt32] = []
                for t in members { cuts.append(lo(t)); cuts.append(hi(t)) }
                var (bounds, leaves, _) = Self.elementaryIntervals(cuts)
                func leaf(_ x: UInt32) -> Int {
                    var l = 0, h = bounds.count
                    while l < h { let m = (l + h) >> 1; if bounds[m] < x { l = m + 1 } else { h = m } }
                    return l
                }
                var copies = 0
                for t in members { copies += leaf(hi(t)) - leaf(lo(t)) }
                var perLeaf: [[UInt32]]
                if copies > layout.nestedFactor * members.count + layout.nestedSlack {
                    // Ranges too wide to copy into every interval: one interval, scanned whole.
                    bounds = [0, UInt32.max]
                    leaves = 1
                    perLeaf = [members]
                } else {
                    perLeaf = Array(repeating: [], count: leaves)
                    for t in members { for l in leaf(lo(t))..<leaf(hi(t)) { perLeaf[l].append(t) } }
                }
                addGroup(dim: dim, leaves: leaves, bounds: bounds, perLeaf: perLeaf, filter: thirdOf)
            }
            if !rest.isEmpty {
                // One interval over every key, its entries filtered on their own filter dimension.
                addGroup(dim: 0, leaves: 1, bounds: [0, UInt32.max], perLeaf: [rest.sorted()], filter: filterOf)
            }
            return Self.ref(Self.groupsKind, firstGroup, groupList.count - firstGroup)
        }

        var dimsInOrder: [Int] = []
        var refPointers: [UnsafeMutablePointer<Ref>] = []
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
            var leafOf = [UInt32](repeating: 0, count: keyCount)
            for i in 0..<leaves { for key in Int(bounds[i])..<Int(bounds[i + 1]) { leafOf[key] = UInt32(i) } }
            // Canonical nodes of leaves [l, r): the standard bottom-up segment-tree walk.
            func forEachNode(_ t: Int, _ body: (Int) -> Void) {
                if d == Self.dims { body(size); return }
                for r in termRanges(t) {
                    let l = Int(leafOf[Int(r.lo)])
                    let rr = Int(r.hi) == keyCount ? leaves : Int(leafOf[Int(r.hi)])
                    Self.canonicalNodes(l, rr, size: size, body)
                }
            }
            var start = [Int](repeating: 0, count: 2 * size + 1)
            for t in members { forEachNode(t) { start[$0 + 1] += 1 } }
            for i in 1...(2 * size) { start[i] += start[i - 1] }
            let total = start[2 * size]
            var nodeTerms = [UInt32](repeating: 0, count: max(1, total))
            var fill = Array(start.prefix(2 * size))
            for t in members {   // ascending, so every node's terms are in term order
                forEachNode(t) { node in nodeTerms[fill[node]] = UInt32(t); fill[node] += 1 }
            }
            // How many levels to merge into the intervals: a node at height h is copied into
            // every real interval under it.
            let levels = size.trailingZeroBitCount   // size is a power of two
            var copiesAt = [Int](repeating: 0, count: levels + 1)
            for node in 1..<(2 * size) where start[node + 1] > start[node] {
                let level = Int.bitWidth - 1 - node.leadingZeroBitCount
                let height = levels - level
                let first = (node << height) - size, last = min(((node + 1) << height) - size, leaves)
                if last > first { copiesAt[height] += (start[node + 1] - start[node]) * (last - first) }
            }
            var merged = 0, flatLevels = 0   // heights below flatLevels are merged
            while flatLevels <= levels, merged + copiesAt[flatLevels] <= layout.flattenFactor * total + layout.flattenSlack {
                merged += copiesAt[flatLevels]
                flatLevels += 1
            }
            var shared: [Int: Ref] = [:]
            var leafRef = [Ref](repeating: Self.ref(Self.listKind, 0, 0), count: leaves)
            for i in 0..<leaves {
                var terms: [UInt32] = []
                var here: [Ref] = []
                var node = i + size, height = 0
                while node >= 1 {
                    if start[node + 1] > start[node] {
                        if height < flatLevels {
                            terms += nodeTerms[start[node]..<start[node + 1]]
                        } else if let r = shared[node] {
                            here.append(r)
                        } else {
                            let r = listRef(Array(nodeTerms[start[node]..<start[node + 1]]))
                            shared[node] = r
                            here.append(r)
                        }
                    }
                    node >>= 1
                    height += 1
                }
                if !terms.isEmpty { terms.sort(); here.insert(listRef(terms), at: 0) }
                if here.count == 1 {
                    leafRef[i] = here[0]
                } else if here.count > 1 {
                    leafRef[i] = Self.ref(Self.refsKind, refList.count, here.count)
                    refList += here
                }
            }
            let keyRefs = arena.allocate(Ref.self, keyCount)
            for key in 0..<keyCount { (keyRefs + key).initialize(to: leafRef[Int(leafOf[key])]) }
            nodeBytes += keyCount * MemoryLayout<Ref>.stride
            dimsInOrder.append(d)
            refPointers.append(keyRefs)
        }
        precondition(pool.count < 1 << 30, "term index: too many entries for a Ref (30 bits)")
        // Padding for the scan's four-entry reads past a list's end (their hits are clamped to it).
        pool += Array(repeating: Entry(term: Entry.termMask, filterDim: 0, lo: 1, hi: 0), count: Self.scanWidth)
        self.pool = arena.allocate(Entry.self, pool.count)
        self.pool.initialize(from: pool, count: pool.count)
        groups = arena.allocate(NestedGroup.self, groupList.count)
        groups.initialize(from: groupList, count: groupList.count)
        groupCount = groupList.count
        refs = arena.allocate(Ref.self, refList.count)
        refs.initialize(from: refList, count: refList.count)
        refCount = refList.count
        anchorCount = dimsInOrder.count
        anchorDims = arena.allocate(Int.self, anchorCount)
        anchorDims.initialize(from: dimsInOrder, count: anchorCount)
        refOf = arena.allocate(UnsafeMutablePointer<Ref>.self, anchorCount)
        refOf.initialize(from: refPointers, count: anchorCount)
        byteCount = n * Self.boxStride * 4 + nodeBytes + pool.count * MemoryLayout<Entry>.stride
            + groupList.count * MemoryLayout<NestedGroup>.stride + refList.count * MemoryLayout<Ref>.stride
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

    /// The list of nested group `g` holding `key`, as pool (start, end); empty when the key is
    /// outside every range of the group. Branch-free halving, so that searches of a batch's
    /// packets overlap instead of waiting on mispredicted branches.
    @inline(__always)
    static func list(_ g: NestedGroup, _ key: UInt32) -> (Int, Int) {
        let cuts = g.cuts
        if key < cuts[0].bound || key >= cuts[g.leaves].bound { return (0, 0) }
        var base = 0, count = g.leaves
        while count > 1 {
            let half = count >> 1
            base = cuts[base + half].bound <= key ? base + half : base
            count -= half
        }
        return (Int(cuts[base].start), Int(cuts[base + 1].start))
    }

    /// Lowers `best` to the least term of pool[first ..< end] (ascending) at or after `start`
    /// that accepts the keys: the scan stops at the first match or at a term no better than `best`.
    @inline(__always)
    func scanList(_ first: Int, _ end: Int, _ k: UnsafePointer<UInt32>, from start: Int, best: inout Int) {
        var e = first
        if start > 0 {
            // Pass: skip the terms before the target.
            var hi = end
            while e < hi {
                let mid = (e + hi) >> 1
                if Int(pool[mid].term) < start { e = mid + 1 } else { hi = mid }
            }
        }
        while e < end {
            let entry = pool[e]
            let t = Int(entry.term)
            if t >= best { break }
            if Self.passes(entry, k) && matches(t, k) { best = t; break }
            e += 1
        }
    }

    /// The first position in pool[x ..< end] whose term is at or past `bound` or whose entry
    /// filter passes, else `end`. Four entries per branch: which entry stops a scan is data, and
    /// a branch per entry mispredicts about as often as it is taken (the pool is padded by
    /// ``scanWidth`` entries, so reading past `end` is safe).
    @inline(__always)
    func stop(_ x: Int, _ end: Int, _ bound: UInt32, _ k: UnsafePointer<UInt32>) -> Int {
        var x = x
        while x < end {
            let e0 = pool[x], e1 = pool[x + 1], e2 = pool[x + 2], e3 = pool[x + 3]
            var hit = Self.flag(e0.term >= bound) | Self.flag(Self.passes(e0, k))
            hit |= (Self.flag(e1.term >= bound) | Self.flag(Self.passes(e1, k))) << 1
            hit |= (Self.flag(e2.term >= bound) | Self.flag(Self.passes(e2, k))) << 2
            hit |= (Self.flag(e3.term >= bound) | Self.flag(Self.passes(e3, k))) << 3
            if hit != 0 { return min(x + hit.trailingZeroBitCount, end) }
            x += Self.scanWidth
        }
        return end
    }

    static let scanWidth = 4
    @inline(__always) static func flag(_ b: Bool) -> UInt32 { b ? 1 : 0 }

    /// Whether the keys are inside the entry's filter range.
    @inline(__always)
    static func passes(_ entry: Entry, _ k: UnsafePointer<UInt32>) -> Bool {
        (k[Int(entry.filterDim)] &- entry.lo) < (entry.hi &- entry.lo)
    }

    /// Lowers `best` by the lists a list or groups Ref names.
    @inline(__always)
    func scanListOrGroups(_ r: Ref, _ k: UnsafePointer<UInt32>, from start: Int, best: inout Int) {
        if Self.kind(r) == Self.listKind {
            scanList(Self.first(r), Self.second(r), k, from: start, best: &best)
            return
        }
        for g in Self.first(r)..<(Self.first(r) + Self.second(r)) {
            let group = groups[g]
            let (s, e) = Self.list(group, k[group.dim])
            scanList(s, e, k, from: start, best: &best)
        }
    }

    /// The key of anchor `i` in the keys.
    @inline(__always)
    func anchorKey(_ i: Int, _ k: UnsafePointer<UInt32>) -> Int {
        let d = anchorDims[i]
        return d < Self.dims ? Int(k[d]) : 0
    }

    /// The least term at or after `start` that accepts the keys, or -1.
    @inline(__always)
    func firstMatch(_ k: UnsafePointer<UInt32>, from start: Int) -> Int {
        var best = Int.max
        for i in 0..<anchorCount {
            let r = refOf[i][anchorKey(i, k)]
            if Self.kind(r) == Self.refsKind {
                for j in Self.first(r)..<(Self.first(r) + Self.second(r)) { scanListOrGroups(refs[j], k, from: start, best: &best) }
            } else {
                scanListOrGroups(r, k, from: start, best: &best)
            }
        }
        return best == Int.max ? -1 : best
    }

    /// How many lists and groups the keys name: what a batch holds per packet, where more than
    /// ``itemMax`` takes the one-packet path (tests check that path is reached).
    func itemCount(_ k: UnsafePointer<UInt32>) -> Int {
        var n = 0
        func add(_ r: Ref) { n += Self.kind(r) == Self.listKind ? (Self.first(r) < Self.second(r) ? 1 : 0) : Self.second(r) }
        for i in 0..<anchorCount {
            let r = refOf[i][anchorKey(i, k)]
            if Self.kind(r) == Self.refsKind {
                for j in Self.first(r)..<(Self.first(r) + Self.second(r)) { add(refs[j]) }
            } else {
                add(r)
            }
        }
        return n
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

    /// Work the index would do for `count` keys (six UInt32 each): a unit per list, group and
    /// search step reached, plus every entry of every list met, as if no scan stopped early.
    /// Comparable between two indexes of the same chain, and deterministic (no timing on a shared
    /// machine).
    func estimatedWork(_ keys: UnsafePointer<UInt32>, count: Int) -> Int {
        var work = 0
        func visit(_ r: Ref, _ k: UnsafePointer<UInt32>) {
            work += 1
            if Self.kind(r) == Self.listKind { work += Self.second(r) - Self.first(r); return }
            for g in Self.first(r)..<(Self.first(r) + Self.second(r)) {
                let group = groups[g]
                work += 2 + Int.bitWidth - group.leaves.leadingZeroBitCount
                let (s, e) = Self.list(group, k[group.dim])
                work += e - s
            }
        }
        for p in 0..<count {
            let k = keys + p * Self.dims
            for i in 0..<anchorCount {
                work += 2
                let r = refOf[i][anchorKey(i, k)]
                if Self.kind(r) == Self.refsKind {
                    for j in Self.first(r)..<(Self.first(r) + Self.second(r)) { visit(refs[j], k) }
                } else {
                    visit(r, k)
                }
            }
        }
        return work
    }

    /// Packets per call of ``firstMatches(_:count:into:scratch:)``: enough misses in flight to
    /// fill the core's miss buffers, few enough that the prefetched lines are still in L1.
    static let batchMax = 16
    /// Lists and groups one packet of a batch may name; a packet naming more takes
    /// ``firstMatch(_:from:)`` instead.
    static let itemMax = 12
    /// An item naming a nested group not yet searched.
    static let groupFlag: UInt32 = 0x8000_0000

    /// Buffers for ``firstMatches(_:count:into:scratch:)``: per packet, ``itemMax`` list
    /// positions and ends, and two words of state (item count or `UInt32.max` when the packet
    /// named too many, and which items hold a candidate). Each buffer is under the 1 KiB that
    /// `withUnsafeTemporaryAllocation` keeps on the stack.
    struct BatchScratch {
        static let items = batchMax * itemMax
        static let states = batchMax * 2
        var heads: UnsafeMutablePointer<UInt32>
        var ends: UnsafeMutablePointer<UInt32>
        var states: UnsafeMutablePointer<UInt32>
    }

    /// Appends the list or groups `r` names to one packet's items; false when they do not fit.
    @inline(__always)
    func push(_ r: Ref, _ heads: UnsafeMutablePointer<UInt32>, _ ends: UnsafeMutablePointer<UInt32>, _ n: inout Int) -> Bool {
        if Self.kind(r) == Self.listKind {
            let s = Self.first(r), e = Self.second(r)
            if s == e { return true }
            if n == Self.itemMax { return false }
            heads[n] = UInt32(s)
            ends[n] = UInt32(e)
            n += 1
            vd_prefetch(pool + s)
            return true
        }
        for g in Self.first(r)..<(Self.first(r) + Self.second(r)) {
            if n == Self.itemMax { return false }
            heads[n] = UInt32(g) | Self.groupFlag
            ends[n] = 0
            n += 1
            vd_prefetch(groups + g)
        }
        return true
    }

    /// `firstMatch(keys + 6 * i, from: 0)` into `out[i]` for i < `count` (at most ``batchMax``).
    ///
    /// The same search in stages across the group, each stage prefetching what the next reads for
    /// every packet before any packet reads it: the keys' Refs; the lists and groups they name;
    /// each group's search (branch-free, so the group's searches overlap); each list's scan to its
    /// first candidate, a term whose entry filter passes (no better than the best candidate so
    /// far: the scan stops there, as the one-packet search stops at its best match); and last the
    /// candidates' boxes, confirmed in term order. A lone packet walks these levels as a chain of
    /// dependent misses, 100–160 ns each once the index outgrows L2; here a group's misses at each
    /// level overlap.
    ///
    /// Confirming is a merge: each list's position is a lower bound on the terms it has left
    /// unconfirmed, so the least position that is a confirmed candidate is the answer. A failed
    /// candidate, or a list the scan stopped at the bound, moves on to its next candidate.
    func firstMatches(_ keys: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Int>, scratch: BatchScratch) {
        let na = anchorCount
        let heads = scratch.heads, ends = scratch.ends, states = scratch.states
        for p in 0..<count {
            let k = keys + p * Self.dims
            for i in 0..<na { vd_prefetch(refOf[i] + anchorKey(i, k)) }
        }
        for p in 0..<count {
            let k = keys + p * Self.dims
            let h = heads + p * Self.itemMax, e = ends + p * Self.itemMax
            var n = 0, fits = true
            for i in 0..<na where fits {
                let r = refOf[i][anchorKey(i, k)]
                if Self.kind(r) == Self.refsKind {
                    for j in Self.first(r)..<(Self.first(r) + Self.second(r)) where fits { fits = push(refs[j], h, e, &n) }
                } else {
                    fits = push(r, h, e, &n)
                }
            }
            states[p * 2] = fits ? UInt32(n) : UInt32.max
        }
        for p in 0..<count where states[p * 2] != UInt32.max {
            let k = keys + p * Self.dims
            let h = heads + p * Self.itemMax, e = ends + p * Self.itemMax
            for j in 0..<Int(states[p * 2]) where h[j] & Self.groupFlag != 0 {
                let g = groups[Int(h[j] & ~Self.groupFlag)]
                let (s, t) = Self.list(g, k[g.dim])
                h[j] = UInt32(s)
                e[j] = UInt32(t)
                vd_prefetch(pool + s)
            }
        }
        for p in 0..<count where states[p * 2] != UInt32.max {
            let k = keys + p * Self.dims
            let h = heads + p * Self.itemMax, e = ends + p * Self.itemMax
            var bound = UInt32.max, candidates: UInt32 = 0
            for j in 0..<Int(states[p * 2]) {
                let end = Int(e[j])
                let x = stop(Int(h[j]), end, bound, k)
                if x < end, pool[x].term < bound {
                    candidates |= 1 << UInt32(j)
                    bound = pool[x].term
                    vd_prefetch(boxes + Int(bound) * Self.boxStride)
                }
                h[j] = UInt32(x)
            }
            states[p * 2 + 1] = candidates
        }
        for p in 0..<count {
            let k = keys + p * Self.dims
            if states[p * 2] == UInt32.max {
                out[p] = firstMatch(k, from: 0)
                continue
            }
            let h = heads + p * Self.itemMax, e = ends + p * Self.itemMax
            let n = Int(states[p * 2])
            var candidates = states[p * 2 + 1]
            var answer = -1
            while true {
                // The list with the least position, and the next least position.
                var least = -1, leastTerm = UInt32.max, nextTerm = UInt32.max
                for j in 0..<n where h[j] < e[j] {
                    let t = pool[Int(h[j])].term
                    if t < leastTerm {
                        nextTerm = leastTerm
                        leastTerm = t
                        least = j
                    } else if t < nextTerm {
                        nextTerm = t
                    }
                }
                if least < 0 { break }
                var x = Int(h[least])
                let bit: UInt32 = 1 << UInt32(least)
                if candidates & bit != 0 {
                    if matches(Int(leastTerm), k) {
                        answer = Int(leastTerm)
                        break
                    }
                    candidates &= ~bit
                    x += 1
                }
                // On to this list's next candidate, or to where another list's position is less.
                let end = Int(e[least])
                x = stop(x, end, nextTerm == UInt32.max ? nextTerm : nextTerm + 1, k)
                if x < end, pool[x].term <= nextTerm, Self.passes(pool[x], k) { candidates |= bit }
                h[least] = UInt32(x)
            }
            out[p] = answer
        }
    }
}

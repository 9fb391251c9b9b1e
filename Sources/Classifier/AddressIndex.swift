// IPv4 address → atom, the first lookup of every packet. The table stores atoms as sorted first
// addresses with a 16-bit bucket index over them; ClassBench-like rule sets crowd thousands of
// bounds into a few /16s, where a binary search is a chain of 8–12 dependent loads, and the two
// searches were 40% of a packet's time at 1K rules.
//
// This index is a 16-8-8 multibit trie (DIR-16-8-8, as in DPDK's rte_lpm) whose leaves are short
// runs of the sorted bounds instead of next hops: a bucket holding at most `leafMax` bounds is a
// leaf — the atom at the bucket's start and the count of bounds inside — and the answer is that
// atom plus how many of the next `leafMax` bounds are at or below the address: fixed-count,
// independent compares with no branch and no dependent load. Bounds past the bucket's end are
// above every address in it, so reading past the run needs no mask. A crowded bucket becomes a
// node: 256 entries for its next 8 bits, and so on down to single addresses.

/// The atoms of the IPv4 address space, by first address.
struct V4AtomIndex {
    /// Bounds of a leaf compared per lookup.
    static let leafMax = 8
    /// An entry is a node (bits 0..30: its first entry in `pool`) or a leaf.
    static let nodeFlag: UInt32 = 0x8000_0000
    /// Leaf: bits 0..24 the atom at the bucket's first address, bits 25..30 the bounds inside.
    static let firstBits: UInt32 = 25
    static let firstMask: UInt32 = (1 << firstBits) - 1
    /// A leaf's count field holds at most this; a bucket with more bounds is always a node.
    static let countMax = 63
    /// Tables with more atoms than a leaf can name use `search` instead (none that compiles
    /// in reasonable time: every CIDR adds at most two bounds).
    static let atomLimit = 1 << Int(firstBits)

    /// 65,536 entries, one per /16.
    let top: UnsafeMutablePointer<UInt32>
    /// Nodes: 256 entries each.
    let pool: UnsafeMutablePointer<UInt32>
    /// The table's bounds, then `leafMax` copies of UInt32.max so that a leaf never reads past
    /// the end. A real bound of 255.255.255.255 is counted right too: the result is clamped.
    let bounds: UnsafeMutablePointer<UInt32>
    let lastAtom: Int
    let byteCount: Int

    /// Builds the index over `sortedBounds` (sorted, distinct, `[0] == 0`). Buckets holding more
    /// than `leafMax` bounds become nodes, most crowded first, while nodes stay within
    /// `nodeBudget` bytes; past it a bucket of up to `countMax` bounds stays a leaf and is searched.
    init?(_ sortedBounds: UnsafeBufferPointer<UInt32>, nodeBudget: Int) {
        let n = sortedBounds.count
        guard n >= 1, n < Self.atomLimit, sortedBounds[0] == 0 else { return nil }
        lastAtom = n - 1
        bounds = .allocate(capacity: n + Self.leafMax)
        bounds.initialize(from: sortedBounds.baseAddress!, count: n)
        (bounds + n).initialize(repeating: .max, count: Self.leafMax)
        top = .allocate(capacity: 1 << 16)

        // The atom at address a: the last bound at or below it.
        func atomAt(_ a: UInt32) -> Int {
            var lo = 0, hi = n
            while lo < hi { let mid = (lo + hi) >> 1; if sortedBounds[mid] <= a { lo = mid + 1 } else { hi = mid } }
            return lo - 1
        }
        // Bounds strictly inside (start, start + 2^shift).
        func inside(_ start: UInt32, _ shift: UInt32, from first: Int) -> Int {
            let end = UInt64(start) + (1 << UInt64(shift))
            var lo = first + 1, hi = n
            while lo < hi { let mid = (lo + hi) >> 1; if UInt64(sortedBounds[mid]) < end { lo = mid + 1 } else { hi = mid } }
            return lo - first - 1
        }
        func leaf(_ first: Int, _ count: Int) -> UInt32 { UInt32(count) << Self.firstBits | UInt32(first) }

        var nodes: [UInt32] = []
        let budgetEntries = max(0, nodeBudget / 4)
        // Top-level buckets by crowding, so that the budget goes where searches are longest.
        var crowded: [(count: Int, bucket: Int, first: Int)] = []
        // One sweep over the bounds (a replay opens a classifier per job: no search per bucket).
        var next = 0   // the first bound above the bucket's start
        for h in 0..<(1 << 16) {
            let start = UInt32(h) << 16
            while next < n && sortedBounds[next] <= start { next += 1 }
            var end = next
            while end < n && sortedBounds[end] >> 16 == UInt32(h) { end += 1 }
            let first = next - 1, count = end - next
            top[h] = leaf(first, min(count, Self.countMax))
            if count > Self.leafMax { crowded.append((count, h, first)) }
        }
        crowded.sort { $0.count > $1.count || ($0.count == $1.count && $0.bucket < $1.bucket) }
        // A node for the bucket at `start` (2^(shift + 8) addresses), its sub-buckets filled in.
        func node(_ start: UInt32, shift: UInt32) -> UInt32 {
            let base = nodes.count
            nodes.append(contentsOf: repeatElement(0, count: 256))
            for i in 0..<256 {
                let s = start | UInt32(i) << shift
                let first = atomAt(s)
                let count = shift == 0 ? 0 : inside(s, shift, from: first)
                if count > Self.countMax || (count > Self.leafMax && nodes.count + 256 <= budgetEntries) {
                    nodes[base + i] = Self.nodeFlag | node(s, shift: shift - 8)
                } else {
                    nodes[base + i] = leaf(first, count)
                }
            }
            return UInt32(base)
        }
        for c in crowded where c.count > Self.countMax || nodes.count + 256 <= budgetEntries {
            top[c.bucket] = Self.nodeFlag | node(UInt32(c.bucket) << 16, shift: 8)
        }
        pool = .allocate(capacity: max(1, nodes.count))
        pool.initialize(from: nodes, count: nodes.count)
        byteCount = (1 << 16) * 4 + nodes.count * 4 + (n + Self.leafMax) * 4
    }

    func deallocate() {
        top.deallocate()
        pool.deallocate()
        bounds.deallocate()
    }

    /// The atom holding `v`.
    @inline(__always)
    func atom(_ v: UInt32) -> Int {
        var e = top[Int(v >> 16)]
        if e & Self.nodeFlag != 0 {
            e = pool[Int(e & ~Self.nodeFlag) + Int((v >> 8) & 255)]
            if e & Self.nodeFlag != 0 { e = pool[Int(e & ~Self.nodeFlag) + Int(v & 255)] }
        }
        let first = Int(e & Self.firstMask)
        let count = Int(e >> Self.firstBits)
        let run = bounds + first + 1
        if count <= Self.leafMax {
            // Independent compares: the bounds of this run at or below v, then past-the-end ones
            // (all above v, or UInt32.max padding when v is 255.255.255.255: hence the clamp).
            var a = first
            a &+= run[0] <= v ? 1 : 0
            a &+= run[1] <= v ? 1 : 0
            a &+= run[2] <= v ? 1 : 0
            a &+= run[3] <= v ? 1 : 0
            a &+= run[4] <= v ? 1 : 0
            a &+= run[5] <= v ? 1 : 0
            a &+= run[6] <= v ? 1 : 0
            a &+= run[7] <= v ? 1 : 0
            return min(a, lastAtom)
        }
        return first + Self.search(bounds + first, count + 1, v)
    }

    /// The last index in [0, n) of `b` whose bound is at or below v (b[0] <= v): branch-free halving.
    @inline(__always)
    static func search(_ b: UnsafePointer<UInt32>, _ n: Int, _ v: UInt32) -> Int {
        var base = 0, n = n
        while n > 1 {
            let half = n >> 1
            base = b[base + half] <= v ? base + half : base
            n -= half
        }
        return base
    }
}

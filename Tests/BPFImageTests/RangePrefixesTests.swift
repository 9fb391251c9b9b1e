// Range-to-prefix split: the prefixes cover exactly the interval, are disjoint, aligned and as
// few as possible (they are the maximal aligned blocks inside the interval, computed here
// independently by descending a binary trie).

import BPFImage
import TestFixtures
import Testing

struct RangePrefixesTests {
    /// The maximal aligned blocks inside [lo, hi]: descend the trie from the whole space, keeping a
    /// node when it lies inside the interval and splitting it when it only overlaps.
    static func trieBlocks<T: FixedWidthInteger & UnsignedInteger>(lo: T, hi: T) -> [(start: T, length: Int)] {
        var out: [(T, Int)] = []
        func visit(_ start: T, _ length: Int) {
            let last = start | (length == 0 ? T.max : (length == T.bitWidth ? 0 : T.max >> T(length)))
            if last < lo || start > hi { return }
            if start >= lo && last <= hi { out.append((start, length)); return }
            visit(start, length + 1)
            visit(start | T(1) << T(T.bitWidth - length - 1), length + 1)
        }
        visit(0, 0)
        return out
    }

    static func check<T: FixedWidthInteger & UnsignedInteger>(lo: T, hi: T, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let split = RangePrefixes.split(lo: lo, hi: hi)
        // Cover exactly, disjoint: the first starts at lo, each starts right after the previous
        // ends, the last ends at hi; each is aligned to its size.
        var next = lo
        var ok = true
        for (i, p) in split.enumerated() {
            let size1: T = p.length == 0 ? T.max : (p.length == T.bitWidth ? 0 : T.max >> T(p.length))
            if p.start != next || p.start & size1 != 0 { ok = false; break }
            let last = p.start + size1
            if i == split.count - 1 { ok = ok && last == hi } else { next = last + 1 }
        }
        #expect(ok, "\(lo)...\(hi): \(split)", sourceLocation: sourceLocation)
        // Minimal: the same blocks as the trie's maximal ones (the unique minimal cover).
        let trie = trieBlocks(lo: lo, hi: hi)
        #expect(split.map(\.start) == trie.map(\.start) && split.map(\.length) == trie.map(\.length),
                "\(lo)...\(hi): \(split) vs \(trie)", sourceLocation: sourceLocation)
        #expect(RangePrefixes.count(lo: lo, hi: hi) == split.count, sourceLocation: sourceLocation)
        #expect(split.count <= max(1, 2 * (T.bitWidth - 1)), sourceLocation: sourceLocation)
    }

    @Test("every interval of 8-bit addresses") func exhaustive8() {
        for lo in 0...255 {
            for hi in lo...255 {
                let s = RangePrefixes.split(lo: UInt8(lo), hi: UInt8(hi))
                var covered = [Bool](repeating: false, count: 256)
                var disjoint = true
                for p in s {
                    let size = 1 << (8 - p.length)
                    for a in Int(p.start)..<Int(p.start) + size {
                        if covered[a] { disjoint = false }
                        covered[a] = true
                    }
                }
                let exact = covered.indices.allSatisfy { covered[$0] == (lo...hi).contains($0) }
                let minimal = s.count == Self.trieBlocks(lo: UInt8(lo), hi: UInt8(hi)).count
                if !(disjoint && exact && minimal) {
                    Issue.record("\(lo)...\(hi): \(s) disjoint \(disjoint) exact \(exact) minimal \(minimal)")
                }
            }
        }
    }

    @Test("random 32-bit and 128-bit intervals") func random() {
        var rng = SplitMix(seed: 0x5eed_b0f1)
        for _ in 0..<3000 {
            var a = UInt32(truncatingIfNeeded: rng.next()), b = UInt32(truncatingIfNeeded: rng.next())
            // Often near aligned boundaries, where mistakes hide.
            if rng.next() % 3 == 0 { a &= ~0 << UInt32(rng.next() % 32) }
            if rng.next() % 3 == 0 { b |= ~(~0 << UInt32(rng.next() % 32)) }
            Self.check(lo: min(a, b), hi: max(a, b))
        }
        for _ in 0..<500 {
            var a = UInt128(rng.next()) << 64 | UInt128(rng.next()), b = UInt128(rng.next()) << 64 | UInt128(rng.next())
            if rng.next() % 2 == 0 { b = a ^ UInt128(rng.next() >> (rng.next() % 64)) }
            if rng.next() % 3 == 0 { a &= ~0 << UInt128(rng.next() % 128) }
            Self.check(lo: min(a, b), hi: max(a, b))
        }
    }

    @Test("edges: whole space, single addresses, the top") func edges() {
        #expect(RangePrefixes.split(lo: UInt32(0), hi: .max).map(\.length) == [0])
        #expect(RangePrefixes.split(lo: UInt128(0), hi: .max).map(\.length) == [0])
        #expect(RangePrefixes.split(lo: UInt32.max, hi: .max).map(\.length) == [32])
        #expect(RangePrefixes.split(lo: UInt32(5), hi: 5).map(\.length) == [32])
        #expect(RangePrefixes.split(lo: UInt32(1), hi: .max).count == 32)
        #expect(RangePrefixes.split(lo: UInt32(1), hi: .max - 1).count == 62)
        Self.check(lo: UInt32(1), hi: .max - 1)
        Self.check(lo: UInt128(1), hi: .max - 1)
        Self.check(lo: UInt32(0x0a00_0000), hi: 0x0aff_ffff)
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

// The IPv4 atom index (Classifier/AddressIndex.swift) against a plain binary search over the same
// bounds: clustered bounds so that buckets become nodes two levels deep, runs of every length
// around the leaf limit, a bound at 255.255.255.255 (the padding case), and a zero node budget so
// that crowded leaves take the search.

@testable import Classifier
import Testing

@Suite("IPv4 atom index")
struct AddressIndexTests {
    /// The last index whose bound is at or below v.
    static func expected(_ bounds: [UInt32], _ v: UInt32) -> Int {
        var lo = 0, hi = bounds.count
        while lo < hi { let mid = (lo + hi) >> 1; if bounds[mid] <= v { lo = mid + 1 } else { hi = mid } }
        return lo - 1
    }

    /// Sorted distinct bounds starting at 0: scattered ones, and clusters in a few /16s and /24s
    /// of every size up to several hundred.
    static func bounds(seed: UInt64, withTop: Bool) -> [UInt32] {
        var r = SeededRandom(seed: seed, stream: "atom-index")
        var set: Set<UInt32> = [0]
        for _ in 0..<r.int(in: 0...2_000) { set.insert(UInt32(truncatingIfNeeded: r.next())) }
        for _ in 0..<r.int(in: 1...40) {
            let base = UInt32(truncatingIfNeeded: r.next()) & 0xFFFF_0000
            let width: UInt32 = r.int(in: 0...1) == 0 ? 0xFFFF : 0xFF
            let sub = base | (UInt32(truncatingIfNeeded: r.next()) & 0xFF00 & ~width)
            for _ in 0..<r.int(in: 1...600) { set.insert(sub | (UInt32(truncatingIfNeeded: r.next()) & width)) }
        }
        if withTop { set.insert(.max); set.insert(.max - 1) }
        return set.sorted()
    }

    @Test("atom index == binary search: 40 bound sets, every bound and its neighbours, with and without a node budget",
          arguments: [0, 1 << 20])
    func matchesSearch(budget: Int) {
        for seed in UInt64(1)...40 {
            let b = Self.bounds(seed: seed, withTop: seed % 3 == 0)
            let index = b.withUnsafeBufferPointer { V4AtomIndex($0, nodeBudget: budget) }
            guard let index else { Issue.record("no index for \(b.count) bounds"); continue }
            defer { index.deallocate() }
            var r = SeededRandom(seed: seed, stream: "atom-probes")
            var probes: [UInt32] = [0, 1, .max, .max - 1]
            for x in b { probes += [x, x &- 1, x &+ 1, x | 0xFF, x & ~0xFF] }
            for _ in 0..<5_000 { probes.append(UInt32(truncatingIfNeeded: r.next())) }
            var wrong = 0
            for v in probes where index.atom(v) != Self.expected(b, v) {
                wrong += 1
                if wrong <= 3 { Issue.record("seed \(seed), budget \(budget): \(v): got \(index.atom(v)), expected \(Self.expected(b, v))") }
            }
            #expect(wrong == 0)
        }
    }

    @Test("one bound (the whole space is one atom), and a table past the atom limit is refused")
    func edges() {
        let one: [UInt32] = [0]
        let index = one.withUnsafeBufferPointer { V4AtomIndex($0, nodeBudget: 1 << 20) }
        #expect(index?.atom(0) == 0 && index?.atom(.max) == 0 && index?.atom(0x0A00_0001) == 0)
        index?.deallocate()
        let notFromZero: [UInt32] = [5]
        #expect(notFromZero.withUnsafeBufferPointer { V4AtomIndex($0, nodeBudget: 0) } == nil)
    }
}

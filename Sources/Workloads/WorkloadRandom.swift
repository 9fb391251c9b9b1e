// The one source of randomness of every workload: xoshiro256** 1.0 (Blackman and Vigna, 2018),
// seeded through SplitMix64 (Steele, Lea and Flood, 2014). Every draw below is our own integer
// arithmetic, never the standard library's `random(in:using:)` (whose algorithm may change between
// toolchains), and floating point is used only where it is exact on every IEEE 754 platform
// (53-bit fractions and comparisons), so a seed gives byte-identical workloads on every machine.

/// SplitMix64: expands one 64-bit seed into the state of ``WorkloadRandom``.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** with the draws the generators need.
public struct WorkloadRandom: Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s = (sm.next(), sm.next(), sm.next(), sm.next())
        if s.0 | s.1 | s.2 | s.3 == 0 { s.0 = 1 }
    }

    /// An independent stream for one purpose (rules, trace, traffic …): the seed mixed with the
    /// FNV-1a hash of `stream`, so adding a draw to one stream never shifts another.
    public init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        var sm = SplitMix64(seed: seed ^ h)
        self.init(seed: sm.next())
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = Self.rotl(s.3, 45)
        return result
    }

    /// Uniform in 0..<n (n > 0) by multiply-high; the bias is below n / 2⁶⁴.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(\(n))")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `r`.
    public mutating func int(in r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    public mutating func bit() -> Bool { next() >> 63 == 1 }

    public mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }

    /// One element of a non-empty collection, uniformly.
    public mutating func pick<C: RandomAccessCollection>(_ c: C) -> C.Element where C.Index == Int {
        c[c.startIndex + below(c.count)]
    }

    /// Fisher–Yates.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, below(i + 1))
        }
    }
}

/// Zipf's law with exponent 1 among `count` items (item k with weight 1 / (k + 1)), by binary search
/// in the cumulative weights: popular items come first. Exponent 1 keeps it to IEEE division and
/// addition, which are exact on every platform (a general `pow` is not correctly rounded everywhere).
public struct ZipfTable: Sendable {
    private let cumulative: [Double]

    public init(count: Int) {
        precondition(count > 0)
        var c: [Double] = []
        c.reserveCapacity(count)
        var total = 0.0
        for k in 0..<count {
            total += 1 / Double(k + 1)
            c.append(total)
        }
        cumulative = c
    }

    public var count: Int { cumulative.count }

    public func draw(_ rng: inout WorkloadRandom) -> Int {
        let x = rng.unit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

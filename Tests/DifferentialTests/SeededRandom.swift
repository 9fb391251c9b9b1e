// A small seeded PRNG for the differential tests: SplitMix64 expands the seed, xoshiro256** draws.
// Every helper here is our own arithmetic (no stdlib `random(in:using:)`, whose algorithm may change
// between toolchains), so a seed gives the same policy set and packets on every machine and version.

/// SplitMix64 (Steele, Lea, Flood 2014): used to seed xoshiro and to derive sub-seeds.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman, Vigna 2018) with convenience draws.
struct SeededRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// A generator for an independent stream derived from `seed` and a stream name.
    init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325           // FNV-1a of the stream name
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        var sm = SplitMix64(seed: seed ^ h)
        self.init(seed: sm.next())
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in 0..<n (n > 0), by multiply-high (the bias is below 2⁻⁵⁰ for the sizes used here).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    mutating func int(in r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.count) }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }

    mutating func pickOrNil<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[below(xs.count)] }

    /// Picks by weight (weights need not sum to 1).
    mutating func weighted<T>(_ options: [(T, Double)]) -> T {
        let total = options.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (v, w) in options {
            if x < w { return v }
            x -= w
        }
        return options[options.count - 1].0
    }

    /// Fisher–Yates.
    mutating func shuffle<T>(_ xs: inout [T]) {
        guard xs.count > 1 else { return }
        for i in stride(from: xs.count - 1, to: 0, by: -1) { xs.swapAt(i, below(i + 1)) }
    }

    /// `k` distinct elements in a random order (all of them when k ≥ count).
    mutating func sample<T>(_ xs: [T], _ k: Int) -> [T] {
        var copy = xs
        shuffle(&copy)
        return Array(copy.prefix(max(0, k)))
    }
}

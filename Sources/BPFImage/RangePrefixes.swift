// Range-to-prefix split: the minimal set of CIDR prefixes whose union is exactly an interval of
// addresses. Address atoms are intervals; the BPF program finds them with an LPM trie, so each
// atom becomes the prefixes of its interval, all pointing at the atom.

/// The prefixes covering an interval `[lo, hi]` of `T.bitWidth`-bit addresses.
///
/// The prefixes come out in ascending order, disjoint and adjacent, and there are as few as
/// possible: they are exactly the maximal aligned blocks inside the interval (the greedy split
/// from the left: at each step the largest block that starts at `lo`, is aligned there and does
/// not pass `hi`). At most `2 * (bitWidth - 1)` prefixes for any interval.
public enum RangePrefixes {
    /// Calls `body(start, prefixLength)` for each prefix of `[lo, hi]`, in ascending order.
    /// Requires `lo <= hi`.
    @inlinable
    public static func forEach<T: FixedWidthInteger & UnsignedInteger>(lo: T, hi: T, _ body: (T, Int) -> Void) {
        precondition(lo <= hi, "empty interval")
        let width = T.bitWidth
        var lo = lo
        while true {
            // The largest k with lo aligned to 2^k and lo + 2^k - 1 <= hi.
            let aligned = lo == 0 ? width : lo.trailingZeroBitCount
            let span = hi - lo
            let fits = span == T.max ? width : width - 1 - (span + 1).leadingZeroBitCount
            let k = Swift.min(aligned, fits)
            body(lo, width - k)
            let last = lo + (k == width ? T.max : (T(1) << k) - 1)
            if last == hi { return }
            lo = last + 1
        }
    }

    /// The prefixes of `[lo, hi]` as (first address, prefix length), in ascending order.
    public static func split<T: FixedWidthInteger & UnsignedInteger>(lo: T, hi: T) -> [(start: T, length: Int)] {
        var out: [(start: T, length: Int)] = []
        forEach(lo: lo, hi: hi) { out.append(($0, $1)) }
        return out
    }

    /// How many prefixes `[lo, hi]` splits into, without building them.
    @inlinable
    public static func count<T: FixedWidthInteger & UnsignedInteger>(lo: T, hi: T) -> Int {
        var n = 0
        forEach(lo: lo, hi: hi) { _, _ in n += 1 }
        return n
    }
}

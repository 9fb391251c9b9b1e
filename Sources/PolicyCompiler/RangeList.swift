// A set of integers kept as sorted, disjoint, non-adjacent half-open ranges: the form every
// per-dimension predicate takes before the class builder sweeps it into rows of bits.

struct RangeList: Hashable, Sendable {
    /// Sorted, disjoint and non-adjacent.
    private(set) var ranges: [Range<Int>]

    static let empty = RangeList(normalized: [])

    static func all(_ n: Int) -> RangeList { RangeList(normalized: n > 0 ? [0..<n] : []) }

    private init(normalized: [Range<Int>]) { ranges = normalized }

    /// Any ranges, in any order, overlapping or not.
    init(_ input: [Range<Int>]) {
        let sorted = input.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        var out: [Range<Int>] = []
        for r in sorted {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        ranges = out
    }

    init(values: [Int]) { self.init(values.map { $0..<($0 + 1) }) }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ v: Int) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(v)
    }

    func union(_ o: RangeList) -> RangeList { RangeList(ranges + o.ranges) }

    func intersection(_ o: RangeList) -> RangeList {
        var out: [Range<Int>] = []
        var i = 0, j = 0
        while i < ranges.count && j < o.ranges.count {
            let a = ranges[i], b = o.ranges[j]
            let lo = max(a.lowerBound, b.lowerBound), hi = min(a.upperBound, b.upperBound)
            if lo < hi { out.append(lo..<hi) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return RangeList(normalized: out)
    }

    /// The complement within 0..<n.
    func complement(in n: Int) -> RangeList {
        var out: [Range<Int>] = []
        var next = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next..<min(r.lowerBound, n)) }
            next = max(next, r.upperBound)
        }
        if next < n { out.append(next..<n) }
        return RangeList(normalized: out.filter { !$0.isEmpty })
    }

    func subtracting(_ o: RangeList) -> RangeList {
        guard !o.isEmpty, !isEmpty else { return self }
        let n = max(ranges.last!.upperBound, o.ranges.last!.upperBound)
        return intersection(o.complement(in: n))
    }
}

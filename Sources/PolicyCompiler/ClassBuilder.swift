// Turns one dimension of a chain into classes: sweep the key space once, keep the set of terms
// that accept each stretch of keys as a row of bits, and give equal rows one class. This is the
// decomposition step of bit-vector classifiers (Lakshman & Stiliadis, SIGCOMM '98): at run time
// a packet's class in each dimension selects a row, and the rows are ANDed.

struct DimensionClasses {
    var classCount: Int
    /// key → class, for every key of the dimension.
    var map: [UInt32]
    /// classCount × words bits.
    var rows: [UInt64]
    /// One class whose row accepts every term: the dimension decides nothing.
    var isTrivial: Bool
}

enum ClassBuilder {
    /// - Parameters:
    ///   - keys: size of the key space.
    ///   - predicates: per term, the keys it accepts.
    static func build(keys: Int, predicates: [RangeList], maxClasses: Int) throws(CompileError) -> DimensionClasses {
        let terms = predicates.count
        let words = (terms + 63) / 64
        // Events: at a range's lower bound the term's bit turns on, at its upper bound off.
        var events: [(position: Int, term: Int, on: Bool)] = []
        events.reserveCapacity(predicates.reduce(0) { $0 + 2 * $1.ranges.count })
        for (t, p) in predicates.enumerated() {
            for r in p.ranges {
                events.append((r.lowerBound, t, true))
                events.append((r.upperBound, t, false))
            }
        }
        events.sort { $0.position < $1.position }

        var current = [UInt64](repeating: 0, count: words)
        var classOf: [[UInt64]: UInt32] = [:]
        var rows: [UInt64] = []
        var map = [UInt32](repeating: 0, count: keys)
        var position = 0
        var e = 0
        func intern(_ row: [UInt64]) throws(CompileError) -> UInt32 {
            if let c = classOf[row] { return c }
            let c = UInt32(classOf.count)
            guard classOf.count < maxClasses else {
                throw CompileError("a dimension needs more than \(maxClasses) classes; the table format cannot hold this policy set")
            }
            classOf[row] = c
            rows.append(contentsOf: row)
            return c
        }
        while position < keys {
            while e < events.count && events[e].position == position {
                let (_, t, on) = events[e]
                if on { current[t >> 6] |= 1 << UInt64(t & 63) } else { current[t >> 6] &= ~(1 << UInt64(t & 63)) }
                e += 1
            }
            let next = e < events.count ? min(events[e].position, keys) : keys
            let c = try intern(current)
            for k in position..<next { map[k] = c }
            position = next
        }
        var allTerms = [UInt64](repeating: ~0, count: words)
        if terms % 64 != 0, words > 0 { allTerms[words - 1] = (1 << UInt64(terms % 64)) - 1 }
        let trivial = classOf.count == 1 && rows == allTerms
        return DimensionClasses(classCount: classOf.count, map: map, rows: rows, isTrivial: trivial)
    }
}

public struct CompileError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

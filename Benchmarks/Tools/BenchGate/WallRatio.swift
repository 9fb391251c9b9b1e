// Fast path against the reference evaluator in wall-clock time, measured in the same process
// a moment apart, so machine load hits both: the only wall-clock figure the gate uses, and only as
// a ratio with a floor far below what is measured (see `floor`).

import BenchSupport
import Foundation

enum WallRatio {
    /// The reference evaluator must take at least this many times the fast path's time per packet.
    /// Measured 2026-11-23 with load average 8–12: 69× and 194× in two runs at acl1/10 (the
    /// reference is cheapest with few rules), 3,300–5,300× at acl1/1K. A floor of 10× keeps a
    /// margin of about 7× over the worst run seen, and only a fast path collapsing towards
    /// reference-like work per packet (a walk over the rules with per-rule evaluation) fails it.
    static let floor = 10.0

    struct Result: Codable, Equatable {
        var fastNanoseconds: Double
        var referenceNanoseconds: Double
        var ratio: Double
    }

    /// Median of three rounds; each round times the batch region over all measured headers
    /// (repeated for at least 5 ms) and the reference over its headers.
    static func measure(_ g: GateWorkload) -> Result {
        let clock = ContinuousClock()
        let reference = ReferenceRun(g)
        var out = [UInt32](repeating: 0, count: g.keys.count)
        var rounds: [Result] = []
        for _ in 0..<3 {
            var passes = 0
            var fast = Duration.zero
            out.withUnsafeMutableBufferPointer { o in
                while fast < .milliseconds(5) {
                    let s = clock.now
                    g.runRegion(count: g.keys.count, o, single: false)
                    fast += clock.now - s
                    passes += 1
                }
            }
            let s = clock.now
            reference.run(count: g.referenceCount)
            let ref = clock.now - s
            let f = fast.seconds * 1e9 / Double(passes * g.keys.count)
            let r = ref.seconds * 1e9 / Double(g.referenceCount)
            rounds.append(Result(fastNanoseconds: f, referenceNanoseconds: r, ratio: r / f))
        }
        return rounds.sorted { $0.ratio < $1.ratio }[1]
    }
}

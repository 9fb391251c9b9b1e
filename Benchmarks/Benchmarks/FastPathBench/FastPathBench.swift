// The Swift fast path per rule count (10, 100, 1K, 10K, 100K; BenchEnvironment) on the ClassBench
// profiles: classification only, one core, the trace pre-loaded as packet keys, no-locality order.
//   FastPath/<set>/<rules>/batch   classifyPoints over the whole trace (groups of 8)
//   FastPath/<set>/<rules>/single  classifyPoint, one packet per call
// ps/packet is the loop's own time per header (wall clock over the trace). The malloc counter must
// not grow with the trace (no allocation per packet; scripts/bench's gate checks that exactly).
// Every answer is checked against the trace's expected index once before timing; a mismatch aborts.

import Benchmark
import BenchSupport

let benchmarks: @Sendable () -> Void = {
    guard BenchEnvironment.mayRun("FastPathBench") else { return }
    let perPacket = BenchmarkMetric.custom("ps/packet", polarity: .prefersSmaller, useScalingFactor: false)
    for rules in BenchEnvironment.ruleCounts {
        for set in BenchEnvironment.sets {
            let budget = BenchEnvironment.budget(rules: rules, seconds: 3, iterations: 30)
            let config = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, perPacket], scalingFactor: .one,
                                                 maxDuration: budget.maxDuration, maxIterations: budget.maxIterations)
            Benchmark("FastPath/\(set)/\(rules)/batch", configuration: config) { b in
                let w = WorkloadCache.compiled(set: set, rules: rules)
                var results = [UInt32](repeating: 0, count: w.keys.count)
                let clock = ContinuousClock()
                b.startMeasurement()
                for _ in b.scaledIterations {
                    let start = clock.now
                    w.keys.withUnsafeBufferPointer { k in
                        results.withUnsafeMutableBufferPointer { w.classifier.classifyPoints(chain: w.chain, endpoint: w.endpoint, keys: k, into: $0) }
                    }
                    b.measurement(perPacket, Int((clock.now - start).seconds * 1e12 / Double(max(w.keys.count, 1))))
                }
                b.stopMeasurement()
                blackHole(results.first)
            } setup: {
                _ = WorkloadCache.compiled(set: set, rules: rules)
            }
            Benchmark("FastPath/\(set)/\(rules)/single", configuration: config) { b in
                let w = WorkloadCache.compiled(set: set, rules: rules)
                var acc: UInt32 = 0
                let clock = ContinuousClock()
                b.startMeasurement()
                for _ in b.scaledIterations {
                    let start = clock.now
                    w.keys.withUnsafeBufferPointer { k in
                        for key in k { acc &+= w.classifier.classifyPoint(chain: w.chain, endpoint: w.endpoint, key: key) }
                    }
                    b.measurement(perPacket, Int((clock.now - start).seconds * 1e12 / Double(max(w.keys.count, 1))))
                }
                b.stopMeasurement()
                blackHole(acc)
            } setup: {
                _ = WorkloadCache.compiled(set: set, rules: rules)
            }
        }
    }
}

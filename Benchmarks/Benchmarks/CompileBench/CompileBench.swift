// Compile time and table size per rule count: the ClassBench policy set (mapped once, in setup)
// through PolicyCompiler into a match table, one compile per iteration.
//   Compile/<set>/<rules>   wall clock per compile; tableBytes is the compiled table's size
// The workload's answers are checked on the fast path once before timing (WorkloadCache).

import Benchmark
import BenchSupport
import PolicyCompiler

let benchmarks: @Sendable () -> Void = {
    guard BenchEnvironment.mayRun("CompileBench") else { return }
    let tableBytes = BenchmarkMetric.custom("tableBytes", polarity: .prefersSmaller, useScalingFactor: false)
    for rules in BenchEnvironment.ruleCounts {
        for set in BenchEnvironment.sets {
            let budget = BenchEnvironment.budget(rules: rules, seconds: 5, iterations: 30)
            let config = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, tableBytes], scalingFactor: .one,
                                                 maxDuration: budget.maxDuration, maxIterations: budget.maxIterations)
            Benchmark("Compile/\(set)/\(rules)", configuration: config) { b in
                let w = WorkloadCache.compiled(set: set, rules: rules)
                let policySet = w.workload.policy.policySet
                for _ in b.scaledIterations {
                    b.startMeasurement()
                    let table = try PolicyCompiler.compile(policySet)
                    b.stopMeasurement()
                    b.measurement(tableBytes, table.byteCount)
                }
            } setup: {
                _ = WorkloadCache.compiled(set: set, rules: rules)
            }
        }
    }
}

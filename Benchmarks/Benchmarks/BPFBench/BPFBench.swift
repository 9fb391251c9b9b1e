// BPF ns per packet per rule count through BPF_PROG_TEST_RUN (issue 5 item 6), and the maps'
// memory. Privileged: without the capability to load programs every benchmark is skipped with
// BPFCapabilities' reason. The kernel times every run itself (BPFWorkload explains what runs).
//   BPF/<set>/<rules>/hot     one header per iteration, repeated `hotRepeat` times in one test
//                             run (cycling over 16 headers spread across the trace)
//   BPF/<set>/<rules>/varied  up to 4,096 different headers, one test run each, mean per header
// Custom metrics: ns/packet (the kernel's mean) and mapBytes (table-derived maps, both
// generations, 25% headroom as BPFTablePlane loads them by default). Targets
// (../shared/docs/PERFORMANCE.md §6): hot 60/80/120 ns at 1K/10K/100K, maps <= 64 MB at 100K.

import Benchmark
import BenchSupport

/// Repetitions per hot test run: long enough that the kernel's timer granularity is noise.
let hotRepeat = 20_000
let variedHeaders = 4_096
let hotHeaders = 16

let benchmarks: @Sendable () -> Void = {
    guard BenchEnvironment.mayRun("BPFBench") else { return }
    if let why = BPFWorkload.unavailableReason {
        print("BPFBench: skipped: \(why)")
        return
    }
    let nsPerPacket = BenchmarkMetric.custom("ns/packet", polarity: .prefersSmaller, useScalingFactor: false)
    let mapBytes = BenchmarkMetric.custom("mapBytes", polarity: .prefersSmaller, useScalingFactor: false)
    for rules in BenchEnvironment.ruleCounts {
        for set in BenchEnvironment.sets {
            let budget = BenchEnvironment.budget(rules: rules, seconds: 4, iterations: 40)
            let config = Benchmark.Configuration(metrics: [nsPerPacket, mapBytes], scalingFactor: .one,
                                                 maxDuration: budget.maxDuration, maxIterations: budget.maxIterations)
            Benchmark("BPF/\(set)/\(rules)/hot", configuration: config) { b in
                let bpf = BPFCache.loaded(set: set, rules: rules)
                let n = bpf.frames.count
                for _ in b.scaledIterations {
                    let i = (bpf.nextHot() % hotHeaders) * max(1, n / hotHeaders) % n
                    let ns = try bpf.run(i, repeat: hotRepeat).nanoseconds
                    b.measurement(nsPerPacket, Int(ns))
                    b.measurement(mapBytes, bpf.mapBytes)
                }
            } setup: {
                _ = BPFCache.loaded(set: set, rules: rules)
            }
            Benchmark("BPF/\(set)/\(rules)/varied", configuration: config) { b in
                let bpf = BPFCache.loaded(set: set, rules: rules)
                let n = bpf.frames.count, m = min(n, variedHeaders)
                for _ in b.scaledIterations {
                    var total = 0
                    for k in 0..<m { total += Int(try bpf.run(k * n / m).nanoseconds) }
                    b.measurement(nsPerPacket, total / max(m, 1))
                    b.measurement(mapBytes, bpf.mapBytes)
                }
            } setup: {
                _ = BPFCache.loaded(set: set, rules: rules)
            }
        }
    }
}

// Reload time per rule count: a table and the same table with its last rule removed (a one-rule
// policy change), alternated, so every iteration applies a real change.
//   Reload/<set>/<rules>/bpf    BPFTablePlane.reload: the inactive generation written (stale LPM
//                               keys deleted, arrays batched, hits zeroed) and the vd_cfg flip;
//                               skipped with BPFCapabilities' reason where BPF cannot load
//   Reload/<set>/<rules>/swift  the Swift side: PolicyCompiler.compile + Classifier(table) + the
//                               swap of the live classifier reference
// Before timing, A's answers are checked on the fast path (WorkloadCache) and, for bpf, on every
// header through the kernel after reloads A → B → A.

import Benchmark
import BenchSupport
import BPFDataPlane
import ClassBench
import Classifier
import Foundation
import MatchTable
import PolicyCompiler

let benchmarks: @Sendable () -> Void = {
    guard BenchEnvironment.mayRun("ReloadBench") else { return }
    let bpfUnavailable = BPFWorkload.unavailableReason
    if let why = bpfUnavailable { print("ReloadBench: BPF reloads skipped: \(why)") }
    for rules in BenchEnvironment.ruleCounts {
        for set in BenchEnvironment.sets {
            let budget = BenchEnvironment.budget(rules: rules, seconds: 4, iterations: 30)
            let config = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one,
                                                 maxDuration: budget.maxDuration, maxIterations: budget.maxIterations)
            if bpfUnavailable == nil {
                Benchmark("Reload/\(set)/\(rules)/bpf", configuration: config) { b in
                    let pair = ReloadPair.loaded(set: set, rules: rules)
                    for _ in b.scaledIterations {
                        let next = pair.flipTarget()
                        b.startMeasurement()
                        try pair.bpf.plane.reload(next, endpoint: UInt32(pair.endpoint(of: next)))
                        b.stopMeasurement()
                    }
                } setup: {
                    ReloadPair.loaded(set: set, rules: rules).checkBPF()
                }
            }
            Benchmark("Reload/\(set)/\(rules)/swift", configuration: config) { b in
                let pair = ReloadPair.loaded(set: set, rules: rules)
                let live = LiveClassifier(pair.a.classifier)
                var useB = true
                for _ in b.scaledIterations {
                    let policySet = useB ? pair.policyB.policySet : pair.a.workload.policy.policySet
                    useB.toggle()
                    b.startMeasurement()
                    let table = try PolicyCompiler.compile(policySet)
                    live.swap(Classifier(table))
                    b.stopMeasurement()
                }
                blackHole(live.current)
            } setup: {
                _ = ReloadPair.loaded(set: set, rules: rules)
            }
        }
    }
}

/// The classifier packets use, replaced whole under a lock: what a long-running process swaps
/// after compiling a new policy set (readers take the reference, never a half-built table).
final class LiveClassifier: @unchecked Sendable {
    private var classifier: Classifier
    private let lock = NSLock()
    init(_ c: Classifier) { classifier = c }
    var current: Classifier { lock.withLock { classifier } }
    func swap(_ c: Classifier) { lock.withLock { classifier = c } }
}

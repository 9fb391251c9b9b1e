// Placeholder suite until the benchmark issue: the reference evaluator and selector matching on the
// zero-trust example. It prints its workload first, and warns loudly in a debug build.

import Benchmark
import Foundation
import PolicyModel
import ReferenceEvaluator
import Selectors

let benchmarks: @Sendable () -> Void = {
    #if DEBUG
    print("WARNING: benchmarks built in debug mode; figures are meaningless. Use `swift package benchmark` (release).")
    #endif
    let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/zero-trust-k8s").path
    print("workload: examples/zero-trust-k8s (policies, inventory and probes.json); seed: none (fixed input)")
    guard let loaded = try? ResourceLoader.load([.init(examples)], recursive: false),
          let set = try? PolicySet.resolve(loaded),
          let probes = try? ProbeLoader.load(path: examples + "/probes.json") else {
        print("error: cannot load \(examples)")
        return
    }
    let evaluator = ReferenceEvaluator(set)
    let resolved = probes.compactMap { try? evaluator.resolve($0) }
    let selector = try! Selector(parsing: "app == 'frontend' && env in {'prod', 'staging'} || has(tier)")
    let labels = ["app": "frontend", "env": "prod", "tier": "web"]

    Benchmark("ReferenceEvaluator/zero-trust-probes", configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal])) { b in
        for _ in b.scaledIterations {
            for r in resolved { blackHole(evaluator.evaluate(r.packet, from: r.source, to: r.destination).verdict) }
        }
    }
    Benchmark("Selector/matches", configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal])) { b in
        for _ in b.scaledIterations { blackHole(selector.matches(labels)) }
    }
}

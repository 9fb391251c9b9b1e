// The reference evaluator on a workload's first headers, answers checked (the ratio gate compares
// the fast path with the oracle, and a wrong oracle run proves nothing).

import BenchSupport
import ClassBench

struct ReferenceRun {
    let g: GateWorkload
    let engine: ClassBenchReferenceEngine

    init(_ g: GateWorkload) {
        self.g = g
        engine = ClassBenchReferenceEngine(g.compiled.workload.policy)
    }

    func run(count: Int) {
        var out = [Int32](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { gateRegionReference(engine, g.compiled, count: count, $0) }
        for i in 0..<count where out[i] != g.compiled.workload.expected[i] {
            BenchFailure.abort("\(g.name): reference evaluator: header \(i): expected rule \(g.compiled.workload.expected[i]), got \(out[i])")
        }
    }
}

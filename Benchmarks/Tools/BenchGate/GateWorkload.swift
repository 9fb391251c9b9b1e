// What the gate measures of one workload, and how many headers each measurement takes: enough
// that per-packet figures are stable, few enough that callgrind (about 50× slower) stays quick.
// The gate runs on the committed ClassBench files, never the generator: a generator change must
// not silently change the headers the baseline was measured on.

import BenchSupport
import ClassBench
import Classifier

struct GateWorkload {
    let compiled: CompiledWorkload
    /// Headers through the fast-path regions (the first ones of the workload's trace).
    let keys: [PacketKey]
    /// Headers through the reference evaluator (it takes about 250 µs each at 1K rules).
    let referenceCount: Int

    static let fastPathHeaders = 2_048
    static let referenceHeaders = 64

    init(set: String, rules: Int) {
        compiled = WorkloadCache.compiled(set: set, rules: rules, source: .committed)
        keys = Array(compiled.keys.prefix(Self.fastPathHeaders))
        referenceCount = min(compiled.keys.count, Self.referenceHeaders)
        if keys.count < 2 { BenchFailure.abort("\(compiled.workload.name): only \(keys.count) headers, too few to measure") }
    }

    var name: String { compiled.workload.name }

    /// One region (batch or one packet per call) over the first `count` keys.
    func runRegion(count: Int, _ out: UnsafeMutableBufferPointer<UInt32>, single: Bool) {
        keys.withUnsafeBufferPointer { k in
            let part = UnsafeBufferPointer(rebasing: k[0..<count])
            let o = UnsafeMutableBufferPointer(rebasing: out[0..<count])
            if single { gateRegionSingle(compiled, part, o) } else { gateRegionBatch(compiled, part, o) }
        }
    }

    /// `runRegion`, then its answers checked: a region that is fast because it is wrong must not
    /// pass the gate.
    func runChecked(count: Int, _ out: UnsafeMutableBufferPointer<UInt32>, single: Bool) {
        runRegion(count: count, out, single: single)
        for i in 0..<count where compiled.answer(out[i]) != compiled.workload.expected[i] {
            BenchFailure.abort("\(name): header \(i): expected rule \(compiled.workload.expected[i]), got \(compiled.answer(out[i]))")
        }
    }
}

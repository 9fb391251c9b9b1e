// The measured regions: the only code whose instructions (callgrind) and allocations (the malloc
// interposer) the gate counts. Their names all contain "gateRegion", the pattern callgrind's
// --zero-before/--dump-after select on (InstructionCount.swift), so keep them @inline(never) and
// keep that word out of every other symbol of this target.

import BenchSupport
import ClassBench
import Classifier

/// Set by `--inject-allocation` (scripts/bench --self-test): one heap allocation per packet inside
/// the batch region, the regression the allocation gate exists to catch. The array escapes into
/// `injectionSink` so the optimizer cannot put it on the stack.
nonisolated(unsafe) var injectAllocation = false
nonisolated(unsafe) var injectionSink: [UInt8] = []

@inline(never)
func gateRegionBatch(_ w: CompiledWorkload, _ keys: UnsafeBufferPointer<PacketKey>, _ out: UnsafeMutableBufferPointer<UInt32>) {
    w.classifier.classifyPoints(chain: w.chain, endpoint: w.endpoint, keys: keys, into: out)
    if injectAllocation {
        for i in 0..<keys.count { injectionSink = [UInt8](repeating: UInt8(truncatingIfNeeded: out[i]), count: 16) }
    }
}

@inline(never)
func gateRegionSingle(_ w: CompiledWorkload, _ keys: UnsafeBufferPointer<PacketKey>, _ out: UnsafeMutableBufferPointer<UInt32>) {
    for i in 0..<keys.count { out[i] = w.classifier.classifyPoint(chain: w.chain, endpoint: w.endpoint, key: keys[i]) }
}

@inline(never)
func gateRegionReference(_ engine: ClassBenchReferenceEngine, _ w: CompiledWorkload, count: Int, _ out: UnsafeMutableBufferPointer<Int32>) {
    for i in 0..<count { out[i] = engine.classify(w.workload.packets[i]) }
}

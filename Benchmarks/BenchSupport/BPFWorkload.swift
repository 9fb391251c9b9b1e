// A compiled workload in the kernel: the TC object's maps filled by BPFTablePlane, the subject pod
// enforced in endpoint mode through vd_tc_egress (traffic leaving the host towards the pod, so
// the pod's ingress chain, as `verdict bench classbench --engine bpf` runs it), every header as
// one Ethernet frame. Every frame's answer is checked once through BPF_PROG_TEST_RUN before timing.
//
// Both timings are the kernel's own (BPF_PROG_TEST_RUN's duration: the program only, no system
// call): hot repeats one frame `repeat` times in one test run; varied runs each header once.
// The program also does conntrack and hit counting: a repeated allowed frame is a tracked flow
// from its second run on, so the hot figure is classification plus a conntrack hit; a denied
// frame is classified and counted every time. Classification runs for every frame either way.

import Addresses
import BPFDataPlane
import BPFLoader
import ClassBench
import CVerdictABI
import MatchTable

public final class BPFWorkload: @unchecked Sendable {
    public let compiled: CompiledWorkload
    /// The table in the maps (`compiled.bpfTable()`: with rows) and its rules' ClassBench indices.
    public let table: MatchTable
    let classBenchOfRule: [Int32]
    public let plane: BPFTablePlane
    public let frames: [[UInt8]]
    public let loadSeconds: Double

    /// Why BPF benchmarks cannot run here, or nil.
    public static var unavailableReason: String? {
        let caps = BPFCapabilities.current
        return caps.canLoadPrograms ? nil : (caps.reason ?? "BPF programs cannot be loaded here")
    }

    public init(_ compiled: CompiledWorkload, headroom: Double = 0.25) throws(WorkloadError) {
        self.compiled = compiled
        CPUPinning.pinToCurrentCPU()
        table = try compiled.bpfTable()
        classBenchOfRule = CompiledWorkload.classBenchIndices(table, chain: compiled.chain, policy: compiled.workload.policy)
        let clock = ContinuousClock()
        let start = clock.now
        do throws(BPFError) {
            plane = try BPFTablePlane(table, object: .tc, mode: VD_MODE_ENDPOINT, endpoint: UInt32(compiled.endpoint),
                                      headroom: headroom, conntrackEntries: 1 << 18)
        } catch {
            throw WorkloadError("\(compiled.workload.name): loading the table into BPF maps: \(error)")
        }
        loadSeconds = (clock.now - start).seconds
        frames = compiled.workload.packets.enumerated().map { i, p in
            ClassBenchFrames.frame(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                       sourcePort: p.sourcePort, destinationPort: p.destinationPort, id: UInt16(truncatingIfNeeded: i))
        }
    }

    /// Bytes of the table-derived maps at their loaded size (both generations, headroom included);
    /// conntrack, hit counters and vd_last are sized apart from the table and not counted.
    public var mapBytes: Int { BPFTableMap.allCases.reduce(0) { $0 + plane.capacity.bytes(of: $1) } }

    /// One test run of frame `i`: the ClassBench answer and the kernel's mean ns per repetition.
    public func run(_ i: Int, repeat count: Int = 1) throws(BPFError) -> (answer: Int32, nanoseconds: UInt32) {
        let r = try plane.run(frames[i], hook: .tcEgress, repeat: count)
        let points = r.policy.points
        guard points.count == 1, points[0].chain == UInt8(compiled.chain) else {
            throw BPFError(operation: "test run", errno: 0, message: "frame \(i): the kernel gave \(r.policy), not one point of the pod's ingress chain")
        }
        let rule = points[0].rule
        return (rule == VD_NONE ? -1 : classBenchOfRule[Int(rule)], r.durationNanoseconds)
    }

    /// Every frame once against the expected index; aborts the run on a mismatch. Conntrack is
    /// cleared afterwards so timing starts from the same state every time.
    public func check() {
        let w = compiled.workload
        do throws(BPFError) {
            for i in frames.indices {
                let a = try run(i).answer
                if a != w.expected[i] {
                    BenchFailure.abort("\(w.name): BPF: header \(i) (\(w.packets[i])): expected rule \(w.expected[i]), the kernel gave \(a)")
                }
            }
            try plane.clearConntrack()
        } catch {
            BenchFailure.abort("\(w.name): BPF: \(error)")
        }
    }
}

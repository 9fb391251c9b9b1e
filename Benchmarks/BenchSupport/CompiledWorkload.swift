// A workload compiled for the Swift fast path, with every answer checked once (batch and one
// packet per call) before anything is timed: a mismatch stops the run.

import ClassBench
import Classifier
import CVerdictABI
import MatchTable
import PolicyCompiler

public final class CompiledWorkload: @unchecked Sendable {
    public let workload: BenchWorkload
    public let table: MatchTable
    public let classifier: Classifier
    /// The subject pod's ingress chain and the pod's endpoint index: ClassBench's one policing point.
    public let chain: Int
    public let endpoint: Int
    public let keys: [PacketKey]
    /// The ClassBench index each rule of the chain stands for (-1: a default).
    public let classBenchOfRule: [Int32]
    public let compileSeconds: Double

    public init(_ workload: BenchWorkload) throws(WorkloadError) {
        self.workload = workload
        let clock = ContinuousClock()
        let start = clock.now
        do {
            table = try PolicyCompiler.compile(workload.policy.policySet, options: workload.termIndexOnly ? .termIndexOnly : CompileOptions())
        } catch {
            throw WorkloadError("\(workload.name): compile failed: \(error)")
        }
        compileSeconds = (clock.now - start).seconds
        classifier = Classifier(table)
        guard let c = table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS) else {
            throw WorkloadError("\(workload.name): the compiled table has no workload ingress chain")
        }
        chain = c
        endpoint = workload.policy.endpointIndex
        keys = workload.keys
        classBenchOfRule = Self.classBenchIndices(table, chain: c, policy: workload.policy)
    }

    public static func classBenchIndices(_ table: MatchTable, chain: Int, policy: ClassBenchPolicy) -> [Int32] {
        var names: [UInt32: String] = [:]
        return table.rules(chain: chain).map { r in
            guard r.origin == UInt8(VD_ORIGIN_POLICY.rawValue) else { return -1 }
            if names[r.policy] == nil { names[r.policy] = table.string(r.policy) }
            return policy.classBenchIndex(policy: names[r.policy]!, rule: Int(r.index))
        }
    }

    /// The table the BPF data plane needs: the same policy with bit-vector rows, which the
    /// compiler leaves out when their size bound passes 64 MiB, as at 100K ClassBench rules
    /// (DECISIONS 59; the Swift fast path then indexes the terms). Otherwise `table` itself.
    public func bpfTable() throws(WorkloadError) -> MatchTable {
        if table.hasBitVectors { return table }
        do {
            return try PolicyCompiler.compile(workload.policy.policySet, options: .bpf)
        } catch {
            throw WorkloadError("\(workload.name): compile with rows for BPF failed: \(error)")
        }
    }

    /// The ClassBench index of a deciding rule of the chain (VD_NONE: none).
    public func answer(_ rule: UInt32) -> Int32 { rule == VD_NONE ? -1 : classBenchOfRule[Int(rule)] }

    /// Every header through both fast-path entry points against the trace's expected index.
    public func checkFastPath() {
        var out = [UInt32](repeating: 0, count: keys.count)
        keys.withUnsafeBufferPointer { k in
            out.withUnsafeMutableBufferPointer { classifier.classifyPoints(chain: chain, endpoint: endpoint, keys: k, into: $0) }
        }
        for i in keys.indices {
            let single = classifier.classifyPoint(chain: chain, endpoint: endpoint, key: keys[i])
            if answer(out[i]) != workload.expected[i] || answer(single) != workload.expected[i] {
                BenchFailure.abort("\(workload.name): header \(i) (\(workload.packets[i])): expected rule \(workload.expected[i]), "
                                   + "batch gave \(answer(out[i])), single gave \(answer(single))")
            }
        }
    }
}

extension Duration {
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

// The two tables a reload benchmark alternates between: A (the workload) and B (A without its
// last rule), A checked, and A loaded into BPF maps with headroom for either. The BPF reloads use
// both compiled with rows (CompileOptions.bpf), which the BPF data plane needs at any size.

import BenchSupport
import BPFDataPlane
import ClassBench
import Classifier
import CVerdictABI
import Foundation
import MatchTable
import PolicyCompiler

final class ReloadPair: @unchecked Sendable {
    let a: CompiledWorkload
    let policyB: ClassBenchPolicy
    /// B compiled for BPF (with rows).
    let tableB: MatchTable
    private var bpfPlane: BPFWorkload?
    private var nextIsB = true

    static let memo = ProcessMemo<ReloadPair>()

    static func loaded(set: String, rules: Int) -> ReloadPair {
        memo.value("\(set)/\(rules)") {
            let a = WorkloadCache.compiled(set: set, rules: rules)
            do {
                let rulesB = Array(a.workload.rules.dropLast())
                let policyB = try ClassBenchPolicy(rules: rulesB, file: "\(a.workload.name) without its last rule")
                let tableB = try PolicyCompiler.compile(policyB.policySet, options: .bpf)
                print("\(a.workload.name): reload pair: A \(a.workload.rules.count) rules, B \(rulesB.count) rules "
                      + "(\(tableB.byteCount) bytes with rows, as BPF loads it)")
                return ReloadPair(a: a, policyB: policyB, tableB: tableB)
            } catch {
                BenchFailure.abort("\(a.workload.name): reload pair: \(error)")
            }
        }
    }

    private init(a: CompiledWorkload, policyB: ClassBenchPolicy, tableB: MatchTable) {
        self.a = a
        self.policyB = policyB
        self.tableB = tableB
    }

    /// The endpoint index of the subject pod in `table` (the same pod in both policy sets).
    func endpoint(of table: MatchTable) -> Int { table === tableB ? policyB.endpointIndex : a.endpoint }

    /// The plane, loaded on first use with A.
    var bpf: BPFWorkload {
        if let p = bpfPlane { return p }
        do {
            let p = try BPFWorkload(a)
            bpfPlane = p
            return p
        } catch {
            BenchFailure.abort("\(a.workload.name): BPF: \(error)")
        }
    }

    /// The table the next reload writes: B, A, B, …
    func flipTarget() -> MatchTable {
        defer { nextIsB.toggle() }
        return nextIsB ? tableB : bpf.table
    }

    /// Reload B then A, then every header through the kernel against A's expected answers.
    func checkBPF() {
        let p = bpf
        do {
            try p.plane.reload(tableB, endpoint: UInt32(policyB.endpointIndex))
            try p.plane.reload(p.table, endpoint: UInt32(a.endpoint))
        } catch {
            BenchFailure.abort("\(a.workload.name): BPF reload: \(error)")
        }
        p.check()
        print("\(a.workload.name): BPF: 0 mismatches on \(p.frames.count) headers after reloads A → B → A")
    }
}

// The committed baseline (Benchmarks/baselines/gate.json) and the comparison with a run.
//
// Fast-path instruction counts from callgrind are exact for a given binary and input (runs agree
// to the instruction); the reference evaluator's vary by about 0.1% run to run (its allocations
// land at different addresses). So the tolerance only has to absorb changes that are
// not regressions of what is measured: code layout and inlining shifts from edits elsewhere and
// toolchain updates. 2% still catches a small regression of the hot loop: a fast-path packet costs
// 355–480 instructions at 10–1K rules, so 2% is 7–10 more per packet, about one more lookup step.
// Counts that drop by more than the tolerance pass, with a request to refresh the baseline so
// the gain is kept.

import Foundation

struct GateRecord: Codable, Equatable {
    var set: String
    var rules: Int
    /// The workload's identity: a baseline measured on other headers is not comparable.
    var rulesInSet: Int
    var headers: Int
    var measuredHeaders: Int
    var referenceHeaders: Int
    /// batch, single, reference.
    var instructionsPerPacket: [String: Double]
    /// batch, single: informative (the gate's allocation rule is absolute: 0 per packet).
    var allocations: [String: AllocationResult]
    /// Informative: the same-run ratio has a fixed floor (WallRatio.floor), not a baseline.
    var wallRatio: WallRatio.Result?

    var key: String { "\(set)/\(rules)" }
    var identity: [Int] { [rulesInSet, headers, measuredHeaders, referenceHeaders] }
}

struct GateBaseline: Codable {
    var about = "Deterministic figures of scripts/bench's gate: callgrind instructions per packet and malloc counts of the fast path "
        + "and reference evaluator on ClassBench workloads. Refresh with scripts/bench --update-baseline (README, Regression suite)."
    var toolchain: String
    var valgrind: String
    var tolerance: Double
    var workloads: [GateRecord]

    static let defaultTolerance = 0.02

    static func load(_ path: String) throws -> GateBaseline {
        try JSONDecoder().decode(GateBaseline.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func save(_ path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try e.encode(self)
        data.append(0x0A)
        try data.write(to: URL(fileURLWithPath: path))
    }

    func record(_ key: String) -> GateRecord? { workloads.first { $0.key == key } }

    /// The baseline with `records` replacing those of the same workload.
    func merging(_ records: [GateRecord], toolchain: String, valgrind: String) -> GateBaseline {
        var out = self
        out.toolchain = toolchain
        out.valgrind = valgrind
        for r in records {
            if let i = out.workloads.firstIndex(where: { $0.key == r.key }) { out.workloads[i] = r } else { out.workloads.append(r) }
        }
        out.workloads.sort { ($0.set, $0.rules) < ($1.set, $1.rules) }
        return out
    }
}

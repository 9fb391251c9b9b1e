// Workloads are built once per process and shared by every benchmark that needs them: loading a
// trace and compiling 100K rules takes seconds, and the listing pass of the benchmark tool must not
// pay for it (benchmarks fetch their workload in setup, not at registration).

import Foundation

public enum WorkloadCache {
    private static let memo = ProcessMemo<CompiledWorkload>()

    /// The set at `rules` rules, compiled and checked on the fast path (printed banner first);
    /// aborts the run when the workload cannot be built or an answer is wrong.
    public static func compiled(set: String, rules: Int, source: BenchWorkload.Source = BenchWorkload.defaultSource) -> CompiledWorkload {
        memo.value("\(source)/\(set)/\(rules)") {
            do throws(WorkloadError) {
                let clock = ContinuousClock(), start = clock.now
                let w = try BenchWorkload.load(set: set, rules: rules, source: source)
                print(w.banner + " (made in \(String(format: "%.2f", (clock.now - start).seconds)) s)")
                let c = try CompiledWorkload(w)
                c.checkFastPath()
                print("\(w.name): \(w.rules.count) rules, \(w.packets.count) headers, 0 mismatches on the fast path (batch and single); "
                      + "compiled in \(String(format: "%.3f", c.compileSeconds)) s, table \(c.table.byteCount) bytes")
                return c
            } catch {
                BenchFailure.abort(error.description)
            }
        }
    }
}

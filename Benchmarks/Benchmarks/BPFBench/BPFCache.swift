// One loaded and checked BPF workload per process (setup and the benchmark closure share it).

import BenchSupport
import Foundation

enum BPFCache {
    static let memo = ProcessMemo<BPFWorkload>()

    static func loaded(set: String, rules: Int) -> BPFWorkload {
        memo.value("\(set)/\(rules)") {
            let c = WorkloadCache.compiled(set: set, rules: rules)
            do {
                let w = try BPFWorkload(c)
                w.check()
                print("\(c.workload.name): BPF: loaded in \(String(format: "%.3f", w.loadSeconds)) s, maps \(w.mapBytes) bytes "
                      + "(\(String(format: "%.1f", Double(w.mapBytes) / 1_048_576)) MiB, 2 generations, 25% headroom); "
                      + "0 mismatches on \(w.frames.count) headers through vd_tc_egress")
                return w
            } catch {
                BenchFailure.abort("\(c.workload.name): BPF: \(error)")
            }
        }
    }
}

extension BPFWorkload {
    nonisolated(unsafe) private static var hotCounter = 0
    /// Which of the hot headers the next iteration repeats.
    func nextHot() -> Int {
        defer { Self.hotCounter += 1 }
        return Self.hotCounter
    }
}

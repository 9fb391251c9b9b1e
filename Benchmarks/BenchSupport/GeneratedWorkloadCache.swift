// Generated ClassBench sets kept on disk between benchmark processes. ordo-one runs every
// benchmark in its own process, and generating a 100K-rule set with the expected index of 100K
// headers (a linear first-match scan) takes about a minute here: without the cache the 21
// benchmarks of a 100K rule count would pay it 21 times.
//
// Files: <dir>/<profile>-<rules>-seed<seed>-<packets>-<fingerprint>.{rules,trace} with dir
// VERDICT_BENCH_CACHE (default .build-bench-workloads at the repository root, ignored by git).
// The fingerprint hashes a tiny workload of the generator (10 rules, 200 headers, the same seed):
// a change to the generator changes it, so stale files are never read (and never deleted: remove
// the directory to reclaim the space).

import ClassBench
import Foundation
import PolicyModel
import Workloads

enum GeneratedWorkloadCache {
    static var directory: String {
        ProcessInfo.processInfo.environment["VERDICT_BENCH_CACHE"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build-bench-workloads").path
    }

    /// The rules and trace of `profile` at `rules` rules: read from the cache, or generated and written.
    static func rulesAndTrace(_ profile: ClassBenchProfile, rules: Int, seed: UInt64, packets: Int) -> (rules: [ClassBenchRule], trace: ClassBenchTrace, cached: Bool) {
        let tiny = Workloads.ClassBenchWorkload(profile: profile, ruleCount: 10, packets: 200, seed: seed)
        let fingerprint = String(fnv1a(tiny.rulesText + tiny.traceText), radix: 16)
        let base = "\(directory)/\(profile.rawValue)-\(rules)-seed\(seed)-\(packets)-\(fingerprint)"
        let rulesPath = base + ".rules", tracePath = base + ".trace"
        if FileManager.default.fileExists(atPath: rulesPath) && FileManager.default.fileExists(atPath: tracePath) {
            do throws(InputError) {
                let r = try ClassBenchRuleFile.load(path: rulesPath)
                let t = try ClassBenchTrace.read(path: tracePath)
                if r.count == rules && t.count == packets { return (r, t, true) }
            } catch {
                print("note: ignoring the cached workload \(base): \(error)")
            }
        }
        let w = Workloads.ClassBenchWorkload(profile: profile, ruleCount: rules, packets: packets, seed: seed)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try w.write(rulesTo: rulesPath, traceTo: tracePath)
        } catch {
            print("note: cannot cache the workload in \(directory): \(error)")
        }
        return (w.rules, w.trace, false)
    }

    /// 64-bit FNV-1a: stable across processes and runs (Swift's Hasher is seeded per process).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return h
    }
}

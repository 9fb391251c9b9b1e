// What a benchmark run covers, from the environment, so one build serves the full suite, the
// quick gate and a developer's narrow run without recompiling:
//   VERDICT_BENCH_RULES=10,100,1000   rule counts (default 10,100,1000,10000,100000; quick 10,100,1000)
//   VERDICT_BENCH_SETS=acl1,fw1       ClassBench profiles (default acl1,fw1,ipc1)
//   VERDICT_BENCH_QUICK=1             fewer iterations and the quick rule counts (scripts/bench --quick)
//   VERDICT_BENCH_ALLOW_DEBUG=1       run even in a debug build (figures are then meaningless)

import Foundation

public enum BenchEnvironment {
    public static let allRuleCounts = [10, 100, 1_000, 10_000, 100_000]
    public static let quickRuleCounts = [10, 100, 1_000]
    public static let allSets = ["acl1", "fw1", "ipc1"]
    /// The gate's sets: the three, and acl1 compiled without rows, so that the term index (the
    /// form of tables past the 64 MiB rows bound, DECISIONS 59) is gated too.
    public static let gateSets = allSets + ["acl1" + BenchWorkload.termIndexSuffix]

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    public static var isQuick: Bool { environment["VERDICT_BENCH_QUICK"].map { $0 != "0" && !$0.isEmpty } ?? false }

    public static var ruleCounts: [Int] {
        if let list = environment["VERDICT_BENCH_RULES"], !list.isEmpty {
            return list.split(separator: ",").map { s in
                guard let n = Int(s.trimmingCharacters(in: .whitespaces)), n > 0 else {
                    BenchFailure.abort("VERDICT_BENCH_RULES: '\(s)' is not a positive rule count")
                }
                return n
            }
        }
        return isQuick ? quickRuleCounts : allRuleCounts
    }

    public static var sets: [String] {
        if let list = environment["VERDICT_BENCH_SETS"], !list.isEmpty {
            return list.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        return allSets
    }

    /// Iteration budget of one benchmark: the full suite's, divided down for --quick. Big rule
    /// counts get fewer iterations, so a 100K-rule compile (seconds each) cannot stretch the suite.
    public static func budget(rules: Int, seconds: Int, iterations: Int) -> (maxDuration: Duration, maxIterations: Int) {
        var s = seconds, i = iterations
        if rules >= 100_000 { s = min(s, 10); i = min(i, 5) } else if rules >= 10_000 { i = min(i, 20) }
        if isQuick { s = max(1, s / 3); i = max(3, i / 3) }
        return (.seconds(s), i)
    }

    /// False in a debug build unless VERDICT_BENCH_ALLOW_DEBUG is set: debug figures are 10–50×
    /// off and would poison a baseline, so the suites register nothing and say why, loudly.
    public static func mayRun(_ suite: String) -> Bool {
        #if DEBUG
        let banner = String(repeating: "!", count: 78)
        if environment["VERDICT_BENCH_ALLOW_DEBUG"] == nil {
            FileHandle.standardError.write(Data("""
                \(banner)
                \(suite): REFUSING to run in a DEBUG build: the figures would be meaningless.
                Use `swift package benchmark` (release) or scripts/bench; set VERDICT_BENCH_ALLOW_DEBUG=1 to override.
                \(banner)\n
                """.utf8))
            return false
        }
        FileHandle.standardError.write(Data("\(banner)\n\(suite): WARNING: DEBUG build, figures are meaningless\n\(banner)\n".utf8))
        #endif
        return true
    }
}

public enum BenchFailure {
    /// Stops the whole run: a benchmark whose answers are wrong must not report a speed.
    public static func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(1)
    }
}

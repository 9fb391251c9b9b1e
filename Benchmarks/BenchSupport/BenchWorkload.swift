// A ClassBench rule set at one rule count with its trace: every header carries the index of the
// first rule it matches, so every answer of every engine can be checked before it is timed.
//
// Two sources (VERDICT_BENCH_SOURCE):
//   generated (default)  the Workloads module's seeded ClassBench-shaped generator (acl, fw, ipc
//                        profiles, any count from 10 to 100K rules) and its no-locality trace,
//                        expected index by linear first-match scan; seed VERDICT_BENCH_SEED
//                        (default 1, as `verdict bench`), VERDICT_BENCH_PACKETS headers (default 100,000)
//   committed            the fixed 1K sets in Benchmarks/classbench; smaller counts take the first
//                        N rules and the headers whose expected first match is among them (a
//                        header whose first match is past N would be a miss in the prefix, and
//                        nearly all of a 10-rule set's would be). Up to 1K rules only. The gate
//                        uses these: fixed bytes cannot move its baseline.
// Either way, headers a Calico rule cannot answer (ports on a protocol without ports whose
// expected rule restricts them: DECISIONS 21) are left out, as `verdict bench classbench` leaves
// them uncompared.

import ClassBench
import Classifier
import Foundation
import PolicyModel
import ReferenceEvaluator
import Workloads

public struct BenchWorkload: Sendable {
    public enum Source: String, Sendable { case generated, committed }

    /// The ClassBench profile: acl1, fw1 or ipc1, with ``termIndexSuffix`` for the term-index form.
    public let set: String
    /// Rules asked for (a committed set may hold fewer: `rules.count` is what runs).
    public let ruleCount: Int
    /// Where the rules and headers come from.
    public let origin: String
    public let seed: String
    public let rules: [ClassBenchRule]
    public let policy: ClassBenchPolicy
    /// The headers as packets arriving at the subject pod, and the expected ClassBench index of each.
    public let packets: [Packet]
    public let expected: [Int32]

    public var name: String { "\(set)/\(ruleCount)" }

    /// The line every benchmark prints before anything else.
    public var banner: String {
        "workload: ClassBench \(set) at \(ruleCount) rules (\(rules.count) in the set, \(packets.count) headers): \(origin); seed: \(seed)"
    }

    /// Fast-path keys of the headers (ClassBench headers carry no ICMP type).
    public var keys: [PacketKey] {
        packets.map { p in
            PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                      sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: nil, icmpCode: nil)
        }
    }

    public static var defaultSource: Source {
        ProcessInfo.processInfo.environment["VERDICT_BENCH_SOURCE"].flatMap(Source.init(rawValue:)) ?? .generated
    }

    public static var seedValue: UInt64 { ProcessInfo.processInfo.environment["VERDICT_BENCH_SEED"].flatMap { UInt64($0) } ?? 1 }

    public static var packetCount: Int { ProcessInfo.processInfo.environment["VERDICT_BENCH_PACKETS"].flatMap { Int($0) } ?? 100_000 }

    public static var classBenchDirectory: String {
        ProcessInfo.processInfo.environment["VERDICT_CLASSBENCH_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("classbench").path
    }

    /// The set at `ruleCount` rules from `source`, or a message saying why it cannot be had.
    ///
    /// A set named with ``termIndexSuffix`` (`acl1+index`) is the same set compiled without bit-vector
    /// rows, so that its fast-path regions run the term index, the form of 100K-rule tables.
    public static func load(set: String, rules ruleCount: Int, source: Source = defaultSource) throws(WorkloadError) -> BenchWorkload {
        if set.hasSuffix(termIndexSuffix) {
            let w = try load(set: String(set.dropLast(termIndexSuffix.count)), rules: ruleCount, source: source)
            return BenchWorkload(set: set, ruleCount: ruleCount, origin: w.origin + "; compiled without rows (term index)", seed: w.seed,
                                 rules: w.rules, policy: w.policy, packets: w.packets, expected: w.expected)
        }
        switch source {
        case .generated: return try generated(set: set, rules: ruleCount, seed: seedValue, packets: packetCount)
        case .committed: return try committed(set: set, rules: ruleCount)
        }
    }

    /// Marks a set to be compiled without rows: see ``load(set:rules:source:)``.
    public static let termIndexSuffix = "+index"

    /// Whether the set is compiled without rows.
    public var termIndexOnly: Bool { self.set.hasSuffix(Self.termIndexSuffix) }

    static func generated(set: String, rules ruleCount: Int, seed: UInt64, packets count: Int) throws(WorkloadError) -> BenchWorkload {
        guard let profile = ClassBenchProfile.allCases.first(where: { "\($0.rawValue)1" == set }) else {
            throw WorkloadError("no ClassBench profile \(set) (acl1, fw1, ipc1)")
        }
        guard count > 0 else { throw WorkloadError("VERDICT_BENCH_PACKETS must be positive") }
        let w = GeneratedWorkloadCache.rulesAndTrace(profile, rules: ruleCount, seed: seed, packets: count)
        let origin = "Workloads' \(profile.rawValue) generator (from \(profile.seedName)), \(count) no-locality headers"
            + (w.cached ? " (cached: \(w.trace.file))" : "")
        return try make(set: set, ruleCount: ruleCount, origin: origin, seed: "\(seed)", rules: w.rules, trace: w.trace, file: w.trace.file)
    }

    static func committed(set: String, rules ruleCount: Int) throws(WorkloadError) -> BenchWorkload {
        let dir = classBenchDirectory
        let rulesPath = "\(dir)/\(set)_1k.rules", tracePath = "\(dir)/\(set)_1k.trace.gz"
        guard ruleCount <= 1_000 else {
            throw WorkloadError("\(set) at \(ruleCount) rules: the committed sets stop at 1K (\(rulesPath)); use the generated source")
        }
        let all: [ClassBenchRule], trace: ClassBenchTrace
        do throws(InputError) {
            all = try ClassBenchRuleFile.load(path: rulesPath)
            trace = try ClassBenchTrace.read(path: tracePath)
        } catch {
            throw WorkloadError("\(set) at \(ruleCount) rules: \(error)")
        }
        let rules = Array(all.prefix(ruleCount))
        let origin = rules.count == all.count
            ? "\(rulesPath), \(tracePath)"
            : "the first \(rules.count) rules of \(rulesPath); the headers of \(tracePath) whose expected first match is among them"
        return try make(set: set, ruleCount: ruleCount, origin: origin, seed: "none (fixed files)", rules: rules, trace: trace, file: rulesPath)
    }

    /// The mapped policy and the headers it can answer (expected first match among `rules`).
    static func make(set: String, ruleCount: Int, origin: String, seed: String, rules: [ClassBenchRule], trace: ClassBenchTrace,
                     file: String) throws(WorkloadError) -> BenchWorkload {
        let policy: ClassBenchPolicy
        do throws(InputError) { policy = try ClassBenchPolicy(rules: rules, file: file) } catch {
            throw WorkloadError("\(set) at \(ruleCount) rules: \(error)")
        }
        var packets: [Packet] = [], expected: [Int32] = []
        packets.reserveCapacity(trace.count)
        expected.reserveCapacity(trace.count)
        for i in 0..<trace.count where trace.expected[i] < Int32(rules.count) {
            let e = Int(trace.expected[i])
            if e >= 0 && !ClassBench.isPortProtocol(trace.protocolNumber[i]) && policy.portDependent[e] { continue }
            packets.append(policy.packet(trace, i))
            expected.append(trace.expected[i])
        }
        return BenchWorkload(set: set, ruleCount: ruleCount, origin: origin, seed: seed, rules: rules, policy: policy,
                             packets: packets, expected: expected)
    }
}

public struct WorkloadError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

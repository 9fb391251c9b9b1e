// A ClassBench rule set at one rule count with its trace: every header carries the index of the
// first rule it matches, so every answer of every engine can be checked before it is timed.
//
// Source: the committed 1K sets in Benchmarks/classbench (fixed files, no seed). Smaller counts
// take the first N rules and keep the headers whose expected first match is among them (a header
// whose first match is rule k >= N matches no rule of the prefix: kept, nearly every header of a
// 10-rule set would be a miss, which is not the workload a rule count stands for).

import ClassBench
import Classifier
import Foundation
import PolicyModel
import ReferenceEvaluator

public struct BenchWorkload: Sendable {
    /// The ClassBench profile: acl1, fw1 or ipc1.
    public let set: String
    /// Rules asked for (the file may hold fewer: `rules.count` is what runs).
    public let ruleCount: Int
    /// Where the rules and headers come from, and the seed when generated.
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

    public static var classBenchDirectory: String {
        ProcessInfo.processInfo.environment["VERDICT_CLASSBENCH_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("classbench").path
    }

    /// The set at `ruleCount` rules, or a message saying why it cannot be had.
    public static func load(set: String, rules ruleCount: Int) throws(WorkloadError) -> BenchWorkload {
        let dir = classBenchDirectory
        let rulesPath = "\(dir)/\(set)_1k.rules", tracePath = "\(dir)/\(set)_1k.trace.gz"
        guard ruleCount <= 1_000 else {
            throw WorkloadError("\(set) at \(ruleCount) rules: only the committed 1K sets are available (\(rulesPath))")
        }
        do throws(InputError) {
            let all = try ClassBenchRuleFile.load(path: rulesPath)
            let rules = Array(all.prefix(ruleCount))
            let trace = try ClassBenchTrace.read(path: tracePath)
            let policy = try ClassBenchPolicy(rules: rules, file: rulesPath)
            var packets: [Packet] = [], expected: [Int32] = []
            for i in 0..<trace.count where trace.expected[i] < Int32(rules.count) {
                // Headers a Calico rule cannot answer (ports on a portless protocol) are not compared anywhere.
                let e = Int(trace.expected[i])
                if e >= 0 && !ClassBench.isPortProtocol(trace.protocolNumber[i]) && policy.portDependent[e] { continue }
                packets.append(policy.packet(trace, i))
                expected.append(trace.expected[i])
            }
            let origin = rules.count == all.count
                ? "\(rulesPath), \(tracePath) (every representable header)"
                : "the first \(rules.count) rules of \(rulesPath); the headers of \(tracePath) whose expected first match is among them"
            return BenchWorkload(set: set, ruleCount: ruleCount, origin: origin, seed: "none (fixed files)",
                                 rules: rules, policy: policy, packets: packets, expected: expected)
        } catch {
            throw WorkloadError("\(set) at \(ruleCount) rules: \(error)")
        }
    }
}

public struct WorkloadError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

// The three ClassBench profiles the generator imitates, each bootstrapped from its committed 1K seed
// set (ClassBenchSeeds.swift), and the field statistics Benchmarks/classbench/README.md tabulates for
// them: what a generated set is measured against (WorkloadsTests, `verdict bench`).

import ClassBench
import PolicyModel

/// acl1, fw1 or ipc1: the ClassBench seed whose shape a generated set takes.
public enum ClassBenchProfile: String, CaseIterable, Sendable {
    case acl
    case fw
    case ipc

    /// The seed set's name in Benchmarks/classbench.
    public var seedName: String { "\(rawValue)1_1k" }

    /// The seed set's rules, parsed once.
    public var seedRules: [ClassBenchRule] {
        switch self {
        case .acl: Self.acl1
        case .fw: Self.fw1
        case .ipc: Self.ipc1
        }
    }

    private static let acl1 = parse(ClassBenchSeedText.acl1, "acl1_1k")
    private static let fw1 = parse(ClassBenchSeedText.fw1, "fw1_1k")
    private static let ipc1 = parse(ClassBenchSeedText.ipc1, "ipc1_1k")

    private static func parse(_ text: String, _ name: String) -> [ClassBenchRule] {
        do throws(InputError) {
            return try ClassBenchRuleFile.parse(text, file: "<embedded \(name).rules>")
        } catch {
            // The texts are the committed files, checked by WorkloadsTests: this cannot happen.
            preconditionFailure("the embedded ClassBench seed \(name) does not parse: \(error)")
        }
    }
}

/// The field statistics of Benchmarks/classbench/README.md's table, for any rule list.
public struct ClassBenchStatistics: Equatable, Sendable, CustomStringConvertible {
    public var rules: Int
    /// Percentages of rules (0–100).
    public var sourceWildcard: Double
    public var destinationWildcard: Double
    public var protocolWildcard: Double
    /// Port ranges that are neither one port nor 0–65535.
    public var sourcePortTrueRanges: Double
    public var destinationPortTrueRanges: Double
    /// Distinct (source prefix length, destination prefix length) pairs.
    public var prefixLengthPairs: Int

    public init(_ rules: [ClassBenchRule]) {
        let n = Double(max(rules.count, 1))
        func percent(_ f: (ClassBenchRule) -> Bool) -> Double { Double(rules.lazy.filter(f).count) * 100 / n }
        func trueRange(_ r: ClosedRange<UInt16>) -> Bool { r.lowerBound != r.upperBound && r != ClassBenchRule.allPorts }
        self.rules = rules.count
        sourceWildcard = percent { $0.source.prefixLength == 0 }
        destinationWildcard = percent { $0.destination.prefixLength == 0 }
        protocolWildcard = percent { $0.protocolNumber == nil }
        sourcePortTrueRanges = percent { trueRange($0.sourcePorts) }
        destinationPortTrueRanges = percent { trueRange($0.destinationPorts) }
        prefixLengthPairs = Set(rules.map { $0.source.prefixLength * 64 + $0.destination.prefixLength }).count
    }

    public var description: String {
        func p(_ x: Double) -> String { "\((x * 10).rounded() / 10)%" }
        return "\(rules) rules: SA wildcard \(p(sourceWildcard)), DA wildcard \(p(destinationWildcard)), proto wildcard \(p(protocolWildcard)), "
            + "SP true ranges \(p(sourcePortTrueRanges)), DP true ranges \(p(destinationPortTrueRanges)), \(prefixLengthPairs) (SA len, DA len) pairs"
    }
}

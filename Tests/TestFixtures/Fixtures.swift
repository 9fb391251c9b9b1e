// Fixtures shared by the test targets that compare engines: where the fixture files are, how a
// conformance case becomes a policy set, and how probes become packet keys. One copy, so that
// the reference, the fast path, the BPF image model and the kernel are all asked the same thing.

import Addresses
import BPFImage
import Classifier
import Foundation
import MatchTable
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator

public enum Paths {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
    public static let conformance = fixtures.appendingPathComponent("conformance")
    public static let examples = packageRoot.appendingPathComponent("examples")
    public static let captures = packageRoot.appendingPathComponent("captures")
    /// The three 1K-rule ClassBench sets, committed under Benchmarks/classbench (from ../shared/classbench).
    public static let classBench = packageRoot.appendingPathComponent("Benchmarks/classbench")
    public static let classBenchSets = ["acl1_1k", "fw1_1k", "ipc1_1k"]

    public static func subdirectories(of url: URL, holding file: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: url.appendingPathComponent("\($0)/\(file)").path) }.sorted()
    }

    public static var conformanceCases: [String] { subdirectories(of: conformance, holding: "probes.json") }
    public static var exampleNames: [String] { subdirectories(of: examples, holding: "probes.json") }
}

/// A table, its classifier and packet keys.
public struct Fixture {
    public var name: String
    public var table: MatchTable
    public var classifier: Classifier
    public var keys: [PacketKey]

    public init(name: String, table: MatchTable, keys: [PacketKey]) {
        self.name = name
        self.table = table
        self.classifier = Classifier(table)
        self.keys = keys
    }

    /// The policy set of a conformance case: its own inventory.yaml or the shared one, its
    /// policies.yaml, and loader options from options.json (e.g. {"invalidPolicies": "ignore"}).
    public static func conformancePolicySet(_ caseDir: URL) throws -> PolicySet {
        let own = caseDir.appendingPathComponent("inventory.yaml")
        let inventory = FileManager.default.fileExists(atPath: own.path) ? own : Paths.conformance.appendingPathComponent("inventory.yaml")
        var inputs = [ResourceLoader.Input(inventory.path)]
        let policies = caseDir.appendingPathComponent("policies.yaml")
        if FileManager.default.fileExists(atPath: policies.path) { inputs.append(ResourceLoader.Input(policies.path)) }
        var handling = InvalidPolicyHandling.reject
        if let data = FileManager.default.contents(atPath: caseDir.appendingPathComponent("options.json").path),
           let obj = try JSONSerialization.jsonObject(with: data) as? [String: String],
           let v = obj["invalidPolicies"].flatMap(InvalidPolicyHandling.init(rawValue:)) {
            handling = v
        }
        return try PolicySet.resolve(ResourceLoader.load(inputs, recursive: false, invalidPolicies: handling))
    }

    /// The fast path's key for the oracle's packet.
    public static func key(_ p: Packet) -> PacketKey {
        PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber, sourcePort: p.sourcePort,
                  destinationPort: p.destinationPort, icmpType: p.icmpType, icmpCode: p.icmpCode, isNonFirstFragment: p.isNonFirstFragment)
    }

    public static func probes(_ set: PolicySet, _ dir: URL) throws -> [PacketKey] {
        let evaluator = ReferenceEvaluator(set)
        return try ProbeLoader.load(path: dir.appendingPathComponent("probes.json").path).map { try key(evaluator.resolve($0).packet) }
    }

    public static func conformance(_ name: String) throws -> Fixture {
        let dir = Paths.conformance.appendingPathComponent(name)
        let set = try conformancePolicySet(dir)
        return Fixture(name: "conformance/\(name)", table: try PolicyCompiler.compile(set), keys: try probes(set, dir))
    }

    public static func example(_ name: String) throws -> Fixture {
        let dir = Paths.examples.appendingPathComponent(name)
        let set = try PolicySet.resolve(ResourceLoader.load([.init(dir.path)], recursive: false))
        return Fixture(name: "examples/\(name)", table: try PolicyCompiler.compile(set), keys: try probes(set, dir))
    }
}

extension BPFVerdict {
    /// The Classifier's answer in the BPF program's terms.
    public init(_ v: PathVerdict) {
        self.init(allow: v.allow, points: v.points.map {
            Point(kind: $0.kind.rawValue, allow: $0.allow, chain: $0.chain, endpoint: $0.endpoint, rule: $0.rule)
        })
    }
}

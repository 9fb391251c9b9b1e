// The differential harness: for each seed, generate a policy set, load and resolve it, generate
// packets biased towards it, and compare an engine's answer with the reference evaluator's for every
// packet. The first disagreement of a set is shrunk to a minimal reproducer (see Shrinker.swift).
//
// Plugging in an engine:
//
//     let failures = runDifferential(seeds: 0..<200, packetsPerSet: 2000) { set in
//         let classifier = Classifier(try PolicyCompiler.compile(set))
//         return { packet in EngineAnswer(classifier.classify(key(packet)), classifier) }
//     }
//     #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n\n"))")
//
// The engine closure is called once per policy set (and again for every candidate while shrinking),
// and the closure it returns once per packet.

import Addresses
import PolicyModel
import ReferenceEvaluator

/// What an engine is built from: the resolved set, and the text it was loaded from.
struct EngineInput {
    var seed: UInt64
    var yaml: String
    var set: PolicySet
}

/// Builds an engine for one policy set; the returned closure answers one packet.
typealias EngineFactory = (EngineInput) throws -> (Packet) -> EngineAnswer

/// A generated, loaded and resolved policy set.
struct DifferentialCase: Sendable {
    var seed: UInt64
    var scenario: Scenario
    var yaml: String
    var set: PolicySet
}

/// The minimal reproducer of a disagreement.
struct Reproducer: Sendable, CustomStringConvertible {
    var scenario: Scenario
    var packet: Packet
    var reference: EngineAnswer
    /// Nil when the engine could not be built for this set.
    var engine: EngineAnswer?
    var engineError: String?
    var steps: Int
    var checks: Int

    var yaml: String { scenario.yaml }

    var description: String {
        var s = "minimal reproducer (\(scenario.policyCount) policies, \(scenario.ruleCount) rules, \(scenario.documentCount) documents; "
        s += "\(steps) simplifications in \(checks) tries):\n"
        s += "--- policy set ---\n\(yaml)"
        s += "--- packet ---\n\(PacketText.describe(packet))\n"
        s += "--- reference ---\n\(reference)\n"
        s += engine.map { "--- engine ---\n\($0)\n" } ?? "--- engine could not be built ---\n\(engineError ?? "?")\n"
        return s
    }
}

struct Failure: Sendable, CustomStringConvertible {
    var seed: UInt64
    var packetIndex: Int
    var packet: Packet
    var reference: EngineAnswer
    var engine: EngineAnswer?
    var engineError: String?
    var scenario: Scenario
    /// Disagreements in this set (only the first is reported and shrunk).
    var mismatchesInSet: Int
    var minimal: Reproducer?

    var yaml: String { scenario.yaml }

    var description: String {
        var s = "seed \(seed), packet #\(packetIndex) (\(mismatchesInSet) disagreement(s) in this set): \(PacketText.describe(packet))\n"
        s += "reference:\n\(reference.lines.map { "  " + $0 }.joined(separator: "\n"))\n"
        if let e = engine {
            s += "engine:\n\(e.lines.map { "  " + $0 }.joined(separator: "\n"))\n"
        } else {
            s += "engine could not be built: \(engineError ?? "?")\n"
        }
        s += minimal.map(\.description) ?? "(not shrunk; the full set is RandomPolicyGenerator().yaml(seed: \(seed)))\n"
        return s
    }
}

/// Counts over a run, for reports and for checking that packets reach the rules.
struct DifferentialReport: Sendable {
    var seeds = 0
    var rejected: [(seed: UInt64, error: String)] = []
    var sets = 0
    var packets = 0
    var mismatches = 0
    var failures: [Failure] = []
    /// Reference decisions by kind (`rule`, `endOfTier`, `profile`, …) over every policing point.
    var decisionKinds: [String: Int] = [:]
    var points = 0
    /// Packets where at least one policing point was decided by a policy rule.
    var packetsDecidedByPolicyRule = 0
    /// Packets with no policing point (both ends external).
    var packetsWithoutPoints = 0

    var summary: String {
        let kinds = decisionKinds.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \(percent($0.value, points))" }
        return """
        seeds \(seeds), sets \(sets), rejected \(rejected.count), packets \(packets), disagreements \(mismatches)
        packets decided by a policy rule at some point: \(percent(packetsDecidedByPolicyRule, packets)), \
        without any policing point: \(percent(packetsWithoutPoints, packets))
        policing points \(points): \(kinds.joined(separator: ", "))
        """
    }
}

/// `a/b` as a percentage with one decimal.
func percent(_ a: Int, _ b: Int) -> String {
    let x = (1000 * a + max(b, 1) / 2) / max(b, 1)
    return "\(x / 10).\(x % 10)%"
}

enum PacketText {
    static func describe(_ p: Packet) -> String {
        var s = p.description
        if p.isNonFirstFragment { s += " (non-first fragment)" }
        s += "\n  Swift: " + swift(p)
        return s
    }

    static func swift(_ p: Packet) -> String {
        var s = "var p = Packet(source: IPAddress(\"\(p.source)\")!, destination: IPAddress(\"\(p.destination)\")!, protocolNumber: \(p.protocolNumber)"
        if let v = p.sourcePort { s += ", sourcePort: \(v)" }
        if let v = p.destinationPort { s += ", destinationPort: \(v)" }
        if let v = p.icmpType { s += ", icmpType: \(v)" }
        if let v = p.icmpCode { s += ", icmpCode: \(v)" }
        s += ")"
        if p.isNonFirstFragment { s += "; p.isNonFirstFragment = true" }
        return s
    }
}

struct DifferentialHarness {
    var config = GeneratorConfig.standard
    var packetsPerSet = 500
    /// Shrink the first disagreement of at most this many sets (shrinking re-runs the engine many times).
    var maxShrunk = 3
    var shrinkBudget = 4000

    // MARK: Building cases

    static func fileName(_ seed: UInt64) -> String { "seed-\(seed).yaml" }

    /// Loads and resolves rendered YAML; the error text when the loader refuses it.
    static func load(_ yaml: String, file: String) -> Result<PolicySet, InputError> {
        do throws(InputError) {
            let loaded = try ResourceLoader.load(text: yaml, file: file)
            return .success(try PolicySet.resolve(loaded))
        } catch {
            return .failure(error)
        }
    }

    func makeCase(seed: UInt64) -> Result<DifferentialCase, InputError> {
        let scenario = RandomPolicyGenerator(config: config).scenario(seed: seed)
        let yaml = scenario.yaml
        return Self.load(yaml, file: Self.fileName(seed)).map { DifferentialCase(seed: seed, scenario: scenario, yaml: yaml, set: $0) }
    }

    // MARK: Running

    func run(seeds: Range<UInt64>, engine: EngineFactory) -> DifferentialReport {
        var report = DifferentialReport()
        for seed in seeds {
            report.seeds += 1
            switch makeCase(seed: seed) {
            case let .failure(e): report.rejected.append((seed, e.description))
            case let .success(c): run(c, engine: engine, into: &report)
            }
        }
        return report
    }

    func run(cases: [DifferentialCase], engine: EngineFactory) -> DifferentialReport {
        var report = DifferentialReport()
        for c in cases {
            report.seeds += 1
            run(c, engine: engine, into: &report)
        }
        return report
    }

    private func run(_ c: DifferentialCase, engine: EngineFactory, into report: inout DifferentialReport) {
        report.sets += 1
        let reference = ReferenceEvaluator(c.set)
        var packets = RandomPacketGenerator(seed: c.seed, set: c.set)
        let answer: (Packet) -> EngineAnswer
        do {
            answer = try engine(EngineInput(seed: c.seed, yaml: c.yaml, set: c.set))
        } catch {
            let p = packets.next()
            var f = Failure(seed: c.seed, packetIndex: 0, packet: p, reference: EngineAnswer(reference.answer(p)), engine: nil,
                            engineError: "\(error)", scenario: c.scenario, mismatchesInSet: 1, minimal: nil)
            report.mismatches += 1
            if report.failures.filter({ $0.minimal != nil }).count < maxShrunk { f.minimal = shrink(f, engine: engine) }
            report.failures.append(f)
            return
        }
        var first: Failure? = nil
        var mismatches = 0
        for i in 0..<packetsPerSet {
            let p = packets.next()
            let ref = EngineAnswer(reference.answer(p))
            report.packets += 1
            report.points += ref.points.count
            if ref.points.isEmpty { report.packetsWithoutPoints += 1 }
            if ref.points.contains(where: { $0.decision.hasPrefix("rule ") }) { report.packetsDecidedByPolicyRule += 1 }
            for pt in ref.points { report.decisionKinds[String(pt.decision.split(separator: " ")[0]), default: 0] += 1 }
            let got = answer(p)
            if got != ref {
                mismatches += 1
                if first == nil {
                    first = Failure(seed: c.seed, packetIndex: i, packet: p, reference: ref, engine: got, engineError: nil,
                                    scenario: c.scenario, mismatchesInSet: 0, minimal: nil)
                }
            }
        }
        guard var f = first else { return }
        f.mismatchesInSet = mismatches
        report.mismatches += mismatches
        if report.failures.filter({ $0.minimal != nil }).count < maxShrunk { f.minimal = shrink(f, engine: engine) }
        report.failures.append(f)
    }

    // MARK: Shrinking

    enum Outcome {
        /// The candidate set does not load (a shrinking step broke a reference).
        case invalid
        case agree
        case disagree(reference: EngineAnswer, engine: EngineAnswer?, engineError: String?)
    }

    /// Loads `scenario`, and compares the engine with the reference on `packet`.
    static func check(_ scenario: Scenario, _ packet: Packet, seed: UInt64, engine: EngineFactory) -> Outcome {
        let yaml = scenario.yaml
        guard case let .success(set) = load(yaml, file: fileName(seed)) else { return .invalid }
        let ref = EngineAnswer(ReferenceEvaluator(set).answer(packet))
        do {
            let got = try engine(EngineInput(seed: seed, yaml: yaml, set: set))(packet)
            return got == ref ? .agree : .disagree(reference: ref, engine: got, engineError: nil)
        } catch {
            return .disagree(reference: ref, engine: nil, engineError: "\(error)")
        }
    }

    func shrink(_ f: Failure, engine: EngineFactory) -> Reproducer {
        let result = Shrinker.minimise(FailingCase(scenario: f.scenario, packet: f.packet), budget: shrinkBudget) { candidate in
            if case .disagree = Self.check(candidate.scenario, candidate.packet, seed: f.seed, engine: engine) { return true }
            return false
        }
        let v = result.value
        guard case let .disagree(ref, got, err) = Self.check(v.scenario, v.packet, seed: f.seed, engine: engine) else {
            // Cannot happen unless the engine is nondeterministic: report the unshrunk case.
            return Reproducer(scenario: f.scenario, packet: f.packet, reference: f.reference, engine: f.engine,
                              engineError: (f.engineError ?? "") + " (the engine did not disagree again: nondeterministic?)",
                              steps: 0, checks: result.checks)
        }
        return Reproducer(scenario: v.scenario, packet: v.packet, reference: ref, engine: got, engineError: err,
                          steps: result.steps, checks: result.checks)
    }
}

/// The harness with its defaults: `packetsPerSet` packets for each seed's set; the first disagreement
/// of a set is shrunk (for at most three sets) and printed by `Failure.description`.
func runDifferential(seeds: Range<UInt64>, packetsPerSet: Int,
                     engine: (PolicySet) throws -> (Packet) -> EngineAnswer) -> [Failure] {
    var h = DifferentialHarness()
    h.packetsPerSet = packetsPerSet
    return h.run(seeds: seeds) { input in try engine(input.set) }.failures
}

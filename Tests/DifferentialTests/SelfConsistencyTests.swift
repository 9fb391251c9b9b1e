// The reference evaluator against itself through a PolicySet loaded and resolved afresh from the
// rendered YAML: exercises the determinism of loading and resolution (dictionary order, sorting).

import PolicyModel
import ReferenceEvaluator
import Testing

@Suite("Reference vs itself")
struct SelfConsistencyTests {
    @Test("200 seeds × 500 packets: the reference agrees with a freshly resolved copy of itself")
    func freshResolution() {
        var h = DifferentialHarness()
        h.packetsPerSet = 500
        let engine: EngineFactory = { input in
            let fresh = try DifferentialHarness.load(input.yaml, file: "fresh-\(input.seed).yaml").get()
            return Engines.reference(fresh)
        }
        let (report, t) = timed { h.run(cases: Array(Corpus.cases.prefix(200)), engine: engine) }
        print("[DifferentialTests] reference vs fresh copy, \(report.sets) sets × \(h.packetsPerSet) packets in \(seconds(t)):\n\(report.summary)")
        #expect(report.sets == 200)
        #expect(report.failures.isEmpty, "\(report.failures.map(\.description).joined(separator: "\n\n"))")
    }
}

extension SelfConsistencyTests {
    /// The documents of rendered YAML with every non-endpoint document shuffled (endpoint documents
    /// keep their order: synthetic addresses and shared-address ownership follow inventory order).
    static func shufflingDocuments(_ yaml: String, seed: UInt64) -> String {
        var docs: [[Substring]] = []
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "---" { docs.append([]) } else if !docs.isEmpty { docs[docs.count - 1].append(line) }
        }
        let endpointKinds: Set<Substring> = ["kind: 'Pod'", "kind: 'WorkloadEndpoint'", "kind: 'HostEndpoint'"]
        var movable = docs.filter { !$0.contains(where: endpointKinds.contains) }
        let fixed = docs.filter { $0.contains(where: endpointKinds.contains) }
        var rng = SeededRandom(seed: seed, stream: "shuffle")
        rng.shuffle(&movable)
        return (movable + fixed).map { "---\n" + $0.joined(separator: "\n") }.joined(separator: "\n")
    }

    @Test("60 seeds × 300 packets: shuffling the policy documents changes no answer")
    func documentOrder() {
        var h = DifferentialHarness()
        h.packetsPerSet = 300
        let engine: EngineFactory = { input in
            let text = Self.shufflingDocuments(input.yaml, seed: input.seed)
            return Engines.reference(try DifferentialHarness.load(text, file: "shuffled-\(input.seed).yaml").get())
        }
        let (report, t) = timed { h.run(cases: Array(Corpus.cases.suffix(60)), engine: engine) }
        print("[DifferentialTests] reference vs shuffled documents, \(report.sets) sets × \(h.packetsPerSet) packets in \(seconds(t))")
        #expect(report.sets == 60)
        #expect(report.failures.isEmpty, "\(report.failures.map(\.description).joined(separator: "\n\n"))")
    }

    @Test("shuffling keeps every document")
    func shuffleKeepsDocuments() throws {
        let c = try #require(Corpus.cases.first)
        let shuffled = Self.shufflingDocuments(c.yaml, seed: 1)
        #expect(shuffled != c.yaml)
        #expect(shuffled.split(separator: "\n").sorted() == c.yaml.split(separator: "\n").sorted())
    }
}

// Shared test support: the corpus of generated sets (built once per test run and shared by the
// tests), the reference evaluator as an engine, and deliberately wrong engines for testing the
// harness and the shrinker.

import PolicyModel
import ReferenceEvaluator

enum Corpus {
    static let seeds: Range<UInt64> = 0..<300
    /// Seeds 0..<300, generated, rendered, loaded and resolved once.
    static let results: [(seed: UInt64, result: Result<DifferentialCase, InputError>)] =
        seeds.map { ($0, DifferentialHarness().makeCase(seed: $0)) }
    static let cases: [DifferentialCase] = results.compactMap { try? $0.result.get() }
}

enum Engines {
    /// The reference evaluator as an engine over `set`.
    static func reference(_ set: PolicySet) -> (Packet) -> EngineAnswer {
        let ev = ReferenceEvaluator(set)
        return { EngineAnswer(ev.answer($0)) }
    }

    /// Wrong on purpose: the first Allow rule of the first policy that has one (tiers in order)
    /// becomes Deny.
    static func swappingFirstAllow(_ set: PolicySet) -> PolicySet {
        var s = set
        for t in s.tiers.indices {
            for p in s.tiers[t].policies.indices {
                if let i = s.tiers[t].policies[p].ingress.firstIndex(where: { $0.action == .allow }) {
                    s.tiers[t].policies[p].ingress[i].action = .deny
                    return s
                }
                if let i = s.tiers[t].policies[p].egress.firstIndex(where: { $0.action == .allow }) {
                    s.tiers[t].policies[p].egress[i].action = .deny
                    return s
                }
            }
        }
        return s
    }

    /// Wrong on purpose: every `notPorts` of every policy and profile rule is ignored.
    static func ignoringNotPorts(_ set: PolicySet) -> PolicySet {
        func strip(_ rules: [Rule]) -> [Rule] {
            rules.map { r in
                var r = r
                r.source.notPorts = []
                r.destination.notPorts = []
                return r
            }
        }
        var s = set
        for t in s.tiers.indices {
            for p in s.tiers[t].policies.indices {
                s.tiers[t].policies[p].ingress = strip(s.tiers[t].policies[p].ingress)
                s.tiers[t].policies[p].egress = strip(s.tiers[t].policies[p].egress)
            }
        }
        for name in s.profiles.keys.sorted() {
            s.profiles[name]!.ingress = strip(s.profiles[name]!.ingress)
            s.profiles[name]!.egress = strip(s.profiles[name]!.egress)
        }
        return s
    }
}

/// Wall-clock seconds of `body`, for the timing notes the tests print.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    var result: T? = nil
    let d = try clock.measure { result = try body() }
    return (result!, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
}

func seconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac) s"
}

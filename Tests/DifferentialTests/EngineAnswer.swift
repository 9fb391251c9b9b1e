// A neutral, comparable description of one engine's answer for one packet: the overall verdict and,
// per policing point in path order, the endpoint, direction, stage, verdict and what decided it.
// Any engine (the reference evaluator, the compiled fast path, BPF) converts its output into this.

import PolicyModel
import ReferenceEvaluator
import TestFixtures

struct EngineAnswer: Hashable, Sendable, CustomStringConvertible {
    struct Point: Hashable, Sendable, CustomStringConvertible {
        /// `ns/name` for workloads, `hostendpoint:NAME` for host endpoints.
        var endpoint: String
        /// `ingress` | `egress`.
        var direction: String
        /// `normal` | `forwarded` | `local`.
        var stage: String
        /// `allow` | `deny`.
        var verdict: String
        /// One of:
        /// `rule <tier>/<policy>#<index> <allow|deny>` (policy is `ns/name` for namespaced policies),
        /// `endOfTier <tier>`, `profile <name>#<index> <allow|deny>`, `noProfileMatched`, `failsafe`,
        /// `forwardedWithoutPolicy`, `hostToLocalWorkload`, `endpointToHost <Accept|Drop|Return>`.
        var decision: String

        init(endpoint: String, direction: String, stage: String, verdict: String, decision: String) {
            self.endpoint = endpoint
            self.direction = direction
            self.stage = stage
            self.verdict = verdict
            self.decision = decision
        }

        var description: String { "\(endpoint) \(direction) \(stage) \(verdict) \(decision)" }

        /// True when a policy or profile rule decided (not a default).
        var decidedByRule: Bool { decision.hasPrefix("rule ") || decision.hasPrefix("profile ") }
    }

    /// `allow` | `deny`.
    var verdict: String
    var points: [Point]

    init(verdict: String, points: [Point]) {
        self.verdict = verdict
        self.points = points
    }

    /// The reference evaluator's answer.
    init(_ v: ConnectionVerdict) {
        verdict = v.verdict.rawValue
        points = v.points.map {
            Point(endpoint: $0.endpoint, direction: $0.direction.rawValue, stage: $0.stage.rawValue,
                  verdict: $0.verdict.rawValue, decision: DecisionText.compact($0.decision))
        }
    }

    var lines: [String] { ["verdict \(verdict)"] + points.map(\.description) }
    var description: String { lines.joined(separator: "\n") }
}

extension ReferenceEvaluator {
    /// The reference answer for a packet, with both parties found by address (as a packet engine must).
    func answer(_ p: Packet) -> ConnectionVerdict {
        evaluate(p, from: party(for: p.source), to: party(for: p.destination))
    }
}

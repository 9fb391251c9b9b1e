// How evaluation trails are printed: the JSON of `verdict check` (a stable contract) and the one-line
// summaries of the table output.

import PolicyModel
import ReferenceEvaluator

enum TrailJSON {
    static func decision(_ d: Decision) -> [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [("reason", .string(d.reason))]
        switch d {
        case let .rule(tier, policy, kind, index, action):
            f += [("tier", .string(tier)), ("policy", .string(policy)), ("policyKind", .string(kind.rawValue)),
                  ("rule", .int(index)), ("action", .string(action.rawValue))]
        case let .endOfTier(tier):
            f += [("tier", .string(tier))]
        case let .profileRule(profile, index, action):
            f += [("profile", .string(profile)), ("rule", .int(index)), ("action", .string(action.rawValue))]
        case let .noProfileMatched(profiles):
            f += [("profiles", .array(profiles.map(JSONValue.string)))]
        case let .failsafe(direction, proto, port):
            f += [("failsafe", .string("\(direction == .ingress ? "inbound" : "outbound") \(ProtocolSpec.displayName(proto)) \(port)"))]
        case .forwardedWithoutPolicy, .hostToLocalWorkload:
            break
        case let .endpointToHost(action):
            f += [("action", .string(action))]
        }
        return f
    }

    static func rules(_ rules: [RuleOutcome]) -> JSONValue {
        .array(rules.map { r in
            .object([("index", .int(r.index)), ("action", .string(r.action.rawValue)), ("matched", .bool(r.mismatch == nil)),
                     ("why", .optional(r.mismatch)), ("location", .string(r.location.description))])
        })
    }

    static func tiers(_ tiers: [TierVisit]) -> JSONValue {
        .array(tiers.map { t in
            .object([
                ("tier", .string(t.tier)), ("defaultAction", .string(t.defaultAction.rawValue)), ("result", .string(t.result.rawValue)),
                ("policies", .array(t.policies.map { p in
                    .object([("policy", .string(p.policy)), ("kind", .string(p.kind.rawValue)),
                             ("order", p.order.map(JSONValue.double) ?? .null), ("result", .string(p.result.rawValue)),
                             ("location", .string(p.location.description)), ("rules", rules(p.rules))])
                })),
            ])
        })
    }

    static func trail(_ t: Trail?) -> JSONValue {
        guard let t else { return .null }
        var f: [(String, JSONValue)] = [
            ("endpoint", .string(t.endpoint)), ("endpointKind", .string(t.endpointKind)), ("direction", .string(t.direction.rawValue)),
            ("stage", .string(t.stage.rawValue)), ("verdict", .string(t.verdict.rawValue)),
        ]
        f += decision(t.decision)
        if !t.untrackedTiers.isEmpty { f.append(("untrackedTiers", tiers(t.untrackedTiers))) }
        if !t.preDNATTiers.isEmpty { f.append(("preDNATTiers", tiers(t.preDNATTiers))) }
        f.append(("tiers", tiers(t.tiers)))
        f.append(("profiles", .array(t.profiles.map { p in
            .object([("profile", .string(p.profile)), ("decidingRule", .optional(p.decidingRule)), ("rules", rules(p.rules))])
        })))
        f.append(("logged", .array(t.logged.map(JSONValue.string))))
        f.append(("notes", .array(t.notes.map(JSONValue.string))))
        return .object(f)
    }

    /// One line: `allow by default/prod/fe-to-be-out rule 0 (Allow)`.
    static func summary(_ t: Trail) -> String {
        let who: String
        switch t.decision {
        case let .rule(tier, policy, _, index, action): who = "\(tier)/\(policy) rule \(index) (\(action.rawValue))"
        case let .endOfTier(tier): who = "end of tier \(tier)"
        case let .profileRule(profile, index, _): who = "profile \(profile) rule \(index)"
        case let .noProfileMatched(profiles): who = profiles.isEmpty ? "no profile" : "end of profiles"
        case let .failsafe(direction, proto, port): who = "failsafe \(direction == .ingress ? "in" : "out") \(ProtocolSpec.displayName(proto)):\(port)"
        case .forwardedWithoutPolicy: who = "no applyOnForward policy"
        case .hostToLocalWorkload: who = "host to local workload"
        case let .endpointToHost(action): who = "DefaultEndpointToHostAction \(action)"
        }
        let stage = t.stage == .forwarded ? " (forwarded)" : ""
        return "\(t.endpoint) \(t.direction.rawValue)\(stage): \(t.verdict.rawValue) by \(who)"
    }

    static func connection(_ v: ConnectionVerdict) -> [(String, JSONValue)] {
        let others = v.points.filter { $0 != v.egress && $0 != v.ingress }
        return [
            ("verdict", .string(v.verdict.rawValue)),
            ("packet", .string(v.packet.description)),
            ("egress", trail(v.egress)),
            ("ingress", trail(v.ingress)),
            ("path", .array(others.map { trail($0) })),
            ("conntrack", .optional(v.conntrackNote)),
        ]
    }
}

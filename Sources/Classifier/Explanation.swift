// Names for what the classifier decided: the table's strings turned back into tiers, policies
// and rule indices, for output and for comparison with the reference evaluator.

import CVerdictABI
import MatchTable

/// One policing point in words.
public struct PointDescription: Hashable, Sendable {
    public var endpoint: String
    public var endpointKind: String
    public var direction: String       // "ingress" | "egress"
    public var stage: String           // "normal" | "forwarded" | "local"
    public var verdict: String         // "allow" | "deny"
    /// "rule" | "end-of-tier" | "profile" | "no-profile" | "failsafe" | "forwarded-no-policy" |
    /// "host-to-local-workload" | "endpoint-to-host" | "no-decision"
    public var reason: String
    public var tier: String?
    public var policy: String?
    public var policyKind: String?
    public var ruleIndex: Int?
    /// The deciding rule's action as written ("Allow", "Deny"), for rules.
    public var action: String?
    /// Stage of the policies that decided: "normal", "untracked", "preDNAT".
    public var policyStage: String?
    public var httpNotEvaluated = false
    /// Chain and rule indices in the table, for counters.
    public var chain: Int?
    public var rule: Int?

    /// A compact, stable one-line form, e.g. `rule default/ns/allow-fe#0 allow`.
    public var decision: String {
        switch reason {
        case "rule": return "rule \(tier ?? "")/\(policy ?? "")#\(ruleIndex ?? -1) \((action ?? "").lowercased())"
        case "end-of-tier": return "endOfTier \(tier ?? "")"
        case "profile": return "profile \(policy ?? "")#\(ruleIndex ?? -1) \((action ?? "").lowercased())"
        case "no-profile": return "noProfileMatched"
        case "failsafe": return "failsafe"
        case "forwarded-no-policy": return "forwardedWithoutPolicy"
        case "host-to-local-workload": return "hostToLocalWorkload"
        case "endpoint-to-host": return "endpointToHost \(action ?? "")"
        default: return reason
        }
    }
}

extension Classifier {
    public func describe(_ p: PointDecision) -> PointDescription {
        let eps = table.endpoints
        let ep = p.endpoint != VD_NONE && Int(p.endpoint) < eps.count ? eps[Int(p.endpoint)] : nil
        var d = PointDescription(endpoint: ep.map { table.string($0.name) } ?? "", endpointKind: ep.map { table.string($0.kind_name) } ?? "",
                                 direction: "ingress", stage: "normal", verdict: p.allow ? "allow" : "deny", reason: "no-decision")
        switch p.kind {
        case .hostToLocalWorkload:
            d.stage = "local"
            d.reason = "host-to-local-workload"
            return d
        case .endpointToHost:
            d.stage = "local"
            d.reason = "endpoint-to-host"
            switch table.endpointToHostAction {
            case VD_E2H_ACCEPT: d.action = "Accept"
            case VD_E2H_RETURN: d.action = "Return"
            default: d.action = "Drop"
            }
            return d
        case .chain:
            break
        }
        let chain = table.chains[Int(p.chain)]
        d.direction = chain.direction == UInt8(VD_DIR_INGRESS.rawValue) ? "ingress" : "egress"
        d.stage = chain.kind == UInt8(VD_CHAIN_HOST_FORWARD.rawValue) ? "forwarded" : "normal"
        d.chain = Int(p.chain)
        guard p.rule != VD_NONE else { return d }
        d.rule = Int(p.rule)
        let r = table.rules(chain: Int(p.chain))[Int(p.rule)]
        let action = r.action == UInt8(VD_ACTION_ALLOW.rawValue) ? "Allow" : r.action == UInt8(VD_ACTION_DENY.rawValue) ? "Deny" : "Pass"
        d.policyStage = r.stage == UInt8(VD_STAGE_UNTRACKED.rawValue) ? "untracked" : r.stage == UInt8(VD_STAGE_PRE_DNAT.rawValue) ? "preDNAT" : "normal"
        d.httpNotEvaluated = r.flags & UInt8(VD_RULE_F_HTTP) != 0
        switch vd_origin(UInt32(r.origin)) {
        case VD_ORIGIN_POLICY:
            d.reason = "rule"
            d.tier = table.string(r.tier)
            d.policy = table.string(r.policy)
            d.policyKind = table.string(r.policy_kind)
            d.ruleIndex = Int(r.index)
            d.action = action
        case VD_ORIGIN_END_OF_TIER:
            d.reason = "end-of-tier"
            d.tier = table.string(r.tier)
        case VD_ORIGIN_PROFILE:
            d.reason = "profile"
            d.policy = table.string(r.policy)
            d.policyKind = "Profile"
            d.ruleIndex = Int(r.index)
            d.action = action
        case VD_ORIGIN_NO_PROFILE:
            d.reason = "no-profile"
        case VD_ORIGIN_FAILSAFE:
            d.reason = "failsafe"
        case VD_ORIGIN_FORWARD_DEFAULT:
            d.reason = "forwarded-no-policy"
        default:
            break
        }
        return d
    }
}

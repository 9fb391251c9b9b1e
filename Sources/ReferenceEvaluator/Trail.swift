// The record of one evaluation: what was visited, what matched, and what decided. It is the answer
// `verdict check` prints and what `explain` renders; every engine's attribution is compared with it.

import PolicyModel

public enum Verdict: String, Hashable, Sendable, Codable {
    case allow
    case deny
}

/// Which policy or rule, or which default, decided a policing point.
public enum Decision: Hashable, Sendable {
    /// A policy rule with a terminal action.
    case rule(tier: String, policy: String, kind: PolicyKind, ruleIndex: Int, action: RuleAction)
    /// A tier applied to the endpoint and nothing in it allowed, denied or passed.
    case endOfTier(tier: String)
    /// A profile rule (after every tier passed or none applied).
    case profileRule(profile: String, ruleIndex: Int, action: RuleAction)
    /// No tier gave a verdict and no profile rule matched (or the endpoint has no profiles).
    case noProfileMatched(profiles: [String])
    /// A Felix failsafe port let the packet through before any policy.
    case failsafe(direction: Direction, protocolNumber: UInt8, port: UInt16)
    /// Forwarded traffic through a host endpoint that no applyOnForward policy governs is allowed.
    case forwardedWithoutPolicy
    /// Traffic from a host to a workload on the same host is not policed (F-STATIC).
    case hostToLocalWorkload
    /// Workload to its own host: DefaultEndpointToHostAction.
    case endpointToHost(action: String)

    public var reason: String {
        switch self {
        case .rule: return "rule"
        case .endOfTier: return "end-of-tier"
        case .profileRule: return "profile"
        case .noProfileMatched(let p): return p.isEmpty ? "no-profile" : "end-of-profiles"
        case .failsafe: return "failsafe"
        case .forwardedWithoutPolicy: return "forwarded-no-policy"
        case .hostToLocalWorkload: return "host-to-local-workload"
        case .endpointToHost: return "endpoint-to-host"
        }
    }
}

/// One rule's outcome while walking a policy: matched, or the first criterion that failed.
public struct RuleOutcome: Hashable, Sendable {
    public var index: Int
    public var action: RuleAction
    /// Nil when the rule matched.
    public var mismatch: String?
    public var location: SourceLocation
}

public struct PolicyVisit: Hashable, Sendable {
    public enum Result: String, Hashable, Sendable, Codable {
        case allow, deny, pass
        /// No terminal rule matched; evaluation fell through to the next policy.
        case noMatch = "no-match"
    }
    public var policy: String
    public var kind: PolicyKind
    public var order: Double?
    public var result: Result
    /// Rules in order up to and including the deciding one (Log rules that matched included).
    public var rules: [RuleOutcome]
    public var location: SourceLocation
}

public struct TierVisit: Hashable, Sendable {
    public enum Result: String, Hashable, Sendable, Codable {
        case allow, deny, pass
        /// Nothing decided and the tier's defaultAction is Deny.
        case endOfTierDeny = "end-of-tier-deny"
        /// Nothing decided and the tier's defaultAction is Pass.
        case endOfTierPass = "end-of-tier-pass"
        /// No decision, in a stage without end-of-tier deny (untracked and pre-DNAT policy).
        case noMatch = "no-match"
    }
    public var tier: String
    public var defaultAction: Tier.DefaultAction
    public var policies: [PolicyVisit]
    public var result: Result
}

public struct ProfileVisit: Hashable, Sendable {
    public var profile: String
    public var rules: [RuleOutcome]
    /// The rule that decided, if any.
    public var decidingRule: Int?
}

/// What kind of policing point: the endpoint's own policy, or one of the host-endpoint stages (§2.7).
public enum PolicingStage: String, Hashable, Sendable, Codable {
    /// Workload policy, or host-endpoint policy for traffic to or from the host itself.
    case normal
    /// Traffic forwarded through a host endpoint: only applyOnForward policies.
    case forwarded
    /// Traffic between a workload and its own host (not policed by host-endpoint policy).
    case local
}

/// The evaluation at one policing point.
public struct Trail: Hashable, Sendable {
    public var endpoint: String
    public var endpointKind: String
    public var direction: Direction
    public var stage: PolicingStage
    public var verdict: Verdict
    public var decision: Decision
    /// Untracked (doNotTrack) and pre-DNAT tiers visited before normal policy, host endpoints only.
    public var untrackedTiers: [TierVisit] = []
    public var preDNATTiers: [TierVisit] = []
    public var tiers: [TierVisit] = []
    public var profiles: [ProfileVisit] = []
    /// Log rules that matched on the way.
    public var logged: [String] = []
    public var notes: [String] = []
}

/// The end-to-end answer for one packet of a new connection (§2.8).
public struct ConnectionVerdict: Hashable, Sendable {
    public var packet: Packet
    public var verdict: Verdict
    /// The source endpoint's egress (a workload, or a host endpoint for host-originated traffic).
    public var egress: Trail?
    /// The destination endpoint's ingress.
    public var ingress: Trail?
    /// Every policing point in path order: source egress, host endpoints the packet is forwarded
    /// through (or the local workload↔host decision), destination ingress.
    public var points: [Trail]
    /// What Linux conntrack would add: e.g. an unrelated ICMP error is INVALID and dropped.
    public var conntrackNote: String?
}

// What `verdict audit` finds, as values: the policies, each namespace's default-deny status,
// findings with stable ids, and connectivity results. No printing here; VerdictCommands renders
// the report as JSON, a table or SARIF.

import PolicyModel
import ReferenceEvaluator

public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable {
    case info
    case warning
    case error

    var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }

    /// SARIF's word for the level (`note` for info).
    public var sarifLevel: String { self == .info ? "note" : rawValue }
}

/// One finding: a misconfiguration, with where it is.
public struct Finding: Sendable, Hashable {
    /// The stable id of the check that raised it (`VD001`…), see ``FindingKind/catalog``.
    public var id: String
    public var severity: Severity
    public var message: String
    /// `Namespace monitoring`, `GlobalNetworkPolicy block-icmp`, `NetworkPolicy dev-app/default-deny`,
    /// `cluster`, `probe zt-01`.
    public var resource: String
    /// The rule's index in the policy's ingress or egress list, when the finding is about one rule.
    public var rule: Int?
    public var direction: Direction?
    public var location: SourceLocation?

    public init(id: String, severity: Severity, message: String, resource: String, rule: Int? = nil,
                direction: Direction? = nil, location: SourceLocation? = nil) {
        self.id = id
        self.severity = severity
        self.message = message
        self.resource = resource
        self.rule = rule
        self.direction = direction
        self.location = location.flatMap { $0.line > 0 ? $0 : nil }
    }
}

/// One policy as the report lists it.
public struct PolicySummary: Sendable, Hashable {
    public var kind: PolicyKind
    public var name: String
    public var namespace: String?
    public var tier: String
    public var order: Double?
    /// The selector as written (canonical form); for Kubernetes policies, Calico's conversion.
    public var selector: String
    public var types: [Direction]
    /// The endpoints it selects (in any direction of its types), by id.
    public var selects: [String]
    public var ingressRules: Int
    public var egressRules: Int
    /// `doNotTrack`, `preDNAT`, `applyOnForward` when set.
    public var flags: [String]
    public var location: SourceLocation
}

/// Whether a packet that matches no rule is denied at one endpoint in one direction.
public struct EndpointProtection: Sendable, Hashable {
    public var defaultDeny: Bool
    /// The tier whose end-of-tier Deny catches unmatched traffic; nil when none does.
    public var tier: String?
    /// The policies of that tier that select the endpoint in this direction (their qualified names).
    public var policies: [String]
    /// Why, in words: `end of tier default`, `no profile allows`, `profile kns.dev allows`, …
    public var reason: String
}

public struct EndpointSummary: Sendable, Hashable {
    public var id: String
    public var kind: String
    public var namespace: String?
    public var addresses: [String]
    public var ingress: EndpointProtection
    public var egress: EndpointProtection
}

public struct NamespaceSummary: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// Every endpoint of the namespace is default-deny in this direction.
        case protected
        /// Some are, some are not.
        case partial
        /// None is.
        case unprotected
        /// The namespace has no endpoints in the inventory.
        case empty
    }
    public struct DirectionStatus: Sendable, Hashable {
        public var status: Status
        /// The policies that put endpoints of the namespace under default deny.
        public var policies: [String]
        /// Endpoints that are not default-deny in this direction.
        public var unprotected: [String]
    }
    public var name: String
    public var endpoints: Int
    public var ingress: DirectionStatus
    public var egress: DirectionStatus
    public var location: SourceLocation?
}

/// The point that decided a connection (the first that denied, else the last that allowed).
public struct DecidingPoint: Sendable, Hashable {
    public var endpoint: String
    public var direction: Direction
    public var stage: String
    public var verdict: String
    public var reason: String
    public var tier: String?
    public var policy: String?
    public var policyKind: String?
    public var rule: Int?
    public var action: String?
    /// One line: `dev-app/frontend egress: deny by end of tier default`.
    public var summary: String
}

/// One probe of --probes: expected against actual, and what decided.
public struct ProbeResult: Sendable, Hashable {
    public var id: String
    public var description: String?
    public var source: String
    public var destination: String
    public var packet: String
    public var expect: String?
    public var actual: String
    /// Nil when the probe has no expectation.
    public var pass: Bool?
    public var decidedBy: DecidingPoint?
    public var location: SourceLocation
}

/// A rule no packet of the capture hit (from replay's counters), as the command hands it over.
public struct UnhitRule: Sendable, Hashable {
    public var tier: String?
    public var policy: String
    public var kind: String?
    public var direction: Direction
    public var ruleIndex: Int
    public var action: String
    public init(tier: String?, policy: String, kind: String?, direction: Direction, ruleIndex: Int, action: String) {
        self.tier = tier
        self.policy = policy
        self.kind = kind
        self.direction = direction
        self.ruleIndex = ruleIndex
        self.action = action
    }
}

/// A flow of the capture whose first policed packet was denied.
public struct CaptureFlow: Sendable, Hashable {
    public var flow: Int
    public var firstPacket: Int
    public var packet: String
    public var decidedBy: String
    public init(flow: Int, firstPacket: Int, packet: String, decidedBy: String) {
        self.flow = flow
        self.firstPacket = firstPacket
        self.packet = packet
        self.decidedBy = decidedBy
    }
}

/// What replaying a capture gave (computed by the command, which owns libpcap).
public struct CaptureSummary: Sendable, Hashable {
    public var file: String
    public var packets: Int
    public var allowed: Int
    public var denied: Int
    public var unparsed: Int
    public var flows: Int
    public var deniedFlows: [CaptureFlow]
    public var unhitRules: [UnhitRule]
    public init(file: String, packets: Int, allowed: Int, denied: Int, unparsed: Int, flows: Int,
                deniedFlows: [CaptureFlow], unhitRules: [UnhitRule]) {
        self.file = file
        self.packets = packets
        self.allowed = allowed
        self.denied = denied
        self.unparsed = unparsed
        self.flows = flows
        self.deniedFlows = deniedFlows
        self.unhitRules = unhitRules
    }
}

/// Whether a check ran, and if not why (e.g. no kube-dns endpoint in the inventory).
public struct CheckRun: Sendable, Hashable {
    public var id: String
    public var ran: Bool
    public var note: String?
}

public struct AuditReport: Sendable {
    public static let apiVersion = "verdict.dev/v1alpha1"
    public static let kind = "AuditReport"
    public static let schemaVersion = 1

    public var inputs: [String]
    public var policies: [PolicySummary]
    public var namespaces: [NamespaceSummary]
    public var endpoints: [EndpointSummary]
    public var findings: [Finding]
    public var checks: [CheckRun]
    /// Nil without --probes.
    public var probes: [ProbeResult]?
    /// Nil without -r.
    public var capture: CaptureSummary?

    /// The highest severity among the findings, nil when there are none.
    public var worst: Severity? { findings.map(\.severity).max() }

    public func count(_ s: Severity) -> Int { findings.filter { $0.severity == s }.count }
}

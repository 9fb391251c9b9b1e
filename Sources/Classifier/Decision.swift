// What the classifier answers: per policing point, which chain and endpoint, and which rule (or
// pseudo-rule) decided; overall, Allow only when every point allowed.

import CVerdictABI

/// One policing point on the packet's path (SEMANTICS §2.8).
public struct PointDecision: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        /// A chain of the table decided: `chain`, `endpoint`, `rule` are set.
        case chain = 0
        /// Traffic from a host to a workload on the same host: not policed.
        case hostToLocalWorkload = 1
        /// A workload to its own host: Felix DefaultEndpointToHostAction.
        case endpointToHost = 2
    }
    public var kind: Kind
    public var allow: Bool
    public var chain: UInt8
    public var endpoint: UInt32
    /// Index into the chain's rules; VD_NONE when nothing matched (an endpoint the chain lacks).
    public var rule: UInt32

    @inlinable
    public init(kind: Kind, allow: Bool, chain: UInt8, endpoint: UInt32, rule: UInt32) {
        self.kind = kind
        self.allow = allow
        self.chain = chain
        self.endpoint = endpoint
        self.rule = rule
    }

    public static let none = PointDecision(kind: .chain, allow: true, chain: 0, endpoint: VD_NONE, rule: VD_NONE)
}

/// Up to four policing points, inline so that a verdict never allocates.
public struct PathVerdict: Hashable, Sendable {
    public var allow: Bool = true
    public var count: Int = 0
    public var p0 = PointDecision.none, p1 = PointDecision.none, p2 = PointDecision.none, p3 = PointDecision.none

    @inlinable public init() {}

    @inlinable
    public mutating func append(_ p: PointDecision) {
        switch count {
        case 0: p0 = p
        case 1: p1 = p
        case 2: p2 = p
        default: p3 = p
        }
        count += 1
        if !p.allow { allow = false }
    }

    @inlinable
    public subscript(i: Int) -> PointDecision {
        switch i {
        case 0: return p0
        case 1: return p1
        case 2: return p2
        default: return p3
        }
    }

    public var points: [PointDecision] { (0..<count).map { self[$0] } }
}

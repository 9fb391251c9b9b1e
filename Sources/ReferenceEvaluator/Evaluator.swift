// The reference evaluator: the slow, obviously correct oracle every other engine is checked against.
// It follows SEMANTICS §2.5 (one endpoint, one direction), §2.7 (host endpoints) and §2.8 (the path
// of a new connection) line by line, and records everything it looks at.

import Addresses
import PolicyModel
import Selectors

/// Who is at one end of a connection.
public enum Party: Hashable, Sendable {
    /// A workload endpoint (pod, WorkloadEndpoint, pod template).
    case workload(Endpoint)
    /// A host, through the host endpoint that owns its address.
    case host(Endpoint)
    /// An address no endpoint owns.
    case external

    public var endpoint: Endpoint? {
        switch self {
        case let .workload(e), let .host(e): return e
        case .external: return nil
        }
    }

    var node: String? { endpoint?.node }
}

public struct ReferenceEvaluator: Sendable {
    public let policySet: PolicySet
    let matcher: RuleMatcher

    public init(_ policySet: PolicySet) {
        self.policySet = policySet
        self.matcher = RuleMatcher(set: policySet)
    }

    /// The party that owns `address`: the first endpoint owning it, else external.
    public func party(for address: IPAddress) -> Party {
        guard let e = policySet.owners(of: address).first else { return .external }
        return e.kind.isHost ? .host(e) : .workload(e)
    }

    public func party(for endpoint: Endpoint) -> Party { endpoint.kind.isHost ? .host(endpoint) : .workload(endpoint) }

    // MARK: A new connection (§2.8)

    /// Every policing point on the packet's path must allow it:
    /// 1. the source workload's egress policy (or, for host-originated traffic, the host endpoint's egress);
    /// 2. the source node's host endpoint, for traffic forwarded off that node (applyOnForward policy);
    /// 3. the destination node's host endpoint, for traffic forwarded onto that node;
    /// 4. the destination workload's ingress policy (or the host endpoint's ingress for traffic to a host).
    /// Traffic from a host to a workload on the same host is not policed; a workload's traffic to its
    /// own host meets DefaultEndpointToHostAction instead of host-endpoint policy.
    public func evaluate(_ packet: Packet, from source: Party, to destination: Party) -> ConnectionVerdict {
        var points: [Trail] = []
        var egress: Trail? = nil, ingress: Trail? = nil
        let sameNode = source.node != nil && source.node == destination.node

        switch (source, destination) {
        case let (.host(h), .workload(w)) where sameNode:
            var t = Trail(endpoint: w.id, endpointKind: w.kind.description, direction: .ingress, stage: .local,
                          verdict: .allow, decision: .hostToLocalWorkload)
            t.notes.append("traffic from host \(h.node ?? "?") to a workload on the same host is not policed by the workload's ingress policy")
            points.append(t)
            return finish(packet, points: points, egress: nil, ingress: nil)
        default:
            break
        }

        // Source side.
        switch source {
        case let .workload(w):
            let t = evaluateEndpoint(w, .egress, packet)
            egress = t
            points.append(t)
            if case let .host(h) = destination, sameNode {
                let action = policySet.felix.defaultEndpointToHostAction
                var local = Trail(endpoint: h.id, endpointKind: h.kind.description, direction: .ingress, stage: .local,
                                  verdict: action == .drop ? .deny : .allow, decision: .endpointToHost(action: action.rawValue))
                local.notes.append("workload to its own host: DefaultEndpointToHostAction \(action.rawValue); host endpoint policy does not apply to traffic from local workloads")
                points.append(local)
                return finish(packet, points: points, egress: egress, ingress: nil)
            }
            if !sameNode, let uplink = uplink(of: w.node) {
                points.append(evaluateHostEndpoint(uplink, .egress, packet, forwarded: true))
            }
        case let .host(h):
            let t = evaluateHostEndpoint(h, .egress, packet, forwarded: false)
            egress = t
            points.append(t)
        case .external:
            break
        }

        // Destination side.
        switch destination {
        case let .workload(w):
            if !sameNode, let uplink = uplink(of: w.node) {
                points.append(evaluateHostEndpoint(uplink, .ingress, packet, forwarded: true))
            }
            let t = evaluateEndpoint(w, .ingress, packet)
            ingress = t
            points.append(t)
        case let .host(h):
            let t = evaluateHostEndpoint(h, .ingress, packet, forwarded: false)
            ingress = t
            points.append(t)
        case .external:
            break
        }
        return finish(packet, points: points, egress: egress, ingress: ingress)
    }

    private func finish(_ packet: Packet, points: [Trail], egress: Trail?, ingress: Trail?) -> ConnectionVerdict {
        let verdict: Verdict = points.allSatisfy { $0.verdict == .allow } ? .allow : .deny
        var note: String? = nil
        if packet.isICMPWithoutOwnFlow {
            note = "an ICMP error or echo reply is RELATED/ESTABLISHED only to a tracked flow; without one, Linux conntrack classes it INVALID and drops it before policy"
        }
        return ConnectionVerdict(packet: packet, verdict: verdict, egress: egress, ingress: ingress, points: points, conntrackNote: note)
    }

    /// The host endpoint that traffic leaving or entering `node` crosses: the node's host endpoint with a
    /// named interface (the first by name when there are several).
    private func uplink(of node: String?) -> Endpoint? {
        guard let node else { return nil }
        return policySet.hostEndpoints(onNode: node).first { ($0.interfaceName ?? "") != "*" }
    }

    // MARK: One endpoint, one direction (§2.5)

    /// Workload policy: every tier that applies, then the endpoint's profiles, then Deny.
    public func evaluateEndpoint(_ e: Endpoint, _ d: Direction, _ packet: Packet) -> Trail {
        var trail = Trail(endpoint: e.id, endpointKind: e.kind.description, direction: d, stage: .normal,
                          verdict: .deny, decision: .noProfileMatched(profiles: e.profiles))
        let normal: (Policy) -> Bool = { !$0.doNotTrack && !$0.preDNAT }
        switch walkTiers(e, d, packet, include: normal, endOfTierDeny: true, into: &trail.tiers, logged: &trail.logged, notes: &trail.notes) {
        case let .decided(v, decision):
            trail.verdict = v
            trail.decision = decision
        case .fellThrough:
            walkProfiles(e, d, packet, into: &trail)
        }
        return trail
    }

    /// Host-endpoint policy (§2.7). For traffic to or from the host itself: failsafes, untracked policy,
    /// pre-DNAT policy (ingress), normal policy, profiles, Deny. For forwarded traffic: untracked,
    /// pre-DNAT (ingress), then applyOnForward policy; allowed when no such policy applies.
    public func evaluateHostEndpoint(_ h: Endpoint, _ d: Direction, _ packet: Packet, forwarded: Bool) -> Trail {
        var trail = Trail(endpoint: h.id, endpointKind: h.kind.description, direction: d,
                          stage: forwarded ? .forwarded : .normal, verdict: .deny,
                          decision: forwarded ? .forwardedWithoutPolicy : .noProfileMatched(profiles: h.profiles))
        if !forwarded, let fs = failsafe(d, packet) {
            trail.verdict = .allow
            trail.decision = .failsafe(direction: d, protocolNumber: fs.protocolNumber, port: fs.port)
            return trail
        }
        // Untracked and pre-DNAT stages have no end-of-tier deny: no match means "continue".
        if case let .decided(v, decision) = walkTiers(h, d, packet, include: { $0.doNotTrack }, endOfTierDeny: false,
                                                      into: &trail.untrackedTiers, logged: &trail.logged, notes: &trail.notes) {
            trail.verdict = v
            trail.decision = decision
            return trail
        }
        if d == .ingress, case let .decided(v, decision) = walkTiers(h, d, packet, include: { $0.preDNAT }, endOfTierDeny: false,
                                                                     into: &trail.preDNATTiers, logged: &trail.logged, notes: &trail.notes) {
            trail.verdict = v
            trail.decision = decision
            return trail
        }
        let include: (Policy) -> Bool = forwarded ? { $0.applyOnForward && !$0.doNotTrack && !$0.preDNAT } : { !$0.doNotTrack && !$0.preDNAT }
        switch walkTiers(h, d, packet, include: include, endOfTierDeny: true, into: &trail.tiers, logged: &trail.logged, notes: &trail.notes) {
        case let .decided(v, decision):
            trail.verdict = v
            trail.decision = decision
        case .fellThrough:
            if forwarded {
                trail.verdict = .allow
                trail.decision = .forwardedWithoutPolicy
            } else {
                walkProfiles(h, d, packet, into: &trail)
            }
        }
        return trail
    }

    private func failsafe(_ d: Direction, _ packet: Packet) -> FelixSettings.Failsafe? {
        guard packet.hasPorts, let port = packet.destinationPort else { return nil }
        let list = d == .ingress ? policySet.felix.failsafeInbound : policySet.felix.failsafeOutbound
        // Inbound failsafes may restrict the remote (source) net; outbound ones the destination net.
        let remote = d == .ingress ? packet.source : packet.destination
        return list.first { $0.protocolNumber == packet.protocolNumber && $0.port == port && ($0.net?.contains(remote) ?? true) }
    }

    enum TierOutcome {
        case decided(Verdict, Decision)
        /// No tier applied, or every applicable tier passed.
        case fellThrough
    }

    /// The loop of SEMANTICS §2.5 over tiers and policies.
    private func walkTiers(_ e: Endpoint, _ d: Direction, _ packet: Packet, include: (Policy) -> Bool, endOfTierDeny: Bool,
                           into visits: inout [TierVisit], logged: inout [String], notes: inout [String]) -> TierOutcome {
        for group in policySet.tiers {
            let policies = group.policies.filter { include($0) && $0.types.contains(d) && $0.endpointSelector.matches(e.effectiveLabels) }
            if policies.isEmpty { continue }  // the tier does not apply to this endpoint in this direction
            var visit = TierVisit(tier: group.tier.name, defaultAction: group.tier.defaultAction, policies: [], result: .noMatch)
            var passed = false
            policyLoop: for p in policies {
                var pv = PolicyVisit(policy: p.qualifiedName, kind: p.kind, order: p.order, result: .noMatch, rules: [], location: p.location)
                for (i, r) in p.rules(d).enumerated() {
                    let why = matcher.mismatch(r, packet)
                    pv.rules.append(RuleOutcome(index: i, action: r.action, mismatch: why, location: r.location))
                    guard why == nil else { continue }
                    if r.hasHTTPMatch {
                        notes.append("\(p.qualifiedName) rule \(i) has an HTTP match, which an L3/L4 data plane does not evaluate; it was treated as matching")
                    }
                    let decision = Decision.rule(tier: group.tier.name, policy: p.qualifiedName, kind: p.kind, ruleIndex: i, action: r.action)
                    switch r.action {
                    case .log:
                        logged.append("\(group.tier.name)/\(p.qualifiedName) rule \(i)")
                        continue
                    case .allow, .deny:
                        let verdict: Verdict = r.action == .allow ? .allow : .deny
                        pv.result = verdict == .allow ? .allow : .deny
                        visit.policies.append(pv)
                        visit.result = verdict == .allow ? .allow : .deny
                        visits.append(visit)
                        return .decided(verdict, decision)
                    case .pass:
                        pv.result = .pass
                        visit.policies.append(pv)
                        passed = true
                        break policyLoop
                    }
                }
                visit.policies.append(pv)
            }
            if passed {
                visit.result = .pass
                visits.append(visit)
                continue
            }
            if !endOfTierDeny {
                visit.result = .noMatch
                visits.append(visit)
                continue
            }
            if group.tier.defaultAction == .pass {
                visit.result = .endOfTierPass
                visits.append(visit)
                continue
            }
            visit.result = .endOfTierDeny
            visits.append(visit)
            return .decided(.deny, .endOfTier(tier: group.tier.name))
        }
        return .fellThrough
    }

    /// Profiles in order: Allow/Deny decide, Log continues, Pass leaves the profile (iptables data
    /// plane); nothing matched ⇒ Deny.
    private func walkProfiles(_ e: Endpoint, _ d: Direction, _ packet: Packet, into trail: inout Trail) {
        for name in e.profiles {
            guard let profile = policySet.profiles[name] else { continue }
            var visit = ProfileVisit(profile: name, rules: [], decidingRule: nil)
            ruleLoop: for (i, r) in profile.rules(d).enumerated() {
                let why = matcher.mismatch(r, packet)
                visit.rules.append(RuleOutcome(index: i, action: r.action, mismatch: why, location: r.location))
                guard why == nil else { continue }
                switch r.action {
                case .log:
                    trail.logged.append("profile \(name) rule \(i)")
                case .pass:
                    break ruleLoop
                case .allow, .deny:
                    visit.decidingRule = i
                    trail.profiles.append(visit)
                    trail.verdict = r.action == .allow ? .allow : .deny
                    trail.decision = .profileRule(profile: name, ruleIndex: i, action: r.action)
                    return
                }
            }
            trail.profiles.append(visit)
        }
        trail.verdict = .deny
        trail.decision = .noProfileMatched(profiles: e.profiles)
    }
}

// Default-deny status (DECISIONS 27). An endpoint is default-deny in a direction when a packet
// that matches no policy rule is denied there:
//   - walking the tiers in order, the first tier that applies to the endpoint in that direction
//     (one of its normal-stage policies selects it with that type) and whose defaultAction is
//     Deny catches unmatched traffic with its end-of-tier Deny; tiers whose defaultAction is Pass
//     (kube-admin, kube-baseline) hand unmatched traffic on to the next applicable tier;
//   - when no such tier exists, unmatched traffic reaches the endpoint's profiles: it is default
//     allow when one of them has an Allow rule in that direction (every pod's kns.<namespace>
//     profile allows everything; so does projectcalico-default-allow), default deny when none has
//     (for example a host endpoint without profiles).
// A namespace is protected in a direction when it has endpoints and all of them are default-deny
// there; partial when some are; unprotected when none is.

import PolicyModel

extension PolicySet {
    public func protection(of e: Endpoint, _ d: Direction) -> EndpointProtection {
        for group in tiers {
            let selecting = group.policies.filter {
                !$0.doNotTrack && !$0.preDNAT && $0.types.contains(d) && $0.endpointSelector.matches(e.effectiveLabels)
            }
            if selecting.isEmpty { continue }
            if group.tier.defaultAction == .deny {
                return EndpointProtection(defaultDeny: true, tier: group.tier.name, policies: selecting.map(\.qualifiedName),
                                          reason: "end of tier \(group.tier.name)")
            }
        }
        if let allowing = e.profiles.first(where: { profiles[$0]?.rules(d).contains { $0.action == .allow } ?? false }) {
            return EndpointProtection(defaultDeny: false, tier: nil, policies: [],
                                      reason: "no tier that selects it ends in Deny; profile \(allowing) allows")
        }
        return EndpointProtection(defaultDeny: true, tier: nil, policies: [],
                                  reason: e.profiles.isEmpty ? "no tier that selects it ends in Deny, and it has no profile (Deny)"
                                                             : "no tier that selects it ends in Deny, and no profile allows (Deny)")
    }
}

enum ProtectionAnalysis {
    static func endpoints(_ set: PolicySet) -> [EndpointSummary] {
        set.endpoints.map { e in
            EndpointSummary(id: e.id, kind: e.kind.description, namespace: e.namespace, addresses: e.addresses.map(\.description),
                            ingress: set.protection(of: e, .ingress), egress: set.protection(of: e, .egress))
        }
    }

    static func namespaces(_ set: PolicySet, _ endpoints: [EndpointSummary]) -> [NamespaceSummary] {
        let workloads = zip(set.endpoints, endpoints).filter { !$0.0.kind.isHost }
        var rank: [String: Int] = [:]
        for (i, p) in set.allPolicies.enumerated() where rank[p.qualifiedName] == nil { rank[p.qualifiedName] = i }
        return set.namespaces.keys.sorted().map { name in
            let members = workloads.filter { $0.0.namespace == name }.map(\.1)
            func status(_ d: Direction) -> NamespaceSummary.DirectionStatus {
                let p = members.map { d == .ingress ? $0.ingress : $0.egress }
                let open = zip(members, p).filter { !$0.1.defaultDeny }.map(\.0.id)
                var policies: [String] = []
                for x in p { for q in x.policies where !policies.contains(q) { policies.append(q) } }
                policies.sort { (rank[$0] ?? .max, $0) < (rank[$1] ?? .max, $1) }
                let s: NamespaceSummary.Status = members.isEmpty ? .empty : open.isEmpty ? .protected : open.count == members.count ? .unprotected : .partial
                return .init(status: s, policies: policies, unprotected: open)
            }
            let loc = set.namespaces[name]?.location
            return NamespaceSummary(name: name, endpoints: members.count, ingress: status(.ingress), egress: status(.egress),
                                    location: loc.flatMap { $0.line > 0 ? $0 : nil })
        }
    }

    /// VD001: one finding for the cluster when no workload is default-deny in either direction;
    /// otherwise one per namespace that is not protected in some direction.
    static func findings(_ namespaces: [NamespaceSummary], _ endpoints: [EndpointSummary], _ set: PolicySet) -> [Finding] {
        let kind = FindingKind.noDefaultDeny
        let workloads = zip(set.endpoints, endpoints).filter { !$0.0.kind.isHost }.map(\.1)
        if workloads.isEmpty { return [] }
        if !workloads.contains(where: { $0.ingress.defaultDeny || $0.egress.defaultDeny }) {
            let names = namespaces.filter { $0.status(.ingress) != .empty }.map(\.name)
            return [Finding(id: kind.id, severity: kind.defaultSeverity,
                            message: "the cluster has no default-deny baseline: no workload endpoint denies unmatched ingress or egress "
                                + "(namespaces \(names.joined(separator: ", "))); apply a default-deny NetworkPolicy per namespace or a "
                                + "GlobalNetworkPolicy that selects every workload with types Ingress and Egress",
                            resource: "cluster")]
        }
        let byID = Dictionary(endpoints.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Finding] = []
        for ns in namespaces {
            var parts: [String] = []
            var directions: [Direction] = []
            let unprotected = Direction.allCases.filter { ns.status($0) == .unprotected }
            if !unprotected.isEmpty {
                let members = ns.direction(unprotected[0]).unprotected
                let why = byID[members[0]].map { e in (unprotected[0] == .ingress ? e.ingress : e.egress).reason } ?? ""
                parts.append("no default-deny baseline for \(unprotected.map(\.rawValue).joined(separator: " and ")): "
                             + "\(list(members)) let\(members.count == 1 ? "s" : "") through traffic that no rule matches (\(why))")
                directions += unprotected
            }
            for d in Direction.allCases where ns.status(d) == .partial {
                let open = ns.direction(d).unprotected
                parts.append("the \(d.rawValue) default deny does not cover \(open.joined(separator: ", ")) (\(open.count) of \(ns.endpoints) endpoints)")
                directions.append(d)
            }
            if parts.isEmpty { continue }
            out.append(Finding(id: kind.id, severity: kind.defaultSeverity, message: "namespace \(ns.name): " + parts.joined(separator: "; "),
                               resource: "Namespace \(ns.name)", direction: directions.count == 1 ? directions[0] : nil, location: ns.location))
        }
        return out
    }
}

extension NamespaceSummary {
    public func direction(_ d: Direction) -> DirectionStatus { d == .ingress ? ingress : egress }
    public func status(_ d: Direction) -> Status { direction(d).status }
}

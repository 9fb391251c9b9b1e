// VD002 (egress open to the cloud metadata endpoint) and VD003 (egress default deny without DNS),
// both found by evaluating probes with the reference evaluator.

import Addresses
import PolicyModel
import ReferenceEvaluator

enum MetadataCheck {
    static let targets = [IPAddress("169.254.169.254")!, IPAddress("fd00:ec2::254")!]

    /// From every workload endpoint, TCP 80 to each metadata address of a family it has. A finding
    /// per rule that allows it: a policy Allow rule, or a profile rule reached at an endpoint that
    /// is egress default-deny (an endpoint without any egress baseline is VD001's).
    static func findings(_ set: PolicySet, _ evaluator: ReferenceEvaluator, _ protection: [String: EndpointSummary]) -> [Finding] {
        struct Group {
            var resource: String
            var rule: Int
            var location: SourceLocation?
            var decidedBy: String
            var endpoints: [String] = []
            var targets: [String] = []
            var witness: String
        }
        var groups: [String: Group] = [:]
        var order: [String] = []
        for e in set.endpoints where !e.kind.isHost {
            for target in targets {
                guard let src = e.address(of: target.family) else { continue }
                let packet = Packet(source: src, destination: target, protocolNumber: 6, sourcePort: 40000, destinationPort: 80)
                let v = evaluator.evaluate(packet, from: evaluator.party(for: e), to: evaluator.party(for: target))
                guard v.verdict == .allow, let t = v.egress else { continue }
                let key: String
                var group: Group
                switch t.decision {
                case let .rule(_, policy, kind, index, .allow):
                    let p = set.policy(kind: kind.rawValue, qualifiedName: policy)
                    key = "\(kind.rawValue) \(policy) \(index)"
                    group = Group(resource: "\(kind.rawValue) \(policy)", rule: index, location: p.map { $0.egress[index].location },
                                  decidedBy: TrailText.decision(t.decision), witness: packet.description)
                case let .profileRule(profile, index, .allow) where protection[e.id]?.egress.defaultDeny == true:
                    key = "Profile \(profile) \(index)"
                    group = Group(resource: "Profile \(profile)", rule: index, location: set.profiles[profile]?.egress[index].location,
                                  decidedBy: TrailText.decision(t.decision), witness: packet.description)
                default:
                    continue
                }
                if let g = groups[key] { group = g } else { order.append(key) }
                if !group.endpoints.contains(e.id) { group.endpoints.append(e.id) }
                if !group.targets.contains(target.description) { group.targets.append(target.description) }
                groups[key] = group
            }
        }
        let kind = FindingKind.metadataEgress
        return order.map { key in
            let g = groups[key]!
            let nets = g.targets.map { $0.contains(":") ? "\($0)/128" : "\($0)/32" }
            return Finding(id: kind.id, severity: kind.defaultSeverity,
                           message: "egress rule \(g.rule) of \(g.resource) lets \(list(g.endpoints)) reach the cloud metadata endpoint "
                               + "\(g.targets.joined(separator: " and ")) on TCP 80 (e.g. \(g.witness), allowed by \(g.decidedBy)); "
                               + "exclude it with notNets: [\(nets.joined(separator: ", "))] or deny it in an earlier rule",
                           resource: g.resource, rule: g.rule, direction: .egress, location: g.location)
        }
    }
}

enum DNSCheck {
    /// Cluster DNS: workloads labelled as kube-dns or CoreDNS (kubeadm's `k8s-app: kube-dns`, the
    /// CoreDNS chart's `app.kubernetes.io/name: coredns`).
    static func dnsEndpoints(_ set: PolicySet) -> [Endpoint] {
        set.endpoints.filter { e in
            !e.kind.isHost && (["kube-dns", "coredns"].contains(e.effectiveLabels["k8s-app"] ?? "")
                || ["coredns", "kube-dns"].contains(e.effectiveLabels["app.kubernetes.io/name"] ?? ""))
        }
    }

    /// From every workload that is egress default-deny (and is not DNS itself), UDP and TCP 53 to
    /// every DNS endpoint. One finding per source namespace and blocking policy.
    static func findings(_ set: PolicySet, _ evaluator: ReferenceEvaluator, _ protection: [String: EndpointSummary]) -> ([Finding], CheckRun) {
        let kind = FindingKind.dnsBlocked
        let dns = dnsEndpoints(set)
        if dns.isEmpty {
            return ([], CheckRun(id: kind.id, ran: false, note: "no kube-dns/CoreDNS endpoint (label k8s-app=kube-dns) in the inventory"))
        }
        struct Group {
            var namespace: String
            var resource: String
            var location: SourceLocation?
            var sources: [String] = []
            var protocols: Set<UInt8> = []
            var targets: [String] = []
            var decidedBy: String
        }
        var groups: [String: Group] = [:]
        var order: [String] = []
        let dnsIDs = Set(dns.map(\.id))
        for e in set.endpoints where !e.kind.isHost && !dnsIDs.contains(e.id) && protection[e.id]?.egress.defaultDeny == true {
            for d in dns {
                guard let family: IPFamily = [IPFamily.v4, .v6].first(where: { e.address(of: $0) != nil && d.address(of: $0) != nil }) else { continue }
                for proto: UInt8 in [17, 6] {
                    let packet = Packet(source: e.address(of: family)!, destination: d.address(of: family)!, protocolNumber: proto,
                                        sourcePort: 40000, destinationPort: 53)
                    let v = evaluator.evaluate(packet, from: evaluator.party(for: e), to: evaluator.party(for: d))
                    guard v.verdict == .deny, let t = v.points.first(where: { $0.verdict == .deny }) else { continue }
                    let (resource, location) = blocker(t, set)
                    let key = "\(e.namespace ?? "")|\(resource)"
                    var g = groups[key] ?? Group(namespace: e.namespace ?? "", resource: resource, location: location, decidedBy: TrailText.summary(t))
                    if groups[key] == nil { order.append(key) }
                    if !g.sources.contains(e.id) { g.sources.append(e.id) }
                    if !g.targets.contains(d.id) { g.targets.append(d.id) }
                    g.protocols.insert(proto)
                    groups[key] = g
                }
            }
        }
        let findings = order.map { key -> Finding in
            let g = groups[key]!
            let protos = [UInt8(17), 6].filter { g.protocols.contains($0) }.map { $0 == 17 ? "UDP 53" : "TCP 53" }
            let consequence = g.protocols.contains(17) ? "name resolution fails" : "answers too large for UDP (which fall back to TCP) fail"
            return Finding(id: kind.id, severity: g.protocols.contains(17) ? .error : .warning,
                           message: "namespace \(g.namespace) is under an egress default deny but DNS is not allowed: "
                               + "\(protos.joined(separator: " and ")) to \(list(g.targets)) denied for \(list(g.sources)) "
                               + "(\(g.decidedBy)), so \(consequence); allow UDP and TCP 53 to the DNS endpoints in egress",
                           resource: g.resource, direction: .egress, location: g.location)
        }
        return (findings, CheckRun(id: kind.id, ran: true, note: nil))
    }

    /// The policy to point at for a denying point: the deny rule's policy, or for an end-of-tier
    /// deny the tier's selecting policy without rules in that direction (the default-deny policy),
    /// else its first selecting policy.
    static func blocker(_ t: Trail, _ set: PolicySet) -> (String, SourceLocation?) {
        switch t.decision {
        case let .rule(_, policy, kind, index, _):
            let p = set.policy(kind: kind.rawValue, qualifiedName: policy)
            return ("\(kind.rawValue) \(policy)", p?.rules(t.direction)[index].location)
        case let .endOfTier(tier):
            let visited = t.tiers.last { $0.tier == tier }?.policies ?? []
            let policies = visited.compactMap { v in set.policy(kind: v.kind.rawValue, qualifiedName: v.policy) }
            if let p = policies.first(where: { $0.rules(t.direction).isEmpty }) ?? policies.first {
                return (resourceName(p), p.location)
            }
            return ("tier \(tier)", nil)
        default:
            return ("endpoint \(t.endpoint)", set.endpoint(id: t.endpoint)?.location)
        }
    }
}

// A loaded policy set resolved into what Calico would program: tiers in evaluation order, policies
// per tier in order, profiles, and every endpoint with its effective labels, addresses and named ports.

import Addresses
import Selectors

/// Policies, tiers, profiles, network sets and endpoints, resolved against each other.
///
/// Build one with ``PolicySet/resolve(_:options:)``; it never changes afterwards, so every evaluator
/// (the reference evaluator, the compiler) reads the same resolved view.
public struct PolicySet: Sendable {
    public struct Options: Sendable {
        /// Tie-break for equal `order`: Calico 3.32+ compares `name/namespace/kind`; ≤3.31 compared
        /// `namespace/name` (with `knp.default.` for Kubernetes policies) or the bare global name.
        public enum TieBreak: String, Sendable, CaseIterable { case head, legacy }
        public var tieBreak: TieBreak = .head
        /// Where synthetic addresses for pod templates and address-less pods come from.
        public var syntheticPoolV4 = CIDR(address: IPAddress("100.64.0.0")!, prefixLength: 10)
        public var syntheticPoolV6 = CIDR(address: IPAddress("fd00:5e7d::")!, prefixLength: 64)
        public init() {}
    }

    /// A tier with its applicable policies in evaluation order.
    public struct TierPolicies: Sendable {
        public var tier: Tier
        public var policies: [Policy]
        /// True when the tier is referenced by policies but has no Tier resource.
        public var isUndefined: Bool
    }

    public var tiers: [TierPolicies]
    public var profiles: [String: Profile]
    public var networkSets: [NetworkSet]
    public var endpoints: [Endpoint]
    public var namespaces: [String: Namespace]
    public var felix: FelixSettings
    public var diagnostics: [Diagnostic]
    /// Endpoints that are listed in the inventory but are not policy enforcement points
    /// (host-networked or finished pods), with the reason.
    public var inactiveEndpoints: [(id: String, reason: String)]
    private var endpointIndexByID: [String: Int]
    private var ownersByAddress: [IPAddress: [Int]]

    public var allPolicies: [Policy] { tiers.flatMap(\.policies) }

    public func endpoint(id: String) -> Endpoint? { endpointIndexByID[id].map { endpoints[$0] } }

    /// Endpoints that own `address` (workload addresses and host-endpoint expectedIPs), in inventory order.
    public func owners(of address: IPAddress) -> [Endpoint] { (ownersByAddress[address] ?? []).map { endpoints[$0] } }

    /// Network sets whose CIDRs contain `address`.
    public func networkSets(containing address: IPAddress) -> [NetworkSet] {
        networkSets.filter { $0.nets.contains { $0.contains(address) } }
    }

    /// The host endpoints of `node`, in name order.
    public func hostEndpoints(onNode node: String) -> [Endpoint] {
        endpoints.filter { $0.kind == .hostEndpoint && $0.node == node }.sorted { $0.name < $1.name }
    }

    // MARK: Resolution

    public static func resolve(_ loaded: LoadedResources, options: Options = Options()) throws(InputError) -> PolicySet {
        var diagnostics = loaded.diagnostics
        try checkDuplicates(loaded)

        // Namespaces: Kubernetes labels every namespace with its own name.
        var namespaces: [String: Namespace] = [:]
        for var ns in loaded.namespaces {
            if ns.labels[CalicoLabels.namespaceNameLabel] == nil { ns.labels[CalicoLabels.namespaceNameLabel] = ns.name }
            namespaces[ns.name] = ns
        }
        func namespace(_ name: String, for location: SourceLocation) -> Namespace {
            if let ns = namespaces[name] { return ns }
            diagnostics.append(Diagnostic(.missingNamespace, location,
                "namespace '\(name)' is not in the inventory; assuming it has only the label \(CalicoLabels.namespaceNameLabel)=\(name)"))
            let ns = Namespace(name: name, labels: [CalicoLabels.namespaceNameLabel: name], location: location)
            namespaces[name] = ns
            return ns
        }
        var serviceAccounts: [String: ServiceAccount] = [:]
        for sa in loaded.serviceAccounts { serviceAccounts["\(sa.namespace)/\(sa.name)"] = sa }

        // Profiles: user profiles, the built-in allow-all profile, and the kns./ksa. profiles Calico derives
        // from namespaces and service accounts (CONV NamespaceToProfile / ServiceAccountToProfile).
        var profiles: [String: Profile] = [:]
        let allowAll = Rule(action: .allow, location: .builtIn("profile"))
        profiles[Profile.defaultAllow] = Profile(name: Profile.defaultAllow, ingress: [allowAll], egress: [allowAll],
                                                 labelsToApply: [:], location: .builtIn("profile"))
        func namespaceProfile(_ ns: Namespace) -> Profile {
            var labels: [String: String] = [:]
            for (k, v) in ns.labels { labels[CalicoLabels.namespacePrefix + k] = v }
            labels[CalicoLabels.namespacePrefix + CalicoLabels.name] = ns.name
            let allow = Rule(action: .allow, location: ns.location)
            return Profile(name: "kns.\(ns.name)", ingress: [allow], egress: [allow], labelsToApply: labels, location: ns.location)
        }
        func serviceAccountProfile(namespace: String, name: String, location: SourceLocation) -> Profile {
            let sa = serviceAccounts["\(namespace)/\(name)"]
            var labels: [String: String] = [:]
            for (k, v) in sa?.labels ?? [:] { labels[CalicoLabels.serviceAccountPrefix + k] = v }
            labels[CalicoLabels.serviceAccountPrefix + CalicoLabels.name] = name
            return Profile(name: "ksa.\(namespace).\(name)", ingress: [], egress: [], labelsToApply: labels,
                           location: sa?.location ?? location)
        }
        for ns in namespaces.values { profiles["kns.\(ns.name)"] = namespaceProfile(ns) }
        for sa in serviceAccounts.values {
            profiles["ksa.\(sa.namespace).\(sa.name)"] = serviceAccountProfile(namespace: sa.namespace, name: sa.name, location: sa.location)
        }
        for p in loaded.profiles { profiles[p.name] = p }

        // Endpoints.
        var endpoints: [Endpoint] = []
        var inactive: [(String, String)] = []
        func effectiveLabels(own: [String: String], profileNames: [String]) -> [String: String] {
            var labels = own
            for name in profileNames {
                for (k, v) in profiles[name]?.labelsToApply ?? [:] where labels[k] == nil { labels[k] = v }
            }
            return labels
        }

        for pod in loaded.pods {
            let id = "\(pod.namespace)/\(pod.name)"
            if let reason = pod.inactiveReason {
                inactive.append((id, reason))
                diagnostics.append(Diagnostic(.inactiveEndpoint, pod.location, "\(pod.kind) \(id) is not a workload endpoint: \(reason)"))
                continue
            }
            let ns = namespace(pod.namespace, for: pod.location)
            if profiles["kns.\(ns.name)"] == nil { profiles["kns.\(ns.name)"] = namespaceProfile(ns) }
            let saProfile = "ksa.\(pod.namespace).\(pod.serviceAccount)"
            if profiles[saProfile] == nil {
                profiles[saProfile] = serviceAccountProfile(namespace: pod.namespace, name: pod.serviceAccount, location: pod.location)
            }
            var own = pod.labels
            own[CalicoLabels.namespace] = pod.namespace
            own[CalicoLabels.orchestrator] = CalicoLabels.kubernetesOrchestrator
            if pod.serviceAccount.count < 63 { own[CalicoLabels.serviceAccount] = pod.serviceAccount }
            let profileNames = ["kns.\(pod.namespace)", saProfile]
            endpoints.append(Endpoint(id: id, kind: pod.kind, name: pod.name, namespace: pod.namespace, node: pod.node,
                                      labels: pod.labels, effectiveLabels: effectiveLabels(own: own, profileNames: profileNames),
                                      profiles: profileNames, addresses: pod.addresses, addressesAreSynthetic: false,
                                      namedPorts: pod.namedPorts, serviceAccount: pod.serviceAccount, interfaceName: nil,
                                      location: pod.location))
        }
        for wep in loaded.workloadEndpoints {
            for name in wep.profiles where profiles[name] == nil {
                if name.hasPrefix("kns."), namespaces[String(name.dropFirst(4))] == nil {
                    let ns = namespace(String(name.dropFirst(4)), for: wep.location)
                    profiles[name] = namespaceProfile(ns)
                    continue
                }
                // ksa.<ns>.<sa>: Calico derives it from the service account; without one in the
                // inventory it carries only the name label, as for pods.
                let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
                if parts.count == 3, parts[0] == "ksa" {
                    profiles[name] = serviceAccountProfile(namespace: String(parts[1]), name: String(parts[2]), location: wep.location)
                    continue
                }
                throw InputError(wep.location, field: "spec.profiles", "profile '\(name)' is not defined")
            }
            var own = wep.labels
            if own[CalicoLabels.namespace] == nil { own[CalicoLabels.namespace] = wep.namespace }
            if own[CalicoLabels.orchestrator] == nil, let o = wep.orchestrator { own[CalicoLabels.orchestrator] = o }
            if let sa = wep.serviceAccount, own[CalicoLabels.serviceAccount] == nil, sa.count < 63 { own[CalicoLabels.serviceAccount] = sa }
            endpoints.append(Endpoint(id: "\(wep.namespace)/\(wep.endpointName)", kind: .workloadEndpoint, name: wep.endpointName,
                                      namespace: wep.namespace, node: wep.node, labels: wep.labels,
                                      effectiveLabels: effectiveLabels(own: own, profileNames: wep.profiles),
                                      profiles: wep.profiles, addresses: wep.addresses, addressesAreSynthetic: false,
                                      namedPorts: wep.namedPorts, serviceAccount: wep.serviceAccount,
                                      interfaceName: wep.interfaceName, location: wep.location))
        }
        for hep in loaded.hostEndpoints {
            for name in hep.profiles where profiles[name] == nil {
                throw InputError(hep.location, field: "spec.profiles", "profile '\(name)' is not defined")
            }
            endpoints.append(Endpoint(id: "hostendpoint:\(hep.name)", kind: .hostEndpoint, name: hep.name, namespace: nil,
                                      node: hep.node, labels: hep.labels,
                                      effectiveLabels: effectiveLabels(own: hep.labels, profileNames: hep.profiles),
                                      profiles: hep.profiles, addresses: hep.expectedIPs, addressesAreSynthetic: false,
                                      namedPorts: hep.namedPorts, serviceAccount: nil, interfaceName: hep.interfaceName,
                                      location: hep.location))
        }

        // Synthetic addresses for endpoints without any (pod templates, pending pods), so that rule
        // selectors, which match addresses, can reach them.
        var used = Set(endpoints.flatMap(\.addresses))
        var next4 = options.syntheticPoolV4.address.v4 &+ 1
        var next6 = options.syntheticPoolV6.address.low &+ 1
        for i in endpoints.indices where endpoints[i].addresses.isEmpty && endpoints[i].kind != .hostEndpoint {
            var a4 = IPAddress(v4: next4)
            while used.contains(a4) { next4 &+= 1; a4 = IPAddress(v4: next4) }
            var a6 = IPAddress(v6High: options.syntheticPoolV6.address.high, low: next6)
            while used.contains(a6) { next6 &+= 1; a6 = IPAddress(v6High: options.syntheticPoolV6.address.high, low: next6) }
            next4 &+= 1
            next6 &+= 1
            used.insert(a4)
            used.insert(a6)
            endpoints[i].addresses = [a4, a6]
            endpoints[i].addressesAreSynthetic = true
            if endpoints[i].kind == .pod {
                diagnostics.append(Diagnostic(.syntheticAddress, endpoints[i].location,
                    "pod \(endpoints[i].id) has no status.podIP; giving it the synthetic addresses \(a4) and \(a6)"))
            }
        }

        // Duplicate endpoint ids and shared addresses.
        var indexByID: [String: Int] = [:]
        var owners: [IPAddress: [Int]] = [:]
        for (i, e) in endpoints.enumerated() {
            if let j = indexByID[e.id] {
                throw InputError(e.location, field: "metadata.name", "endpoint \(e.id) is defined twice (also at \(endpoints[j].location))")
            }
            indexByID[e.id] = i
            for a in e.addresses { owners[a, default: []].append(i) }
        }
        for (a, list) in owners where list.count > 1 {
            let ids = list.map { endpoints[$0].id }
            diagnostics.append(Diagnostic(.sharedAddress, endpoints[list[0]].location,
                "address \(a) belongs to several endpoints (\(ids.joined(separator: ", "))); probes by address use the first"))
        }

        // Network sets: namespaced ones inherit the namespace's labels.
        var networkSets: [NetworkSet] = []
        for var set in loaded.networkSets {
            if let nsName = set.namespace {
                let ns = namespace(nsName, for: set.location)
                var labels = set.labels
                labels[CalicoLabels.namespace] = nsName
                for (k, v) in namespaceProfile(ns).labelsToApply where labels[k] == nil { labels[k] = v }
                set.effectiveLabels = labels
            }
            networkSets.append(set)
        }

        // Tiers and policy order.
        var tiersByName: [String: Tier] = [:]
        for t in Tier.builtIns { tiersByName[t.name] = t }
        var defined = Set(tiersByName.keys)
        for t in loaded.tiers {
            tiersByName[t.name] = t
            defined.insert(t.name)
        }
        var undefined: Set<String> = []
        for p in loaded.policies where tiersByName[p.tier] == nil {
            undefined.insert(p.tier)
            tiersByName[p.tier] = Tier(name: p.tier, order: nil, defaultAction: .deny, location: p.location, isBuiltIn: false)
            diagnostics.append(Diagnostic(.undefinedTier, p.location,
                "tier '\(p.tier)' of policy \(p.qualifiedName) has no Tier resource; Calico would refuse the policy. Evaluating it after every defined tier, with defaultAction Deny"))
        }
        let orderedTiers = tiersByName.values.sorted { a, b in
            let ka = (undefined.contains(a.name) ? 1 : 0, a.order == nil ? 1 : 0, a.order ?? 0)
            let kb = (undefined.contains(b.name) ? 1 : 0, b.order == nil ? 1 : 0, b.order ?? 0)
            return ka != kb ? ka < kb : a.name < b.name
        }
        let tiers = orderedTiers.map { tier in
            TierPolicies(tier: tier,
                         policies: loaded.policies.filter { $0.tier == tier.name }.sorted { policyPrecedes($0, $1, options.tieBreak) },
                         isUndefined: undefined.contains(tier.name))
        }

        return PolicySet(tiers: tiers, profiles: profiles, networkSets: networkSets, endpoints: endpoints,
                         namespaces: namespaces, felix: loaded.felix ?? .defaults, diagnostics: diagnostics,
                         inactiveEndpoints: inactive, endpointIndexByID: indexByID, ownersByAddress: owners)
    }

    /// F-SORT `PolKVLess`: ascending order (none = +∞), then the tie-break string.
    public static func policyPrecedes(_ a: Policy, _ b: Policy, _ tieBreak: Options.TieBreak) -> Bool {
        switch (a.order, b.order) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return tieBreakKey(a, tieBreak).utf8.lexicographicallyPrecedes(tieBreakKey(b, tieBreak).utf8)
        }
    }

    static func tieBreakKey(_ p: Policy, _ t: Options.TieBreak) -> String {
        switch t {
        case .head:
            return "\(p.name)/\(p.namespace ?? "")/\(p.kind.rawValue)"
        case .legacy:
            // ≤3.31 stored Kubernetes policies as knp.default.<name> and default-tier Calico policies
            // as default.<name> (SEMANTICS §1.1); other tiers' names already carry the tier prefix.
            let name: String
            if p.kind == .kubernetesNetworkPolicy { name = "knp.default.\(p.name)" }
            else if p.tier == "default" && !p.name.contains(".") { name = "default.\(p.name)" }
            else { name = p.name }
            return p.namespace.map { "\($0)/\(name)" } ?? name
        }
    }

    static func checkDuplicates(_ loaded: LoadedResources) throws(InputError) {
        var seen: [String: SourceLocation] = [:]
        func check(_ key: String, _ what: String, _ loc: SourceLocation) throws(InputError) {
            if let prev = seen[key] { throw InputError(loc, field: "metadata.name", "\(what) is defined twice (also at \(prev))") }
            seen[key] = loc
        }
        for p in loaded.policies { try check("policy/\(p.kind.rawValue)/\(p.qualifiedName)", "\(p.kind.rawValue) \(p.qualifiedName)", p.location) }
        for t in loaded.tiers { try check("tier/\(t.name)", "Tier \(t.name)", t.location) }
        for p in loaded.profiles { try check("profile/\(p.name)", "Profile \(p.name)", p.location) }
        for s in loaded.networkSets { try check("netset/\(s.qualifiedName)", "network set \(s.qualifiedName)", s.location) }
        for n in loaded.namespaces { try check("ns/\(n.name)", "Namespace \(n.name)", n.location) }
        for s in loaded.serviceAccounts { try check("sa/\(s.namespace)/\(s.name)", "ServiceAccount \(s.namespace)/\(s.name)", s.location) }
    }
}

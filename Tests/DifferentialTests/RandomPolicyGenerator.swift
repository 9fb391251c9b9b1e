// Seeded random policy sets that the loader accepts: an inventory (namespaces, service accounts, pods
// with dual-stack addresses and named ports, WorkloadEndpoints, host endpoints, Felix failsafes) and
// policy (tiers, Calico NetworkPolicy and GlobalNetworkPolicy, Kubernetes NetworkPolicy, profiles,
// network sets). Label, port and address pools are small on purpose, so that selectors, named ports
// and CIDRs actually hit the endpoints. Every probability is tunable through `GeneratorConfig`.
//
// The generator respects Calico's validation (SEMANTICS §1.6): ports only with TCP/UDP/SCTP (named
// ports also without a protocol), icmp only with ICMP/ICMPv6, one CIDR family per rule matching
// ipVersion, no catch-all notNets, global() only as a whole rule namespaceSelector, preDNAT ingress
// only, doNotTrack/preDNAT with applyOnForward. A generated set that the loader rejects is a
// generator bug.

import Addresses

struct GeneratorConfig: Sendable {
    // Inventory.
    var nodes = 2...3
    var namespaces = 2...4
    var podsPerNamespace = 1...4
    var dualStackProbability = 0.35
    var pendingPodProbability = 0.03
    var hostNetworkPodProbability = 0.02
    var serviceAccountDocProbability = 0.7
    var hostEndpointProbability = 0.8          // per node
    var secondHostEndpointProbability = 0.15   // per node with one
    var wildcardHostEndpointProbability = 0.05 // per node: interfaceName "*"
    var workloadEndpoints = 0...2
    var felixProbability = 0.35
    var networkSets = 0...3
    var globalNetworkSets = 0...2
    // Policy.
    var tiers = 0...3
    var tierPassProbability = 0.4
    var profiles = 0...2
    var networkPolicies = 1...4
    var globalNetworkPolicies = 1...4
    var kubernetesPolicies = 0...3
    var hostPolicyProbability = 0.35           // a GNP aimed at host endpoints (doNotTrack/preDNAT/applyOnForward)
    var rulesPerDirection = 0...4
    var explicitTypesProbability = 0.3
    var orderProbability = 0.7
    // Rule fields.
    var ipVersionProbability = 0.1
    var protocolProbability = 0.65
    var notProtocolProbability = 0.1
    var icmpProbability = 0.55                  // given an ICMP protocol
    var notICMPProbability = 0.12
    var entityProbability = 0.55                // per side
    var netsProbability = 0.3
    var notNetsProbability = 0.15
    var selectorProbability = 0.35
    var notSelectorProbability = 0.12
    var namespaceSelectorProbability = 0.15
    var serviceAccountsProbability = 0.07
    var portsProbability = 0.5                  // given a port protocol
    var notPortsProbability = 0.18
    var namedPortProbability = 0.3              // per port entry
    var namedPortWithoutProtocolProbability = 0.12

    static let standard = GeneratorConfig()

    /// More policies and rules per set, and more of the tricky fields (notPorts, named ports without a
    /// protocol, host-endpoint policy): about 60% of packets are decided by a policy rule somewhere on
    /// their path (standard: about 38%), at roughly twice the cost per set.
    static let dense: GeneratorConfig = {
        var c = GeneratorConfig()
        c.rulesPerDirection = 2...8
        c.networkPolicies = 2...6
        c.globalNetworkPolicies = 2...6
        c.kubernetesPolicies = 1...4
        c.notPortsProbability = 0.4
        c.namedPortWithoutProtocolProbability = 0.4
        c.hostPolicyProbability = 0.5
        return c
    }()
}

struct RandomPolicyGenerator: Sendable {
    var config: GeneratorConfig = .standard

    func scenario(seed: UInt64) -> Scenario {
        var b = Builder(config: config, rng: SeededRandom(seed: seed, stream: "policy"))
        return b.build()
    }

    func yaml(seed: UInt64) -> String { scenario(seed: seed).yaml }
}

// MARK: Pools

enum Pools {
    static let namespaceNames = ["prod", "dev", "stage", "ops"]
    static let podLabelValues: [(String, [String])] = [
        ("app", ["web", "api", "db", "cache"]), ("role", ["front", "back"]), ("version", ["v1", "v2"]), ("zone", ["a", "b"]),
    ]
    static let hostLabelValues: [(String, [String])] = [("role", ["node", "edge"]), ("zone", ["a", "b"])]
    static let setLabelValues: [(String, [String])] = [("kind", ["ext", "int", "dns"]), ("app", ["web", "db"]), ("zone", ["a", "b"])]
    static let namespaceLabelValues: [(String, [String])] = [("env", ["prod", "dev", "test"]), ("team", ["a", "b"])]
    static let serviceAccountLabelValues: [(String, [String])] = [("role", ["web", "api"])]
    static let serviceAccountNames = ["default", "sa-web", "sa-api"]
    /// (name, port, protocol) a container may declare; the same name has different numbers on different pods.
    static let containerPorts: [(String?, Int, String)] = [
        ("http", 80, "TCP"), ("http", 8080, "TCP"), ("http", 8000, "TCP"), ("metrics", 9090, "TCP"), ("metrics", 9100, "TCP"),
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("grpc", 50051, "TCP"), ("grpc", 9000, "UDP"), ("db", 5432, "TCP"),
        ("db", 3306, "SCTP"), (nil, 443, "TCP"),
    ]
    static let hostPorts: [(String, Int, String)] = [("ssh", 22, "TCP"), ("http", 80, "TCP"), ("kubelet", 10250, "TCP"), ("dns", 53, "UDP"), ("bgp", 179, "TCP")]
    static let portNames = ["http", "metrics", "dns", "dns-tcp", "grpc", "db", "ssh", "kubelet", "admin"]
    static let portNumbers = [22, 53, 68, 80, 179, 443, 3306, 5432, 6443, 8080, 8443, 9090, 10250, 50051]
    static let portRanges = [(1000, 2000), (8000, 8100), (80, 80), (1, 1024), (5000, 5010), (30000, 32767), (53, 53), (9000, 9999), (1, 65535)]
    static let icmpV4 = [(8, nil), (0, nil), (3, 1), (3, 3), (3, nil), (11, 0), (5, 2)] as [(Int, Int?)]
    static let icmpV6 = [(128, nil), (129, nil), (1, 4), (1, nil), (3, 0), (2, nil)] as [(Int, Int?)]
    static let otherProtocolNumbers = [47, 50, 4, 136, 2]
}

// MARK: The builder

private struct Builder {
    let config: GeneratorConfig
    var rng: SeededRandom
    var s = Scenario()

    var nodes: [String] = []
    var usedAddresses: Set<String> = []
    var podV4: [String] = []
    var podV6: [String] = []
    var policyCounter = 0

    init(config: GeneratorConfig, rng: SeededRandom) {
        self.config = config
        self.rng = rng
    }

    mutating func count(_ r: ClosedRange<Int>) -> Int { rng.int(in: r) }

    mutating func labels(_ pool: [(String, [String])], max: Int) -> [Label] {
        let keys = rng.sample(pool, rng.int(in: 0...min(max, pool.count)))
        return keys.map { Label(key: $0.0, value: rng.pick($0.1)) }.sorted { $0.key < $1.key }
    }

    mutating func build() -> Scenario {
        buildInventory()
        buildPolicy()
        return s
    }

    // MARK: Inventory

    mutating func buildInventory() {
        nodes = (1...count(config.nodes)).map { "node\($0)" }
        let nsNames = Array(Pools.namespaceNames.prefix(count(config.namespaces)))
        for ns in nsNames {
            var ls = labels(Pools.namespaceLabelValues, max: 2)
            if rng.chance(0.3) { ls.append(Label(key: "kubernetes.io/metadata.name", value: ns)) }
            s.namespaces.append(NamespaceIR(name: ns, labels: ls))
            for sa in Pools.serviceAccountNames where rng.chance(config.serviceAccountDocProbability) {
                s.serviceAccounts.append(ServiceAccountIR(name: sa, namespace: ns, labels: sa == "default" ? [] : labels(Pools.serviceAccountLabelValues, max: 1)))
            }
        }

        // Profiles first: host and workload endpoints refer to them.
        for i in 0..<count(config.profiles) {
            s.profiles.append(ProfileIR(name: "prof-\(i)", ingress: [], egress: [], labelsToApply: labels([("zone", ["a", "b"]), ("pzone", ["x"])], max: 1)))
        }

        var podIndex = 0
        for ns in nsNames {
            for _ in 0..<count(config.podsPerNamespace) {
                podIndex += 1
                let nodeIndex = rng.below(nodes.count) + 1
                var ips: [String] = []
                if !rng.chance(config.pendingPodProbability) {
                    let v4 = freshAddress { r in "10.\(nodeIndex).\(r.below(2)).\(r.int(in: 2...250))" }
                    ips.append(v4)
                    podV4.append(v4)
                    if rng.chance(config.dualStackProbability) {
                        let v6 = freshAddress { r in "fd00:\(nodeIndex)::\(String(r.int(in: 2...0xfff), radix: 16))" }
                        ips.append(v6)
                        podV6.append(v6)
                    }
                }
                var ports: [ContainerPortIR] = []
                var names: Set<String> = []
                for (name, port, proto) in rng.sample(Pools.containerPorts, rng.int(in: 0...3)) {
                    if let n = name, !names.insert(n).inserted { continue }
                    ports.append(ContainerPortIR(name: name, port: port, protocol: proto == "TCP" && rng.chance(0.5) ? nil : proto))
                }
                var ls = labels(Pools.podLabelValues, max: 3)
                if rng.chance(0.05) { ls.append(Label(key: "projectcalico.org/orchestrator", value: "k8s")) }
                s.pods.append(PodIR(name: "pod-\(podIndex)", namespace: ns, labels: ls,
                                    node: rng.chance(0.95) ? "node\(nodeIndex)" : nil,
                                    serviceAccount: rng.chance(0.2) ? nil : rng.pick(Pools.serviceAccountNames),
                                    ips: ips, ports: ports, hostNetwork: rng.chance(config.hostNetworkPodProbability)))
            }
        }

        for i in 0..<count(config.workloadEndpoints) {
            let ns = rng.pick(nsNames)
            let node = rng.pick(nodes)
            var nets = ["10.9.0.\(10 + i)/32"]
            if rng.chance(0.3) { nets.append("fd00:9::\(10 + i)/128") }
            nets.forEach { usedAddresses.insert(String($0.split(separator: "/")[0])) }
            var profiles: [String] = []
            if rng.chance(0.5) { profiles.append("kns.\(ns)") }
            profiles += rng.sample(s.profiles.map(\.name), rng.int(in: 0...1))
            if rng.chance(0.2) { profiles.append(Profile_defaultAllow) }
            s.workloadEndpoints.append(WorkloadEndpointIR(
                name: "\(node)-cni-vm\(i)-eth0", namespace: ns, labels: labels(Pools.podLabelValues, max: 2),
                node: node, workload: "vm\(i)", ipNetworks: nets, profiles: profiles,
                ports: rng.sample(Pools.hostPorts, rng.int(in: 0...1)).map { EndpointPortIR(name: $0.0, port: $0.1, protocol: $0.2) }))
        }

        for (i, node) in nodes.enumerated() where rng.chance(config.hostEndpointProbability) {
            let n = i + 1
            func hep(_ name: String, _ iface: String, _ ips: [String]) -> HostEndpointIR {
                var profiles: [String] = []
                switch rng.below(4) {
                case 0: profiles = [Profile_defaultAllow]
                case 1: profiles = rng.sample(s.profiles.map(\.name), 1)
                case 2: profiles = []
                default: profiles = rng.chance(0.5) ? [Profile_defaultAllow] : []
                }
                var ls = labels(Pools.hostLabelValues, max: 2)
                if rng.chance(0.6), !ls.contains(where: { $0.key == "role" }) { ls.insert(Label(key: "role", value: "node"), at: 0) }
                return HostEndpointIR(name: name, labels: ls, node: node, interfaceName: iface, expectedIPs: ips, profiles: profiles,
                                      ports: rng.sample(Pools.hostPorts, rng.int(in: 0...2)).map { EndpointPortIR(name: $0.0, port: $0.1, protocol: $0.2) })
            }
            var ips = ["192.168.0.\(10 + n)"]
            if rng.chance(config.dualStackProbability) { ips.append("fd00:ff::\(n)") }
            ips.forEach { usedAddresses.insert($0) }
            s.hostEndpoints.append(hep("\(node)-eth0", "eth0", ips))
            if rng.chance(config.secondHostEndpointProbability) {
                let ip2 = "192.168.1.\(10 + n)"
                usedAddresses.insert(ip2)
                s.hostEndpoints.append(hep("\(node)-eth1", "eth1", [ip2]))
            }
            if rng.chance(config.wildcardHostEndpointProbability) {
                let ip3 = "192.168.2.\(10 + n)"
                usedAddresses.insert(ip3)
                s.hostEndpoints.append(hep("\(node)-all", "*", [ip3]))
            }
        }

        if rng.chance(config.felixProbability) {
            func failsafes(_ protos: [String]) -> [FailsafeIR] {
                (0..<rng.int(in: 0...3)).map { _ in
                    FailsafeIR(protocol: rng.pick(protos), port: rng.pick([22, 53, 68, 80, 179, 443, 6443, 8080]),
                               net: rng.chance(0.3) ? rng.pick(["10.0.0.0/8", "203.0.113.0/24", "192.168.0.0/16", "10.1.0.0/16"]) : nil)
                }
            }
            s.felix = FelixIR(inbound: rng.chance(0.6) ? failsafes(["tcp", "udp", "TCP"]) : nil,
                              outbound: rng.chance(0.5) ? failsafes(["tcp", "udp"]) : nil,
                              endpointToHost: rng.chance(0.6) ? rng.pick(["Accept", "Drop", "Return"]) : nil)
        }

        for i in 0..<count(config.networkSets) {
            s.networkSets.append(NetworkSetIR(name: "ns-set-\(i)", namespace: rng.pick(nsNames), labels: labels(Pools.setLabelValues, max: 2),
                                              nets: (0..<rng.int(in: 1...3)).map { _ in setNet() }))
        }
        for i in 0..<count(config.globalNetworkSets) {
            s.networkSets.append(NetworkSetIR(name: "global-set-\(i)", namespace: nil, labels: labels(Pools.setLabelValues, max: 2),
                                              nets: (0..<rng.int(in: 1...3)).map { _ in setNet() }))
        }
    }

    mutating func freshAddress(_ make: (inout SeededRandom) -> String) -> String {
        while true {
            let a = make(&rng)
            if usedAddresses.insert(a).inserted { return a }
        }
    }

    /// A network-set entry: lenient (bare IPs and host bits are allowed and masked).
    mutating func setNet() -> String {
        let n = rng.int(in: 1...max(1, nodes.count))
        return rng.weighted([
            ("10.\(n).0.0/16", 1), ("10.\(n).\(rng.below(2)).0/24", 2), ("203.0.113.0/24", 2), ("203.0.113.128/25", 1),
            ("198.51.100.0/24", 1), ("172.16.0.0/12", 1), ("8.8.8.8", 1), ("10.0.0.0/8", 0.5), ("192.168.0.0/24", 1),
            ("10.\(n).1.7/24", 0.5), (rng.pickOrNil(podV4).map { "\($0)/32" } ?? "10.1.0.5/32", 1.5),
            ("fd00:\(n)::/64", 1), ("2001:db8::/32", 1), ("2001:db8:1::/48", 1), ("2001:db8::5", 0.5), ("fd00::/8", 0.3),
        ])
    }

    // MARK: Policy

    var tierNames: [String] { s.tiers.map(\.name) }

    mutating func buildPolicy() {
        for name in ["security", "platform", "app"].prefix(count(config.tiers)) {
            let order: Double? = rng.chance(0.85) ? rng.pick([100, 200, 500, 1500, 200, 999_999, 2_000_000]) : nil
            let action: String? = rng.chance(config.tierPassProbability) ? "Pass" : (rng.chance(0.5) ? "Deny" : nil)
            s.tiers.append(TierIR(name: name, order: order, defaultAction: action))
        }
        for i in s.profiles.indices {
            s.profiles[i].ingress = rules(count(0...2), ingress: true)
            s.profiles[i].egress = rules(count(0...2), ingress: false)
        }
        for _ in 0..<count(config.networkPolicies) { s.policies.append(calicoPolicy(global: false)) }
        for _ in 0..<count(config.globalNetworkPolicies) { s.policies.append(calicoPolicy(global: true)) }
        for _ in 0..<count(config.kubernetesPolicies) { s.kubernetesPolicies.append(kubernetesPolicy()) }
    }

    mutating func nextName(_ prefix: String) -> String {
        policyCounter += 1
        return "\(prefix)-\(policyCounter)"
    }

    mutating func tier() -> String? {
        let custom = rng.pickOrNil(tierNames)
        return rng.weighted([(String?.none, 3), ("default", 1), (custom, 4), ("kube-admin", 0.3), ("kube-baseline", 0.3), ("undefined-tier", 0.05)])
    }

    mutating func order() -> Double? {
        rng.chance(config.orderProbability) ? rng.pick([1, 10, 100, 100, 200, 500.5, 1000, 1000, 2000, -5]) : nil
    }

    mutating func types() -> [String]? {
        guard rng.chance(config.explicitTypesProbability) else { return nil }
        return rng.pick([["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"]])
    }

    mutating func calicoPolicy(global: Bool) -> CalicoPolicyIR {
        let nsNames = s.namespaces.map(\.name)
        var p = CalicoPolicyIR(name: nextName(global ? "gnp" : "np"), namespace: global ? nil : (rng.pickOrNil(nsNames) ?? "default"))
        p.tier = tier()
        p.order = order()
        let forHosts = global && rng.chance(config.hostPolicyProbability)
        if forHosts {
            p.selector = rng.pick([.equals("role", "node"), .has("zone"), .all, .equals("zone", "a"), .inSet("role", ["edge", "node"]), .not(.has("projectcalico.org/namespace"))])
            switch rng.below(4) {
            case 0: break
            case 1: p.applyOnForward = true
            case 2: p.doNotTrack = true; p.applyOnForward = true
            default: p.preDNAT = true; p.applyOnForward = true
            }
        } else {
            p.selector = rng.chance(0.8) ? endpointSelector(depth: 0) : nil
            if global && rng.chance(0.2) { p.namespaceSelector = namespaceSelector(allowGlobal: false) }
            if rng.chance(0.08) { p.serviceAccountSelector = serviceAccountSelector() }
            if global && rng.chance(0.08) { p.applyOnForward = true }
        }
        p.ingress = rules(count(config.rulesPerDirection), ingress: true)
        if !p.preDNAT { p.egress = rules(count(config.rulesPerDirection), ingress: false) }
        p.types = types()
        if p.preDNAT, let t = p.types, t.contains("Egress") { p.types = rng.chance(0.5) ? ["Ingress"] : nil }
        return p
    }

    // MARK: Selectors

    mutating func leaf(_ pool: [(String, [String])]) -> SelectorIR {
        let (k, vs) = rng.pick(pool)
        switch rng.weighted([(0, 2.0), (1, 3.0), (2, 1.0), (3, 1.5), (4, 0.8), (5, 0.5)]) {
        case 0: return .has(k)
        case 1: return .equals(k, rng.pick(vs))
        case 2: return .notEquals(k, rng.pick(vs))
        case 3: return .inSet(k, rng.sample(vs, rng.int(in: 1...2)).sorted())
        case 4: return .notInSet(k, rng.sample(vs, 1))
        default:
            let v = rng.pick(vs)
            switch rng.below(3) {
            case 0: return .startsWith(k, String(v.prefix(1)))
            case 1: return .endsWith(k, String(v.suffix(1)))
            default: return .contains(k, v)
            }
        }
    }

    mutating func compose(depth: Int, _ leafMaker: (inout Builder) -> SelectorIR) -> SelectorIR {
        let r = rng.unit()
        if depth < 2 {
            if r < 0.08 { return .not(compose(depth: depth + 1, leafMaker)) }
            if r < 0.22 { return .and(compose(depth: depth + 1, leafMaker), compose(depth: depth + 1, leafMaker)) }
            if r < 0.30 { return .or(compose(depth: depth + 1, leafMaker), compose(depth: depth + 1, leafMaker)) }
        }
        return leafMaker(&self)
    }

    /// Over endpoint and network-set labels, plus Calico's implicit labels.
    mutating func endpointSelector(depth: Int) -> SelectorIR {
        compose(depth: depth) { b in
            let r = b.rng.unit()
            if r < 0.05 { return .all }
            if r < 0.10 { return .equals("projectcalico.org/namespace", b.rng.pickOrNil(b.s.namespaces.map(\.name)) ?? "prod") }
            if r < 0.12 { return .equals("projectcalico.org/orchestrator", "k8s") }
            if r < 0.14 { return .equals("projectcalico.org/serviceaccount", b.rng.pick(Pools.serviceAccountNames)) }
            if r < 0.16 { return .has("pcns.env") }
            let pool = b.rng.weighted([(Pools.podLabelValues, 5.0), (Pools.hostLabelValues, 1.5), (Pools.setLabelValues, 1.5)])
            return b.leaf(pool)
        }
    }

    mutating func namespaceSelector(allowGlobal: Bool) -> SelectorIR {
        if allowGlobal && rng.chance(0.12) { return .global }
        if rng.chance(0.1) { return .all }
        return compose(depth: 1) { b in
            let r = b.rng.unit()
            let nsNames = b.s.namespaces.map(\.name)
            if r < 0.2 { return .equals("projectcalico.org/name", b.rng.pickOrNil(nsNames) ?? "prod") }
            if r < 0.35 { return .inSet("kubernetes.io/metadata.name", b.rng.sample(nsNames.isEmpty ? ["prod"] : nsNames, 2).sorted()) }
            return b.leaf(Pools.namespaceLabelValues)
        }
    }

    mutating func serviceAccountSelector() -> SelectorIR {
        if rng.chance(0.3) { return .equals("projectcalico.org/name", rng.pick(Pools.serviceAccountNames)) }
        return leaf(Pools.serviceAccountLabelValues)
    }

    // MARK: Rules

    mutating func rules(_ n: Int, ingress: Bool) -> [RuleIR] {
        (0..<n).map { _ in rule(ingress: ingress) }
    }

    mutating func rule(ingress: Bool) -> RuleIR {
        var r = RuleIR(action: rng.weighted([("Allow", 4.0), ("Deny", 3.0), ("Pass", 1.5), ("Log", 1.2)]))
        // One CIDR family per rule, equal to ipVersion when that is set (V10, V11).
        var family: IPFamily? = nil
        if rng.chance(config.ipVersionProbability) {
            family = rng.chance(0.6) ? .v4 : .v6
            r.ipVersion = family == .v4 ? 4 : 6
        }
        let cidrFamily = family ?? (rng.chance(0.75) ? .v4 : .v6)

        func protocolChoice(_ b: inout Builder) -> ProtocolIR {
            var options: [(ProtocolIR, Double)] = [
                (.name("TCP"), 4), (.name("UDP"), 2.5), (.name("SCTP"), 0.8), (.name("UDPLite"), 0.3),
                (.number(6), 0.8), (.number(17), 0.5), (.number(132), 0.3), (.numberString(17), 0.2),
                (.number(b.rng.pick(Pools.otherProtocolNumbers)), 0.4),
            ]
            if family != .v6 { options += [(.name("ICMP"), 2.0), (.number(1), 0.4)] }
            if family != .v4 { options += [(.name("ICMPv6"), 1.2), (.number(58), 0.3)] }
            return b.rng.weighted(options)
        }
        if rng.chance(config.protocolProbability) { r.protocol = protocolChoice(&self) }
        if rng.chance(config.notProtocolProbability) {
            let np = protocolChoice(&self)
            if np.number != r.protocol?.number { r.notProtocol = np }
        }

        func icmpChoice(_ b: inout Builder, v6: Bool) -> ICMPIR {
            let (t, c) = b.rng.pick(v6 ? Pools.icmpV6 : Pools.icmpV4)
            return ICMPIR(type: t, code: b.rng.chance(0.6) ? c : nil)
        }
        if let p = r.protocol, p.isICMP {
            let v6 = p.number == 58
            if rng.chance(config.icmpProbability) { r.icmp = icmpChoice(&self, v6: v6) }
            if rng.chance(config.notICMPProbability) { r.notICMP = icmpChoice(&self, v6: v6) }
        } else if r.protocol == nil, rng.chance(config.notICMPProbability * 0.5) {
            r.notICMP = icmpChoice(&self, v6: cidrFamily == .v6)
        }

        let portProtocol = r.protocol.map { $0.supportsPorts } ?? false
        let namedOnly = r.protocol == nil
        if rng.chance(config.entityProbability) {
            r.source = entity(cidrFamily: cidrFamily, ports: portProtocol || namedOnly, namedOnly: namedOnly, ownSide: !ingress)
        }
        if rng.chance(config.entityProbability) {
            r.destination = entity(cidrFamily: cidrFamily, ports: portProtocol || namedOnly, namedOnly: namedOnly, ownSide: ingress)
        }
        return r
    }

    /// A rule CIDR: canonical (no host bits, V13), in `family`; catch-all only when `allowCatchAll` (V12).
    mutating func ruleNet(_ family: IPFamily, allowCatchAll: Bool) -> String {
        let n = rng.int(in: 1...max(1, nodes.count))
        let sub = rng.below(2)
        if family == .v4 {
            var options: [(String, Double)] = [
                ("10.0.0.0/8", 1), ("10.\(n).0.0/16", 2), ("10.\(n).\(sub).0/24", 2), ("10.\(n).\(sub).0/25", 1), ("10.\(n).\(sub).128/25", 1),
                ("192.168.0.0/16", 1), ("192.168.0.\(10 + n)/32", 1), ("203.0.113.0/24", 1.5), ("203.0.113.0/25", 1), ("198.51.100.0/24", 1),
                ("172.16.0.0/12", 0.5), ("10.9.0.0/24", 0.5),
            ]
            if let ip = rng.pickOrNil(podV4) { options.append(("\(ip)/32", 3)) }
            if allowCatchAll { options.append(("0.0.0.0/0", 0.7)) }
            return rng.weighted(options)
        }
        var options: [(String, Double)] = [
            ("fd00::/8", 1), ("fd00:\(n)::/64", 2), ("fd00:\(n)::/120", 1), ("2001:db8::/32", 1.5), ("2001:db8:1::/48", 1), ("fd00:ff::/64", 1),
        ]
        if let ip = rng.pickOrNil(podV6) { options.append(("\(ip)/128", 3)) }
        if allowCatchAll { options.append(("::/0", 0.7)) }
        return rng.weighted(options)
    }

    mutating func port(namedOnly: Bool) -> PortIR {
        if namedOnly || rng.chance(config.namedPortProbability) { return .named(rng.pick(Pools.portNames)) }
        switch rng.below(5) {
        case 0, 1: return .number(rng.pick(Pools.portNumbers))
        case 2: return .numberString(rng.pick(Pools.portNumbers))
        default:
            let (a, b) = rng.pick(Pools.portRanges)
            return .range(a, b)
        }
    }

    /// `ownSide`: the side of the policy's own endpoint (destination of an ingress rule), where ports are common.
    mutating func entity(cidrFamily: IPFamily, ports: Bool, namedOnly: Bool, ownSide: Bool) -> EntityIR {
        var e = EntityIR()
        if rng.chance(config.netsProbability) { e.nets = (0..<rng.int(in: 1...3)).map { _ in ruleNet(cidrFamily, allowCatchAll: true) } }
        if rng.chance(config.notNetsProbability) { e.notNets = (0..<rng.int(in: 1...2)).map { _ in ruleNet(cidrFamily, allowCatchAll: false) } }
        if rng.chance(config.selectorProbability) { e.selector = endpointSelector(depth: 0) }
        if rng.chance(config.notSelectorProbability) { e.notSelector = endpointSelector(depth: 1) }
        if rng.chance(config.namespaceSelectorProbability) { e.namespaceSelector = namespaceSelector(allowGlobal: true) }
        if rng.chance(config.serviceAccountsProbability) {
            var sa = ServiceAccountsIR()
            if rng.chance(0.6) { sa.names = rng.sample(Pools.serviceAccountNames, rng.int(in: 1...2)).sorted() }
            if sa.names.isEmpty || rng.chance(0.3) { sa.selector = serviceAccountSelector() }
            e.serviceAccounts = sa
        }
        if ports {
            let p = (ownSide ? 1.0 : 0.4) * (namedOnly ? config.namedPortWithoutProtocolProbability : config.portsProbability)
            if rng.chance(p) { e.ports = (0..<rng.int(in: 1...3)).map { _ in port(namedOnly: namedOnly) } }
            if rng.chance(namedOnly ? config.notPortsProbability * 0.3 : config.notPortsProbability) {
                e.notPorts = (0..<rng.int(in: 1...2)).map { _ in port(namedOnly: namedOnly) }
            }
        }
        return e
    }

    // MARK: Kubernetes NetworkPolicy

    mutating func labelSelector(_ pool: [(String, [String])], emptyProbability: Double) -> LabelSelectorIR {
        var sel = LabelSelectorIR()
        if rng.chance(emptyProbability) { return sel }
        if rng.chance(0.7) { sel.matchLabels = labels(pool, max: 2) }
        if sel.matchLabels.isEmpty || rng.chance(0.3) {
            for (k, vs) in rng.sample(pool, rng.int(in: 1...2)) {
                switch rng.below(4) {
                case 0: sel.matchExpressions.append(MatchExpressionIR(key: k, op: "In", values: rng.sample(vs, rng.int(in: 1...2))))
                case 1: sel.matchExpressions.append(MatchExpressionIR(key: k, op: "NotIn", values: rng.sample(vs, 1)))
                case 2: sel.matchExpressions.append(MatchExpressionIR(key: k, op: "Exists", values: []))
                default: sel.matchExpressions.append(MatchExpressionIR(key: k, op: "DoesNotExist", values: []))
                }
            }
        }
        return sel
    }

    mutating func namespaceLabelSelector() -> LabelSelectorIR {
        if rng.chance(0.3), let ns = rng.pickOrNil(s.namespaces.map(\.name)) {
            return LabelSelectorIR(matchLabels: [Label(key: "kubernetes.io/metadata.name", value: ns)])
        }
        return labelSelector(Pools.namespaceLabelValues, emptyProbability: 0.25)
    }

    mutating func kubernetesPolicy() -> K8sPolicyIR {
        let ns = rng.pickOrNil(s.namespaces.map(\.name)) ?? "default"
        let policyTypes: [String]? = rng.chance(0.5) ? nil : rng.pick([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
        return K8sPolicyIR(name: nextName("knp"), namespace: ns, podSelector: labelSelector(Pools.podLabelValues, emptyProbability: 0.3),
                           policyTypes: policyTypes,
                           ingress: (0..<rng.int(in: 0...3)).map { _ in kubernetesRule() },
                           egress: (0..<rng.int(in: 0...3)).map { _ in kubernetesRule() })
    }

    mutating func kubernetesRule() -> K8sRuleIR {
        var peers: [K8sPeerIR] = []
        for _ in 0..<rng.int(in: 0...2) {
            switch rng.below(5) {
            case 0: peers.append(K8sPeerIR(podSelector: labelSelector(Pools.podLabelValues, emptyProbability: 0.3)))
            case 1: peers.append(K8sPeerIR(namespaceSelector: namespaceLabelSelector()))
            case 2: peers.append(K8sPeerIR(podSelector: labelSelector(Pools.podLabelValues, emptyProbability: 0.3), namespaceSelector: namespaceLabelSelector()))
            default:
                let family: IPFamily = rng.chance(0.75) ? .v4 : .v6
                let text = ruleNet(family, allowCatchAll: true)
                let cidr = CIDR(address: IPAddress(String(text.split(separator: "/")[0]))!, prefixLength: Int(text.split(separator: "/")[1])!)
                var except: [String] = []
                for _ in 0..<rng.int(in: 0...2) {
                    if let sub = AddressMath.subCIDR(cidr, &rng) { except.append(sub.description) }
                }
                peers.append(K8sPeerIR(ipBlock: IPBlockIR(cidr: text, except: except)))
            }
        }
        var ports: [K8sPortIR] = []
        for _ in 0..<rng.int(in: 0...2) {
            var p = K8sPortIR()
            if rng.chance(0.6) { p.protocol = rng.weighted([("TCP", 3.0), ("UDP", 1.5), ("SCTP", 0.5)]) }
            switch rng.below(6) {
            case 0: break                                                         // every port of the protocol
            case 1, 2: p.port = .named(rng.pick(Pools.portNames))
            default:
                let n = rng.pick(Pools.portNumbers)
                p.port = rng.chance(0.2) ? .numberString(n) : .number(n)
                if rng.chance(0.35) { p.endPort = min(65535, n + rng.pick([0, 1, 10, 100, 1000])) }
            }
            ports.append(p)
        }
        return K8sRuleIR(peers: peers, ports: ports)
    }
}

let Profile_defaultAllow = "projectcalico-default-allow"

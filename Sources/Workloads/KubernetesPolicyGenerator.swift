// A realistic Kubernetes/Calico cluster at a target rule count (docs/DECISIONS.md 41), written as
// the YAML a user would `kubectl apply` and `verdict check -f` reads, so that it goes through the
// same loader, validation and Kubernetes → Calico conversion as any input.
//
// The cluster: namespaces `<team>-<k>` (label team, env), each running a small shop (frontend ×2,
// backend ×2, db, cache; labels app/env/version; named ports http, grpc, metrics, postgres, redis);
// kube-system with CoreDNS (named ports dns, dns-tcp) and monitoring with Prometheus.
// Policy, in evaluation order:
// - tier `security` (order 100): GlobalNetworkPolicy block-threats denies traffic to and from the
//   GlobalNetworkSet `threat-feed`, then Passes;
// - tier `platform` (order 200): allow-monitoring lets Prometheus scrape every pod's named port
//   `metrics` and ping, then Passes;
// - default tier, per namespace: Kubernetes NetworkPolicies (default-deny for most namespaces,
//   DNS egress to kube-dns, frontend ingress from anywhere except the threat nets on named port
//   http, backend ingress from frontends) and Calico NetworkPolicies (frontend → backend on named
//   ports with ICMP echo, backend → db/cache and to the namespace's NetworkSet of partner APIs,
//   db and cache ingress, a Deny of the threat nets), and "firewall" policies that fill the rule
//   budget with Allow/Deny rules on partner/customer CIDRs, port numbers and ranges, named ports,
//   namespace selectors and ICMP types, as long-lived clusters accumulate;
// - kube-system's CoreDNS accepts DNS from anyone; namespaces without default-deny fall through to
//   the Kubernetes profile (allow).
// Rule counts are Calico rules after conversion (a Kubernetes rule is one rule per peer and
// protocol), which is what the table holds; the generator counts them as it writes and fills the
// rest of the target with firewall rules, so the resolved set has exactly `targetRules` rules
// from about 40 rules on (below that, the fixed core of one namespace is the minimum).

import Addresses

/// The generated cluster: its YAML and what traffic generation needs to know about it.
public struct KubernetesCluster: Sendable {
    public let seed: UInt64
    public let targetRules: Int
    /// Policy and inventory as multi-document YAML.
    public let yaml: String
    /// Calico rules as written (after Kubernetes conversion), counted while writing.
    public let ruleCount: Int
    public let pods: [Pod]
    /// CIDRs that rules name (threat feed, partner and customer nets), for external traffic.
    public let threatNets: [CIDR]
    public let partnerNets: [CIDR]
    public let customerNets: [CIDR]

    public struct Pod: Sendable {
        public var namespace: String
        public var name: String
        public var app: String
        public var address: IPAddress
        /// (protocol number, port) of its named ports.
        public var ports: [(protocolNumber: UInt8, port: UInt16)]
    }
}

public struct KubernetesPolicyGenerator: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    static let teams = ["payments", "checkout", "catalog", "search", "accounts", "shipping", "ads", "reviews", "media", "billing"]
    static let envs = ["prod", "prod", "staging", "dev"]
    /// (app, replicas, named ports).
    static let apps: [(app: String, replicas: Int, ports: [(name: String, port: UInt16, proto: String)])] = [
        ("frontend", 2, [("http", 8080, "TCP"), ("metrics", 9090, "TCP")]),
        ("backend", 2, [("http", 8080, "TCP"), ("grpc", 50051, "TCP"), ("metrics", 9090, "TCP")]),
        ("db", 1, [("postgres", 5432, "TCP"), ("metrics", 9187, "TCP")]),
        ("cache", 1, [("redis", 6379, "TCP"), ("metrics", 9121, "TCP")]),
    ]
    static let firewallPorts: [UInt16] = [22, 25, 53, 80, 123, 389, 443, 636, 993, 1433, 1521, 3306, 5432, 6379, 8080, 8443, 9000, 9092, 9200, 11211]

    /// The cluster for `targetRules` Calico rules (at least the fixed core of one namespace).
    public func cluster(targetRules: Int) -> KubernetesCluster {
        precondition(targetRules > 0)
        var rng = WorkloadRandom(seed: seed, stream: "k8s-cluster")
        var w = YAMLWriter()
        var rules = 0
        let namespaces = max(1, min(200, targetRules / 100))

        // Global address sets.
        let threatNets = (0..<24).map { k in CIDR(address: IPAddress(v4: 0xC612_0000 | UInt32(k) << 8 | 0), prefixLength: 24) }  // 198.18.k.0/24
        var partnerNets: [CIDR] = [], customerNets: [CIDR] = []
        for _ in 0..<64 {
            partnerNets.append(CIDR(address: IPAddress(v4: 0xAC10_0000 | (rng.uint32() & 0x000F_FF00)), prefixLength: 24))  // 172.16/12
        }
        for _ in 0..<256 {
            let len = rng.pick([16, 20, 24, 24, 28, 32])
            let a = IPAddress(v4: 0x6440_0000 | (rng.uint32() & 0x003F_FFFF)).masked(to: len)          // 100.64/10
            customerNets.append(CIDR(address: a, prefixLength: len))
        }

        w.doc("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: kube-system, labels: {kubernetes.io/metadata.name: kube-system}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: monitoring, labels: {kubernetes.io/metadata.name: monitoring}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: coredns-0, namespace: kube-system, labels: {k8s-app: kube-dns}}
        spec: {containers: [{name: coredns, image: coredns, ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53, protocol: TCP}]}]}
        status: {podIP: 10.96.0.10}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: prometheus-0, namespace: monitoring, labels: {app: prometheus}}
        spec: {containers: [{name: prometheus, image: prometheus, ports: [{name: web, containerPort: 9090}]}]}
        status: {podIP: 10.96.1.10}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: platform}
        spec: {order: 200}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: threat-feed, labels: {feed: threats}}
        spec:
          nets: [\(threatNets.map(\.description).joined(separator: ", "))]
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.block-threats}
        spec:
          tier: security
          order: 10
          selector: all()
          types: [Ingress, Egress]
          ingress:
          - {action: Deny, source: {selector: "feed == 'threats'"}}
          - {action: Pass}
          egress:
          - {action: Deny, destination: {selector: "feed == 'threats'"}}
          - {action: Pass}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: platform.allow-monitoring}
        spec:
          tier: platform
          order: 10
          selector: has(app)
          types: [Ingress]
          ingress:
          - {action: Allow, protocol: TCP, source: {namespaceSelector: "kubernetes.io/metadata.name == 'monitoring'"}, destination: {ports: [metrics]}}
          - {action: Allow, protocol: ICMP, icmp: {type: 8}, source: {namespaceSelector: "kubernetes.io/metadata.name == 'monitoring'"}}
          - {action: Pass}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: allow-dns-ingress, namespace: kube-system}
        spec:
          selector: k8s-app == 'kube-dns'
          types: [Ingress]
          ingress:
          - {action: Allow, protocol: UDP, destination: {ports: [53]}}
          - {action: Allow, protocol: TCP, destination: {ports: [53]}}
        """)
        rules += 4 + 3 + 2
        var pods: [KubernetesCluster.Pod] = [
            .init(namespace: "kube-system", name: "coredns-0", app: "kube-dns", address: IPAddress("10.96.0.10")!, ports: [(17, 53), (6, 53)]),
            .init(namespace: "monitoring", name: "prometheus-0", app: "prometheus", address: IPAddress("10.96.1.10")!, ports: [(6, 9090)]),
        ]

        // Namespaces and their fixed policies.
        var names: [String] = []
        for k in 0..<namespaces {
            let team = Self.teams[k % Self.teams.count]
            let ns = "\(team)-\(k)"
            let env = Self.envs[rng.below(Self.envs.count)]
            names.append(ns)
            w.doc("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: \(ns), labels: {kubernetes.io/metadata.name: \(ns), team: \(team), env: \(env)}}
            """)
            var slot: UInt32 = 0
            for a in Self.apps {
                for r in 0..<a.replicas {
                    let address = IPAddress(v4: 0x0A80_0000 | UInt32(k) << 4 | slot)   // 10.128/9: 16 addresses per namespace
                    slot += 1
                    let ports = a.ports.map { "{name: \($0.name), containerPort: \($0.port), protocol: \($0.proto)}" }.joined(separator: ", ")
                    w.doc("""
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: \(a.app)-\(r), namespace: \(ns), labels: {app: \(a.app), env: \(env), version: v\(1 + rng.below(3))}}
                    spec: {containers: [{name: \(a.app), image: \(a.app), ports: [\(ports)]}]}
                    status: {podIP: \(address)}
                    """)
                    pods.append(.init(namespace: ns, name: "\(a.app)-\(r)", app: a.app, address: address,
                                      ports: a.ports.map { ($0.proto == "UDP" ? 17 : 6, $0.port) }))
                }
            }
            let partners = (0..<3).map { _ in rng.pick(partnerNets) }
            w.doc("""
            apiVersion: projectcalico.org/v3
            kind: NetworkSet
            metadata: {name: partner-apis, namespace: \(ns), labels: {role: partner-api}}
            spec:
              nets: [\(Set(partners.map(\.description)).sorted().joined(separator: ", "))]
            """)
            // Most namespaces are isolated; a few still rely on the allow-all profile.
            if k % 5 != 4 {
                w.doc("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: default-deny, namespace: \(ns)}
                spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
                """)
            }
            w.doc("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-dns, namespace: \(ns)}
            spec:
              podSelector: {}
              policyTypes: [Egress]
              egress:
              - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
                ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: frontend-ingress, namespace: \(ns)}
            spec:
              podSelector: {matchLabels: {app: frontend}}
              policyTypes: [Ingress]
              ingress:
              - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [\(threatNets.prefix(4).map(\.description).joined(separator: ", "))]}}]
                ports: [{port: http}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: backend-ingress, namespace: \(ns)}
            spec:
              podSelector: {matchLabels: {app: backend}}
              policyTypes: [Ingress]
              ingress:
              - from: [{podSelector: {matchLabels: {app: frontend}}}]
                ports: [{port: http}, {port: grpc}]
            """)
            rules += 2 + 1 + 1
            guard rules + 9 <= targetRules || k == 0 else { continue }
            w.doc("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: frontend-egress, namespace: \(ns)}
            spec:
              order: 100
              selector: app == 'frontend'
              types: [Egress]
              egress:
              - {action: Allow, protocol: TCP, destination: {selector: "app == 'backend'", ports: [http, grpc]}}
              - {action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}, destination: {selector: "app == 'backend'"}}
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: backend-egress, namespace: \(ns)}
            spec:
              order: 100
              selector: app == 'backend'
              types: [Egress]
              egress:
              - {action: Deny, destination: {nets: [\(threatNets.prefix(8).map(\.description).joined(separator: ", "))]}}
              - {action: Allow, protocol: TCP, destination: {selector: "app in {'db', 'cache'} && env == '\(env)'", ports: [postgres, redis]}}
              - {action: Allow, protocol: TCP, destination: {selector: "role == 'partner-api'", ports: [443]}}
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: db-ingress, namespace: \(ns)}
            spec:
              order: 100
              selector: app == 'db'
              types: [Ingress]
              ingress:
              - {action: Allow, protocol: TCP, source: {selector: "app == 'backend'"}, destination: {ports: [postgres]}}
              - {action: Deny, protocol: TCP, destination: {notPorts: [postgres]}}
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: cache-ingress, namespace: \(ns)}
            spec:
              order: 100
              selector: app == 'cache'
              types: [Ingress]
              ingress:
              - {action: Allow, protocol: TCP, source: {selector: "app == 'backend'"}, destination: {ports: [redis]}}
              - {action: Allow, protocol: ICMP, source: {selector: "app == 'backend'"}}
            """)
            rules += 2 + 3 + 2 + 2
        }

        // Firewall rules up to the target, spread over the namespaces, ≤ 1000 per policy (Calico's
        // limit is 1024 per direction).
        var remaining = max(0, targetRules - rules)
        var k = 0
        var policyNumber = 0
        while remaining > 0 {
            let ns = names[k % names.count]
            let share = max(1, min(1000, remaining / max(1, names.count - k % names.count)))
            let count = min(share, remaining)
            let subject = rng.pick(["frontend", "backend", "backend", "db", "cache"])
            var body = ""
            for _ in 0..<count { body += "  - " + firewallRule(subject: subject, names: names, partnerNets: partnerNets, customerNets: customerNets, rng: &rng) + "\n" }
            w.doc("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: firewall-\(policyNumber), namespace: \(ns)}
            spec:
              order: \(200 + policyNumber % 50)
              selector: app == '\(subject)'
              types: [Ingress]
              ingress:
            \(body)
            """)
            rules += count
            remaining -= count
            policyNumber += 1
            k += 1
        }
        return KubernetesCluster(seed: seed, targetRules: targetRules, yaml: w.text, ruleCount: rules, pods: pods,
                                 threatNets: threatNets, partnerNets: partnerNets, customerNets: customerNets)
    }

    /// One ingress rule of a firewall policy, as a YAML flow map.
    func firewallRule(subject: String, names: [String], partnerNets: [CIDR], customerNets: [CIDR], rng: inout WorkloadRandom) -> String {
        let action = rng.chance(0.8) ? "Allow" : "Deny"
        switch rng.below(10) {
        case 0:
            // ICMP by type (echo, unreachable, time exceeded).
            let type = rng.pick([0, 3, 8, 11])
            return "{action: \(action), protocol: ICMP, icmp: {type: \(type)}, source: {nets: [\(rng.pick(customerNets))]}}"
        case 1:
            // Another team's namespaces by label.
            let team = Self.teams[rng.below(Self.teams.count)]
            return "{action: \(action), protocol: TCP, source: {namespaceSelector: \"team == '\(team)'\", selector: \"app == 'backend'\"}, destination: {ports: [http]}}"
        case 2:
            // A port range.
            let low = UInt16(1024 + rng.below(60000))
            let high = low + UInt16(rng.below(min(500, Int(65535 - low)) + 1))
            return "{action: \(action), protocol: \(rng.bit() ? "TCP" : "UDP"), source: {nets: [\(rng.pick(partnerNets))]}, destination: {ports: ['\(low):\(high)']}}"
        case 3:
            return "{action: \(action), protocol: TCP, source: {nets: [\(rng.pick(customerNets))], notNets: [\(rng.pick(customerNets))]}, destination: {ports: [\(rng.pick(Self.firewallPorts))]}}"
        default:
            let nets = rng.chance(0.3) ? rng.pick(partnerNets) : rng.pick(customerNets)
            let port = rng.chance(0.2) ? "http" : String(rng.pick(Self.firewallPorts))
            return "{action: \(action), protocol: TCP, source: {nets: [\(nets)]}, destination: {ports: [\(port)]}}"
        }
    }
}

/// Multi-document YAML, one `---` between documents.
struct YAMLWriter {
    private(set) var text = ""

    mutating func doc(_ s: String) {
        if !text.isEmpty { text += "---\n" }
        text += s
        if !s.hasSuffix("\n") { text += "\n" }
    }
}

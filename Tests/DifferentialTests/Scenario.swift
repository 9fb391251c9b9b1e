// The structured intermediate representation of a generated policy set. The generator builds it,
// the shrinker simplifies it, and `yaml` renders it to the text the loader reads. Everything is an
// array (never a dictionary), so rendering is deterministic.

struct Label: Hashable, Sendable {
    var key: String
    var value: String
}

/// A Calico selector as a tree, rendered to selector text.
indirect enum SelectorIR: Hashable, Sendable {
    case all
    /// `global()`: only as a whole rule `namespaceSelector`.
    case global
    case has(String)
    case equals(String, String)
    case notEquals(String, String)
    case inSet(String, [String])
    case notInSet(String, [String])
    case startsWith(String, String)
    case endsWith(String, String)
    case contains(String, String)
    case not(SelectorIR)
    case and(SelectorIR, SelectorIR)
    case or(SelectorIR, SelectorIR)

    var text: String {
        func q(_ v: String) -> String { "\"\(v)\"" }
        func group(_ s: SelectorIR) -> String {
            switch s {
            case .and, .or: return "(\(s.text))"
            default: return s.text
            }
        }
        switch self {
        case .all: return "all()"
        case .global: return "global()"
        case let .has(k): return "has(\(k))"
        case let .equals(k, v): return "\(k) == \(q(v))"
        case let .notEquals(k, v): return "\(k) != \(q(v))"
        case let .inSet(k, vs): return "\(k) in {\(vs.map(q).joined(separator: ", "))}"
        case let .notInSet(k, vs): return "\(k) not in {\(vs.map(q).joined(separator: ", "))}"
        case let .startsWith(k, v): return "\(k) starts with \(q(v))"
        case let .endsWith(k, v): return "\(k) ends with \(q(v))"
        case let .contains(k, v): return "\(k) contains \(q(v))"
        case let .not(e): return "!(\(e.text))"
        case let .and(a, b): return "\(group(a)) && \(group(b))"
        case let .or(a, b): return "\(group(a)) || \(group(b))"
        }
    }
}

enum PortIR: Hashable, Sendable {
    case number(Int)
    /// A number written as a string, e.g. `'8080'`.
    case numberString(Int)
    case range(Int, Int)
    case named(String)

    var yaml: YAMLValue {
        switch self {
        case let .number(n): return .int(n)
        case let .numberString(n): return .string(String(n))
        case let .range(a, b): return .string("\(a):\(b)")
        case let .named(s): return .string(s)
        }
    }
}

enum ProtocolIR: Hashable, Sendable {
    case name(String)
    case number(Int)
    case numberString(Int)

    var number: Int {
        switch self {
        case let .name(n): return ["TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136][n]!
        case let .number(n), let .numberString(n): return n
        }
    }

    var supportsPorts: Bool { [6, 17, 132].contains(number) }
    var isICMP: Bool { number == 1 || number == 58 }

    var yaml: YAMLValue {
        switch self {
        case let .name(n): return .string(n)
        case let .number(n): return .int(n)
        case let .numberString(n): return .string(String(n))
        }
    }
}

struct ICMPIR: Hashable, Sendable {
    var type: Int
    var code: Int?

    var yaml: YAMLValue { .map([("type", .int(type))] + (code.map { [("code", .int($0))] } ?? [])) }
}

struct ServiceAccountsIR: Hashable, Sendable {
    var names: [String] = []
    var selector: SelectorIR?
}

struct EntityIR: Hashable, Sendable {
    var nets: [String] = []
    var notNets: [String] = []
    var selector: SelectorIR?
    var notSelector: SelectorIR?
    var namespaceSelector: SelectorIR?
    var serviceAccounts: ServiceAccountsIR?
    var ports: [PortIR] = []
    var notPorts: [PortIR] = []

    var yaml: YAMLValue {
        var m: [(String, YAMLValue)] = []
        if !nets.isEmpty { m.append(("nets", .list(nets.map { .string($0) }))) }
        if !notNets.isEmpty { m.append(("notNets", .list(notNets.map { .string($0) }))) }
        if let s = selector { m.append(("selector", .string(s.text))) }
        if let s = notSelector { m.append(("notSelector", .string(s.text))) }
        if let s = namespaceSelector { m.append(("namespaceSelector", .string(s.text))) }
        if let sa = serviceAccounts {
            var f: [(String, YAMLValue)] = []
            if !sa.names.isEmpty { f.append(("names", .list(sa.names.map { .string($0) }))) }
            if let s = sa.selector { f.append(("selector", .string(s.text))) }
            m.append(("serviceAccounts", .map(f)))
        }
        if !ports.isEmpty { m.append(("ports", .list(ports.map(\.yaml)))) }
        if !notPorts.isEmpty { m.append(("notPorts", .list(notPorts.map(\.yaml)))) }
        return .map(m)
    }
}

struct RuleIR: Hashable, Sendable {
    var action: String
    var ipVersion: Int?
    var `protocol`: ProtocolIR?
    var notProtocol: ProtocolIR?
    var icmp: ICMPIR?
    var notICMP: ICMPIR?
    var source: EntityIR?
    var destination: EntityIR?

    var yaml: YAMLValue {
        var m: [(String, YAMLValue)] = [("action", .string(action))]
        if let v = ipVersion { m.append(("ipVersion", .int(v))) }
        if let p = `protocol` { m.append(("protocol", p.yaml)) }
        if let p = notProtocol { m.append(("notProtocol", p.yaml)) }
        if let i = icmp { m.append(("icmp", i.yaml)) }
        if let i = notICMP { m.append(("notICMP", i.yaml)) }
        if let e = source { m.append(("source", e.yaml)) }
        if let e = destination { m.append(("destination", e.yaml)) }
        return .map(m)
    }
}

private func metadata(_ name: String, namespace: String? = nil, labels: [Label] = []) -> YAMLValue {
    var m: [(String, YAMLValue)] = [("name", .string(name))]
    if let ns = namespace { m.append(("namespace", .string(ns))) }
    if !labels.isEmpty { m.append(("labels", .map(labels.map { ($0.key, .string($0.value)) }))) }
    return .map(m)
}

private func resource(_ apiVersion: String, _ kind: String, _ meta: YAMLValue, spec: [(String, YAMLValue)]?,
                      extra: [(String, YAMLValue)] = []) -> YAMLValue {
    var m: [(String, YAMLValue)] = [("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", meta)]
    if let spec { m.append(("spec", .map(spec))) }
    return .map(m + extra)
}

private let calico = "projectcalico.org/v3"

struct NamespaceIR: Hashable, Sendable {
    var name: String
    var labels: [Label]
    var yaml: YAMLValue { resource("v1", "Namespace", metadata(name, labels: labels), spec: nil) }
}

struct ServiceAccountIR: Hashable, Sendable {
    var name: String
    var namespace: String
    var labels: [Label]
    var yaml: YAMLValue { resource("v1", "ServiceAccount", metadata(name, namespace: namespace, labels: labels), spec: nil) }
}

struct ContainerPortIR: Hashable, Sendable {
    var name: String?
    var port: Int
    var `protocol`: String?
}

struct PodIR: Hashable, Sendable {
    var name: String
    var namespace: String
    var labels: [Label]
    var node: String?
    var serviceAccount: String?
    /// podIP first, then the rest of podIPs. Empty: a pending pod (synthetic addresses).
    var ips: [String]
    var ports: [ContainerPortIR]
    var hostNetwork = false

    var yaml: YAMLValue {
        var container: [(String, YAMLValue)] = [("name", .string("main")), ("image", .string("example.com/app:1"))]
        if !ports.isEmpty {
            container.append(("ports", .list(ports.map { p in
                var m: [(String, YAMLValue)] = [("containerPort", .int(p.port))]
                if let n = p.name { m.append(("name", .string(n))) }
                if let pr = p.protocol { m.append(("protocol", .string(pr))) }
                return .map(m)
            })))
        }
        var spec: [(String, YAMLValue)] = [("containers", .list([.map(container)]))]
        if let n = node { spec.append(("nodeName", .string(n))) }
        if let sa = serviceAccount { spec.append(("serviceAccountName", .string(sa))) }
        if hostNetwork { spec.append(("hostNetwork", .bool(true))) }
        var status: [(String, YAMLValue)] = [("phase", .string("Running"))]
        if let first = ips.first {
            status.append(("podIP", .string(first)))
            status.append(("podIPs", .list(ips.map { .map([("ip", .string($0))]) })))
        }
        return resource("v1", "Pod", metadata(name, namespace: namespace, labels: labels), spec: spec, extra: [("status", .map(status))])
    }
}

struct EndpointPortIR: Hashable, Sendable {
    var name: String
    var port: Int
    var `protocol`: String
    var yaml: YAMLValue { .map([("name", .string(name)), ("port", .int(port)), ("protocol", .string(`protocol`))]) }
}

struct WorkloadEndpointIR: Hashable, Sendable {
    var name: String
    var namespace: String
    var labels: [Label]
    var node: String
    var workload: String
    var ipNetworks: [String]
    var profiles: [String]
    var ports: [EndpointPortIR]

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = [("orchestrator", .string("cni")), ("node", .string(node)), ("workload", .string(workload)),
                                           ("endpoint", .string("eth0")), ("interfaceName", .string("cali\(workload)"))]
        spec.append(("ipNetworks", .list(ipNetworks.map { .string($0) })))
        spec.append(("profiles", .list(profiles.map { .string($0) })))
        if !ports.isEmpty { spec.append(("ports", .list(ports.map(\.yaml)))) }
        return resource(calico, "WorkloadEndpoint", metadata(name, namespace: namespace, labels: labels), spec: spec)
    }
}

struct HostEndpointIR: Hashable, Sendable {
    var name: String
    var labels: [Label]
    var node: String
    var interfaceName: String?
    var expectedIPs: [String]
    var profiles: [String]
    var ports: [EndpointPortIR]

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = [("node", .string(node))]
        if let i = interfaceName { spec.append(("interfaceName", .string(i))) }
        if !expectedIPs.isEmpty { spec.append(("expectedIPs", .list(expectedIPs.map { .string($0) }))) }
        if !profiles.isEmpty { spec.append(("profiles", .list(profiles.map { .string($0) }))) }
        if !ports.isEmpty { spec.append(("ports", .list(ports.map(\.yaml)))) }
        return resource(calico, "HostEndpoint", metadata(name, labels: labels), spec: spec)
    }
}

struct NetworkSetIR: Hashable, Sendable {
    var name: String
    /// Nil: a GlobalNetworkSet.
    var namespace: String?
    var labels: [Label]
    var nets: [String]

    var yaml: YAMLValue {
        resource(calico, namespace == nil ? "GlobalNetworkSet" : "NetworkSet", metadata(name, namespace: namespace, labels: labels),
                 spec: [("nets", .list(nets.map { .string($0) }))])
    }
}

struct FailsafeIR: Hashable, Sendable {
    var `protocol`: String
    var port: Int
    var net: String?
    var yaml: YAMLValue {
        .map([("protocol", .string(`protocol`)), ("port", .int(port))] + (net.map { [("net", .string($0))] } ?? []))
    }
}

struct FelixIR: Hashable, Sendable {
    var inbound: [FailsafeIR]?
    var outbound: [FailsafeIR]?
    var endpointToHost: String?

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = []
        if let i = inbound { spec.append(("failsafeInboundHostPorts", .list(i.map(\.yaml)))) }
        if let o = outbound { spec.append(("failsafeOutboundHostPorts", .list(o.map(\.yaml)))) }
        if let a = endpointToHost { spec.append(("defaultEndpointToHostAction", .string(a))) }
        return resource(calico, "FelixConfiguration", metadata("default"), spec: spec)
    }
}

struct TierIR: Hashable, Sendable {
    var name: String
    var order: Double?
    var defaultAction: String?

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = []
        if let o = order { spec.append(("order", .double(o))) }
        if let a = defaultAction { spec.append(("defaultAction", .string(a))) }
        return resource(calico, "Tier", metadata(name), spec: spec)
    }
}

struct ProfileIR: Hashable, Sendable {
    var name: String
    var ingress: [RuleIR]
    var egress: [RuleIR]
    var labelsToApply: [Label]

    var ruleCount: Int { ingress.count + egress.count }

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = []
        if !ingress.isEmpty { spec.append(("ingress", .list(ingress.map(\.yaml)))) }
        if !egress.isEmpty { spec.append(("egress", .list(egress.map(\.yaml)))) }
        if !labelsToApply.isEmpty { spec.append(("labelsToApply", .map(labelsToApply.map { ($0.key, .string($0.value)) }))) }
        return resource(calico, "Profile", metadata(name), spec: spec)
    }
}

/// A Calico NetworkPolicy (namespace set) or GlobalNetworkPolicy (namespace nil).
struct CalicoPolicyIR: Hashable, Sendable {
    var name: String
    var namespace: String?
    var tier: String?
    var order: Double?
    var selector: SelectorIR?
    var namespaceSelector: SelectorIR?
    var serviceAccountSelector: SelectorIR?
    var types: [String]?
    var ingress: [RuleIR] = []
    var egress: [RuleIR] = []
    var doNotTrack = false
    var preDNAT = false
    var applyOnForward = false

    var isGlobal: Bool { namespace == nil }
    var ruleCount: Int { ingress.count + egress.count }

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = []
        if let t = tier { spec.append(("tier", .string(t))) }
        if let o = order { spec.append(("order", .double(o))) }
        if let s = selector { spec.append(("selector", .string(s.text))) }
        if let s = namespaceSelector { spec.append(("namespaceSelector", .string(s.text))) }
        if let s = serviceAccountSelector { spec.append(("serviceAccountSelector", .string(s.text))) }
        if let t = types { spec.append(("types", .list(t.map { .string($0) }))) }
        if !ingress.isEmpty { spec.append(("ingress", .list(ingress.map(\.yaml)))) }
        if !egress.isEmpty { spec.append(("egress", .list(egress.map(\.yaml)))) }
        if doNotTrack { spec.append(("doNotTrack", .bool(true))) }
        if preDNAT { spec.append(("preDNAT", .bool(true))) }
        if applyOnForward { spec.append(("applyOnForward", .bool(true))) }
        return resource(calico, isGlobal ? "GlobalNetworkPolicy" : "NetworkPolicy", metadata(name, namespace: namespace), spec: spec)
    }
}

struct MatchExpressionIR: Hashable, Sendable {
    var key: String
    var op: String
    var values: [String]
}

struct LabelSelectorIR: Hashable, Sendable {
    var matchLabels: [Label] = []
    var matchExpressions: [MatchExpressionIR] = []

    var yaml: YAMLValue {
        var m: [(String, YAMLValue)] = []
        if !matchLabels.isEmpty { m.append(("matchLabels", .map(matchLabels.map { ($0.key, .string($0.value)) }))) }
        if !matchExpressions.isEmpty {
            m.append(("matchExpressions", .list(matchExpressions.map { e in
                var f: [(String, YAMLValue)] = [("key", .string(e.key)), ("operator", .string(e.op))]
                if !e.values.isEmpty { f.append(("values", .list(e.values.map { .string($0) }))) }
                return .map(f)
            })))
        }
        return .map(m)
    }
}

struct IPBlockIR: Hashable, Sendable {
    var cidr: String
    var except: [String]
}

struct K8sPeerIR: Hashable, Sendable {
    var podSelector: LabelSelectorIR?
    var namespaceSelector: LabelSelectorIR?
    var ipBlock: IPBlockIR?

    var yaml: YAMLValue {
        var m: [(String, YAMLValue)] = []
        if let p = podSelector { m.append(("podSelector", p.yaml)) }
        if let n = namespaceSelector { m.append(("namespaceSelector", n.yaml)) }
        if let b = ipBlock {
            var f: [(String, YAMLValue)] = [("cidr", .string(b.cidr))]
            if !b.except.isEmpty { f.append(("except", .list(b.except.map { .string($0) }))) }
            m.append(("ipBlock", .map(f)))
        }
        return .map(m)
    }
}

struct K8sPortIR: Hashable, Sendable {
    var `protocol`: String?
    var port: PortIR?
    var endPort: Int?

    var yaml: YAMLValue {
        var m: [(String, YAMLValue)] = []
        if let p = `protocol` { m.append(("protocol", .string(p))) }
        if let p = port { m.append(("port", p.yaml)) }
        if let e = endPort { m.append(("endPort", .int(e))) }
        return .map(m)
    }
}

struct K8sRuleIR: Hashable, Sendable {
    var peers: [K8sPeerIR]
    var ports: [K8sPortIR]

    func yaml(peerKey: String) -> YAMLValue {
        var m: [(String, YAMLValue)] = []
        if !peers.isEmpty { m.append((peerKey, .list(peers.map(\.yaml)))) }
        if !ports.isEmpty { m.append(("ports", .list(ports.map(\.yaml)))) }
        return .map(m)
    }
}

struct K8sPolicyIR: Hashable, Sendable {
    var name: String
    var namespace: String
    var podSelector: LabelSelectorIR
    var policyTypes: [String]?
    var ingress: [K8sRuleIR]
    var egress: [K8sRuleIR]

    var ruleCount: Int { ingress.count + egress.count }

    var yaml: YAMLValue {
        var spec: [(String, YAMLValue)] = [("podSelector", podSelector.yaml)]
        if let t = policyTypes { spec.append(("policyTypes", .list(t.map { .string($0) }))) }
        if !ingress.isEmpty { spec.append(("ingress", .list(ingress.map { $0.yaml(peerKey: "from") }))) }
        if !egress.isEmpty { spec.append(("egress", .list(egress.map { $0.yaml(peerKey: "to") }))) }
        return resource("networking.k8s.io/v1", "NetworkPolicy", metadata(name, namespace: namespace), spec: spec)
    }
}

/// One generated policy set with its inventory.
struct Scenario: Hashable, Sendable {
    var namespaces: [NamespaceIR] = []
    var serviceAccounts: [ServiceAccountIR] = []
    var profiles: [ProfileIR] = []
    var tiers: [TierIR] = []
    var hostEndpoints: [HostEndpointIR] = []
    var pods: [PodIR] = []
    var workloadEndpoints: [WorkloadEndpointIR] = []
    var networkSets: [NetworkSetIR] = []
    var felix: FelixIR?
    var policies: [CalicoPolicyIR] = []
    var kubernetesPolicies: [K8sPolicyIR] = []

    var policyCount: Int { policies.count + kubernetesPolicies.count }
    /// Rules in policies and profiles (Kubernetes rules counted as written, before conversion).
    var ruleCount: Int {
        policies.reduce(0) { $0 + $1.ruleCount } + kubernetesPolicies.reduce(0) { $0 + $1.ruleCount }
            + profiles.reduce(0) { $0 + $1.ruleCount }
    }
    var documentCount: Int {
        namespaces.count + serviceAccounts.count + profiles.count + tiers.count + hostEndpoints.count + pods.count
            + workloadEndpoints.count + networkSets.count + (felix == nil ? 0 : 1) + policies.count + kubernetesPolicies.count
    }

    var yaml: String {
        var docs: [YAMLValue] = []
        docs += namespaces.map(\.yaml)
        docs += serviceAccounts.map(\.yaml)
        docs += profiles.map(\.yaml)
        docs += tiers.map(\.yaml)
        docs += hostEndpoints.map(\.yaml)
        docs += pods.map(\.yaml)
        docs += workloadEndpoints.map(\.yaml)
        docs += networkSets.map(\.yaml)
        if let f = felix { docs.append(f.yaml) }
        docs += policies.map(\.yaml)
        docs += kubernetesPolicies.map(\.yaml)
        return YAMLValue.documents(docs)
    }
}

// Kubernetes NetworkPolicy → Calico (SEMANTICS §3; CONV, CONV-TEST).

import Testing
@testable import PolicyModel
import Addresses
import Selectors

/// A networking.k8s.io/v1 NetworkPolicy `np` in namespace `prod`; `spec` is indented by 2 under `spec:`
/// (spec line k is file line k + 6, and columns shift by 2).
private func k8sYAML(_ spec: String, name: String = "np", namespace: String? = "prod") -> String {
    var s = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
    s += namespace.map { "  name: \(name)\n  namespace: \($0)\n" } ?? "  name: \(name)\n  labels: {}\n"
    s += "spec:\n"
    return s + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
}

private func k8s(_ spec: String, name: String = "np", namespace: String? = "prod") throws -> Policy {
    let policies = try load(k8sYAML(spec, name: name, namespace: namespace)).policies
    try #require(policies.count == 1)
    return policies[0]
}

private let k8sTerm = "projectcalico.org/orchestrator == 'k8s'"

@Suite("Kubernetes NetworkPolicy conversion (SEMANTICS §3)")
struct KubernetesConversionTests {
    // MARK: §3.1 The resulting policy

    @Test("kind, namespace, tier default, order 1000, selector with the orchestrator term")
    func resultingPolicy() throws {
        let p = try k8s("podSelector:\n  matchLabels: {app: backend}\ningress: [{}]", name: "backend")
        #expect(p.kind == .kubernetesNetworkPolicy)
        #expect(p.name == "backend")
        #expect(p.namespace == "prod")
        #expect(p.qualifiedName == "prod/backend")
        #expect(p.tier == "default")
        #expect(p.order == 1000)
        #expect(p.namespaceSelector == nil && p.serviceAccountSelector == nil)
        #expect(!p.doNotTrack && !p.preDNAT && !p.applyOnForward)
        #expect(p.selector.canonical == canon("\(k8sTerm) && app == 'backend'"))
        // SEMANTICS §3.1 example: final endpoint selector.
        #expect(p.endpointSelector.canonical == canon("(\(k8sTerm) && app == 'backend') && projectcalico.org/namespace == 'prod'"))
        #expect(p.location == PolicyModel.SourceLocation(file: "test.yaml", line: 4, column: 9))
    }

    @Test("podSelector {} or absent selects every pod of the namespace, and only pods")
    func emptyPodSelector() throws {
        for spec in ["podSelector: {}", "policyTypes: [Ingress]"] {
            let p = try k8s(spec)
            #expect(p.selector.canonical == canon(k8sTerm))
            #expect(p.endpointSelector.canonical == canon("\(k8sTerm) && projectcalico.org/namespace == 'prod'"))
            #expect(p.endpointSelector.matches(["projectcalico.org/orchestrator": "k8s", "projectcalico.org/namespace": "prod"]))
            #expect(!p.endpointSelector.matches(["projectcalico.org/namespace": "prod"]), "not a non-Kubernetes workload")
        }
    }

    @Test("metadata.namespace defaults to 'default'")
    func defaultNamespace() throws {
        let p = try k8s("podSelector: {}", namespace: nil)
        #expect(p.namespace == "default")
        #expect(p.endpointSelector.canonical == canon("\(k8sTerm) && projectcalico.org/namespace == 'default'"))
    }

    @Test("the name must be a DNS-1123 subdomain")
    func badName() {
        expectLoadError(k8sYAML("podSelector: {}", name: "Bad_Name"), message: "invalid name 'Bad_Name': must be a lowercase DNS-1123 subdomain",
                        field: "metadata.name", line: 4, column: 9)
    }

    // MARK: LabelSelector translation

    @Test("matchLabels sorted by key, then matchExpressions In/NotIn/Exists/DoesNotExist in order")
    func labelSelector() throws {
        let p = try k8s("""
        podSelector:
          matchLabels: {b: "2", a: "1"}
          matchExpressions:
          - {key: env, operator: In, values: [y, x, x]}
          - {key: tier, operator: NotIn, values: [db]}
          - {key: team, operator: Exists}
          - {key: legacy, operator: DoesNotExist}
        """)
        #expect(p.selector.canonical == canon("""
        \(k8sTerm) && a == '1' && b == '2' && env in {'x', 'y'} && tier not in {'db'} && has(team) && !has(legacy)
        """))
        #expect(p.selector.matches(["projectcalico.org/orchestrator": "k8s", "a": "1", "b": "2", "env": "x", "tier": "web", "team": "t"]))
        #expect(!p.selector.matches(["projectcalico.org/orchestrator": "k8s", "a": "1", "b": "2", "env": "x", "team": "t", "legacy": ""]))
    }

    @Test("namespace selectors get no orchestrator term; an empty one is all()")
    func namespaceSelectorTranslation() throws {
        let p = try k8s("podSelector: {}\ningress:\n- from:\n  - namespaceSelector:\n      matchExpressions: [{key: team, operator: In, values: [a, b]}]\n  - namespaceSelector: {}")
        #expect(p.ingress.count == 2)
        #expect(p.ingress[0].source.namespaceSelector?.canonical == canon("team in {'a', 'b'}"))
        #expect(p.ingress[1].source.namespaceSelector?.expression == .all)
    }

    @Test("LabelSelector errors", arguments: [
        ("podSelector:\n  matchExpressions: [{key: a, operator: In, values: []}]", "must be specified when `operator` is 'In' or 'NotIn'",
         "spec.podSelector.matchExpressions[0].values", 8, 55),
        ("podSelector:\n  matchExpressions: [{key: a, operator: NotIn}]", "must be specified when `operator` is 'In' or 'NotIn'",
         "spec.podSelector.matchExpressions[0].values", 8, 24),
        ("podSelector:\n  matchExpressions: [{key: a, operator: Exists, values: [x]}]", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
         "spec.podSelector.matchExpressions[0].values", 8, 59),
        ("podSelector:\n  matchExpressions: [{key: a, operator: Equals, values: [x]}]", "not a valid selector operator 'Equals'",
         "spec.podSelector.matchExpressions[0].operator", 8, 43),
        ("podSelector:\n  matchExpressions: [{operator: Exists}]", "required field 'key' is missing",
         "spec.podSelector.matchExpressions[0].key", 8, 24),
        ("podSelector:\n  matchExpressions: [{key: 'a b', operator: Exists}]", "is not a valid label key",
         "spec.podSelector.matchExpressions[0].key", 8, 30),
        ("podSelector:\n  matchLabels: {app: 'no spaces'}", "is not a valid label value",
         "spec.podSelector.matchLabels.app", 8, 24),
    ])
    func labelSelectorErrors(_ spec: String, _ message: String, _ field: String, _ line: Int, _ column: Int) {
        expectLoadError(k8sYAML(spec), message: message, field: field, line: line, column: column)
    }

    // MARK: §3.3 Rules

    @Test("no from/to and no ports: one Allow rule with no constraint at all")
    func allowAll() throws {
        for spec in ["podSelector: {}\ningress: [{}]", "podSelector: {}\ningress:\n- from: []\n  ports: []"] {
            let p = try k8s(spec)
            try #require(p.ingress.count == 1)
            let r = p.ingress[0]
            #expect(r.action == .allow)
            #expect(r.protocol == nil)
            #expect(r.source.isEmpty && r.destination.isEmpty)
            #expect(r.source.addressSelector == nil && r.source.negatedAddressSelector == nil)
            #expect(r.kubernetesRuleIndex == 0)
        }
    }

    @Test("empty ingress list: no rules (deny by isolation)")
    func emptyIngress() throws {
        let p = try k8s("podSelector: {}\ningress: []")
        #expect(p.types == [.ingress])
        #expect(p.ingress.isEmpty)
    }

    @Test("one Allow rule per (peer, protocol)")
    func rulePerPeerAndProtocol() throws {
        let p = try k8s("""
        podSelector: {}
        ingress:
        - from:
          - podSelector: {matchLabels: {app: a}}
          - ipBlock: {cidr: 10.0.0.0/8}
          ports:
          - port: 80
          - {protocol: UDP, port: 53}
          - {protocol: TCP, port: 443}
        - from:
          - namespaceSelector: {}
        """)
        #expect(p.ingress.count == 5)
        #expect(p.ingress.map(\.kubernetesRuleIndex) == [0, 0, 0, 0, 1])
        #expect(p.ingress.allSatisfy { $0.action == .allow })
        struct Shape: Hashable { var proto: UInt8?; var peer: String; var ports: [PortSpec] }
        let shapes = Set(p.ingress.prefix(4).map { r in
            Shape(proto: r.protocol?.number,
                  peer: r.source.selector?.canonical ?? r.source.nets.map(\.description).joined(),
                  ports: r.destination.ports)
        })
        let podPeer = canon("\(k8sTerm) && app == 'a'")
        #expect(shapes == [
            Shape(proto: 6, peer: podPeer, ports: [.range(80, 80), .range(443, 443)]),
            Shape(proto: 17, peer: podPeer, ports: [.range(53, 53)]),
            Shape(proto: 6, peer: "10.0.0.0/8", ports: [.range(80, 80), .range(443, 443)]),
            Shape(proto: 17, peer: "10.0.0.0/8", ports: [.range(53, 53)]),
        ])
        // Ingress: the ports are on the destination (the selected pod), the peer is the source.
        #expect(p.ingress.allSatisfy { $0.source.ports.isEmpty })
        #expect(p.ingress[4].protocol == nil)
        #expect(p.ingress[4].destination.isEmpty)
    }

    @Test("egress: peer and ports both on the destination")
    func egressShape() throws {
        let p = try k8s("podSelector: {}\npolicyTypes: [Egress]\negress:\n- to: [{podSelector: {matchLabels: {app: db}}}]\n  ports: [{port: 5432}]")
        try #require(p.egress.count == 1)
        let r = p.egress[0]
        #expect(r.protocol == .tcp)
        #expect(r.destination.selector?.canonical == canon("\(k8sTerm) && app == 'db'"))
        #expect(r.destination.ports == [.range(5432, 5432)])
        #expect(r.source.isEmpty)
        #expect(r.destination.addressSelector?.canonical == canon("projectcalico.org/namespace == 'prod' && (\(k8sTerm) && app == 'db')"))
    }

    @Test("ports grouped by protocol", arguments: [
        // Missing protocol is TCP.
        ("[{port: 80}]", [6: [PortSpec.range(80, 80)]]),
        // A protocol without a port is every port of it and absorbs the others, whatever the order.
        ("[{port: 80}, {protocol: TCP}]", [6: []]),
        ("[{protocol: TCP}, {port: 80}, {port: 81}]", [6: []]),
        ("[{protocol: UDP}, {protocol: UDP, port: 53}, {port: 53}]", [17: [], 6: [.range(53, 53)]]),
        // `{}` is TCP, any port (CONV-TEST "blank ports").
        ("[{}]", [6: []]),
        ("[{port: 80}, {}]", [6: []]),
        ("[{protocol: SCTP, port: 9}, {protocol: UDP, port: 9}, {port: 9}]", [132: [.range(9, 9)], 17: [.range(9, 9)], 6: [.range(9, 9)]]),
        // endPort gives a range; SimplifyPorts merges overlapping and adjacent ranges.
        ("[{port: 32000, endPort: 32768}]", [6: [.range(32000, 32768)]]),
        ("[{port: 85}, {port: 80}, {port: 81}, {port: 82, endPort: 90}, {port: 100}, {port: 91}]", [6: [.range(80, 91), .range(100, 100)]]),
        ("[{port: 1, endPort: 100}, {port: 50, endPort: 60}, {port: 102}]", [6: [.range(1, 100), .range(102, 102)]]),
        // Named ports are kept (once), after the numeric ones.
        ("[{port: http}, {port: 80}, {port: http}, {port: metrics}]", [6: [.range(80, 80), .named("http"), .named("metrics")]]),
        ("[{protocol: UDP, port: dns}]", [17: [.named("dns")]]),
        // A numeric string is a number.
        ("[{port: '8080'}]", [6: [.range(8080, 8080)]]),
    ])
    func portGrouping(_ ports: String, _ expected: [UInt8: [PortSpec]]) throws {
        let p = try k8s("podSelector: {}\ningress:\n- ports: \(ports)")
        var got: [UInt8: [PortSpec]] = [:]
        for r in p.ingress {
            let proto = try #require(r.protocol)
            #expect(got[proto.number] == nil, "one rule per protocol")
            got[proto.number] = r.destination.ports
            #expect(r.source.isEmpty)
        }
        #expect(got == expected)
        #expect(p.ingress.allSatisfy { $0.protocol?.name != nil }, "protocols are named TCP/UDP/SCTP")
    }

    @Test("SEMANTICS §3.3 example (CONV-TEST): ports [{port: 80}, {}] collapse to TCP with no port constraint")
    func convTestExample() throws {
        let p = try k8s("""
        podSelector:
          matchLabels: {label: value, label2: value2}
        ingress:
        - from:
          - podSelector:
              matchLabels: {k: v, k2: v2}
          ports:
          - port: 80
          - {}
        """)
        try #require(p.ingress.count == 1)
        let r = p.ingress[0]
        #expect(r.action == .allow)
        #expect(r.protocol == .tcp)
        #expect(r.source.selector?.canonical == canon("\(k8sTerm) && k == 'v' && k2 == 'v2'"))
        #expect(r.destination.ports.isEmpty && r.destination.notPorts.isEmpty)
        #expect(p.selector.canonical == canon("\(k8sTerm) && label == 'value' && label2 == 'value2'"))
    }

    @Test("SimplifyPorts directly")
    func simplify() {
        #expect(KubernetesPolicyDecoder.simplify([]) == [])
        #expect(KubernetesPolicyDecoder.simplify([.range(5, 5), .range(1, 3), .range(4, 4)]) == [.range(1, 5)])
        #expect(KubernetesPolicyDecoder.simplify([.range(10, 20), .range(22, 30)]) == [.range(10, 20), .range(22, 30)])
        #expect(KubernetesPolicyDecoder.simplify([.range(10, 20), .range(21, 30)]) == [.range(10, 30)])
        #expect(KubernetesPolicyDecoder.simplify([.range(10, 40), .range(15, 20)]) == [.range(10, 40)])
        #expect(KubernetesPolicyDecoder.simplify([.named("b"), .range(65535, 65535), .named("a"), .named("b"), .range(65534, 65534)])
            == [.range(65534, 65535), .named("b"), .named("a")])
    }

    @Test("Kubernetes port errors", arguments: [
        ("[{protocol: ICMP}]", "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"", "spec.ingress[0].ports[0].protocol", 9, 24),
        ("[{protocol: tcp, port: 80}]", "Unsupported value: \"tcp\"", "spec.ingress[0].ports[0].protocol", 9, 24),
        ("[{port: 0}]", "must be between 1 and 65535, inclusive", "spec.ingress[0].ports[0].port", 9, 20),
        ("[{port: 65536}]", "must be between 1 and 65535, inclusive", "spec.ingress[0].ports[0].port", 9, 20),
        ("[{port: http, endPort: 90}]", "may not be specified when `port` is not specified or is a named port", "spec.ingress[0].ports[0].endPort", 9, 35),
        ("[{endPort: 90}]", "may not be specified when `port` is not specified or is a named port", "spec.ingress[0].ports[0].endPort", 9, 23),
        ("[{port: 90, endPort: 80}]", "must be greater than or equal to `port`", "spec.ingress[0].ports[0].endPort", 9, 33),
        ("[{port: 90, endPort: 70000}]", "must be between 1 and 65535, inclusive", "spec.ingress[0].ports[0].endPort", 9, 33),
        ("[{port: HTTP}]", "invalid port name 'HTTP'", "spec.ingress[0].ports[0].port", 9, 20),
    ])
    func portErrors(_ ports: String, _ message: String, _ field: String, _ line: Int, _ column: Int) {
        expectLoadError(k8sYAML("podSelector: {}\ningress:\n- ports: \(ports)"), message: message, field: field, line: line, column: column)
    }

    // MARK: Peers

    @Test("podSelector-only peer: pods of the policy's own namespace")
    func podPeer() throws {
        let p = try k8s("podSelector: {}\ningress:\n- from: [{podSelector: {matchLabels: {app: x}}}]")
        let s = p.ingress[0].source
        #expect(s.selector?.canonical == canon("\(k8sTerm) && app == 'x'"))
        #expect(s.namespaceSelector == nil)
        #expect(s.addressSelector?.canonical == canon("projectcalico.org/namespace == 'prod' && (\(k8sTerm) && app == 'x')"))
        let empty = try k8s("podSelector: {}\ningress:\n- from: [{podSelector: {}}]").ingress[0].source
        #expect(empty.addressSelector?.canonical == canon("projectcalico.org/namespace == 'prod' && \(k8sTerm)"))
    }

    @Test("namespaceSelector-only peer gets selector projectcalico.org/orchestrator == \"k8s\": pods only")
    func namespacePeer() throws {
        let p = try k8s("podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {team: a}}}, {namespaceSelector: {}}]")
        try #require(p.ingress.count == 2)
        let a = p.ingress[0].source
        #expect(a.selector?.canonical == "projectcalico.org/orchestrator == \"k8s\"")
        #expect(a.namespaceSelector?.canonical == canon("team == 'a'"))
        // UP-RULES test: "(pcns.key == \"value\") && (projectcalico.org/orchestrator == 'k8s')".
        #expect(a.addressSelector?.canonical == canon("(pcns.team == 'a') && (\(k8sTerm))"))
        let all = p.ingress[1].source
        #expect(all.addressSelector?.canonical == canon("has(projectcalico.org/namespace) && \(k8sTerm)"))
        // Matches pods of any namespace, but not host endpoints or non-Kubernetes workloads.
        #expect(all.addressSelector?.matches(["projectcalico.org/namespace": "x", "projectcalico.org/orchestrator": "k8s"]) == true)
        #expect(all.addressSelector?.matches(["projectcalico.org/namespace": "x"]) == false)
        #expect(all.addressSelector?.matches([:]) == false)
    }

    @Test("podSelector and namespaceSelector in one peer are ANDed; in separate peers ORed")
    func combinedPeer() throws {
        let same = try k8s("podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: x}}}]")
        try #require(same.ingress.count == 1)
        // SEMANTICS §3.1 example.
        #expect(same.ingress[0].source.addressSelector?.canonical == canon("(pcns.team == 'a') && (\(k8sTerm) && app == 'x')"))
        let separate = try k8s("podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {team: a}}}, {podSelector: {matchLabels: {app: x}}}]")
        #expect(separate.ingress.count == 2)
    }

    @Test("ipBlock: nets and notNets, re-masked; no selector scope")
    func ipBlock() throws {
        let p = try k8s("""
        podSelector: {}
        policyTypes: [Egress]
        egress:
        - to:
          - ipBlock:
              cidr: 10.0.0.1/8
              except: [10.1.2.3/16, 10.200.0.0/24]
          - ipBlock: {cidr: "2001:db8::1/32", except: ["2001:db8:1::/48"]}
        """)
        try #require(p.egress.count == 2)
        let v4 = p.egress[0].destination
        #expect(v4.nets.map(\.description) == ["10.0.0.0/8"])
        #expect(v4.notNets.map(\.description) == ["10.1.0.0/16", "10.200.0.0/24"])
        #expect(v4.selector == nil && v4.namespaceSelector == nil)
        #expect(v4.addressSelector == nil, "an ipBlock peer is not limited to the policy's namespace")
        let v6 = p.egress[1].destination
        #expect(v6.nets.map(\.description) == ["2001:db8::/32"])
        #expect(v6.notNets.map(\.description) == ["2001:db8:1::/48"])
    }

    @Test("ipBlock errors", arguments: [
        ("{cidr: 10.0.0.0/8, except: [10.0.0.0/8]}", "must be a strict subset of `cidr` (10.0.0.0/8)", "spec.ingress[0].from[0].ipBlock.except[0]", 10, 44),
        ("{cidr: 10.0.0.0/16, except: [10.0.0.0/8]}", "must be a strict subset of `cidr` (10.0.0.0/16)", "spec.ingress[0].from[0].ipBlock.except[0]", 10, 45),
        ("{cidr: 10.0.0.0/8, except: [11.0.0.0/16]}", "must be a strict subset of `cidr`", "spec.ingress[0].from[0].ipBlock.except[0]", 10, 44),
        ("{cidr: 10.0.0.0/8, except: ['::/64']}", "must be a strict subset of `cidr`", "spec.ingress[0].from[0].ipBlock.except[0]", 10, 44),
        ("{cidr: 10.0.0.1}", "invalid CIDR (a prefix length is required", "spec.ingress[0].from[0].ipBlock.cidr", 10, 23),
        ("{cidr: 10.0.0.0/40}", "invalid CIDR", "spec.ingress[0].from[0].ipBlock.cidr", 10, 23),
        ("{except: [10.0.0.0/16]}", "required field 'cidr' is missing", "spec.ingress[0].from[0].ipBlock.cidr", 10, 16),
    ])
    func ipBlockErrors(_ block: String, _ message: String, _ field: String, _ line: Int, _ column: Int) {
        expectLoadError(k8sYAML("podSelector: {}\ningress:\n- from:\n  - ipBlock: \(block)"), message: message, field: field, line: line, column: column)
    }

    @Test("peer errors")
    func peerErrors() {
        expectLoadError(k8sYAML("podSelector: {}\ningress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8}\n    podSelector: {}"),
                        message: "may not specify both ipBlock and another peer", field: "spec.ingress[0].from[0]", line: 10, column: 7)
        expectLoadError(k8sYAML("podSelector: {}\ningress:\n- from: [{}]"),
                        message: "must specify a peer (podSelector, namespaceSelector or ipBlock)", field: "spec.ingress[0].from[0]", line: 9, column: 12)
        expectLoadError(k8sYAML("podSelector: {}\negress:\n- from: []"),
                        message: "unknown field 'from'", field: "spec.egress[0].from", line: 9, column: 5)
    }
}

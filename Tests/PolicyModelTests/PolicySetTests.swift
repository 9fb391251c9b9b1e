// PolicySet.resolve: endpoints and their effective labels, synthetic addresses, tier and policy
// order (SEMANTICS §2.2–§2.4), duplicates.

import Testing
@testable import PolicyModel
import Addresses
import Selectors

private func gnp(_ name: String, tier: String? = nil, order: String? = nil) -> String {
    var s = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: \(name)}\nspec:\n  selector: all()\n"
    if let tier { s += "  tier: \(tier)\n" }
    if let order { s += "  order: \(order)\n" }
    return s
}

private func np(_ name: String, namespace: String, order: String? = nil, tier: String? = nil) -> String {
    var s = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n  selector: all()\n"
    if let tier { s += "  tier: \(tier)\n" }
    if let order { s += "  order: \(order)\n" }
    return s
}

private func knp(_ name: String, namespace: String) -> String {
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: \(name), namespace: \(namespace)}\nspec: {podSelector: {}}\n"
}

private func tier(_ name: String, order: String?) -> String {
    "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: \(name)}\n" + (order.map { "spec: {order: \($0)}\n" } ?? "")
}

@Suite("PolicySet: endpoints and labels")
struct PolicySetEndpointTests {
    static let inventory = documents(
        namespaceYAML("prod", labels: ["team": "shop"]),
        namespaceYAML("other"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: prod, labels: {role: backend}}\n",
        podYAML("web-1", namespace: "prod", labels: ["app": "web"], ip: "10.0.0.1", serviceAccount: "api"),
        podYAML("db-1", namespace: "prod", labels: ["app": "db", "pcns.team": "own-label-wins"], ip: "10.0.0.2"),
        podYAML("lost", namespace: "ghost", ip: "10.0.0.3"))

    @Test("a pod's effective labels: own, implicit projectcalico.org/*, then pcns.* and pcsa.* from its profiles")
    func podLabels() throws {
        let set = try resolve(Self.inventory)
        let web = try #require(set.endpoint(id: "prod/web-1"))
        #expect(web.kind == .pod)
        #expect(web.labels == ["app": "web"])
        #expect(web.effectiveLabels == [
            "app": "web",
            "projectcalico.org/namespace": "prod",
            "projectcalico.org/orchestrator": "k8s",
            "projectcalico.org/serviceaccount": "api",
            "pcns.team": "shop",
            "pcns.kubernetes.io/metadata.name": "prod",
            "pcns.projectcalico.org/name": "prod",
            "pcsa.role": "backend",
            "pcsa.projectcalico.org/name": "api",
        ])
        #expect(web.profiles == ["kns.prod", "ksa.prod.api"])
        #expect(web.serviceAccount == "api")
        #expect(web.addresses.map(\.description) == ["10.0.0.1"])
        #expect(!web.addressesAreSynthetic)
        #expect(web.namespace == "prod")
    }

    @Test("own labels win over profile labels; the default service account has only its name label")
    func precedence() throws {
        let set = try resolve(Self.inventory)
        let db = try #require(set.endpoint(id: "prod/db-1"))
        #expect(db.effectiveLabels["pcns.team"] == "own-label-wins")
        #expect(db.effectiveLabels["projectcalico.org/serviceaccount"] == "default")
        #expect(db.effectiveLabels["pcsa.projectcalico.org/name"] == "default")
        #expect(db.effectiveLabels.keys.filter { $0.hasPrefix("pcsa.") } == ["pcsa.projectcalico.org/name"])
        #expect(db.profiles == ["kns.prod", "ksa.prod.default"])
    }

    @Test("namespaces get kubernetes.io/metadata.name; a missing namespace is assumed, with a diagnostic")
    func namespaces() throws {
        let set = try resolve(Self.inventory)
        #expect(set.namespaces["prod"]?.labels == ["team": "shop", "kubernetes.io/metadata.name": "prod"])
        #expect(set.namespaces["other"]?.labels == ["kubernetes.io/metadata.name": "other"])
        #expect(set.namespaces["ghost"]?.labels == ["kubernetes.io/metadata.name": "ghost"])
        let lost = try #require(set.endpoint(id: "ghost/lost"))
        #expect(lost.effectiveLabels["pcns.kubernetes.io/metadata.name"] == "ghost")
        let missing = set.diagnostics.filter { $0.code == .missingNamespace }
        #expect(missing.count == 1)
        #expect(missing.first?.message.contains("namespace 'ghost' is not in the inventory") == true)

        // A namespace that already carries the label keeps its value.
        let own = try resolve(namespaceYAML("x", labels: ["kubernetes.io/metadata.name": "x"]))
        #expect(own.namespaces["x"]?.labels == ["kubernetes.io/metadata.name": "x"])
    }

    @Test("kns./ksa. profiles: the namespace profile allows everything, the SA profile only carries labels")
    func profiles() throws {
        let set = try resolve(Self.inventory)
        let kns = try #require(set.profiles["kns.prod"])
        #expect(kns.ingress.map(\.action) == [.allow] && kns.egress.map(\.action) == [.allow])
        #expect(kns.labelsToApply == ["pcns.team": "shop", "pcns.kubernetes.io/metadata.name": "prod", "pcns.projectcalico.org/name": "prod"])
        let ksa = try #require(set.profiles["ksa.prod.api"])
        #expect(ksa.ingress.isEmpty && ksa.egress.isEmpty)
        #expect(ksa.labelsToApply == ["pcsa.role": "backend", "pcsa.projectcalico.org/name": "api"])
        let allow = try #require(set.profiles[Profile.defaultAllow])
        #expect(allow.ingress.map(\.action) == [.allow] && allow.egress.map(\.action) == [.allow])
        #expect(set.profiles["kns.other"] != nil)
    }

    @Test("a service account name of 63 characters or more gets no projectcalico.org/serviceaccount label")
    func longServiceAccount() throws {
        let long = String(repeating: "s", count: 63)
        let set = try resolve(documents(namespaceYAML("n"), podYAML("p", namespace: "n", ip: "10.0.0.1", serviceAccount: long),
                                        podYAML("q", namespace: "n", ip: "10.0.0.2", serviceAccount: String(long.dropLast()))))
        #expect(set.endpoint(id: "n/p")?.effectiveLabels["projectcalico.org/serviceaccount"] == nil)
        #expect(set.endpoint(id: "n/p")?.effectiveLabels["pcsa.projectcalico.org/name"] == long)
        #expect(set.endpoint(id: "n/q")?.effectiveLabels["projectcalico.org/serviceaccount"] == String(long.dropLast()))
    }

    @Test("WorkloadEndpoint: own labels, namespace/orchestrator/SA labels, then its profiles' labels")
    func workloadEndpoint() throws {
        let text = documents(
            namespaceYAML("prod", labels: ["team": "shop"]),
            "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: lab}\nspec: {labelsToApply: {env: lab, app: profile-loses}}\n",
            """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata:
              name: node1-cni-vm1-eth0
              namespace: prod
              labels: {app: vm}
            spec:
              orchestrator: cni
              workload: vm-1
              node: node1
              serviceAccountName: svc
              ipNetworks: [10.1.0.5/32, "fd00::5"]
              profiles: [lab, kns.prod]
              interfaceName: tap0
              ports: [{name: ssh, port: 22, protocol: TCP}]

            """)
        let set = try resolve(text)
        let e = try #require(set.endpoint(id: "prod/vm-1"))
        #expect(e.kind == .workloadEndpoint)
        #expect(e.name == "vm-1")
        #expect(e.node == "node1")
        #expect(e.interfaceName == "tap0")
        #expect(e.addresses.map(\.description) == ["10.1.0.5", "fd00::5"])
        #expect(e.profiles == ["lab", "kns.prod"])
        #expect(e.effectiveLabels == [
            "app": "vm", "projectcalico.org/namespace": "prod", "projectcalico.org/orchestrator": "cni",
            "projectcalico.org/serviceaccount": "svc", "env": "lab",
            "pcns.team": "shop", "pcns.kubernetes.io/metadata.name": "prod", "pcns.projectcalico.org/name": "prod",
        ])
        #expect(e.namedPorts == [NamedPort(name: "ssh", protocolNumber: 6, port: 22)])
    }

    @Test("WorkloadEndpoint: a kns. profile of an unknown namespace is derived; any other unknown profile is an error")
    func workloadEndpointProfiles() throws {
        let wep = { (profiles: String) in
            "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: w, namespace: dev}\nspec:\n  pod: p\n  ipNetworks: [10.2.0.1]\n  profiles: \(profiles)\n"
        }
        let set = try resolve(wep("[kns.dev]"))
        #expect(set.endpoint(id: "dev/p")?.effectiveLabels["pcns.projectcalico.org/name"] == "dev")
        #expect(set.diagnostics.contains { $0.code == .missingNamespace })

        let e = inputError { () throws(InputError) in try resolve(wep("[nope]")) }
        #expect(e?.message == "profile 'nope' is not defined")
        #expect(e?.field == "spec.profiles")
        #expect(e?.location.line == 3)
    }

    @Test("WorkloadEndpoint from `calicoctl get wep`: the ksa. profile of a service account not in the inventory is derived")
    func workloadEndpointServiceAccountProfile() throws {
        // calicoctl shows Kubernetes workload endpoints with profiles [kns.<ns>, ksa.<ns>.<sa>]; Calico
        // derives both profiles, and the inventory rarely lists the `default` ServiceAccount.
        let text = documents(namespaceYAML("prod"), """
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata:
              name: node1-k8s-web--1-eth0
              namespace: prod
              labels: {app: web, projectcalico.org/namespace: prod, projectcalico.org/orchestrator: k8s, projectcalico.org/serviceaccount: default}
            spec:
              orchestrator: k8s
              pod: web-1
              serviceAccountName: default
              ipNetworks: [10.0.0.7/32]
              profiles: [kns.prod, ksa.prod.default]

            """)
        let set = try resolve(text)
        #expect(set.endpoint(id: "prod/web-1")?.effectiveLabels["pcsa.projectcalico.org/name"] == "default")
    }

    @Test("HostEndpoint: own labels then profile labels; expectedIPs are its addresses; never synthetic")
    func hostEndpoint() throws {
        let text = documents(
            "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: hp}\nspec: {labelsToApply: {zone: a, role: ignored}}\n",
            "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: n1-eth0, labels: {role: worker}}\nspec: {node: n1, interfaceName: eth0, expectedIPs: [192.168.0.1], profiles: [projectcalico-default-allow, hp]}\n",
            "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: n1-all}\nspec: {node: n1, interfaceName: '*'}\n",
            "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: n2-eth0}\nspec: {node: n2}\n")
        let set = try resolve(text)
        let h = try #require(set.endpoint(id: "hostendpoint:n1-eth0"))
        #expect(h.kind == .hostEndpoint && h.kind.isHost)
        #expect(h.namespace == nil)
        #expect(h.effectiveLabels == ["role": "worker", "zone": "a"])
        #expect(h.addresses.map(\.description) == ["192.168.0.1"])
        #expect(h.profiles == ["projectcalico-default-allow", "hp"])
        let bare = try #require(set.endpoint(id: "hostendpoint:n1-all"))
        #expect(bare.addresses.isEmpty && !bare.addressesAreSynthetic)
        #expect(set.hostEndpoints(onNode: "n1").map(\.name) == ["n1-all", "n1-eth0"])
        #expect(set.owners(of: IPAddress("192.168.0.1")!).map(\.id) == ["hostendpoint:n1-eth0"])

        let e = inputError { () throws(InputError) in
            try resolve("apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: h}\nspec: {profiles: [missing]}\n")
        }
        #expect(e?.message == "profile 'missing' is not defined")
    }

    @Test("network sets: namespaced ones get the namespace labels, global ones only their own")
    func networkSets() throws {
        let text = documents(
            namespaceYAML("prod", labels: ["team": "shop"]),
            "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: partners, namespace: prod, labels: {kind: ext}}\nspec: {nets: [198.51.100.7, 203.0.113.9/24]}\n",
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: world, labels: {kind: any}}\nspec: {nets: ['0.0.0.0/0']}\n")
        let set = try resolve(text)
        #expect(set.networkSets.map(\.qualifiedName) == ["prod/partners", "world"])
        let ns = set.networkSets[0]
        #expect(ns.nets.map(\.description) == ["198.51.100.7/32", "203.0.113.0/24"])
        #expect(ns.effectiveLabels == ["kind": "ext", "projectcalico.org/namespace": "prod", "pcns.team": "shop",
                                       "pcns.kubernetes.io/metadata.name": "prod", "pcns.projectcalico.org/name": "prod"])
        #expect(set.networkSets[1].effectiveLabels == ["kind": "any"])
        #expect(set.networkSets(containing: IPAddress("203.0.113.200")!).map(\.name) == ["partners", "world"])
        #expect(set.networkSets(containing: IPAddress("8.8.8.8")!).map(\.name) == ["world"])

        expectLoadError("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: x, namespace: prod, labels: {projectcalico.org/namespace: y}}\n",
                        message: "reserved label projectcalico.org/namespace", field: "metadata.name", line: 3, column: 18)
    }

    @Test("FelixConfiguration defaults when none is given")
    func felixDefaults() throws {
        let set = try resolve(namespaceYAML("a"))
        #expect(set.felix == .defaults)
        #expect(set.felix.failsafeInbound.count == 9)
        #expect(set.felix.defaultEndpointToHostAction == .accept)
    }
}

@Suite("PolicySet: synthetic addresses and inactive pods")
struct PolicySetAddressTests {
    static let text = documents(
        namespaceYAML("prod"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: taken, namespace: prod}\nstatus:\n  podIPs: [{ip: 100.64.0.1}, {ip: 'fd00:5e7d::1'}]\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: prod}\nspec:\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: c}]}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: pending, namespace: prod}\nstatus: {phase: Pending}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: also-taken, namespace: prod}\nstatus: {podIP: 100.64.0.3}\n",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: prod}\nspec:\n  template:\n    metadata: {labels: {app: db}}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: hostnet, namespace: prod}\nspec: {hostNetwork: true}\nstatus: {podIP: 192.168.0.5}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: done, namespace: prod}\nstatus: {phase: Succeeded, podIP: 10.0.0.9}\n")

    @Test("pod templates and address-less pods get deterministic synthetic addresses that skip used ones")
    func synthetic() throws {
        let set = try resolve(Self.text)
        let api = try #require(set.endpoint(id: "prod/api"))
        #expect(api.kind == .podTemplate(controller: "Deployment"))
        #expect(api.addressesAreSynthetic)
        #expect(api.addresses.map(\.description) == ["100.64.0.2", "fd00:5e7d::2"])
        let pending = try #require(set.endpoint(id: "prod/pending"))
        #expect(pending.addresses.map(\.description) == ["100.64.0.4", "fd00:5e7d::3"])
        let db = try #require(set.endpoint(id: "prod/db"))
        #expect(db.addresses.map(\.description) == ["100.64.0.5", "fd00:5e7d::4"])
        #expect(set.endpoint(id: "prod/taken")?.addressesAreSynthetic == false)
        #expect(set.owners(of: IPAddress("100.64.0.2")!).map(\.id) == ["prod/api"])
        #expect(api.address(of: .v6)?.description == "fd00:5e7d::2")

        // Only pods (not templates) get a diagnostic.
        let synthetic = set.diagnostics.filter { $0.code == .syntheticAddress }
        #expect(synthetic.count == 1)
        #expect(synthetic.first?.message.contains("prod/pending") == true)

        // Deterministic.
        let again = try resolve(Self.text)
        #expect(again.endpoints.map(\.addresses) == set.endpoints.map(\.addresses))
    }

    @Test("the synthetic pools are options")
    func pools() throws {
        var options = PolicySet.Options()
        options.syntheticPoolV4 = try CIDR.parse("192.0.2.0/24", requireCanonical: true).get()
        options.syntheticPoolV6 = try CIDR.parse("2001:db8:1::/64", requireCanonical: true).get()
        let set = try resolve(Self.text, options: options)
        #expect(set.endpoint(id: "prod/api")?.addresses.map(\.description) == ["192.0.2.1", "2001:db8:1::1"])
    }

    @Test("host-networked and finished pods are not endpoints; they are listed as inactive with a diagnostic")
    func inactive() throws {
        let set = try resolve(Self.text)
        #expect(set.endpoint(id: "prod/hostnet") == nil)
        #expect(set.endpoint(id: "prod/done") == nil)
        #expect(set.inactiveEndpoints.map { $0.id } == ["prod/hostnet", "prod/done"])
        #expect(set.inactiveEndpoints[0].reason.contains("host network"))
        #expect(set.owners(of: IPAddress("10.0.0.9")!).isEmpty)
        #expect(set.diagnostics.filter { $0.code == .inactiveEndpoint }.count == 2)
        #expect(set.endpoints.map(\.id) == ["prod/taken", "prod/api", "prod/pending", "prod/also-taken", "prod/db"])
    }

    @Test("an address shared by two endpoints is a diagnostic; owners are in inventory order")
    func sharedAddress() throws {
        let set = try resolve(documents(namespaceYAML("n"), podYAML("a", namespace: "n", ip: "10.0.0.1"), podYAML("b", namespace: "n", ip: "10.0.0.1")))
        #expect(set.owners(of: IPAddress("10.0.0.1")!).map(\.id) == ["n/a", "n/b"])
        #expect(set.diagnostics.contains { $0.code == .sharedAddress && $0.message.contains("n/a, n/b") })
    }
}

@Suite("PolicySet: tiers and policy order (SEMANTICS §2.3, §2.4)")
struct PolicySetOrderTests {
    @Test("tiers: ascending order, unordered after ordered, undefined after every defined tier, ties by name")
    func tierOrder() throws {
        let text = documents(
            tier("security", order: "100"), tier("mid", order: "5000"), tier("late", order: nil), tier("also-late", order: nil),
            tier("same-a", order: "5000"),
            gnp("g1", tier: "ghost"), gnp("g2", tier: "alpha"), gnp("g3", tier: "ghost"), gnp("d1"), gnp("s1", tier: "security"))
        let set = try resolve(text)
        #expect(set.tiers.map(\.tier.name) == [
            "security", "kube-admin", "mid", "same-a", "default", "kube-baseline", "also-late", "late", "alpha", "ghost",
        ])
        #expect(set.tiers.map(\.isUndefined) == [false, false, false, false, false, false, false, false, true, true])
        let ghost = try #require(set.tiers.last)
        #expect(ghost.tier.defaultAction == .deny)
        #expect(ghost.policies.map(\.name) == ["g1", "g3"])
        let undefined = set.diagnostics.filter { $0.code == .undefinedTier }
        #expect(undefined.count == 2)
        #expect(undefined.contains { $0.message.contains("tier 'ghost' of policy g1 has no Tier resource") })
        // Built-ins keep their Calico values.
        let builtIns = set.tiers.filter { $0.tier.isBuiltIn }.map { ($0.tier.name, $0.tier.order, $0.tier.defaultAction) }
        #expect(builtIns.map(\.0) == ["kube-admin", "default", "kube-baseline"])
        #expect(builtIns.map(\.1) == [1000, 1_000_000, 10_000_000])
        #expect(builtIns.map(\.2) == [.pass, .deny, .pass])
        #expect(set.allPolicies.map(\.name) == ["s1", "d1", "g2", "g1", "g3"])
    }

    @Test("policies: ascending order (negative and fractional too), no order last")
    func policyOrder() throws {
        let text = documents(gnp("n-none"), gnp("a-1000", order: "1000"), gnp("neg", order: "-5"), gnp("frac", order: "10.5"),
                             gnp("ten", order: "10"), gnp("b-none"), gnp("tiny", order: "-0.25"), gnp("big", order: "1e6"))
        let set = try resolve(text)
        let names = set.tiers.first { $0.tier.name == "default" }?.policies.map(\.name)
        #expect(names == ["neg", "tiny", "ten", "frac", "a-1000", "big", "b-none", "n-none"])
    }

    /// Four policies with order 1000 (a Kubernetes policy always has 1000), named as ≤3.31 requires
    /// (`<tier>.<name>`).
    static let ties = documents(knp("z", namespace: "prod"), np("default.m", namespace: "prod", order: "1000"),
                                gnp("default.b", order: "1000"), np("default.a", namespace: "zz", order: "1000"))

    @Test("ties, HEAD: compare name/namespace/kind")
    func tieBreakHead() throws {
        let set = try resolve(Self.ties)
        let pols = try #require(set.tiers.first { $0.tier.name == "default" }).policies
        #expect(pols.map(\.name) == ["default.a", "default.b", "default.m", "z"])
        #expect(PolicySet.tieBreakKey(pols[3], .head) == "z/prod/KubernetesNetworkPolicy")
        #expect(PolicySet.tieBreakKey(pols[1], .head) == "default.b//GlobalNetworkPolicy")
    }

    @Test("ties, ≤3.31: compare namespace/name (knp.default. for Kubernetes policies) or the bare global name")
    func tieBreakLegacy() throws {
        var options = PolicySet.Options()
        options.tieBreak = .legacy
        let set = try resolve(Self.ties, options: options)
        let pols = try #require(set.tiers.first { $0.tier.name == "default" }).policies
        #expect(pols.map(\.name) == ["default.b", "default.m", "z", "default.a"])
        #expect(PolicySet.tieBreakKey(pols[2], .legacy) == "prod/knp.default.z")
        #expect(PolicySet.tieBreakKey(pols[0], .legacy) == "default.b")
        #expect(PolicySet.tieBreakKey(pols[1], .legacy) == "prod/default.m")
    }

    @Test("ties, ≤3.31: a default-tier policy written without the tier prefix is stored (and sorted) as default.<name>")
    func tieBreakLegacyUnprefixed() throws {
        // SEMANTICS §1.1: ≤3.31 stores default-tier policies as `default.<name>`, and §2.3 compares those internal names.
        let unprefixed = documents(knp("z", namespace: "prod"), np("m", namespace: "prod", order: "1000"),
                                   gnp("b", order: "1000"), np("a", namespace: "zz", order: "1000"))
        var options = PolicySet.Options()
        options.tieBreak = .legacy
        let set = try resolve(unprefixed, options: options)
        let pols = try #require(set.tiers.first { $0.tier.name == "default" }).policies
        // HEAD is unaffected by the prefix question.
        #expect(try resolve(unprefixed).allPolicies.map(\.name) == ["a", "b", "m", "z"])
        #expect(pols.map(\.name) == ["b", "m", "z", "a"])
        #expect(PolicySet.tieBreakKey(pols[1], .legacy) == "prod/default.m")
    }

    @Test("a Kubernetes and a Calico policy with the same name are different policies; HEAD puts the Kubernetes one first")
    func sameNameDifferentKind() throws {
        let set = try resolve(documents(np("web", namespace: "prod", order: "1000"), knp("web", namespace: "prod")))
        let pols = set.allPolicies
        #expect(pols.map(\.kind) == [.kubernetesNetworkPolicy, .networkPolicy])
    }

    @Test("Calico policies with order < 1000 run before Kubernetes policies, omitted order after")
    func kubernetesOrder1000() throws {
        let set = try resolve(documents(np("late", namespace: "prod"), knp("k", namespace: "prod"), np("early", namespace: "prod", order: "999.9")))
        #expect(set.allPolicies.map(\.name) == ["early", "k", "late"])
    }

    @Test("policyPrecedes: order, then +∞ for no order, then the tie-break")
    func policyPrecedes() throws {
        let r = try load(documents(gnp("x", order: "1"), gnp("y"), gnp("a")))
        let (x, y, a) = (r.policies[0], r.policies[1], r.policies[2])
        #expect(PolicySet.policyPrecedes(x, y, .head))
        #expect(!PolicySet.policyPrecedes(y, x, .head))
        #expect(PolicySet.policyPrecedes(a, y, .head))
        #expect(!PolicySet.policyPrecedes(y, a, .head))
        #expect(!PolicySet.policyPrecedes(a, a, .head))
    }
}

@Suite("PolicySet: duplicates")
struct PolicySetDuplicateTests {
    @Test("the same resource twice is an error at the second copy", arguments: [
        ("policy", np("a", namespace: "prod"), "NetworkPolicy prod/a is defined twice (also at test.yaml:3:18)"),
        ("global policy", gnp("a"), "GlobalNetworkPolicy a is defined twice (also at test.yaml:3:18)"),
        ("kubernetes policy", knp("a", namespace: "prod"), "KubernetesNetworkPolicy prod/a is defined twice (also at test.yaml:3:18)"),
        ("tier", tier("t", order: "1"), "Tier t is defined twice"),
        ("profile", "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: p}\n", "Profile p is defined twice"),
        ("network set", "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: s, namespace: prod}\n", "network set prod/s is defined twice"),
        ("namespace", namespaceYAML("prod"), "Namespace prod is defined twice"),
        ("service account", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: prod}\n", "ServiceAccount prod/sa is defined twice"),
        ("pod", podYAML("p", namespace: "prod", ip: "10.0.0.1"), "endpoint prod/p is defined twice"),
        ("host endpoint", "apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {name: h}\n", "endpoint hostendpoint:h is defined twice"),
    ])
    func duplicate(_ what: String, _ doc: String, _ message: String) throws {
        let r = try load(documents(doc, doc))
        let e = try #require(inputError { () throws(InputError) in try PolicySet.resolve(r) })
        #expect(e.message.contains(message), "\(what): \(e.message)")
        #expect(e.field == "metadata.name")
        #expect(e.location.line > 3, "reported at the second copy")
    }

    @Test("same names in different namespaces or kinds are not duplicates")
    func notDuplicates() throws {
        let set = try resolve(documents(np("a", namespace: "prod"), np("a", namespace: "dev"), gnp("a"), knp("a", namespace: "prod"),
                                        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: a}\n",
                                        "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: a, namespace: prod}\n"))
        #expect(set.allPolicies.count == 4)
        #expect(set.networkSets.count == 2)
    }

    @Test("a Pod and a WorkloadEndpoint for the same pod collide")
    func podAndWorkloadEndpoint() throws {
        let text = documents(podYAML("web-1", namespace: "prod", ip: "10.0.0.1"),
                             "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: n-k8s-web--1-eth0, namespace: prod}\nspec: {pod: web-1, ipNetworks: [10.0.0.1/32], profiles: [kns.prod]}\n")
        let e = inputError { () throws(InputError) in try resolve(text) }
        #expect(e?.message.contains("endpoint prod/web-1 is defined twice") == true)
    }
}

// Final selectors (SEMANTICS §2.2; UP-NP, UP-GNP, UP-RULES): the policy's endpoint selector and each
// rule entity's address-set selector.

import Testing
@testable import PolicyModel
import Selectors

/// A NetworkPolicy in `prod` (or a GlobalNetworkPolicy) with the given spec lines (indented by 2).
private func policy(global: Bool = false, _ spec: String) throws -> Policy {
    var text = "apiVersion: projectcalico.org/v3\nkind: \(global ? "GlobalNetworkPolicy" : "NetworkPolicy")\nmetadata:\n  name: p\n"
    if !global { text += "  namespace: prod\n" }
    text += "spec:\n" + spec.split(separator: "\n").map { "  \($0)\n" }.joined()
    let policies = try load(text).policies
    try #require(policies.count == 1)
    return policies[0]
}

/// The source entity of the single ingress rule `- action: Allow` + `source: {<entity>}`.
private func source(global: Bool = false, _ entity: String) throws -> EntityRule {
    let p = try policy(global: global, "ingress:\n- action: Allow\n  source: {\(entity)}")
    return try #require(p.ingress.first).source
}

@Suite("Normalisation: policy endpoint selectors (SEMANTICS §2.2)")
struct EndpointSelectorTests {
    @Test("NetworkPolicy: own namespace only", arguments: [
        ("", "projectcalico.org/namespace == 'prod'"),
        ("selector: ''", "projectcalico.org/namespace == 'prod'"),
        ("selector: app == 'web'", "(app == 'web') && projectcalico.org/namespace == 'prod'"),
        ("selector: all()", "(all()) && projectcalico.org/namespace == 'prod'"),
        ("selector: has(a) || has(b)", "(has(a) || has(b)) && projectcalico.org/namespace == 'prod'"),
        ("selector: app == 'web'\nserviceAccountSelector: role == 'db'",
         "((app == 'web') && projectcalico.org/namespace == 'prod') && pcsa.role == 'db'"),
        ("serviceAccountSelector: has(role) || all()",
         "(projectcalico.org/namespace == 'prod') && (has(pcsa.role) || all())"),
        ("serviceAccountSelector: ''", "projectcalico.org/namespace == 'prod'"),
    ])
    func networkPolicy(_ spec: String, _ expected: String) throws {
        let p = try policy(spec)
        #expect(p.endpointSelector.canonical == canon(expected))
    }

    @Test("a NetworkPolicy never selects host endpoints or pods of another namespace")
    func networkPolicyScope() throws {
        let p = try policy("selector: all()")
        #expect(p.endpointSelector.matches(["projectcalico.org/namespace": "prod"]))
        #expect(!p.endpointSelector.matches(["projectcalico.org/namespace": "dev"]))
        #expect(!p.endpointSelector.matches(["role": "host"]))
    }

    @Test("GlobalNetworkPolicy: namespaceSelector and serviceAccountSelector folded in, all() replaced", arguments: [
        ("", "all()"),
        ("selector: ''", "all()"),
        ("selector: app == 'x'", "app == 'x'"),
        ("namespaceSelector: team == 'a'", "pcns.team == 'a'"),
        ("selector: app == 'x'\nnamespaceSelector: team == 'a'", "(app == 'x') && pcns.team == 'a'"),
        ("namespaceSelector: all()", "has(projectcalico.org/namespace)"),
        ("selector: all()\nnamespaceSelector: all()", "(has(projectcalico.org/namespace)) && has(projectcalico.org/namespace)"),
        ("selector: has(x) || all()\nnamespaceSelector: '!has(y)'", "(has(x) || has(projectcalico.org/namespace)) && !has(pcns.y)"),
        ("selector: all()\nnamespaceSelector: ''", "all()"),
        ("serviceAccountSelector: all()", "has(projectcalico.org/serviceaccount)"),
        ("selector: all()\nserviceAccountSelector: role == 'x'", "(has(projectcalico.org/serviceaccount)) && pcsa.role == 'x'"),
        ("selector: app == 'a'\nnamespaceSelector: all()\nserviceAccountSelector: all()",
         "((app == 'a') && has(projectcalico.org/namespace)) && has(projectcalico.org/serviceaccount)"),
        ("namespaceSelector: kubernetes.io/metadata.name in {'a', 'b'}\nserviceAccountSelector: '!has(x)'",
         "(pcns.kubernetes.io/metadata.name in {'a', 'b'}) && !has(pcsa.x)"),
    ])
    func globalNetworkPolicy(_ spec: String, _ expected: String) throws {
        let p = try policy(global: true, spec)
        #expect(p.namespace == nil)
        #expect(p.endpointSelector.canonical == canon(expected))
    }

    @Test("TC-44: a negative namespaceSelector in a GlobalNetworkPolicy also selects host endpoints")
    func negativeNamespaceSelectorSelectsHosts() throws {
        let p = try policy(global: true, "namespaceSelector: kubernetes.io/metadata.name not in {'kube-system'}")
        #expect(p.endpointSelector.canonical == canon("pcns.kubernetes.io/metadata.name not in {'kube-system'}"))
        #expect(p.endpointSelector.matches(["role": "host"]), "host endpoints have no pcns.* labels")
        #expect(!p.endpointSelector.matches(["projectcalico.org/namespace": "kube-system", "pcns.kubernetes.io/metadata.name": "kube-system"]))
        #expect(p.endpointSelector.matches(["projectcalico.org/namespace": "prod", "pcns.kubernetes.io/metadata.name": "prod"]))
    }

    @Test("the selector as written is kept beside the normalised one")
    func writtenSelectorKept() throws {
        let p = try policy(global: true, "selector: app=='x'\nnamespaceSelector: team == 'a'")
        #expect(p.selector.source == "app=='x'")
        #expect(p.namespaceSelector?.canonical == canon("team == 'a'"))
    }
}

@Suite("Normalisation: rule entity selectors (SEMANTICS §2.2 steps 1–5)")
struct EntitySelectorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var global = false
        var entity: String
        var address: String?
        var negated: String?
        var testDescription: String { what }
    }

    static let cases: [Case] = [
        // Step 2/4: the policy's namespace scopes a selector in an NP.
        Case(what: "NP selector", entity: "selector: app == 'a'",
             address: "(projectcalico.org/namespace == 'prod') && (app == 'a')"),
        Case(what: "GNP selector", global: true, entity: "selector: app == 'a'", address: "app == 'a'"),
        Case(what: "NP empty selector is no selector", entity: "selector: ''"),
        Case(what: "NP explicit all()", entity: "selector: all()",
             address: "(projectcalico.org/namespace == 'prod') && (all())"),
        // TC-26: notSelector alone in an NP still gets the namespace positive part.
        Case(what: "TC-26 NP notSelector alone", entity: "notSelector: app == 'x'",
             address: "(projectcalico.org/namespace == 'prod') && (!(app == 'x'))"),
        // Only in a GNP without namespaceSelector does a notSelector stand alone.
        Case(what: "GNP notSelector alone", global: true, entity: "notSelector: app == 'x'", negated: "app == 'x'"),
        Case(what: "GNP selector and notSelector", global: true, entity: "selector: app == 'a'\nnotSelector: role == 'x'",
             address: "(app == 'a') && (!(role == 'x'))"),
        Case(what: "NP selector and notSelector", entity: "selector: app == 'a'\nnotSelector: role == 'x'",
             address: "((projectcalico.org/namespace == 'prod') && (app == 'a')) && !(role == 'x')"),
        Case(what: "GNP namespaceSelector and notSelector", global: true, entity: "namespaceSelector: team == 'a'\nnotSelector: role == 'x'",
             address: "(pcns.team == 'a') && !(role == 'x')"),
        // Step 2: namespaceSelector replaces the policy namespace; all() and global().
        Case(what: "NP namespaceSelector and selector", entity: "namespaceSelector: team == 'a'\nselector: app == 'x'",
             address: "(pcns.team == 'a') && (app == 'x')"),
        Case(what: "NP namespaceSelector alone", entity: "namespaceSelector: team == 'a'", address: "pcns.team == 'a'"),
        Case(what: "NP namespaceSelector all()", entity: "namespaceSelector: all()", address: "has(projectcalico.org/namespace)"),
        Case(what: "GNP namespaceSelector all() with selector", global: true, entity: "namespaceSelector: all()\nselector: app == 'x'",
             address: "(has(projectcalico.org/namespace)) && (app == 'x')"),
        Case(what: "NP namespaceSelector with all() inside", entity: "namespaceSelector: has(x) || all()",
             address: "has(pcns.x) || has(projectcalico.org/namespace)"),
        Case(what: "global() alone", global: true, entity: "namespaceSelector: global()", address: "!has(projectcalico.org/namespace)"),
        Case(what: "global() with selector in an NP", entity: "namespaceSelector: global()\nselector: role == 'x'",
             address: "(!has(projectcalico.org/namespace)) && (role == 'x')"),
        Case(what: "NP empty namespaceSelector is no namespaceSelector", entity: "namespaceSelector: ''\nselector: app == 'a'",
             address: "(projectcalico.org/namespace == 'prod') && (app == 'a')"),
        // Step 1/3: service accounts.
        Case(what: "SA names", global: true, entity: "serviceAccounts: {names: [web, api, web]}",
             address: "projectcalico.org/serviceaccount in {'api', 'web'}"),
        Case(what: "SA selector", global: true, entity: "serviceAccounts: {selector: team == 'x'}", address: "pcsa.team == 'x'"),
        Case(what: "SA names and selector in an NP", entity: "serviceAccounts: {names: [b, a], selector: team == 'x'}",
             address: "(projectcalico.org/namespace == 'prod') && ((pcsa.team == 'x') && (projectcalico.org/serviceaccount in {'a', 'b'}))"),
        Case(what: "SA and selector", global: true, entity: "serviceAccounts: {names: [a]}\nselector: app == 'x'",
             address: "(projectcalico.org/serviceaccount in {'a'}) && (app == 'x')"),
        Case(what: "SA with namespaceSelector and notSelector", entity: "serviceAccounts: {names: [a]}\nnamespaceSelector: team == 't'\nnotSelector: has(q)",
             address: "((pcns.team == 't') && (projectcalico.org/serviceaccount in {'a'})) && !has(q)"),
        Case(what: "SA with empty selector and no names", global: true, entity: "serviceAccounts: {selector: ''}"),
        // No selector field used: no address set at all (nets and ports are not namespace-scoped).
        Case(what: "NP nets only", entity: "nets: [10.0.0.0/8]"),
        Case(what: "NP ports only", entity: "ports: [http]"),
        Case(what: "NP empty entity", entity: ""),
        Case(what: "GNP empty entity", global: true, entity: ""),
    ]

    @Test("address-set selectors", arguments: cases)
    func addressSelectors(_ c: Case) throws {
        let e = try source(global: c.global, c.entity.split(separator: "\n").joined(separator: ", "))
        #expect(e.addressSelector?.canonical == c.address.map(canon))
        #expect(e.negatedAddressSelector?.canonical == c.negated.map(canon))
    }

    @Test("TC-26: in a NetworkPolicy a lone notSelector matches only the namespace's own endpoints")
    func tc26() throws {
        let e = try source("notSelector: app == 'x'")
        let sel = try #require(e.addressSelector)
        #expect(e.negatedAddressSelector == nil)
        #expect(sel.matches(["projectcalico.org/namespace": "prod", "app": "y"]))
        #expect(!sel.matches(["projectcalico.org/namespace": "prod", "app": "x"]))
        #expect(!sel.matches(["projectcalico.org/namespace": "dev", "app": "y"]))
        #expect(!sel.matches([:]), "nothing outside the namespace, external addresses included")
    }

    @Test("the written selectors stay on the entity unchanged")
    func writtenKept() throws {
        let e = try source("namespaceSelector: team == 'a', selector: app == 'x', notSelector: has(q)")
        #expect(e.selector?.canonical == canon("app == 'x'"))
        #expect(e.namespaceSelector?.canonical == canon("team == 'a'"))
        #expect(e.notSelector?.canonical == canon("has(q)"))
    }

    @Test("destination entities and egress rules are normalised too")
    func destinations() throws {
        let p = try policy("egress:\n- action: Allow\n  destination: {selector: app == 'db'}\n  source: {notSelector: has(x)}")
        let r = try #require(p.egress.first)
        #expect(r.destination.addressSelector?.canonical == canon("projectcalico.org/namespace == 'prod' && app == 'db'"))
        #expect(r.source.addressSelector?.canonical == canon("projectcalico.org/namespace == 'prod' && !has(x)"))
    }

    @Test("profile rules are global: no namespace scope")
    func profileRules() throws {
        let text = "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: prof}\nspec:\n  ingress:\n  - action: Allow\n    source: {selector: app == 'a'}\n  egress:\n  - action: Deny\n    destination: {notSelector: has(b)}\n"
        let prof = try #require(try load(text).profiles.first)
        #expect(prof.ingress[0].source.addressSelector?.canonical == canon("app == 'a'"))
        #expect(prof.egress[0].destination.negatedAddressSelector?.canonical == canon("has(b)"))
        #expect(prof.egress[0].destination.addressSelector == nil)
    }
}

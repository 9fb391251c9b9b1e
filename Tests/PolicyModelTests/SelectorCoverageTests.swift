// SelectorCoverage: selectors that match nothing, with "did you mean" suggestions.

import Testing
@testable import PolicyModel
import Selectors

@Suite("SelectorCoverage")
struct SelectorCoverageTests {
    static let text = documents(
        namespaceYAML("prod"),
        podYAML("db-1", namespace: "prod", labels: ["app": "database"], ip: "10.0.0.1"),
        podYAML("web-1", namespace: "prod", labels: ["app": "web"], ip: "10.0.0.2"),
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: typo, namespace: prod}
        spec:
          selector: app == 'databse'
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: orch}
        spec:
          selector: projectcalico.org/orchestrator == 'kubernetes'
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: ok, namespace: prod}
        spec:
          selector: app == 'web'
          ingress:
          - action: Allow
            source:
              selector: app == 'databse'
          - action: Allow
            source:
              selector: app == 'database'
          - action: Deny
            source:
              nets: [10.0.0.0/8]

        """)

    @Test("app == 'databse' suggests database")
    func valueTypo() throws {
        let set = try resolve(Self.text)
        let s = set.suggestions(for: try Selector(parsing: "app == 'databse'"))
        #expect(s == ["no endpoint has app=databse; did you mean 'database'? (existing values: database, web)"])
        let inSet = set.suggestions(for: try Selector(parsing: "app in {'web', 'databse'}"))
        #expect(inSet.count == 1 && inSet[0].contains("did you mean 'database'"))
    }

    @Test("projectcalico.org/orchestrator == 'kubernetes' suggests k8s")
    func orchestrator() throws {
        let set = try resolve(Self.text)
        let s = set.suggestions(for: try Selector(parsing: "projectcalico.org/orchestrator == 'kubernetes'"))
        #expect(s.count == 1)
        #expect(s.first?.contains("did you mean 'k8s'?") == true)
    }

    @Test("an unknown label suggests the nearest label; negative comparisons suggest nothing")
    func labelTypo() throws {
        let set = try resolve(Self.text)
        #expect(set.suggestions(for: try Selector(parsing: "ap == 'web'")) == ["no endpoint has the label 'ap'; did you mean 'app'?"])
        #expect(set.suggestions(for: try Selector(parsing: "app != 'databse'")).isEmpty)
        #expect(set.suggestions(for: try Selector(parsing: "!has(ap)")).isEmpty)
        #expect(set.suggestions(for: try Selector(parsing: "app == 'web'")).isEmpty)
    }

    @Test("unmatchedSelectors lists policy and rule selectors that match nothing")
    func unmatched() throws {
        let set = try resolve(Self.text)
        let u = set.unmatchedSelectors()
        #expect(u.map { "\($0.policy) \($0.field)" } == ["prod/ok ingress[0].source", "orch spec.selector", "prod/typo spec.selector"])
        let typo = try #require(u.first { $0.policy == "prod/typo" })
        #expect(typo.selector == canon("(app == 'databse') && projectcalico.org/namespace == 'prod'"))
        #expect(typo.suggestions.count == 1)
        #expect(typo.suggestions.first?.contains("did you mean 'database'") == true)
        #expect(typo.location.line == 36)
        let orch = try #require(u.first { $0.policy == "orch" })
        #expect(orch.suggestions.first?.contains("did you mean 'k8s'") == true)
        let rule = try #require(u.first { $0.field == "ingress[0].source" })
        #expect(rule.suggestions.first?.contains("did you mean 'database'") == true)
        #expect(rule.location.line == 52)
    }

    @Test("known label values include network sets")
    func knownValues() throws {
        let set = try resolve(Self.text + "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: g, labels: {zone: dmz}}\nspec: {nets: [1.2.3.0/24]}\n")
        #expect(set.knownLabelValues["zone"] == ["dmz"])
        #expect(set.knownLabelValues["app"] == ["database", "web"])
        #expect(set.knownLabelValues["projectcalico.org/orchestrator"] == ["k8s"])
    }
}

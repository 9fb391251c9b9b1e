// VD004 (a selector that matches nothing, probably a typo, with the nearest existing value) and
// VD005 (a policy that selects no endpoint). A policy selector that matches nothing is VD004 when
// PolicySet.suggestions finds a likely typo (a label value or label that nothing has), VD005
// otherwise. A rule selector that matches nothing is VD004 when a typo is likely; otherwise the
// rule is left to VD006 (it can never match). `projectcalico.org/orchestrator == 'kubernetes'`
// is always VD004: Calico labels Kubernetes pods `k8s`, so it selects no pod.

import PolicyModel
import Selectors

enum SelectorCheck {
    struct Result {
        var findings: [Finding] = []
        /// Rules already reported as VD004, which VD006 leaves out.
        var reportedRules: Set<RuleKey> = []
    }

    /// Does the selector compare the orchestrator label with `kubernetes` (== or in)?
    static func namesKubernetesOrchestrator(_ s: Selector?) -> Bool {
        guard let s else { return false }
        return s.labelComparisons.contains {
            $0.label == CalicoLabels.orchestrator && ($0.op == "==" || $0.op == "in") && $0.values.contains("kubernetes")
        }
    }

    static let orchestratorHint = "selects no pod: Calico labels Kubernetes pods projectcalico.org/orchestrator=k8s; did you mean 'k8s'?"

    static func run(_ set: PolicySet) -> Result {
        var out = Result()
        let typo = FindingKind.selectorTypo, nothing = FindingKind.policySelectsNothing
        for p in set.allPolicies {
            let selected = set.endpoints.filter { p.endpointSelector.matches($0.effectiveLabels) }
            let scope = p.namespace.map { " in namespace \($0)" } ?? ""
            if namesKubernetesOrchestrator(p.selector) || namesKubernetesOrchestrator(p.namespaceSelector) {
                let what = selected.isEmpty ? "it selects no endpoint at all"
                    : "it selects only \(list(selected.map(\.id))), whose orchestrator is literally 'kubernetes'"
                out.findings.append(Finding(id: typo.id, severity: typo.defaultSeverity,
                                            message: "\(resourceName(p)): selector \(p.selector.canonical) \(orchestratorHint) (\(what))",
                                            resource: resourceName(p), location: p.location))
            } else if selected.isEmpty {
                let hints = set.suggestions(for: p.endpointSelector)
                if hints.isEmpty {
                    out.findings.append(Finding(id: nothing.id, severity: nothing.defaultSeverity,
                                                message: "\(resourceName(p)) selects no endpoint: no endpoint\(scope) matches \(p.selector.canonical), so it protects nothing",
                                                resource: resourceName(p), location: p.location))
                } else {
                    out.findings.append(Finding(id: typo.id, severity: typo.defaultSeverity,
                                                message: "\(resourceName(p)) selects no endpoint (\(p.selector.canonical)\(scope)): " + hints.joined(separator: "; "),
                                                resource: resourceName(p), location: p.location))
                }
            }
            for d in Direction.allCases {
                for (i, r) in p.rules(d).enumerated() {
                    for (side, e) in [("source", r.source), ("destination", r.destination)] {
                        let key = RuleKey(kind: p.kind.rawValue, policy: p.qualifiedName, direction: d, index: i)
                        let written = [e.selector, e.namespaceSelector].compactMap { $0 }
                        if written.contains(where: { namesKubernetesOrchestrator($0) }) {
                            out.findings.append(Finding(id: typo.id, severity: typo.defaultSeverity,
                                                        message: "\(d.rawValue) rule \(i) of \(resourceName(p)): the \(side) selector \(orchestratorHint)",
                                                        resource: resourceName(p), rule: i, direction: d, location: r.location))
                            out.reportedRules.insert(key)
                            continue
                        }
                        guard let sel = e.addressSelector else { continue }
                        let hit = set.endpoints.contains { !$0.addresses.isEmpty && sel.matches($0.effectiveLabels) }
                            || set.networkSets.contains { !$0.nets.isEmpty && sel.matches($0.effectiveLabels) }
                        if hit { continue }
                        let hints = set.suggestions(for: sel)
                        if hints.isEmpty { continue }
                        out.findings.append(Finding(id: typo.id, severity: typo.defaultSeverity,
                                                    message: "\(d.rawValue) rule \(i) of \(resourceName(p)): the \(side) selector \(sel.canonical) matches no endpoint or network set: "
                                                        + hints.joined(separator: "; "),
                                                    resource: resourceName(p), rule: i, direction: d, location: r.location))
                        out.reportedRules.insert(key)
                    }
                }
            }
        }
        return out
    }
}

// The selectors Felix actually evaluates (SEMANTICS §2.2, UP-NP/UP-GNP/UP-RULES/UP-SEL):
// a policy's endpoint selector with namespace and service-account scope folded in, and each rule
// entity's address-set selector.

import Selectors

public enum CalicoLabels {
    public static let namespace = "projectcalico.org/namespace"
    public static let orchestrator = "projectcalico.org/orchestrator"
    public static let serviceAccount = "projectcalico.org/serviceaccount"
    public static let name = "projectcalico.org/name"
    public static let namespacePrefix = "pcns."
    public static let serviceAccountPrefix = "pcsa."
    public static let kubernetesOrchestrator = "k8s"
    public static let namespaceNameLabel = "kubernetes.io/metadata.name"
}

enum Normalizer {
    static func hasNamespace() -> SelectorExpression { .has(CalicoLabels.namespace) }
    static func inNamespace(_ ns: String) -> Selector { Selector(.equals(CalicoLabels.namespace, ns)) }

    /// Fills `endpointSelector` and every rule's address selectors.
    static func finishPolicy(_ p: inout Policy) {
        p.endpointSelector = endpointSelector(p)
        p.ingress = p.ingress.map { finishRule($0, policyNamespace: p.namespace) }
        p.egress = p.egress.map { finishRule($0, policyNamespace: p.namespace) }
    }

    static func endpointSelector(_ p: Policy) -> Selector {
        let userSelector: Selector? = p.selector.isEmptySource ? nil : p.selector
        if let ns = p.namespace {
            // NetworkPolicy (and converted Kubernetes policy): only workloads of its own namespace.
            var s = userSelector.map { $0 && inNamespace(ns) } ?? inNamespace(ns)
            if let sa = p.serviceAccountSelector, !sa.isEmptySource {
                s = s && sa.prefixingLabels(with: CalicoLabels.serviceAccountPrefix)
            }
            return s
        }
        var s = userSelector
        if let nsSel = p.namespaceSelector, !nsSel.isEmptySource {
            let prefixed = nsSel.prefixingLabels(with: CalicoLabels.namespacePrefix)
            s = (s.map { $0 && prefixed } ?? prefixed).replacingAll(with: hasNamespace())
        }
        if let sa = p.serviceAccountSelector, !sa.isEmptySource {
            let prefixed = sa.prefixingLabels(with: CalicoLabels.serviceAccountPrefix)
            s = (s.map { $0 && prefixed } ?? prefixed).replacingAll(with: .has(CalicoLabels.serviceAccount))
        }
        return s ?? .all
    }

    static func finishRule(_ r: Rule, policyNamespace: String?) -> Rule {
        var r = r
        finishEntity(&r.source, policyNamespace: policyNamespace)
        finishEntity(&r.destination, policyNamespace: policyNamespace)
        return r
    }

    /// UP-RULES `GetEntityRuleSelector`, steps 1–5 of SEMANTICS §2.2.
    static func finishEntity(_ e: inout EntityRule, policyNamespace: String?) {
        // 1. Service-account part.
        var saPart: Selector? = nil
        if let sa = e.serviceAccounts {
            let bySelector = sa.selector.flatMap { $0.isEmptySource ? nil : $0.prefixingLabels(with: CalicoLabels.serviceAccountPrefix) }
            let byName = sa.names.isEmpty ? nil : Selector(.inSet(CalicoLabels.serviceAccount, Array(Set(sa.names)).sorted()))
            switch (bySelector, byName) {
            case let (a?, b?): saPart = a && b
            case let (a?, nil): saPart = a
            case let (nil, b?): saPart = b
            case (nil, nil): saPart = nil
            }
        }
        // 2. Namespace part.
        let nsSel = e.namespaceSelector.flatMap { $0.isEmptySource ? nil : $0 }
        var nsPart: Selector? = nil
        if let n = nsSel {
            nsPart = n.prefixingLabels(with: CalicoLabels.namespacePrefix)
                .replacingAll(with: hasNamespace())
                .replacingGlobal(with: .not(hasNamespace()))
        } else if let ns = policyNamespace {
            nsPart = inNamespace(ns)
        }
        // 3. Positive part.
        let sel = e.selector.flatMap { $0.isEmptySource ? nil : $0 }
        var positive: Selector?
        switch (saPart, sel) {
        case let (a?, s?): positive = a && s
        case let (a?, nil): positive = a
        case let (nil, s?): positive = s
        case (nil, nil): positive = nil
        }
        let negative = e.notSelector.flatMap { $0.isEmptySource ? nil : $0 }
        // 4. Scope the positive part to the namespace as soon as any selector field is used.
        if let q = nsPart, positive != nil || negative != nil || nsSel != nil {
            positive = positive.map { q && $0 } ?? q
        }
        // 5. Combine as Felix's rule scanner does.
        switch (positive, negative) {
        case let (p?, x?):
            e.addressSelector = p && !x
            e.negatedAddressSelector = nil
        case let (p?, nil):
            e.addressSelector = p
            e.negatedAddressSelector = nil
        case let (nil, x?):
            e.addressSelector = nil
            e.negatedAddressSelector = x
        case (nil, nil):
            e.addressSelector = nil
            e.negatedAddressSelector = nil
        }
    }
}

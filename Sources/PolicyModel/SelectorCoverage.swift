// Selectors that match nothing in the inventory, with "did you mean" suggestions from the label
// values that do exist (`app == 'databse'` → `database`; `orchestrator == 'kubernetes'` → `k8s`).

import Selectors

public struct UnmatchedSelector: Hashable, Sendable {
    public var policy: String
    /// `spec.selector`, or the rule field, e.g. `ingress[0].source.selector`.
    public var field: String
    public var selector: String
    public var suggestions: [String]
    public var location: SourceLocation
}

extension PolicySet {
    /// Every label value in the inventory, per label, for suggestions.
    public var knownLabelValues: [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for e in endpoints { for (k, v) in e.effectiveLabels { out[k, default: []].insert(v) } }
        for s in networkSets { for (k, v) in s.effectiveLabels { out[k, default: []].insert(v) } }
        return out
    }

    /// Suggestions for a selector that matches nothing: for each `label == 'value'`-style comparison
    /// whose value never occurs, the nearest value that does; for unknown labels, the nearest label.
    public func suggestions(for selector: Selector) -> [String] {
        let known = knownLabelValues
        var out: [String] = []
        for cmp in selector.labelComparisons {
            guard let values = known[cmp.label] else {
                let near = known.keys.map { ($0, editDistance($0, cmp.label)) }.filter { $0.1 <= max(2, cmp.label.count / 3) }
                    .min { ($0.1, $0.0) < ($1.1, $1.0) }
                if let near, cmp.op != "!=" && cmp.op != "not in" && cmp.op != "!has" {
                    out.append("no endpoint has the label '\(cmp.label)'; did you mean '\(near.0)'?")
                }
                continue
            }
            for v in cmp.values where !values.contains(v) && ["==", "in"].contains(cmp.op) {
                let near = values.map { ($0, editDistance($0, v)) }.min { ($0.1, $0.0) < ($1.1, $1.0) }
                if let near {
                    out.append("no endpoint has \(cmp.label)=\(v); did you mean '\(near.0)'? (existing values: \(values.sorted().joined(separator: ", ")))")
                }
            }
        }
        return out
    }

    /// Policies whose endpoint selector selects no endpoint, and rule selectors whose address set is empty.
    public func unmatchedSelectors() -> [UnmatchedSelector] {
        var out: [UnmatchedSelector] = []
        for p in allPolicies {
            if !endpoints.contains(where: { p.endpointSelector.matches($0.effectiveLabels) }) {
                out.append(UnmatchedSelector(policy: p.qualifiedName, field: "spec.selector", selector: p.endpointSelector.canonical,
                                             suggestions: suggestions(for: p.endpointSelector), location: p.location))
            }
            for d in Direction.allCases {
                for (i, r) in p.rules(d).enumerated() {
                    for (side, e) in [("source", r.source), ("destination", r.destination)] {
                        guard let sel = e.addressSelector else { continue }
                        let hit = endpoints.contains { !$0.addresses.isEmpty && sel.matches($0.effectiveLabels) }
                            || networkSets.contains { !$0.nets.isEmpty && sel.matches($0.effectiveLabels) }
                        if !hit {
                            out.append(UnmatchedSelector(policy: p.qualifiedName, field: "\(d.rawValue)[\(i)].\(side)", selector: sel.canonical,
                                                         suggestions: suggestions(for: sel), location: r.location))
                        }
                    }
                }
            }
        }
        return out
    }
}

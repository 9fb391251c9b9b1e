// Greedy shrinking of a failing (scenario, packet): each type lists its one-step simplifications,
// coarse first (drop whole documents, then rules, then rule fields, selectors → all(), labels), and
// `Shrinker.minimise` keeps any simplification after which the set still loads and the engines still
// disagree, until no single step helps.

import ReferenceEvaluator

extension Array {
    /// Each one-element-shorter copy.
    func removingEach() -> [[Element]] {
        indices.map { i in
            var c = self
            c.remove(at: i)
            return c
        }
    }

    /// Each copy with one element replaced by one of its simplifications.
    func substitutingEach(_ f: (Element) -> [Element]) -> [[Element]] {
        var out: [[Element]] = []
        for i in indices {
            for v in f(self[i]) {
                var c = self
                c[i] = v
                out.append(c)
            }
        }
        return out
    }

    func shrinks(_ f: (Element) -> [Element]) -> [[Element]] { removingEach() + substitutingEach(f) }
}

private func optionalShrinks<T>(_ x: T?, _ f: (T) -> [T]) -> [T?] {
    guard let x else { return [] }
    return [nil] + f(x).map { Optional($0) }
}

extension SelectorIR {
    var shrinks: [SelectorIR] {
        var out: [SelectorIR] = []
        if self != .all && self != .global { out.append(.all) }
        switch self {
        case let .not(e):
            out.append(e)
            out += e.shrinks.map { .not($0) }
        case let .and(a, b):
            out += [a, b]
            out += a.shrinks.map { .and($0, b) } + b.shrinks.map { .and(a, $0) }
        case let .or(a, b):
            out += [a, b]
            out += a.shrinks.map { .or($0, b) } + b.shrinks.map { .or(a, $0) }
        case let .inSet(k, vs) where vs.count > 1:
            out += vs.removingEach().map { .inSet(k, $0) }
        case let .notInSet(k, vs) where vs.count > 1:
            out += vs.removingEach().map { .notInSet(k, $0) }
        case let .notEquals(k, _), let .startsWith(k, _), let .endsWith(k, _), let .contains(k, _):
            out.append(.has(k))
        default:
            break
        }
        return out
    }
}

extension PortIR {
    var shrinks: [PortIR] {
        switch self {
        case let .numberString(n): return [.number(n)]
        case let .range(a, b) where a != b: return [.number(a), .number(b)]
        default: return []
        }
    }
}

extension EntityIR {
    var shrinks: [EntityIR] {
        var out: [EntityIR] = []
        func with(_ f: (inout EntityIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in nets.removingEach() { with { $0.nets = v } }
        for v in notNets.removingEach() { with { $0.notNets = v } }
        for v in optionalShrinks(selector, \.shrinks) { with { $0.selector = v } }
        for v in optionalShrinks(notSelector, \.shrinks) { with { $0.notSelector = v } }
        for v in optionalShrinks(namespaceSelector, \.shrinks) { with { $0.namespaceSelector = v } }
        if let sa = serviceAccounts {
            with { $0.serviceAccounts = nil }
            for v in sa.names.removingEach() { with { $0.serviceAccounts!.names = v } }
            for v in optionalShrinks(sa.selector, \.shrinks) { with { $0.serviceAccounts!.selector = v } }
        }
        for v in ports.shrinks(\.shrinks) { with { $0.ports = v } }
        for v in notPorts.shrinks(\.shrinks) { with { $0.notPorts = v } }
        return out
    }
}

extension RuleIR {
    var shrinks: [RuleIR] {
        var out: [RuleIR] = []
        func with(_ f: (inout RuleIR) -> Void) { var c = self; f(&c); out.append(c) }
        if source != nil { with { $0.source = nil } }
        if destination != nil { with { $0.destination = nil } }
        if ipVersion != nil { with { $0.ipVersion = nil } }
        if `protocol` != nil { with { $0.protocol = nil } }
        if notProtocol != nil { with { $0.notProtocol = nil } }
        if icmp != nil { with { $0.icmp = nil } }
        if icmp?.code != nil { with { $0.icmp!.code = nil } }
        if notICMP != nil { with { $0.notICMP = nil } }
        if notICMP?.code != nil { with { $0.notICMP!.code = nil } }
        for v in source.map(\.shrinks) ?? [] { with { $0.source = v } }
        for v in destination.map(\.shrinks) ?? [] { with { $0.destination = v } }
        return out
    }
}

extension CalicoPolicyIR {
    var shrinks: [CalicoPolicyIR] {
        var out: [CalicoPolicyIR] = []
        func with(_ f: (inout CalicoPolicyIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in ingress.removingEach() { with { $0.ingress = v } }
        for v in egress.removingEach() { with { $0.egress = v } }
        for v in ingress.substitutingEach(\.shrinks) { with { $0.ingress = v } }
        for v in egress.substitutingEach(\.shrinks) { with { $0.egress = v } }
        for v in optionalShrinks(selector, \.shrinks) { with { $0.selector = v } }
        for v in optionalShrinks(namespaceSelector, \.shrinks) { with { $0.namespaceSelector = v } }
        for v in optionalShrinks(serviceAccountSelector, \.shrinks) { with { $0.serviceAccountSelector = v } }
        if types != nil { with { $0.types = nil } }
        if order != nil { with { $0.order = nil } }
        if tier != nil { with { $0.tier = nil } }
        if doNotTrack || preDNAT { with { $0.doNotTrack = false; $0.preDNAT = false } }
        if applyOnForward { with { $0.applyOnForward = false } }
        return out
    }
}

extension LabelSelectorIR {
    var shrinks: [LabelSelectorIR] {
        var out: [LabelSelectorIR] = []
        if self != LabelSelectorIR() { out.append(LabelSelectorIR()) }
        for v in matchLabels.removingEach() { var c = self; c.matchLabels = v; out.append(c) }
        for v in matchExpressions.removingEach() { var c = self; c.matchExpressions = v; out.append(c) }
        return out
    }
}

extension K8sPeerIR {
    var shrinks: [K8sPeerIR] {
        var out: [K8sPeerIR] = []
        func with(_ f: (inout K8sPeerIR) -> Void) { var c = self; f(&c); out.append(c) }
        if podSelector != nil && namespaceSelector != nil {
            with { $0.podSelector = nil }
            with { $0.namespaceSelector = nil }
        }
        for v in podSelector.map(\.shrinks) ?? [] { with { $0.podSelector = v } }
        for v in namespaceSelector.map(\.shrinks) ?? [] { with { $0.namespaceSelector = v } }
        for v in ipBlock?.except.removingEach() ?? [] { with { $0.ipBlock!.except = v } }
        return out
    }
}

extension K8sPortIR {
    var shrinks: [K8sPortIR] {
        var out: [K8sPortIR] = []
        if endPort != nil { var c = self; c.endPort = nil; out.append(c) }
        if `protocol` != nil { var c = self; c.protocol = nil; out.append(c) }
        if case let .numberString(n)? = port { var c = self; c.port = .number(n); out.append(c) }
        return out
    }
}

extension K8sRuleIR {
    var shrinks: [K8sRuleIR] {
        var out: [K8sRuleIR] = []
        for v in peers.shrinks(\.shrinks) { var c = self; c.peers = v; out.append(c) }
        for v in ports.shrinks(\.shrinks) { var c = self; c.ports = v; out.append(c) }
        return out
    }
}

extension K8sPolicyIR {
    var shrinks: [K8sPolicyIR] {
        var out: [K8sPolicyIR] = []
        func with(_ f: (inout K8sPolicyIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in ingress.removingEach() { with { $0.ingress = v } }
        for v in egress.removingEach() { with { $0.egress = v } }
        for v in ingress.substitutingEach(\.shrinks) { with { $0.ingress = v } }
        for v in egress.substitutingEach(\.shrinks) { with { $0.egress = v } }
        for v in podSelector.shrinks { with { $0.podSelector = v } }
        if policyTypes != nil { with { $0.policyTypes = nil } }
        return out
    }
}

extension ProfileIR {
    var shrinks: [ProfileIR] {
        var out: [ProfileIR] = []
        func with(_ f: (inout ProfileIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in ingress.removingEach() { with { $0.ingress = v } }
        for v in egress.removingEach() { with { $0.egress = v } }
        for v in ingress.substitutingEach(\.shrinks) { with { $0.ingress = v } }
        for v in egress.substitutingEach(\.shrinks) { with { $0.egress = v } }
        for v in labelsToApply.removingEach() { with { $0.labelsToApply = v } }
        return out
    }
}

extension PodIR {
    var shrinks: [PodIR] {
        var out: [PodIR] = []
        func with(_ f: (inout PodIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in labels.removingEach() { with { $0.labels = v } }
        for v in ports.removingEach() { with { $0.ports = v } }
        if ips.count > 1 { with { $0.ips = [$0.ips[0]] }; with { $0.ips = Array($0.ips.dropFirst()) } }
        if serviceAccount != nil { with { $0.serviceAccount = nil } }
        if hostNetwork { with { $0.hostNetwork = false } }
        return out
    }
}

extension HostEndpointIR {
    var shrinks: [HostEndpointIR] {
        var out: [HostEndpointIR] = []
        func with(_ f: (inout HostEndpointIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in labels.removingEach() { with { $0.labels = v } }
        for v in profiles.removingEach() { with { $0.profiles = v } }
        for v in ports.removingEach() { with { $0.ports = v } }
        if expectedIPs.count > 1 { for v in expectedIPs.removingEach() { with { $0.expectedIPs = v } } }
        return out
    }
}

extension WorkloadEndpointIR {
    var shrinks: [WorkloadEndpointIR] {
        var out: [WorkloadEndpointIR] = []
        func with(_ f: (inout WorkloadEndpointIR) -> Void) { var c = self; f(&c); out.append(c) }
        for v in labels.removingEach() { with { $0.labels = v } }
        for v in profiles.removingEach() { with { $0.profiles = v } }
        for v in ports.removingEach() { with { $0.ports = v } }
        if ipNetworks.count > 1 { for v in ipNetworks.removingEach() { with { $0.ipNetworks = v } } }
        return out
    }
}

extension FelixIR {
    var shrinks: [FelixIR] {
        var out: [FelixIR] = []
        func with(_ f: (inout FelixIR) -> Void) { var c = self; f(&c); out.append(c) }
        if inbound != nil { with { $0.inbound = nil } }
        if outbound != nil { with { $0.outbound = nil } }
        if endpointToHost != nil { with { $0.endpointToHost = nil } }
        for v in inbound?.removingEach() ?? [] { with { $0.inbound = v } }
        for v in outbound?.removingEach() ?? [] { with { $0.outbound = v } }
        return out
    }
}

extension Scenario {
    /// One-step simplifications, coarse first.
    var shrinks: [Scenario] {
        var out: [Scenario] = []
        func each<T>(_ kp: WritableKeyPath<Scenario, [T]>, _ lists: [[T]]) {
            for v in lists { var c = self; c[keyPath: kp] = v; out.append(c) }
        }
        // Whole documents.
        each(\.policies, policies.removingEach())
        each(\.kubernetesPolicies, kubernetesPolicies.removingEach())
        each(\.pods, pods.removingEach())
        each(\.workloadEndpoints, workloadEndpoints.removingEach())
        each(\.hostEndpoints, hostEndpoints.removingEach())
        each(\.networkSets, networkSets.removingEach())
        each(\.profiles, profiles.removingEach())
        each(\.tiers, tiers.removingEach())
        each(\.serviceAccounts, serviceAccounts.removingEach())
        each(\.namespaces, namespaces.removingEach())
        if felix != nil { var c = self; c.felix = nil; out.append(c) }
        // Inside policies and profiles: rules, then rule fields, then policy fields.
        each(\.policies, policies.substitutingEach(\.shrinks))
        each(\.kubernetesPolicies, kubernetesPolicies.substitutingEach(\.shrinks))
        each(\.profiles, profiles.substitutingEach(\.shrinks))
        // Inventory details.
        each(\.pods, pods.substitutingEach(\.shrinks))
        each(\.hostEndpoints, hostEndpoints.substitutingEach(\.shrinks))
        each(\.workloadEndpoints, workloadEndpoints.substitutingEach(\.shrinks))
        each(\.networkSets, networkSets.substitutingEach { s in
            s.labels.removingEach().map { var c = s; c.labels = $0; return c } + s.nets.removingEach().map { var c = s; c.nets = $0; return c }
        })
        each(\.namespaces, namespaces.substitutingEach { n in n.labels.removingEach().map { var c = n; c.labels = $0; return c } })
        each(\.serviceAccounts, serviceAccounts.substitutingEach { n in n.labels.removingEach().map { var c = n; c.labels = $0; return c } })
        each(\.tiers, tiers.substitutingEach { t in
            (t.order == nil ? [] : [TierIR(name: t.name, order: nil, defaultAction: t.defaultAction)])
                + (t.defaultAction == nil ? [] : [TierIR(name: t.name, order: t.order, defaultAction: nil)])
        })
        if let f = felix { for v in f.shrinks { var c = self; c.felix = v; out.append(c) } }
        return out
    }
}

/// A failing input: the set and the packet.
struct FailingCase: Sendable {
    var scenario: Scenario
    var packet: Packet

    var shrinks: [FailingCase] {
        var out = scenario.shrinks.map { FailingCase(scenario: $0, packet: packet) }
        if packet.isNonFirstFragment {
            var p = packet
            p.isNonFirstFragment = false
            out.append(FailingCase(scenario: scenario, packet: p))
        }
        return out
    }
}

enum Shrinker {
    struct Result {
        var value: FailingCase
        /// Simplifications kept.
        var steps: Int
        /// Candidates tried.
        var checks: Int
        /// True when the check budget ran out before a fixpoint.
        var budgetExhausted: Bool
    }

    /// Greedy descent: try the candidates in order; on success continue from the same position in the
    /// new candidate list; stop after a full pass with no success (or when the budget is spent).
    static func minimise(_ start: FailingCase, budget: Int = 4000, stillFails: (FailingCase) -> Bool) -> Result {
        var current = start
        var steps = 0, checks = 0
        var position = 0
        while checks < budget {
            let candidates = current.shrinks
            let n = candidates.count
            let first = position < n ? position : 0
            var found = false
            for k in 0..<n where checks < budget {
                let idx = (first + k) % n
                checks += 1
                if stillFails(candidates[idx]) {
                    current = candidates[idx]
                    steps += 1
                    position = idx
                    found = true
                    break
                }
            }
            if !found { return Result(value: current, steps: steps, checks: checks, budgetExhausted: checks >= budget) }
        }
        return Result(value: current, steps: steps, checks: checks, budgetExhausted: true)
    }
}

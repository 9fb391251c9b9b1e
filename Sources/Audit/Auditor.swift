// The audit's entry point: every check over one resolved policy set, plus the connectivity
// results of probes and a capture when given.

import PolicyModel
import ReferenceEvaluator

public enum Auditor {
    /// Audits `set`. `inputs` are the paths given with -f (for the report); `probes` and `capture`
    /// are the optional connectivity inputs, already resolved and replayed by the caller.
    public static func audit(_ set: PolicySet, inputs: [String], probes: [ResolvedProbe]? = nil, capture: CaptureSummary? = nil) -> AuditReport {
        let evaluator = ReferenceEvaluator(set)
        let endpoints = ProtectionAnalysis.endpoints(set)
        let namespaces = ProtectionAnalysis.namespaces(set, endpoints)
        var findings = ProtectionAnalysis.findings(namespaces, endpoints, set)
        var checks = [CheckRun(id: FindingKind.noDefaultDeny.id, ran: true, note: nil)]
        let protection = Dictionary(endpoints.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        findings += MetadataCheck.findings(set, evaluator, protection)
        checks.append(CheckRun(id: FindingKind.metadataEgress.id, ran: true, note: nil))
        let (dns, dnsRun) = DNSCheck.findings(set, evaluator, protection)
        findings += dns
        checks.append(dnsRun)
        let selectors = SelectorCheck.run(set)
        findings += selectors.findings
        checks.append(CheckRun(id: FindingKind.selectorTypo.id, ran: true, note: nil))
        checks.append(CheckRun(id: FindingKind.policySelectsNothing.id, ran: true, note: nil))
        let (never, neverRun) = NeverMatchCheck.findings(set, excluding: selectors.reportedRules)
        findings += never
        checks.append(neverRun)
        let (shadowed, shadowRun) = ShadowCheck.findings(set, evaluator)
        findings += shadowed
        checks.append(shadowRun)
        if let capture {
            findings += CaptureCheck.findings(capture, set)
            checks.append(CheckRun(id: FindingKind.ruleNeverHit.id, ran: true, note: nil))
        } else {
            checks.append(CheckRun(id: FindingKind.ruleNeverHit.id, ran: false, note: "no -r capture given"))
        }

        var probeResults: [ProbeResult]? = nil
        if let probes {
            let results = probes.enumerated().map { ProbeAnalysis.result($0.element, index: $0.offset, evaluator) }
            findings += ProbeAnalysis.findings(results)
            probeResults = results
            checks.append(CheckRun(id: FindingKind.probeFailed.id, ran: true, note: nil))
        } else {
            checks.append(CheckRun(id: FindingKind.probeFailed.id, ran: false, note: "no --probes given"))
        }

        findings.sort(by: Self.precedes)
        checks.sort { $0.id < $1.id }
        return AuditReport(inputs: inputs, policies: policySummaries(set), namespaces: namespaces, endpoints: endpoints,
                           findings: findings, checks: checks, probes: probeResults, capture: capture)
    }

    static func precedes(_ a: Finding, _ b: Finding) -> Bool {
        func key(_ f: Finding) -> (String, String, Int, Int, String) {
            (f.id, f.location?.file ?? "", f.location?.line ?? 0, f.rule ?? -1, f.resource + "\u{0}" + f.message)
        }
        return key(a) < key(b)
    }

    static func policySummaries(_ set: PolicySet) -> [PolicySummary] {
        set.allPolicies.map { p in
            var flags: [String] = []
            if p.doNotTrack { flags.append("doNotTrack") }
            if p.preDNAT { flags.append("preDNAT") }
            if p.applyOnForward { flags.append("applyOnForward") }
            return PolicySummary(kind: p.kind, name: p.name, namespace: p.namespace, tier: p.tier, order: p.order,
                                 selector: p.selector.canonical, types: p.types,
                                 selects: set.endpoints.filter { p.endpointSelector.matches($0.effectiveLabels) }.map(\.id),
                                 ingressRules: p.ingress.count, egressRules: p.egress.count, flags: flags, location: p.location)
        }
    }
}

/// `NetworkPolicy dev-app/default-deny`, `GlobalNetworkPolicy block-icmp`.
func resourceName(_ p: Policy) -> String { "\(p.kind.rawValue) \(p.qualifiedName)" }

enum ProbeAnalysis {
    static func result(_ probe: ResolvedProbe, index: Int, _ evaluator: ReferenceEvaluator) -> ProbeResult {
        let v = evaluator.evaluate(probe.packet, from: probe.source, to: probe.destination)
        let spec = probe.spec
        return ProbeResult(id: spec.id ?? String(index + 1), description: spec.description,
                           source: spec.source.endpoint ?? probe.packet.source.description,
                           destination: spec.destination.endpoint ?? probe.packet.destination.description,
                           packet: probe.packet.description, expect: spec.expect, actual: v.verdict.rawValue,
                           pass: spec.expect.map { $0 == v.verdict.rawValue }, decidedBy: TrailText.decidingPoint(v),
                           location: spec.location)
    }

    static func findings(_ results: [ProbeResult]) -> [Finding] {
        let kind = FindingKind.probeFailed
        return results.filter { $0.pass == false }.map { r in
            Finding(id: kind.id, severity: kind.defaultSeverity,
                    message: "probe \(r.id) (\(r.packet), \(r.source) → \(r.destination)) expected \(r.expect ?? "?") but is \(r.actual)"
                        + (r.decidedBy.map { ": \($0.summary)" } ?? ""),
                    resource: "probe \(r.id)", location: r.location)
        }
    }
}

/// Trails in words (the same wording as `verdict check`'s table).
enum TrailText {
    /// The point that decided: the first that denied, else the last that allowed.
    static func decidingPoint(_ v: ConnectionVerdict) -> DecidingPoint? {
        guard let t = v.points.first(where: { $0.verdict == .deny }) ?? v.points.last else { return nil }
        return point(t)
    }

    static func point(_ t: Trail) -> DecidingPoint {
        var p = DecidingPoint(endpoint: t.endpoint, direction: t.direction, stage: t.stage.rawValue, verdict: t.verdict.rawValue,
                              reason: t.decision.reason, summary: summary(t))
        switch t.decision {
        case let .rule(tier, policy, kind, index, action):
            p.tier = tier
            p.policy = policy
            p.policyKind = kind.rawValue
            p.rule = index
            p.action = action.rawValue
        case let .endOfTier(tier):
            p.tier = tier
        case let .profileRule(profile, index, action):
            p.policy = profile
            p.policyKind = "Profile"
            p.rule = index
            p.action = action.rawValue
        default:
            break
        }
        return p
    }

    /// What decided, e.g. `default/dev-app/allow-dns rule 0 (Allow)` or `end of tier default`.
    static func decision(_ d: Decision) -> String {
        switch d {
        case let .rule(tier, policy, _, index, action): return "\(tier)/\(policy) rule \(index) (\(action.rawValue))"
        case let .endOfTier(tier): return "end of tier \(tier)"
        case let .profileRule(profile, index, _): return "profile \(profile) rule \(index)"
        case let .noProfileMatched(profiles): return profiles.isEmpty ? "no profile" : "end of profiles"
        case let .failsafe(direction, proto, port):
            return "failsafe \(direction == .ingress ? "in" : "out") \(ProtocolSpec.displayName(proto)):\(port)"
        case .forwardedWithoutPolicy: return "no applyOnForward policy"
        case .hostToLocalWorkload: return "host to local workload"
        case let .endpointToHost(action): return "DefaultEndpointToHostAction \(action)"
        }
    }

    /// One line: `dev-app/frontend egress: deny by end of tier default`.
    static func summary(_ t: Trail) -> String {
        let stage = t.stage == .forwarded ? " (forwarded)" : ""
        return "\(t.endpoint) \(t.direction.rawValue)\(stage): \(t.verdict.rawValue) by \(decision(t.decision))"
    }
}

enum CaptureCheck {
    /// VD008: one finding per policy rule no packet of the capture was decided by.
    static func findings(_ c: CaptureSummary, _ set: PolicySet) -> [Finding] {
        let kind = FindingKind.ruleNeverHit
        return c.unhitRules.map { u in
            let p = set.policy(kind: u.kind, qualifiedName: u.policy)
            let resource = p.map(resourceName) ?? "\(u.kind ?? "policy") \(u.policy)"
            let location = p.flatMap { p in u.ruleIndex < p.rules(u.direction).count ? p.rules(u.direction)[u.ruleIndex].location : nil }
            return Finding(id: kind.id, severity: kind.defaultSeverity,
                           message: "\(u.direction.rawValue) rule \(u.ruleIndex) (\(u.action.capitalized)) of \(resource) decided none of the \(c.packets) packets of \(c.file)",
                           resource: resource, rule: u.ruleIndex, direction: u.direction, location: location)
        }
    }
}

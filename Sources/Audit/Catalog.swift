// The checks `verdict audit` runs, with stable ids. An id never changes meaning; a retired check
// keeps its id unused. SARIF's tool.driver.rules is this list.

public struct FindingKind: Sendable, Hashable {
    public var id: String
    /// A short PascalCase name (SARIF `name`).
    public var name: String
    public var shortDescription: String
    public var fullDescription: String
    public var defaultSeverity: Severity

    public static let noDefaultDeny = FindingKind(
        id: "VD001", name: "NoDefaultDeny",
        shortDescription: "Namespace or cluster without a default-deny baseline",
        fullDescription: "Some endpoints of a namespace (or of the whole cluster) accept, in ingress or egress, traffic that no rule matches: no tier that selects them ends in Deny, and their profiles allow. Targeted allow rules then add nothing. Apply a default-deny policy per namespace, or a cluster-wide GlobalNetworkPolicy.",
        defaultSeverity: .warning)
    public static let metadataEgress = FindingKind(
        id: "VD002", name: "MetadataEgressOpen",
        shortDescription: "Egress allowed to the cloud metadata endpoint",
        fullDescription: "An Allow rule lets endpoints reach 169.254.169.254 (or fd00:ec2::254) on TCP 80, the cloud instance metadata service, a path to credential theft through SSRF. Exclude it with notNets, or deny it before the allow.",
        defaultSeverity: .error)
    public static let dnsBlocked = FindingKind(
        id: "VD003", name: "DNSBlockedByEgressDeny",
        shortDescription: "Egress default deny without DNS allowed",
        fullDescription: "Endpoints under an egress default deny cannot reach the cluster DNS (kube-dns/CoreDNS) on UDP 53 (name resolution breaks: error) or TCP 53 (large answers fail: warning). Allow both before the deny.",
        defaultSeverity: .error)
    public static let selectorTypo = FindingKind(
        id: "VD004", name: "SelectorMatchesNothing",
        shortDescription: "Selector that matches nothing, probably a typo",
        fullDescription: "A policy or rule selector compares a label with a value (or names a label) that no endpoint or network set in the inventory has, so it matches nothing; the nearest existing value is suggested. Includes projectcalico.org/orchestrator == 'kubernetes': Calico labels Kubernetes pods 'k8s'.",
        defaultSeverity: .warning)
    public static let policySelectsNothing = FindingKind(
        id: "VD005", name: "PolicySelectsNothing",
        shortDescription: "Policy that selects no endpoint",
        fullDescription: "The policy's selector (with its namespace and service-account restrictions) selects no endpoint of the inventory, so the policy protects nothing.",
        defaultSeverity: .warning)
    public static let ruleNeverMatches = FindingKind(
        id: "VD006", name: "RuleNeverMatches",
        shortDescription: "Rule that can never match",
        fullDescription: "No packet satisfies all the rule's criteria together (its compiled terms are empty): e.g. nets all excluded by notNets, protocol equal to notProtocol, families that exclude each other, a selector or named port nothing in the inventory has.",
        defaultSeverity: .warning)
    public static let shadowedDeny = FindingKind(
        id: "VD007", name: "ShadowedDeny",
        shortDescription: "Deny rule shadowed by an earlier Allow (order inversion)",
        fullDescription: "Packets a Deny rule matches are decided earlier, by an Allow in a lower-order policy, an earlier rule, a Pass or an earlier tier (or a failsafe port), so the Deny never (fully) or only partly applies. A witness packet is given.",
        defaultSeverity: .error)
    public static let ruleNeverHit = FindingKind(
        id: "VD008", name: "RuleNeverHit",
        shortDescription: "Rule never hit by the capture",
        fullDescription: "No packet of the replayed capture was decided by this rule: it may be dead, or the capture may not exercise it.",
        defaultSeverity: .info)
    public static let probeFailed = FindingKind(
        id: "VD009", name: "ConnectivityExpectationFailed",
        shortDescription: "Connectivity probe whose expectation does not hold",
        fullDescription: "A probe of --probes has an `expect` that the policy set does not give.",
        defaultSeverity: .error)

    public static let catalog: [FindingKind] = [
        noDefaultDeny, metadataEgress, dnsBlocked, selectorTypo, policySelectsNothing, ruleNeverMatches,
        shadowedDeny, ruleNeverHit, probeFailed,
    ]

    public static func kind(_ id: String) -> FindingKind? { catalog.first { $0.id == id } }
}

// What the loader produces from input files: every resource, decoded and validated, but not yet
// resolved against each other (that is `PolicySet.resolve`).

import Addresses
import Selectors

/// A Kubernetes Pod, or the pod template of a workload controller, as read from the inventory.
public struct PodRecord: Hashable, Sendable {
    public var kind: EndpointKind
    public var namespace: String
    public var name: String
    public var labels: [String: String]
    public var node: String?
    public var serviceAccount: String
    public var addresses: [IPAddress]
    public var namedPorts: [NamedPort]
    /// Host-networked and finished pods are not workload endpoints (CONV `IsValidCalicoWorkloadEndpoint`).
    public var inactiveReason: String?
    public var location: SourceLocation
}

public struct WorkloadEndpointRecord: Hashable, Sendable {
    public var namespace: String
    public var name: String
    /// What probes call it: `spec.pod`, else `spec.workload`, else the resource name.
    public var endpointName: String
    public var labels: [String: String]
    public var node: String?
    public var orchestrator: String?
    public var addresses: [IPAddress]
    public var profiles: [String]
    public var namedPorts: [NamedPort]
    public var serviceAccount: String?
    public var interfaceName: String?
    public var location: SourceLocation
}

public struct HostEndpointRecord: Hashable, Sendable {
    public var name: String
    public var labels: [String: String]
    public var node: String?
    public var interfaceName: String?
    public var expectedIPs: [IPAddress]
    public var profiles: [String]
    public var namedPorts: [NamedPort]
    public var location: SourceLocation
}

/// Everything read from the inputs, in input order.
public struct LoadedResources: Sendable {
    public var policies: [Policy] = []
    public var tiers: [Tier] = []
    public var profiles: [Profile] = []
    public var networkSets: [NetworkSet] = []
    public var namespaces: [Namespace] = []
    public var serviceAccounts: [ServiceAccount] = []
    public var pods: [PodRecord] = []
    public var workloadEndpoints: [WorkloadEndpointRecord] = []
    public var hostEndpoints: [HostEndpointRecord] = []
    public var felix: FelixSettings?
    public var diagnostics: [Diagnostic] = []
    /// Number of documents read, including skipped ones.
    public var documentCount = 0

    public init() {}
}

// The policy model after loading and validation: Calico's v3 API shapes, with Kubernetes
// NetworkPolicy already converted the way Calico converts it (SEMANTICS §3). Values only; no evaluation.

import Addresses
import Selectors

public enum Direction: String, Hashable, Sendable, CaseIterable, Codable, Comparable {
    case ingress
    case egress

    /// The spelling in `types:` / `policyTypes:`.
    public var typeName: String { self == .ingress ? "Ingress" : "Egress" }
    public static func < (a: Direction, b: Direction) -> Bool { a == .ingress && b == .egress }
}

public enum RuleAction: String, Hashable, Sendable, Codable {
    case allow = "Allow"
    case deny = "Deny"
    case log = "Log"
    case pass = "Pass"
}

/// An IP protocol as a rule names it: by Calico name (`TCP`, `ICMPv6`, …) or by number.
public struct ProtocolSpec: Hashable, Sendable, CustomStringConvertible {
    public let number: UInt8
    /// The name as written, when written as a name. `ICMP`/`ICMPv6` by name imply an IP family (§6).
    public let name: String?

    public static let tcp = ProtocolSpec(number: 6, name: "TCP")
    public static let udp = ProtocolSpec(number: 17, name: "UDP")
    public static let sctp = ProtocolSpec(number: 132, name: "SCTP")
    public static let icmp = ProtocolSpec(number: 1, name: "ICMP")
    public static let icmpv6 = ProtocolSpec(number: 58, name: "ICMPv6")
    public static let udplite = ProtocolSpec(number: 136, name: "UDPLite")

    public static let names: [String: UInt8] = ["TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136]

    public init(number: UInt8, name: String?) {
        self.number = number
        self.name = name
    }

    /// Whether rules with this protocol may carry ports (Calico `SupportsPorts`: TCP, UDP, SCTP).
    public var supportsPorts: Bool { [6, 17, 132].contains(number) }
    public var isICMP: Bool { number == 1 || number == 58 }

    /// The family a protocol named by name implies (§6): `ICMP` is IPv4-only, `ICMPv6` IPv6-only.
    public var impliedFamily: IPFamily? {
        switch name {
        case "ICMP": return .v4
        case "ICMPv6": return .v6
        default: return nil
        }
    }

    public var description: String { name ?? String(number) }

    public static func displayName(_ number: UInt8) -> String {
        names.first { $0.value == number }?.key ?? String(number)
    }
}

/// A port criterion: a number or inclusive range, or a named port resolved per endpoint (§7.6).
public enum PortSpec: Hashable, Sendable, CustomStringConvertible {
    case range(UInt16, UInt16)
    case named(String)

    public var description: String {
        switch self {
        case let .range(a, b): return a == b ? "\(a)" : "\(a):\(b)"
        case let .named(n): return n
        }
    }
}

public struct ICMPMatch: Hashable, Sendable, CustomStringConvertible {
    public let type: UInt8
    public let code: UInt8?
    public init(type: UInt8, code: UInt8?) {
        self.type = type
        self.code = code
    }
    public var description: String { code.map { "type \(type) code \($0)" } ?? "type \(type)" }
}

public struct ServiceAccountMatch: Hashable, Sendable {
    public var names: [String]
    public var selector: Selector?
}

/// A rule's `source` or `destination` (Calico EntityRule), as written, plus the address-set
/// selectors Felix derives from it (SEMANTICS §2.2 "Rule entity selector → final address-set selector").
public struct EntityRule: Hashable, Sendable {
    public var nets: [CIDR] = []
    public var notNets: [CIDR] = []
    public var selector: Selector?
    public var notSelector: Selector?
    public var namespaceSelector: Selector?
    public var ports: [PortSpec] = []
    public var notPorts: [PortSpec] = []
    public var serviceAccounts: ServiceAccountMatch?

    /// Final positive address-set selector `P` (already combined with `!X` when both exist), or nil.
    public var addressSelector: Selector?
    /// Final negative selector `X`, only when there is no positive part: the address must belong to
    /// nothing that matches it (possible only in a GlobalNetworkPolicy without namespaceSelector).
    public var negatedAddressSelector: Selector?

    public init() {}

    public var isEmpty: Bool {
        nets.isEmpty && notNets.isEmpty && selector == nil && notSelector == nil && namespaceSelector == nil
            && ports.isEmpty && notPorts.isEmpty && serviceAccounts == nil
    }
}

/// One rule of a policy or profile.
public struct Rule: Hashable, Sendable {
    public var action: RuleAction
    public var ipVersion: IPFamily?
    public var `protocol`: ProtocolSpec?
    public var notProtocol: ProtocolSpec?
    public var icmp: ICMPMatch?
    public var notICMP: ICMPMatch?
    public var source = EntityRule()
    public var destination = EntityRule()
    /// The rule has an `http` match, which an L3/L4 data plane does not evaluate (§7.12).
    public var hasHTTPMatch = false
    public var location: SourceLocation
    /// For rules converted from a Kubernetes NetworkPolicy: the index of the Kubernetes rule it came from.
    public var kubernetesRuleIndex: Int?

    public init(action: RuleAction, location: SourceLocation) {
        self.action = action
        self.location = location
    }
}

public enum PolicyKind: String, Hashable, Sendable, Codable {
    case networkPolicy = "NetworkPolicy"
    case globalNetworkPolicy = "GlobalNetworkPolicy"
    case kubernetesNetworkPolicy = "KubernetesNetworkPolicy"
}

/// A NetworkPolicy, GlobalNetworkPolicy, or Kubernetes NetworkPolicy converted to Calico form.
public struct Policy: Hashable, Sendable {
    public var kind: PolicyKind
    public var name: String
    /// Nil for global policies.
    public var namespace: String?
    public var tier: String
    /// Nil means "no order" (+∞, after every ordered policy).
    public var order: Double?
    public var selector: Selector
    public var namespaceSelector: Selector?
    public var serviceAccountSelector: Selector?
    public var types: [Direction]
    public var ingress: [Rule]
    public var egress: [Rule]
    public var doNotTrack = false
    public var preDNAT = false
    public var applyOnForward = false
    public var location: SourceLocation
    /// The endpoint selector Felix evaluates: the policy selector with namespace and service-account
    /// restrictions folded in (SEMANTICS §2.2). Filled in by normalisation.
    public var endpointSelector: Selector

    public func rules(_ d: Direction) -> [Rule] { d == .ingress ? ingress : egress }

    /// A name unique across kinds: `ns/name` for namespaced policies, `name` for global ones.
    public var qualifiedName: String { namespace.map { "\($0)/\(name)" } ?? name }
}

public struct Tier: Hashable, Sendable {
    public enum DefaultAction: String, Hashable, Sendable, Codable {
        case deny = "Deny"
        case pass = "Pass"
    }
    public var name: String
    public var order: Double?
    public var defaultAction: DefaultAction
    public var location: SourceLocation
    public var isBuiltIn: Bool

    /// Calico's built-in tiers (SEMANTICS §2.4, HEAD).
    public static let builtIns: [Tier] = [
        Tier(name: "kube-admin", order: 1000, defaultAction: .pass, location: .builtIn("tier"), isBuiltIn: true),
        Tier(name: "default", order: 1_000_000, defaultAction: .deny, location: .builtIn("tier"), isBuiltIn: true),
        Tier(name: "kube-baseline", order: 10_000_000, defaultAction: .pass, location: .builtIn("tier"), isBuiltIn: true),
    ]
}

public struct Profile: Hashable, Sendable {
    public var name: String
    public var ingress: [Rule]
    public var egress: [Rule]
    public var labelsToApply: [String: String]
    public var location: SourceLocation

    public func rules(_ d: Direction) -> [Rule] { d == .ingress ? ingress : egress }

    /// `projectcalico-default-allow`, the profile Kubernetes auto host endpoints get.
    public static let defaultAllow = "projectcalico-default-allow"
}

public struct NetworkSet: Hashable, Sendable {
    public var name: String
    /// Nil for a GlobalNetworkSet.
    public var namespace: String?
    public var labels: [String: String]
    /// Labels used for selection: own labels plus, for namespaced sets, `projectcalico.org/namespace`
    /// and the namespace's `pcns.*` labels (§2.2).
    public var effectiveLabels: [String: String]
    public var nets: [CIDR]
    public var location: SourceLocation

    public var qualifiedName: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// A named port an endpoint declares.
public struct NamedPort: Hashable, Sendable {
    public var name: String
    public var protocolNumber: UInt8
    public var port: UInt16
}

public enum EndpointKind: Hashable, Sendable, CustomStringConvertible {
    case pod
    case workloadEndpoint
    /// The pod template of a workload controller (Deployment, StatefulSet, …), one endpoint per controller.
    case podTemplate(controller: String)
    case hostEndpoint

    public var description: String {
        switch self {
        case .pod: return "Pod"
        case .workloadEndpoint: return "WorkloadEndpoint"
        case let .podTemplate(c): return c
        case .hostEndpoint: return "HostEndpoint"
        }
    }

    public var isHost: Bool { self == .hostEndpoint }
}

/// A policy enforcement point: a workload (pod, WorkloadEndpoint, pod template) or a host endpoint.
public struct Endpoint: Hashable, Sendable {
    /// `ns/name` for workloads, `hostendpoint:NAME` for host endpoints.
    public var id: String
    public var kind: EndpointKind
    public var name: String
    public var namespace: String?
    public var node: String?
    public var labels: [String: String]
    /// Labels used for selection: own labels, Calico's implicit labels, then the labels of each
    /// profile in order, first hit winning (§2.2).
    public var effectiveLabels: [String: String]
    public var profiles: [String]
    public var addresses: [IPAddress]
    /// True when `addresses` were invented by Verdict (pod templates have none of their own).
    public var addressesAreSynthetic: Bool
    public var namedPorts: [NamedPort]
    public var serviceAccount: String?
    public var interfaceName: String?
    public var location: SourceLocation

    public func address(of family: IPFamily) -> IPAddress? { addresses.first { $0.family == family } }
}

public struct Namespace: Hashable, Sendable {
    public var name: String
    public var labels: [String: String]
    public var location: SourceLocation
}

public struct ServiceAccount: Hashable, Sendable {
    public var namespace: String
    public var name: String
    public var labels: [String: String]
    public var location: SourceLocation
}

/// Felix settings that change verdicts (SEMANTICS §2.7). Defaults are Felix's for a Kubernetes install.
public struct FelixSettings: Hashable, Sendable {
    public struct Failsafe: Hashable, Sendable {
        public var protocolNumber: UInt8
        public var port: UInt16
        public var net: CIDR?
    }
    public enum EndpointToHostAction: String, Hashable, Sendable { case accept = "Accept", drop = "Drop", `return` = "Return" }

    public var failsafeInbound: [Failsafe]
    public var failsafeOutbound: [Failsafe]
    public var defaultEndpointToHostAction: EndpointToHostAction
    public var location: SourceLocation

    public static let defaults = FelixSettings(
        failsafeInbound: [(6, 22), (17, 68), (6, 179), (6, 2379), (6, 2380), (6, 5473), (6, 6443), (6, 6666), (6, 6667)]
            .map { Failsafe(protocolNumber: $0.0, port: $0.1, net: nil) },
        failsafeOutbound: [(17, 53), (17, 67), (6, 179), (6, 2379), (6, 2380), (6, 5473), (6, 6443), (6, 6666), (6, 6667)]
            .map { Failsafe(protocolNumber: $0.0, port: $0.1, net: nil) },
        defaultEndpointToHostAction: .accept,
        location: .builtIn("FelixConfiguration"))
}

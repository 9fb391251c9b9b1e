// Calico validation (SEMANTICS §1.5, §1.6 V1–V33): one table, each row a small policy, the message
// Calico gives (or Verdict's documented replacement), the field path and the line:column.

import Testing
@testable import PolicyModel
import Addresses
import Selectors

/// Wraps a `spec:` fragment in a policy. The fragment's line 1 is file line 7 and every fragment
/// line is indented by 2, so fragment position (l, c) is file position (l + 6, c + 2).
///
///     1 apiVersion: projectcalico.org/v3
///     2 kind: NetworkPolicy | GlobalNetworkPolicy
///     3 metadata:
///     4   name: p
///     5   namespace: ns | annotations: {}
///     6 spec:
///     7   <fragment line 1>
private func policyYAML(global: Bool, spec: String) -> String {
    let header = """
    apiVersion: projectcalico.org/v3
    kind: \(global ? "GlobalNetworkPolicy" : "NetworkPolicy")
    metadata:
      name: p
      \(global ? "annotations: {}" : "namespace: ns")
    spec:

    """
    return header + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
}

struct ValidationCase: Sendable, CustomTestStringConvertible {
    var id: String
    var global = false
    /// A `spec:` fragment (see `policyYAML`), or a whole document when `document` is true.
    var text: String
    var document = false
    var message: String
    var field: String
    /// Position in the fragment (or in the document when `document` is true).
    var line: Int
    var column: Int

    var testDescription: String { id }

    var yaml: String { document ? text : policyYAML(global: global, spec: text) }
    var fileLine: Int { document ? line : line + 6 }
    var fileColumn: Int { document ? column : column + 2 }
}

private let r0 = "spec.ingress[0]"
private let e0 = "spec.egress[0]"

private let validationCases: [ValidationCase] = [
    // V1: action required, exactly Allow/Deny/Log/Pass.
    .init(id: "V1 action missing", text: "ingress:\n- protocol: TCP",
          message: "required field 'action' is missing", field: "\(r0).action", line: 2, column: 3),
    .init(id: "V1 action wrong case", text: "ingress:\n- action: allow",
          message: "invalid action 'allow': must be one of Allow, Deny, Log, Pass (actions are case-sensitive: 'Allow')",
          field: "\(r0).action", line: 2, column: 11),
    .init(id: "V1 action unknown", text: "egress:\n- action: Accept",
          message: "invalid action 'Accept': must be one of Allow, Deny, Log, Pass", field: "\(e0).action", line: 2, column: 11),
    .init(id: "V1 action empty", text: "egress:\n- action: ''",
          message: "invalid action ''", field: "\(e0).action", line: 2, column: 11),

    // V2: numeric port or range without protocol.
    .init(id: "V2 numeric port without protocol", text: "ingress:\n- action: Allow\n  destination:\n    ports: [80]",
          message: "rules with numeric port or port range must set protocol to TCP or UDP or SCTP", field: "\(r0).destination.ports", line: 4, column: 12),
    .init(id: "V2 range in source notPorts without protocol", text: "egress:\n- action: Deny\n  source:\n    notPorts: ['1000:2000', http]",
          message: "rules with numeric port or port range must set protocol to TCP or UDP or SCTP", field: "\(e0).source.notPorts", line: 4, column: 15),

    // V3: ports with a protocol that has no ports.
    .init(id: "V3 ports with ICMP", text: "ingress:\n- action: Allow\n  protocol: ICMP\n  destination:\n    ports: [80]",
          message: "rules that specify ports must set protocol to TCP or UDP or SCTP", field: "\(r0).destination.ports", line: 5, column: 12),
    .init(id: "V3 named port with UDPLite", text: "ingress:\n- action: Allow\n  protocol: UDPLite\n  destination:\n    ports: [dns]",
          message: "rules that specify ports must set protocol to TCP or UDP or SCTP", field: "\(r0).destination.ports", line: 5, column: 12),
    .init(id: "V3 notPorts with protocol number 47", text: "egress:\n- action: Allow\n  protocol: 47\n  destination:\n    notPorts: [1]",
          message: "rules that specify ports must set protocol to TCP or UDP or SCTP", field: "\(e0).destination.notPorts", line: 5, column: 15),

    // V5: ICMP fields need protocol ICMP/ICMPv6.
    .init(id: "V5 icmp with TCP", text: "ingress:\n- action: Allow\n  protocol: TCP\n  icmp: {type: 8}",
          message: "ICMP fields require protocol to be ICMP or ICMPv6", field: "\(r0).icmp", line: 4, column: 9),
    .init(id: "V5 icmp without protocol", text: "ingress:\n- action: Allow\n  icmp:\n    type: 8",
          message: "ICMP fields require protocol to be ICMP or ICMPv6", field: "\(r0).icmp", line: 4, column: 5),
    .init(id: "V5 notICMP with UDP", text: "egress:\n- action: Deny\n  protocol: UDP\n  notICMP: {type: 3}",
          message: "ICMP fields require protocol to be ICMP or ICMPv6", field: "\(e0).notICMP", line: 4, column: 12),

    // V6: code without type.
    .init(id: "V6 icmp code without type", text: "ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {code: 0}",
          message: "ICMP code specified without an ICMP type", field: "\(r0).icmp.code", line: 4, column: 16),
    .init(id: "V6 notICMP code without type", text: "ingress:\n- action: Allow\n  protocol: ICMPv6\n  notICMP: {code: 1}",
          message: "ICMP code specified without an ICMP type", field: "\(r0).notICMP.code", line: 4, column: 19),

    // V7: ICMP ranges.
    .init(id: "V7 icmp type 255", text: "ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {type: 255}",
          message: "ICMP type must be between 0 and 254", field: "\(r0).icmp.type", line: 4, column: 16),
    .init(id: "V7 icmp code 256", text: "ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {type: 3, code: 256}",
          message: "ICMP code must be between 0 and 255", field: "\(r0).icmp.code", line: 4, column: 25),
    .init(id: "V7 icmp negative type", text: "ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {type: -1}",
          message: "ICMP type must be between 0 and 254", field: "\(r0).icmp.type", line: 4, column: 16),

    // V8/V9: ICMP family vs ipVersion, for protocol and notProtocol, by name or number.
    .init(id: "V8 ICMP with ipVersion 6", text: "ingress:\n- action: Allow\n  ipVersion: 6\n  protocol: ICMP",
          message: "protocol ICMP requires ipVersion 4", field: "\(r0).ipVersion", line: 3, column: 14),
    .init(id: "V8 notProtocol 1 with ipVersion 6", text: "ingress:\n- action: Allow\n  ipVersion: 6\n  notProtocol: 1",
          message: "protocol ICMP requires ipVersion 4", field: "\(r0).ipVersion", line: 3, column: 14),
    .init(id: "V9 ICMPv6 with ipVersion 4", text: "egress:\n- action: Allow\n  ipVersion: 4\n  protocol: ICMPv6",
          message: "protocol ICMPv6 requires ipVersion 6", field: "\(e0).ipVersion", line: 3, column: 14),
    .init(id: "V9 protocol 58 with ipVersion 4", text: "egress:\n- action: Allow\n  ipVersion: 4\n  protocol: 58",
          message: "protocol ICMPv6 requires ipVersion 6", field: "\(e0).ipVersion", line: 3, column: 14),

    // V10/V11: CIDR families.
    .init(id: "V10 CIDR family differs from ipVersion", text: "ingress:\n- action: Allow\n  ipVersion: 4\n  source:\n    nets: ['fd00::/64']",
          message: "rule IP version doesn't match CIDR version", field: "\(r0).source.nets", line: 5, column: 11),
    .init(id: "V10 notNets family differs from ipVersion", text: "ingress:\n- action: Allow\n  ipVersion: 6\n  destination:\n    notNets: [10.0.0.0/8]",
          message: "rule IP version doesn't match CIDR version", field: "\(r0).destination.notNets", line: 5, column: 14),
    .init(id: "V11 IPv4 and IPv6 CIDRs in one rule", text: "egress:\n- action: Allow\n  source:\n    nets: [10.0.0.0/8]\n  destination:\n    notNets: ['fd00::/64']",
          message: "rule contains both IPv4 and IPv6 CIDRs", field: "\(e0).destination.notNets", line: 6, column: 14),
    .init(id: "V11 mixed within one list", global: true, text: "ingress:\n- action: Allow\n  source:\n    notNets: [10.0.0.0/8, 'fd00::/64']",
          message: "rule contains both IPv4 and IPv6 CIDRs", field: "\(r0).source.notNets", line: 4, column: 14),

    // V12: catch-all in notNets, any spelling.
    .init(id: "V12 notNets 0.0.0.0/0", text: "ingress:\n- action: Allow\n  source:\n    notNets: ['0.0.0.0/0']",
          message: "catch-all CIDR in negation creates logical contradiction (matches no traffic)",
          field: "\(r0).source.notNets[0]", line: 4, column: 15),
    .init(id: "V12 notNets ::0/0 in a GNP", global: true, text: "egress:\n- action: Allow\n  destination:\n    notNets: ['fd00::/8', '::0/0']",
          message: "catch-all CIDR in negation creates logical contradiction", field: "\(e0).destination.notNets[1]", line: 4, column: 27),

    // V13: unparsable CIDRs (strict: prefix length required, no host bits).
    .init(id: "V13 CIDR without prefix length", text: "ingress:\n- action: Allow\n  source:\n    nets: [10.0.0.1]",
          message: "invalid CIDR (a prefix length is required", field: "\(r0).source.nets[0]", line: 4, column: 12),
    .init(id: "V13 CIDR with host bits", text: "ingress:\n- action: Allow\n  source:\n    nets: [10.0.0.1/8]",
          message: "invalid CIDR (host bits are set; did you mean 10.0.0.0/8?)", field: "\(r0).source.nets[0]", line: 4, column: 12),
    .init(id: "V13 CIDR /33", text: "ingress:\n- action: Allow\n  destination:\n    notNets: [10.0.0.0/33]",
          message: "invalid CIDR ('10.0.0.0/33')", field: "\(r0).destination.notNets[0]", line: 4, column: 15),
    .init(id: "V13 CIDR garbage", text: "ingress:\n- action: Allow\n  source:\n    nets: [banana]",
          message: "invalid CIDR", field: "\(r0).source.nets[0]", line: 4, column: 12),

    // V14: ipVersion.
    .init(id: "V14 ipVersion 5", text: "ingress:\n- action: Allow\n  ipVersion: 5",
          message: "ipVersion must be 4 or 6", field: "\(r0).ipVersion", line: 3, column: 14),
    .init(id: "V14 ipVersion as a string", text: "ingress:\n- action: Allow\n  ipVersion: 'v4'",
          message: "expected an integer", field: "\(r0).ipVersion", line: 3, column: 14),

    // V15: protocol syntax.
    .init(id: "V15 protocol 0", text: "ingress:\n- action: Allow\n  protocol: 0",
          message: "protocol number invalid", field: "\(r0).protocol", line: 3, column: 13),
    .init(id: "V15 protocol name wrong case", text: "ingress:\n- action: Allow\n  protocol: tcp",
          message: "protocol name invalid ('tcp') (names are case-sensitive: did you mean 'TCP'?)", field: "\(r0).protocol", line: 3, column: 13),
    .init(id: "V15 protocol \"256\" is a name", text: "ingress:\n- action: Allow\n  notProtocol: '256'",
          message: "protocol name invalid", field: "\(r0).notProtocol", line: 3, column: 16),
    .init(id: "V15 protocol 256", text: "ingress:\n- action: Allow\n  protocol: 256",
          message: "protocol number invalid", field: "\(r0).protocol", line: 3, column: 13),

    // V16–V19: http.
    .init(id: "V16 http on a Deny rule", text: "ingress:\n- action: Deny\n  http:\n    methods: [GET]",
          message: "HTTP match is only valid on Allow rules", field: "\(r0).http", line: 4, column: 5),
    .init(id: "V17 http with UDP", text: "ingress:\n- action: Allow\n  protocol: UDP\n  http: {methods: [GET]}",
          message: "rules with HTTP match must have protocol TCP or unset", field: "\(r0).http", line: 4, column: 9),
    .init(id: "V18 http in an egress rule (NetworkPolicy)", text: "egress:\n- action: Allow\n  http: {methods: [GET]}",
          message: "not allowed in egress rule", field: "\(e0).http", line: 3, column: 9),
    .init(id: "V18 http in an egress rule (GlobalNetworkPolicy)", global: true, text: "egress:\n- action: Allow\n  http: {methods: [GET]}",
          message: "not allowed in egress rules", field: "\(e0).http", line: 3, column: 9),
    .init(id: "V19 duplicate methods", text: "ingress:\n- action: Allow\n  http:\n    methods: [GET, GET]",
          message: "Invalid methods (duplicates)", field: "\(r0).http.methods", line: 4, column: 14),
    .init(id: "V19 exact and prefix", text: "ingress:\n- action: Allow\n  http:\n    paths: [{exact: /a, prefix: /b}]",
          message: "Invalid path match. Both 'exact' and 'prefix' are set", field: "\(r0).http.paths[0]", line: 4, column: 13),
    .init(id: "V19 neither exact nor prefix", text: "ingress:\n- action: Allow\n  http:\n    paths: [{prefix: /ok}, {}]",
          message: "Invalid path match. Either 'exact' or 'prefix' must be set", field: "\(r0).http.paths[1]", line: 4, column: 28),
    .init(id: "V19 bad path", text: "ingress:\n- action: Allow\n  http:\n    paths: [{exact: 'a?b'}]",
          message: "Invalid path a?b (must start with / and not contain ? or #", field: "\(r0).http.paths[0]", line: 4, column: 13),

    // V20–V23: services rules need EndpointSlices; Verdict refuses them instead of half-evaluating.
    .init(id: "V20–V23 services are refused", text: "egress:\n- action: Allow\n  destination:\n    services: {name: kube-dns, namespace: kube-system}",
          message: "'services' rules are not supported by Verdict", field: "\(e0).destination.services", line: 4, column: 15),
    .init(id: "V20 services with ports", text: "egress:\n- action: Allow\n  protocol: TCP\n  destination:\n    services: {name: a, namespace: b}\n    ports: [80]",
          message: "ports and notPorts cannot be specified with services", field: "\(e0).destination.services", line: 5, column: 15),
    .init(id: "V21 services with selector", text: "egress:\n- action: Allow\n  destination:\n    services: {name: a}\n    notSelector: has(x)",
          message: "cannot specify Selector/NotSelector and Services on the same rule", field: "\(e0).destination.services", line: 4, column: 15),
    .init(id: "V21 services with namespaceSelector", text: "ingress:\n- action: Allow\n  source:\n    namespaceSelector: all()\n    services: {name: a}",
          message: "cannot specify NamespaceSelector and Services on the same rule", field: "\(r0).source.services", line: 5, column: 15),
    .init(id: "V21 services with serviceAccounts", text: "ingress:\n- action: Allow\n  source:\n    services: {name: a}\n    serviceAccounts: {names: [x]}",
          message: "cannot specify ServiceAccounts and Services on the same rule", field: "\(r0).source.services", line: 4, column: 15),
    .init(id: "V21 services with nets", text: "egress:\n- action: Allow\n  destination:\n    services: {name: a}\n    notNets: [10.0.0.0/8]",
          message: "cannot specify Nets/NotNets and Services on the same rule", field: "\(e0).destination.services", line: 4, column: 15),

    // V24/V25: global().
    .init(id: "V24 global() in the policy selector", text: "selector: global()",
          message: "global() can only be used in an EntityRule namespaceSelector", field: "spec.selector", line: 1, column: 11),
    .init(id: "V24 global() in serviceAccountSelector", text: "serviceAccountSelector: has(a) || global()",
          message: "global() can only be used in an EntityRule namespaceSelector", field: "spec.serviceAccountSelector", line: 1, column: 25),
    .init(id: "V24 global() in a GNP namespaceSelector", global: true, text: "namespaceSelector: global()",
          message: "global() can only be used in an EntityRule namespaceSelector", field: "spec.namespaceSelector", line: 1, column: 20),
    .init(id: "V24 global() in an EntityRule selector", text: "ingress:\n- action: Allow\n  source:\n    selector: global()",
          message: "global() can only be used in an EntityRule namespaceSelector", field: "\(r0).source.selector", line: 4, column: 15),
    .init(id: "V24 global() in an EntityRule notSelector", text: "ingress:\n- action: Allow\n  source:\n    notSelector: global()",
          message: "global() can only be used in an EntityRule namespaceSelector", field: "\(r0).source.notSelector", line: 4, column: 18),
    .init(id: "V24 global() in serviceAccounts.selector", text: "ingress:\n- action: Allow\n  source:\n    serviceAccounts: {selector: global()}",
          message: "global() can only be used in an EntityRule namespaceSelector", field: "\(r0).source.serviceAccounts.selector", line: 4, column: 33),
    .init(id: "V25 global() combined in a namespaceSelector", text: "egress:\n- action: Allow\n  destination:\n    namespaceSelector: global() && has(a)",
          message: "global() cannot be combined with other selectors", field: "\(e0).destination.namespaceSelector", line: 4, column: 24),

    // V26: selector syntax, positioned at the offending character.
    .init(id: "V26 invalid selector (plain scalar)", text: "selector: app == web",
          message: "invalid selector \"app == web\": expected string literal after '=='", field: "spec.selector", line: 1, column: 18),
    .init(id: "V26 message names Calico's field and tag", text: "ingress:\n- action: Allow\n  destination:\n    notSelector: has(",
          message: "(Calico: failed to validate Field: NotSelector because of Tag: selector)", field: "\(r0).destination.notSelector", line: 4, column: 22),
    .init(id: "V26 invalid selector (quoted scalar)", text: "ingress:\n- action: Allow\n  source:\n    selector: \"app == web\"",
          message: "invalid selector \"app == web\"", field: "\(r0).source.selector", line: 4, column: 23),

    // V27: types.
    .init(id: "V27 duplicate type", text: "types: [Ingress, Ingress]",
          message: "'Ingress' type specified more than once", field: "spec.types[1]", line: 1, column: 18),
    .init(id: "V27 type wrong case", text: "types: [egress]",
          message: "invalid type 'egress': must be Ingress or Egress (types are case-sensitive: 'Egress')", field: "spec.types[0]", line: 1, column: 9),
    .init(id: "V27 three types", text: "types: [Ingress, Egress, Ingress]",
          message: "at most 2 types", field: "spec.types", line: 1, column: 8),

    // V28–V30: GlobalNetworkPolicy flags.
    .init(id: "V28 preDNAT and doNotTrack", global: true, text: "doNotTrack: true\npreDNAT: true\napplyOnForward: true",
          message: "preDNAT and doNotTrack cannot both be true", field: "spec.preDNAT", line: 2, column: 10),
    .init(id: "V29 preDNAT with egress rules", global: true, text: "preDNAT: true\napplyOnForward: true\negress:\n- action: Allow",
          message: "preDNAT policy cannot have any egress rules", field: "spec.egress", line: 4, column: 1),
    .init(id: "V29 preDNAT with Egress type", global: true, text: "preDNAT: true\napplyOnForward: true\ntypes: [Ingress, Egress]",
          message: "preDNAT policy cannot have 'Egress' type", field: "spec.types", line: 3, column: 8),
    .init(id: "V30 doNotTrack without applyOnForward", global: true, text: "doNotTrack: true\ningress:\n- action: Allow",
          message: "applyOnForward must be true if either preDNAT or doNotTrack is true", field: "spec.applyOnForward", line: 1, column: 1),
    .init(id: "V30 preDNAT with applyOnForward false", global: true, text: "preDNAT: true\napplyOnForward: false",
          message: "applyOnForward must be true if either preDNAT or doNotTrack is true", field: "spec.applyOnForward", line: 2, column: 17),

    // V31: size limits.
    .init(id: "V31 more than 50 ports", text: "ingress:\n- action: Allow\n  protocol: TCP\n  destination:\n    ports: [\((1...51).map(String.init).joined(separator: ", "))]",
          message: "at most 50 ports (found 51)", field: "\(r0).destination.ports", line: 5, column: 12),
    .init(id: "V31 more than 256 nets", text: "ingress:\n- action: Allow\n  source:\n    nets: [\((0..<257).map { "10.0.\($0 / 256).\($0 % 256)/32" }.joined(separator: ", "))]",
          message: "at most 256 CIDRs (found 257)", field: "\(r0).source.nets", line: 4, column: 11),
    .init(id: "V31 selector longer than 1024 characters", text: "selector: \"has(\(String(repeating: "a", count: 1020)))\"",
          message: "selector is longer than 1024 characters", field: "spec.selector", line: 1, column: 11),
    .init(id: "V31 more than 1024 rules", text: "egress: [\(Array(repeating: "{action: Allow}", count: 1025).joined(separator: ", "))]",
          message: "at most 1024 rules per direction (found 1025)", field: "spec.egress", line: 1, column: 9),

    // V32: performanceHints.
    .init(id: "V32 unknown performance hint", text: "performanceHints: [Fast]",
          message: "invalid performance hint 'Fast'", field: "spec.performanceHints[0]", line: 1, column: 20),
    .init(id: "V32 repeated performance hint", text: "performanceHints: [AssumeNeededOnEveryNode, AssumeNeededOnEveryNode]",
          message: "performance hint 'AssumeNeededOnEveryNode' given more than once", field: "spec.performanceHints[1]", line: 1, column: 45),

    // V33: tiers.
    .init(id: "V33 default tier order", text: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: default\nspec:\n  order: 5\n",
          document: true, message: "default tier order must be 1000000", field: "spec.order", line: 6, column: 10),
    .init(id: "V33 default tier defaultAction", text: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: default\nspec:\n  order: 1000000\n  defaultAction: Pass\n",
          document: true, message: "default tier defaultAction must be Deny", field: "spec.defaultAction", line: 7, column: 18),
    .init(id: "V33 kube-admin tier defaultAction", text: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: kube-admin\nspec:\n  order: 1000\n  defaultAction: Deny\n",
          document: true, message: "kube-admin tier defaultAction must be Pass", field: "spec.defaultAction", line: 7, column: 18),
    .init(id: "V33 kube-baseline tier order", text: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: kube-baseline\nspec:\n  order: 1\n  defaultAction: Pass\n",
          document: true, message: "kube-baseline tier order must be 10000000", field: "spec.order", line: 6, column: 10),
    .init(id: "V33 defaultAction not Deny/Pass", text: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\nspec:\n  order: 100\n  defaultAction: Allow\n",
          document: true, message: "invalid defaultAction 'Allow': must be Deny or Pass", field: "spec.defaultAction", line: 7, column: 18),
    .init(id: "V33 tier name with a dot", text: "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: sec.urity\n",
          document: true, message: "invalid tier name 'sec.urity'", field: "metadata.name", line: 4, column: 9),

    // §1.5 port syntax.
    .init(id: "§1.5 port 0", text: "ingress:\n- action: Allow\n  protocol: TCP\n  destination:\n    ports: [0]",
          message: "port range invalid, port number must be between 1 and 65535", field: "\(r0).destination.ports[0]", line: 5, column: 13),
    .init(id: "§1.5 port 65536", text: "ingress:\n- action: Allow\n  protocol: TCP\n  destination:\n    ports: [65536]",
          message: "invalid port format (65536)", field: "\(r0).destination.ports[0]", line: 5, column: 13),
    .init(id: "§1.5 reversed range", text: "ingress:\n- action: Allow\n  protocol: UDP\n  source:\n    ports: ['90:80']",
          message: "minimum port number (90) is greater than maximum port number (80) in port range", field: "\(r0).source.ports[0]", line: 5, column: 13),
    .init(id: "§1.5 range with port 0", text: "ingress:\n- action: Allow\n  protocol: UDP\n  source:\n    ports: ['0:80']",
          message: "port range invalid, port number must be between 1 and 65535", field: "\(r0).source.ports[0]", line: 5, column: 13),
    .init(id: "§1.5 named port upper case", text: "ingress:\n- action: Allow\n  destination:\n    ports: [HTTP]",
          message: "invalid port name 'HTTP': must contain only lowercase letters, digits and '-'", field: "\(r0).destination.ports[0]", line: 4, column: 13),
    .init(id: "§1.5 named port too long", text: "ingress:\n- action: Allow\n  destination:\n    ports: [a-very-long-port-name]",
          message: "must be no more than 15 characters", field: "\(r0).destination.ports[0]", line: 4, column: 13),
    .init(id: "§1.5 named port with '--'", text: "ingress:\n- action: Allow\n  destination:\n    ports: [my--port]",
          message: "must not contain '--'", field: "\(r0).destination.ports[0]", line: 4, column: 13),
    .init(id: "§1.5 named port with a space", text: "ingress:\n- action: Allow\n  destination:\n    ports: ['my port']",
          message: "invalid port format (my port)", field: "\(r0).destination.ports[0]", line: 4, column: 13),

    // Names (§1.1).
    .init(id: "§1.1 policy name with upper case", text: "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: Allow_All\n",
          document: true, message: "invalid name 'Allow_All'", field: "metadata.name", line: 4, column: 9),
    .init(id: "§1.1 policy name with two dots", text: "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: a.b.c\n",
          document: true, message: "invalid name 'a.b.c'", field: "metadata.name", line: 4, column: 9),

    // Scalars of the wrong type.
    .init(id: "order is a number", text: "order: high", message: "expected a number, found 'high'", field: "spec.order", line: 1, column: 8),
    .init(id: "doNotTrack is a bool", global: true, text: "doNotTrack: yes please",
          message: "expected true or false", field: "spec.doNotTrack", line: 1, column: 13),
    .init(id: "ingress is a list", text: "ingress: {action: Allow}", message: "expected a list, found a mapping", field: "spec.ingress", line: 1, column: 10),
]

@Suite("Calico validation (SEMANTICS §1.6)")
struct ValidationTests {
    @Test("invalid policies are rejected with Calico's message, the field and its position", arguments: validationCases)
    func rejected(_ c: ValidationCase) {
        expectLoadError(c.yaml, message: c.message, field: c.field, line: c.fileLine, column: c.fileColumn)
    }

    @Test("V18: the NetworkPolicy message is exactly Calico's (no plural)")
    func v18Exact() {
        let e = inputError { () throws(InputError) in try load(policyYAML(global: false, spec: "egress:\n- action: Allow\n  http: {methods: [GET]}")) }
        #expect(e?.message == "not allowed in egress rule")
    }

    @Test("error descriptions read FILE:LINE:COL: error: FIELD: MESSAGE")
    func description() {
        let e = inputError { () throws(InputError) in
            try load(policyYAML(global: false, spec: "ingress:\n- action: Allow\n  protocol: ICMP\n  destination:\n    ports: [80]"), file: "p.yaml")
        }
        #expect(e?.description == "p.yaml:11:14: error: spec.ingress[0].destination.ports: rules that specify ports must set protocol to TCP or UDP or SCTP")
    }

    // MARK: Valid but surprising (MUST be accepted)

    private func onlyRule(_ spec: String, global: Bool = false) throws -> Rule {
        let p = try #require(try load(policyYAML(global: global, spec: spec)).policies.first)
        return try #require((p.ingress + p.egress).first)
    }

    @Test("ICMP without ipVersion is valid; the protocol name implies the family")
    func icmpWithoutIPVersion() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {type: 8, code: 0}")
        #expect(r.ipVersion == nil)
        #expect(r.protocol == .icmp)
        #expect(r.protocol?.impliedFamily == .v4)
        #expect(r.icmp == ICMPMatch(type: 8, code: 0))
        let r6 = try onlyRule("egress:\n- action: Allow\n  protocol: ICMPv6\n  icmp: {type: 128}")
        #expect(r6.protocol?.impliedFamily == .v6)
        #expect(r6.icmp == ICMPMatch(type: 128, code: nil))
    }

    @Test("icmp with protocol given by number is valid (3.32+)")
    func icmpByNumber() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  protocol: 1\n  icmp: {type: 0}")
        #expect(r.protocol == ProtocolSpec(number: 1, name: nil))
        #expect(r.protocol?.impliedFamily == nil)
        let r58 = try onlyRule("ingress:\n- action: Allow\n  protocol: '58'\n  notICMP: {type: 135}")
        #expect(r58.protocol?.number == 58)
    }

    @Test("an empty icmp match is valid in Calico (only code-without-type is rejected) and constrains nothing")
    func emptyICMP() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  protocol: ICMP\n  icmp: {}")
        #expect(r.icmp == nil)
        #expect(r.protocol == .icmp)
    }

    @Test("V4: a named port without protocol is valid")
    func namedPortWithoutProtocol() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  destination:\n    ports: [http, metrics]\n    notPorts: [admin]")
        #expect(r.protocol == nil)
        #expect(r.destination.ports == [.named("http"), .named("metrics")])
        #expect(r.destination.notPorts == [.named("admin")])
    }

    @Test("an empty ports list is valid with any protocol, and is no constraint")
    func emptyPorts() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  protocol: ICMP\n  destination:\n    ports: []\n    notPorts: []\n  source:\n    ports: []")
        #expect(r.destination.ports.isEmpty && r.destination.notPorts.isEmpty && r.source.ports.isEmpty)
        let none = try onlyRule("ingress:\n- action: Allow\n  destination:\n    ports: []")
        #expect(none.protocol == nil)
    }

    @Test("notICMP without a protocol is accepted by validation")
    func notICMPWithoutProtocol() throws {
        let r = try onlyRule("ingress:\n- action: Deny\n  notICMP: {type: 8}")
        #expect(r.protocol == nil)
        #expect(r.notICMP == ICMPMatch(type: 8, code: nil))
    }

    @Test("positive and negative versions of a field together are valid")
    func bothPolarities() throws {
        let r = try onlyRule("""
        ingress:
        - action: Allow
          protocol: TCP
          notProtocol: UDP
          source:
            nets: [10.0.0.0/8]
            notNets: [10.1.0.0/16]
            selector: has(a)
            notSelector: has(b)
          destination:
            ports: ['1000:2000']
            notPorts: [1500]
        """)
        #expect(r.protocol == .tcp)
        #expect(r.notProtocol == .udp)
        #expect(r.source.nets.map(\.description) == ["10.0.0.0/8"])
        #expect(r.source.notNets.map(\.description) == ["10.1.0.0/16"])
        #expect(r.destination.ports == [.range(1000, 2000)])
        #expect(r.destination.notPorts == [.range(1500, 1500)])
    }

    @Test("ports: integers, numeric strings, ranges and names")
    func portForms() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  protocol: SCTP\n  destination:\n    ports: [80, '443', '8000:8080', 65535, '1:1', dns-tcp]")
        #expect(r.destination.ports == [.range(80, 80), .range(443, 443), .range(8000, 8080), .range(65535, 65535), .range(1, 1), .named("dns-tcp")])
        #expect(r.destination.ports.map(\.description) == ["80", "443", "8000:8080", "65535", "1", "dns-tcp"])
    }

    @Test("protocols by name and number; catch-all only forbidden in notNets")
    func protocolsAndNets() throws {
        for (text, number) in [("TCP", 6), ("UDP", 17), ("ICMP", 1), ("ICMPv6", 58), ("SCTP", 132), ("UDPLite", 136), ("47", 47), ("'6'", 6), ("255", 255)] {
            let r = try onlyRule("ingress:\n- action: Allow\n  protocol: \(text)")
            #expect(r.protocol?.number == UInt8(number), "\(text)")
        }
        let r = try onlyRule("ingress:\n- action: Allow\n  source:\n    nets: ['0.0.0.0/0']\n    notNets: [0.0.0.0/1]")
        #expect(r.source.nets.first?.isCatchAll == true)
    }

    @Test("a rule's metadata annotations are accepted and have no effect")
    func ruleMetadata() throws {
        let r = try onlyRule("ingress:\n- action: Log\n  metadata:\n    annotations: {owner: team-a}")
        #expect(r.action == .log)
        expectLoadError(policyYAML(global: false, spec: "ingress:\n- action: Log\n  metadata:\n    labels: {a: b}"),
                        message: "unknown field 'labels'", field: "spec.ingress[0].metadata.labels", line: 10, column: 7)
    }

    @Test("a valid http match is kept as a flag (L7 is not evaluated)")
    func httpAccepted() throws {
        let r = try onlyRule("ingress:\n- action: Allow\n  protocol: TCP\n  http:\n    methods: [GET, PUT]\n    paths: [{exact: /a}, {prefix: /b/}]")
        #expect(r.hasHTTPMatch)
    }

    @Test("the built-in tiers may be declared with their fixed values; a user tier gets its own")
    func validTiers() throws {
        let text = documents(
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: default}\nspec: {order: 1000000, defaultAction: Deny}\n",
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: kube-admin}\nspec: {order: 1000, defaultAction: Pass}\n",
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100.5, defaultAction: Pass}\n",
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: unordered}\n")
        let tiers = try load(text).tiers
        #expect(tiers.map(\.name) == ["default", "kube-admin", "security", "unordered"])
        #expect(tiers[2].order == 100.5)
        #expect(tiers[2].defaultAction == .pass)
        #expect(tiers[3].order == nil)
        #expect(tiers[3].defaultAction == .deny)
    }

    @Test("policy names: label, tier.label, and the knp./ossg. prefixes for NetworkPolicy")
    func validNames() throws {
        for name in ["a", "allow-all", "security.allow", "knp.default.my.policy", "ossg.default.x"] {
            let text = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: '\(name)', namespace: prod}\n"
            #expect(inputError { () throws(InputError) in try load(text) } == nil, "\(name)")
        }
        let gnpKnp = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: knp.default.x}\n"
        #expect(inputError { () throws(InputError) in try load(gnpKnp) }?.message.contains("invalid name") == true)
    }
}

@Suite("types defaulting (SEMANTICS §2.1)")
struct TypesDefaultingTests {
    @Test("Calico: types from the rules present when types is omitted or empty", arguments: [
        ("", [Direction.ingress]),
        ("ingress: [{action: Allow}]", [.ingress]),
        ("egress: [{action: Allow}]", [.egress]),
        ("ingress: [{action: Allow}]\negress: [{action: Deny}]", [.ingress, .egress]),
        ("ingress: []\negress: []", [.ingress]),
        ("ingress: []\negress: [{action: Allow}]", [.egress]),
        ("types: []\negress: [{action: Allow}]", [.egress]),
        ("types: [Egress]", [.egress]),
        ("types: [Egress, Ingress]", [.egress, .ingress]),
        ("types: [Ingress]\negress: [{action: Allow}]", [.ingress]),
        ("types: [Egress]\ningress: [{action: Allow}]", [.egress]),
    ])
    func calico(_ spec: String, _ expected: [Direction]) throws {
        for global in [false, true] {
            let p = try #require(try load(policyYAML(global: global, spec: spec)).policies.first)
            #expect(p.types == expected, "global: \(global)")
        }
    }

    @Test("Kubernetes: Ingress always, Egress only with egress rules, unless policyTypes says otherwise (§3.2)", arguments: [
        ("", [Direction.ingress], 0, 0),
        ("ingress: [{}]", [.ingress], 1, 0),
        ("egress: [{}]", [.ingress, .egress], 0, 1),
        ("egress: []", [.ingress], 0, 0),
        ("policyTypes: []\negress: [{}]", [.ingress, .egress], 0, 1),
        ("policyTypes: [Egress]", [.egress], 0, 0),
        ("policyTypes: [Egress]\ningress: [{}]\negress: [{}]", [.egress], 0, 1),
        ("policyTypes: [Ingress]\negress: [{}]", [.ingress], 0, 0),
        ("policyTypes: [Ingress, Egress]", [.ingress, .egress], 0, 0),
    ])
    func kubernetes(_ spec: String, _ expected: [Direction], _ ingressRules: Int, _ egressRules: Int) throws {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: prod}\nspec:\n  podSelector: {}\n"
            + spec.split(separator: "\n").map { "  \($0)\n" }.joined()
        let p = try #require(try load(text).policies.first)
        #expect(p.types == expected)
        #expect(p.ingress.count == ingressRules)
        #expect(p.egress.count == egressRules)
    }

    @Test("Kubernetes policyTypes values are checked")
    func kubernetesPolicyTypeErrors() {
        let base = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: prod}\nspec:\n"
        expectLoadError(base + "  policyTypes: [ingress]\n", message: "Unsupported value: \"ingress\": supported values: \"Ingress\", \"Egress\"",
                        field: "spec.policyTypes[0]", line: 5, column: 17)
        expectLoadError(base + "  policyTypes: [Egress, Egress]\n", message: "Duplicate value: \"Egress\"",
                        field: "spec.policyTypes[1]", line: 5, column: 25)
    }
}

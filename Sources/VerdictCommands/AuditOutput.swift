// How `verdict audit` prints its report: JSON (kind AuditReport), a readable table, SARIF 2.1.0.

import Audit
import PolicyModel

enum AuditJSON {
    static func location(_ l: SourceLocation?) -> [(String, JSONValue)] {
        guard let l, l.line > 0 else { return [("file", .null), ("line", .null)] }
        return [("file", .string(l.file)), ("line", .int(l.line))]
    }

    static func strings(_ s: [String]) -> JSONValue { .array(s.map(JSONValue.string)) }

    static func report(_ r: AuditReport) -> JSONValue {
        .object([
            ("apiVersion", .string(AuditReport.apiVersion)),
            ("kind", .string(AuditReport.kind)),
            ("schemaVersion", .int(AuditReport.schemaVersion)),
            ("inputs", strings(r.inputs)),
            ("summary", summary(r)),
            ("policies", .array(r.policies.map(policy))),
            ("namespaces", .array(r.namespaces.map(namespace))),
            ("endpoints", .array(r.endpoints.map(endpoint))),
            ("findings", .array(r.findings.map(finding))),
            ("checks", .array(r.checks.map { c in
                .object([("id", .string(c.id)), ("name", .optional(FindingKind.kind(c.id)?.name)), ("ran", .bool(c.ran)), ("note", .optional(c.note))])
            })),
            ("connectivity", r.probes == nil && r.capture == nil ? .null : .object([
                ("probes", r.probes.map { .array($0.map(probe)) } ?? .null),
                ("capture", r.capture.map(capture) ?? .null),
            ])),
        ])
    }

    static func summary(_ r: AuditReport) -> JSONValue {
        let open = r.namespaces.filter { ns in Direction.allCases.contains { [.unprotected, .partial].contains(ns.status($0)) } }
        var f: [(String, JSONValue)] = [
            ("policies", .int(r.policies.count)), ("endpoints", .int(r.endpoints.count)), ("namespaces", .int(r.namespaces.count)),
            ("unprotectedNamespaces", .array(open.map { ns in
                .object([("name", .string(ns.name)), ("ingress", .string(ns.status(.ingress).rawValue)), ("egress", .string(ns.status(.egress).rawValue))])
            })),
            ("findings", .object([("error", .int(r.count(.error))), ("warning", .int(r.count(.warning))), ("info", .int(r.count(.info)))])),
        ]
        if let probes = r.probes {
            let expectations = probes.filter { $0.pass != nil }.count
            f.append(("probes", .object([("probes", .int(probes.count)), ("allowed", .int(probes.filter { $0.actual == "allow" }.count)),
                                         ("denied", .int(probes.filter { $0.actual != "allow" }.count)),
                                         ("expectations", .int(expectations)), ("failed", .int(probes.filter { $0.pass == false }.count))])))
        }
        return .object(f)
    }

    static func policy(_ p: PolicySummary) -> JSONValue {
        var f: [(String, JSONValue)] = [
            ("kind", .string(p.kind.rawValue)), ("name", .string(p.name)), ("namespace", .optional(p.namespace)), ("tier", .string(p.tier)),
            ("order", p.order.map(JSONValue.double) ?? .null), ("selector", .string(p.selector)),
            ("types", strings(p.types.map(\.typeName))), ("selects", strings(p.selects)),
            ("ingressRules", .int(p.ingressRules)), ("egressRules", .int(p.egressRules)),
        ]
        if !p.flags.isEmpty { f.append(("flags", strings(p.flags))) }
        return .object(f + location(p.location))
    }

    static func namespace(_ n: NamespaceSummary) -> JSONValue {
        func direction(_ d: NamespaceSummary.DirectionStatus) -> JSONValue {
            .object([("defaultDeny", .string(d.status.rawValue)), ("policies", strings(d.policies)), ("unprotectedEndpoints", strings(d.unprotected))])
        }
        return .object([("name", .string(n.name)), ("endpoints", .int(n.endpoints)), ("ingress", direction(n.ingress)), ("egress", direction(n.egress))]
                       + location(n.location))
    }

    static func endpoint(_ e: EndpointSummary) -> JSONValue {
        func protection(_ p: EndpointProtection) -> JSONValue {
            .object([("defaultDeny", .bool(p.defaultDeny)), ("tier", .optional(p.tier)), ("policies", strings(p.policies)), ("reason", .string(p.reason))])
        }
        return .object([("id", .string(e.id)), ("kind", .string(e.kind)), ("namespace", .optional(e.namespace)), ("addresses", strings(e.addresses)),
                        ("ingress", protection(e.ingress)), ("egress", protection(e.egress))])
    }

    static func finding(_ f: Finding) -> JSONValue {
        .object([("id", .string(f.id)), ("severity", .string(f.severity.rawValue)), ("message", .string(f.message)), ("resource", .string(f.resource)),
                 ("rule", .optional(f.rule)), ("direction", .optional(f.direction?.rawValue))]
                + location(f.location) + [("column", f.location.map { .int($0.column) } ?? .null)])
    }

    static func probe(_ p: ProbeResult) -> JSONValue {
        .object([("id", .string(p.id)), ("description", .optional(p.description)), ("src", .string(p.source)), ("dst", .string(p.destination)),
                 ("packet", .string(p.packet)), ("expect", .optional(p.expect)), ("actual", .string(p.actual)),
                 ("pass", p.pass.map(JSONValue.bool) ?? .null), ("decidedBy", p.decidedBy.map(point) ?? .null)] + location(p.location))
    }

    static func point(_ d: DecidingPoint) -> JSONValue {
        .object([("endpoint", .string(d.endpoint)), ("direction", .string(d.direction.rawValue)), ("stage", .string(d.stage)),
                 ("verdict", .string(d.verdict)), ("reason", .string(d.reason)), ("tier", .optional(d.tier)), ("policy", .optional(d.policy)),
                 ("policyKind", .optional(d.policyKind)), ("rule", .optional(d.rule)), ("action", .optional(d.action)), ("summary", .string(d.summary))])
    }

    static func capture(_ c: CaptureSummary) -> JSONValue {
        .object([("file", .string(c.file)), ("packets", .int(c.packets)), ("allowed", .int(c.allowed)), ("denied", .int(c.denied)),
                 ("unparsed", .int(c.unparsed)), ("flows", .int(c.flows)), ("flowsWithDenied", .int(c.deniedFlows.count)),
                 ("deniedFlows", .array(c.deniedFlows.map { f in
                     .object([("flow", .int(f.flow)), ("firstPacket", .int(f.firstPacket)), ("packet", .string(f.packet)), ("decidedBy", .string(f.decidedBy))])
                 })),
                 ("rulesNeverHit", .int(c.unhitRules.count))])
    }
}

enum AuditTable {
    static func render(_ r: AuditReport) -> String {
        var out: [String] = []
        let workloadNamespaces = r.namespaces.filter { $0.endpoints > 0 }.count
        out.append("audit: \(r.policies.count) policies, \(r.endpoints.count) endpoints, \(r.namespaces.count) namespaces (\(workloadNamespaces) with endpoints)")

        out.append("")
        out.append("POLICIES")
        if r.policies.isEmpty {
            out.append("  (none)")
        } else {
            var rows = [["KIND", "POLICY", "TIER", "ORDER", "TYPES", "SELECTS", "IN", "OUT", "LOCATION"]]
            for p in r.policies {
                let order = p.order.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? "-"
                rows.append([p.kind.rawValue, p.namespace.map { "\($0)/\(p.name)" } ?? p.name, p.tier, order,
                             p.types.map(\.typeName).joined(separator: ","), String(p.selects.count),
                             String(p.ingressRules), String(p.egressRules), location(p.location)])
            }
            out.append(renderTable(rows))
        }

        out.append("")
        out.append("NAMESPACES (default deny: a packet no rule matches is denied)")
        var rows = [["NAMESPACE", "ENDPOINTS", "INGRESS", "EGRESS"]]
        for n in r.namespaces {
            func cell(_ d: NamespaceSummary.DirectionStatus) -> String {
                d.status == .partial ? "partial (open: \(d.unprotected.joined(separator: ", ")))" : d.status.rawValue
            }
            rows.append([n.name, String(n.endpoints), cell(n.ingress), cell(n.egress)])
        }
        out.append(renderTable(rows))
        let hosts = r.endpoints.filter { $0.kind == "HostEndpoint" }
        if !hosts.isEmpty {
            out.append("host endpoints: " + hosts.map { h in
                "\(h.id) ingress \(h.ingress.defaultDeny ? "default-deny" : "open"), egress \(h.egress.defaultDeny ? "default-deny" : "open")"
            }.joined(separator: "; "))
        }

        out.append("")
        out.append("FINDINGS")
        if r.findings.isEmpty {
            out.append("  (none)")
        } else {
            var rows = [["SEVERITY", "ID", "RESOURCE", "RULE", "LOCATION", "MESSAGE"]]
            for f in r.findings {
                let rule = f.rule.map { i in (f.direction.map { "\($0.rawValue) " } ?? "") + String(i) } ?? f.direction?.rawValue ?? "-"
                rows.append([f.severity.rawValue, f.id, f.resource, rule, location(f.location), f.message])
            }
            out.append(renderTable(rows))
        }

        if let probes = r.probes {
            out.append("")
            out.append("CONNECTIVITY (probes)")
            var rows = [["ID", "SOURCE", "DESTINATION", "PACKET", "EXPECT", "ACTUAL", "DECIDED BY"]]
            for p in probes {
                let expect = p.expect.map { $0 + (p.pass == true ? " ok" : " FAILED") } ?? "-"
                rows.append([p.id, p.source, p.destination, p.packet, expect, p.actual, p.decidedBy?.summary ?? "no policing point"])
            }
            out.append(renderTable(rows))
            let expectations = probes.filter { $0.pass != nil }.count
            out.append("\(probes.count) probes: \(probes.filter { $0.actual == "allow" }.count) allowed; "
                       + "\(probes.filter { $0.pass == true }.count) of \(expectations) expectations held")
        }
        if let c = r.capture {
            out.append("")
            out.append("CONNECTIVITY (capture \(c.file))")
            out.append("packets \(c.packets): \(c.allowed) allowed, \(c.denied) denied, \(c.unparsed) unparsed; flows \(c.flows), \(c.deniedFlows.count) with denied packets")
            if !c.deniedFlows.isEmpty {
                var rows = [["FLOW", "FIRST DENIED", "PACKET", "DECIDED BY"]]
                for f in c.deniedFlows { rows.append([String(f.flow), String(f.firstPacket), f.packet, f.decidedBy]) }
                out.append(renderTable(rows))
            }
            out.append("policy rules never hit: \(c.unhitRules.count)")
        }

        out.append("")
        let skipped = r.checks.filter { !$0.ran }
        if !skipped.isEmpty {
            out.append("not checked: " + skipped.map { "\($0.id) (\($0.note ?? "skipped"))" }.joined(separator: "; "))
        }
        out.append("\(r.findings.count) finding\(r.findings.count == 1 ? "" : "s"): \(r.count(.error)) error, \(r.count(.warning)) warning, \(r.count(.info)) info")
        return out.joined(separator: "\n")
    }

    static func location(_ l: SourceLocation?) -> String {
        guard let l, l.line > 0 else { return "-" }
        return "\(l.file):\(l.line)"
    }
}

/// SARIF 2.1.0 (OASIS): one run, the catalog as tool.driver.rules, one result per finding.
enum AuditSARIF {
    static let schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

    static func log(_ r: AuditReport) -> JSONValue {
        let catalog = FindingKind.catalog
        let rules: [JSONValue] = catalog.map { k in
            .object([("id", .string(k.id)), ("name", .string(k.name)),
                     ("shortDescription", .object([("text", .string(k.shortDescription))])),
                     ("fullDescription", .object([("text", .string(k.fullDescription))])),
                     ("defaultConfiguration", .object([("level", .string(k.defaultSeverity.sarifLevel))]))])
        }
        let results: [JSONValue] = r.findings.map { f in
            var fields: [(String, JSONValue)] = [
                ("ruleId", .string(f.id)),
                ("ruleIndex", catalog.firstIndex { $0.id == f.id }.map(JSONValue.int) ?? .null),
                ("level", .string(f.severity.sarifLevel)),
                ("message", .object([("text", .string(f.message))])),
            ]
            var locations: [JSONValue] = []
            if let l = f.location, l.line > 0 {
                locations.append(.object([
                    ("physicalLocation", .object([
                        ("artifactLocation", .object([("uri", .string(uri(l.file)))])),
                        ("region", .object([("startLine", .int(l.line)), ("startColumn", .int(max(1, l.column)))])),
                    ])),
                    ("logicalLocations", .array([.object([("fullyQualifiedName", .string(f.resource)), ("kind", .string("resource"))])])),
                ]))
            } else {
                locations.append(.object([("logicalLocations", .array([.object([("fullyQualifiedName", .string(f.resource)), ("kind", .string("resource"))])]))]))
            }
            fields.append(("locations", .array(locations)))
            var properties: [(String, JSONValue)] = [("resource", .string(f.resource))]
            if let rule = f.rule { properties.append(("rule", .int(rule))) }
            if let d = f.direction { properties.append(("direction", .string(d.rawValue))) }
            fields.append(("properties", .object(properties)))
            return .object(fields)
        }
        return .object([
            ("$schema", .string(schema)),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("verdict")),
                    ("version", .string(VerdictCommand.configuration.version)),
                    ("rules", .array(rules)),
                ]))])),
                ("results", .array(results)),
            ])])),
        ])
    }

    /// A relative path stays a relative URI reference (resolved against the working directory, as
    /// code-scanning tools expect); an absolute one becomes a file: URI. Spaces and the like are
    /// percent-encoded.
    static func uri(_ path: String) -> String {
        var allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".unicodeScalars)
        allowed.insert(":")
        var s = ""
        for b in path.utf8 {
            let u = Unicode.Scalar(b)
            if b < 0x80 && allowed.contains(u) { s.unicodeScalars.append(u) } else { s += "%" + String(format2(b)) }
        }
        return path.hasPrefix("/") ? "file://" + s : s
    }

    private static func format2(_ b: UInt8) -> String {
        let h = String(b, radix: 16, uppercase: true)
        return h.count == 1 ? "0" + h : h
    }
}

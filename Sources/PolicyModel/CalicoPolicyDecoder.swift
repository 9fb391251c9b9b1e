// Calico NetworkPolicy, GlobalNetworkPolicy, Tier, Profile and (Global)NetworkSet, validated with
// Calico's rules and messages (SEMANTICS §1.2–§1.6). Strict: unknown fields are errors.

import Addresses
import Selectors

enum CalicoPolicyDecoder {
    static let npSpecFields: Set<String> = ["tier", "order", "selector", "serviceAccountSelector", "types", "ingress", "egress", "performanceHints"]
    static let gnpSpecFields: Set<String> = npSpecFields.union(["namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward"])
    static let ruleFields: Set<String> = ["action", "ipVersion", "protocol", "notProtocol", "icmp", "notICMP", "source", "destination", "http", "metadata"]
    static let entityFields: Set<String> = ["nets", "notNets", "selector", "notSelector", "namespaceSelector", "ports", "notPorts", "serviceAccounts", "services"]

    static func policy(spec: Cursor?, meta: Metadata, global: Bool, parent: Cursor) throws(InputError) -> Policy {
        let kind: PolicyKind = global ? .globalNetworkPolicy : .networkPolicy
        try validatePolicyName(meta, global: global)
        let specCursor = spec ?? Cursor.emptyMapping(file: parent.file, path: "spec")
        let f = try specCursor.fields(allowed: global ? gnpSpecFields : npSpecFields, strict: true)

        var namespace: String? = nil
        if !global { namespace = meta.namespace ?? "default" }

        let tier = try f["tier"]?.nonEmptyString() ?? "default"
        let order = try f["order"]?.double()
        // An omitted selector is the empty selector (all()), but it must stay "empty" for the GNP
        // namespaceSelector rewrite, which only prepends a selector that was written (§2.2).
        let selector = try f["selector"].map { c throws(InputError) in try noGlobal(Values.selector(c), c) } ?? Self.emptySelector
        let saSelector = try f["serviceAccountSelector"].map { c throws(InputError) in try noGlobal(Values.selector(c), c) }
        let nsSelector = try f["namespaceSelector"].map { c throws(InputError) in try noGlobal(Values.selector(c), c) }

        var types: [Direction] = []
        if let tc = f["types"] {
            let items = try tc.sequence()
            if items.count > 2 { throw tc.error("at most 2 types (Ingress, Egress) may be given") }
            for item in items {
                let s = try item.string()
                guard let d = Direction.allCases.first(where: { $0.typeName == s }) else {
                    let hint = Direction.allCases.first { $0.typeName.lowercased() == s.lowercased() }.map { " (types are case-sensitive: '\($0.typeName)')" } ?? ""
                    throw item.error("invalid type '\(s)': must be Ingress or Egress\(hint)")
                }
                if types.contains(d) { throw item.error("'\(d.typeName)' type specified more than once") }
                types.append(d)
            }
        }

        if let hc = f["performanceHints"] {
            var seen: Set<String> = []
            for item in try hc.sequence() {
                let s = try item.string()
                guard s == "AssumeNeededOnEveryNode" else { throw item.error("invalid performance hint '\(s)': the only hint is AssumeNeededOnEveryNode") }
                if !seen.insert(s).inserted { throw item.error("performance hint '\(s)' given more than once") }
            }
        }

        let doNotTrack = try f["doNotTrack"]?.bool() ?? false
        let preDNAT = try f["preDNAT"]?.bool() ?? false
        let applyOnForward = try f["applyOnForward"]?.bool() ?? false

        let ingress = try rules(f["ingress"], context: .init(global: global, direction: .ingress))
        let egress = try rules(f["egress"], context: .init(global: global, direction: .egress))

        // Types defaulting (DEFAULTS; SEMANTICS §2.1).
        if types.isEmpty {
            types = egress.isEmpty ? [.ingress] : (ingress.isEmpty ? [.egress] : [.ingress, .egress])
        }

        // GNP flag combinations (V28–V30).
        if preDNAT && doNotTrack { throw f["preDNAT"]!.error("preDNAT and doNotTrack cannot both be true") }
        if preDNAT && !egress.isEmpty { throw (f["egress"] ?? specCursor).error("preDNAT policy cannot have any egress rules") }
        if preDNAT && types.contains(.egress) { throw (f["types"] ?? specCursor).error("preDNAT policy cannot have 'Egress' type") }
        if (preDNAT || doNotTrack) && !applyOnForward {
            throw InputError((f["applyOnForward"] ?? specCursor).location, field: specCursor.join("applyOnForward"),
                             "applyOnForward must be true if either preDNAT or doNotTrack is true")
        }

        var p = Policy(kind: kind, name: meta.name, namespace: namespace, tier: tier, order: order, selector: selector,
                       namespaceSelector: nsSelector, serviceAccountSelector: saSelector, types: types,
                       ingress: ingress, egress: egress, doNotTrack: doNotTrack, preDNAT: preDNAT,
                       applyOnForward: applyOnForward, location: meta.cursor.location, endpointSelector: selector)
        Normalizer.finishPolicy(&p)
        return p
    }

    static let emptySelector = try! Selector(parsing: "")

    static func noGlobal(_ s: Selector, _ c: Cursor) throws(InputError) -> Selector {
        if s.containsGlobal { throw c.error("global() can only be used in an EntityRule namespaceSelector") }
        return s
    }

    static func validatePolicyName(_ meta: Metadata, global: Bool) throws(InputError) {
        let n = meta.name
        let parts = n.split(separator: ".", omittingEmptySubsequences: false)
        var ok = n.count <= 253 && (parts.count == 1 || parts.count == 2) && parts.allSatisfy(Values.isDNS1123Label)
        if !global, !ok, n.hasPrefix("knp.default.") || n.hasPrefix("ossg.default.") {
            ok = Values.isDNS1123Subdomain(String(n.dropFirst(n.hasPrefix("knp.") ? 12 : 13)))
        }
        if !ok {
            throw meta.cursor.error("invalid name '\(n)': must be a lowercase DNS-1123 label, optionally prefixed with 'tier.' (at most 253 characters)")
        }
    }

    struct RuleContext {
        var global: Bool
        var direction: Direction
        var isProfile = false
    }

    static func rules(_ c: Cursor?, context: RuleContext) throws(InputError) -> [Rule] {
        guard let c else { return [] }
        let items = try c.sequence()
        if items.count > 1024 { throw c.error("at most 1024 rules per direction (found \(items.count))") }
        var out: [Rule] = []
        for item in items { out.append(try rule(item, context: context)) }
        return out
    }

    static func rule(_ c: Cursor, context: RuleContext) throws(InputError) -> Rule {
        let f = try c.fields(allowed: ruleFields, strict: true)
        let ac = try f.required("action")
        let actionText = try ac.string()
        guard let action = RuleAction(rawValue: actionText) else {
            let hint = [RuleAction.allow, .deny, .log, .pass].first { $0.rawValue.lowercased() == actionText.lowercased() }
                .map { " (actions are case-sensitive: '\($0.rawValue)')" } ?? ""
            throw ac.error("invalid action '\(actionText)': must be one of Allow, Deny, Log, Pass\(hint)")
        }
        var r = Rule(action: action, location: c.location)

        if let vc = f["ipVersion"] {
            let v = try vc.int()
            guard v == 4 || v == 6 else { throw vc.error("ipVersion must be 4 or 6 (found \(v))") }
            r.ipVersion = v == 4 ? .v4 : .v6
        }
        r.protocol = try f["protocol"].map { c throws(InputError) in try Values.protocol(c) }
        r.notProtocol = try f["notProtocol"].map { c throws(InputError) in try Values.protocol(c) }
        r.icmp = try f["icmp"].flatMap { c throws(InputError) in try icmpFields(c) }
        r.notICMP = try f["notICMP"].flatMap { c throws(InputError) in try icmpFields(c) }
        r.source = try entity(f["source"], path: c.join("source"), context: context, isSource: true)
        r.destination = try entity(f["destination"], path: c.join("destination"), context: context, isSource: false)
        if let mc = f["metadata"] {
            let mf = try mc.fields(allowed: ["annotations"], strict: true)
            _ = try mf["annotations"]?.stringMap()
        }
        if let hc = f["http"] {
            try http(hc, rule: r, context: context)
            r.hasHTTPMatch = true
        }
        try validate(r, fields: f, cursor: c)
        return r
    }

    /// Nil for `{}`: Calico accepts an empty ICMP match, which constrains nothing (only a code
    /// without a type is invalid, V6).
    static func icmpFields(_ c: Cursor) throws(InputError) -> ICMPMatch? {
        let f = try c.fields(allowed: ["type", "code"], strict: true)
        let type = try f["type"].map { t throws(InputError) in try t.int() }
        let code = try f["code"].map { t throws(InputError) in try t.int() }
        if let t = type, !(0...254).contains(t) { throw f["type"]!.error("ICMP type must be between 0 and 254 (found \(t))") }
        if let k = code, !(0...255).contains(k) { throw f["code"]!.error("ICMP code must be between 0 and 255 (found \(k))") }
        guard let t = type else {
            if code != nil { throw f["code"]!.error("ICMP code specified without an ICMP type") }
            return nil
        }
        return ICMPMatch(type: UInt8(t), code: code.map { UInt8($0) })
    }

    static func http(_ c: Cursor, rule: Rule, context: RuleContext) throws(InputError) {
        let f = try c.fields(allowed: ["methods", "paths"], strict: true)
        if rule.action != .allow { throw c.error("HTTP match is only valid on Allow rules") }
        if let p = rule.protocol, p.number != 6 { throw c.error("rules with HTTP match must have protocol TCP or unset") }
        if context.direction == .egress { throw c.error(context.global ? "not allowed in egress rules" : "not allowed in egress rule") }
        if let mc = f["methods"] {
            let methods = try mc.stringList()
            if Set(methods).count != methods.count { throw mc.error("Invalid methods (duplicates): \(methods)") }
        }
        for pc in try f["paths"]?.sequence() ?? [] {
            let pf = try pc.fields(allowed: ["exact", "prefix"], strict: true)
            let exact = try pf["exact"]?.string(), prefix = try pf["prefix"]?.string()
            if exact != nil && prefix != nil { throw pc.error("Invalid path match. Both 'exact' and 'prefix' are set") }
            guard let path = exact ?? prefix else { throw pc.error("Invalid path match. Either 'exact' or 'prefix' must be set") }
            if !path.hasPrefix("/") || path.contains("?") || path.contains("#") {
                throw pc.error("Invalid path \(path) (must start with / and not contain ? or #)")
            }
        }
    }

    static func entity(_ c: Cursor?, path: String, context: RuleContext, isSource: Bool) throws(InputError) -> EntityRule {
        var e = EntityRule()
        guard let c else { return e }
        let f = try c.fields(allowed: entityFields, strict: true)
        if let sc = f["services"] {
            // Calico's own combination errors (V21) come first, so a mistake is named as Calico names it.
            let combos: [(String, [String])] = [
                ("cannot specify NamespaceSelector and Services on the same rule", ["namespaceSelector"]),
                ("cannot specify Selector/NotSelector and Services on the same rule", ["selector", "notSelector"]),
                ("cannot specify ServiceAccounts and Services on the same rule", ["serviceAccounts"]),
                ("cannot specify Nets/NotNets and Services on the same rule", ["nets", "notNets"]),
            ]
            for (message, keys) in combos where keys.contains(where: { f[$0] != nil }) { throw sc.error(message) }
            if !isSource && (f["ports"] != nil || f["notPorts"] != nil) { throw sc.error("ports and notPorts cannot be specified with services") }
            // Services in rules need EndpointSlices, which the inventory does not model. Refuse rather
            // than evaluate a rule without its main condition.
            throw sc.error("'services' rules are not supported by Verdict (they need Kubernetes EndpointSlices); use a selector or nets instead")
        }
        for (key, isNeg) in [("nets", false), ("notNets", true)] {
            guard let nc = f[key] else { continue }
            let items = try nc.sequence()
            if items.count > 256 { throw nc.error("at most 256 CIDRs (found \(items.count))") }
            var list: [CIDR] = []
            for item in items {
                let cidr = try Values.strictCIDR(item)
                if isNeg && cidr.isCatchAll { throw item.error("catch-all CIDR in negation creates logical contradiction (matches no traffic)") }
                list.append(cidr)
            }
            if isNeg { e.notNets = list } else { e.nets = list }
        }
        e.selector = try f["selector"].map { s throws(InputError) in try noGlobal(Values.selector(s), s) }
        e.notSelector = try f["notSelector"].map { s throws(InputError) in try noGlobal(Values.selector(s), s) }
        if let nc = f["namespaceSelector"] {
            let s = try Values.selector(nc)
            if s.containsGlobal && !s.isExactlyGlobal { throw nc.error("global() cannot be combined with other selectors") }
            e.namespaceSelector = s
        }
        for (key, isNeg) in [("ports", false), ("notPorts", true)] {
            guard let pc = f[key] else { continue }
            let items = try pc.sequence()
            if items.count > 50 { throw pc.error("at most 50 ports (found \(items.count))") }
            var list: [PortSpec] = []
            for item in items { list.append(try Values.port(item)) }
            if isNeg { e.notPorts = list } else { e.ports = list }
        }
        if let sac = f["serviceAccounts"] {
            let sf = try sac.fields(allowed: ["names", "selector"], strict: true)
            let names = try sf["names"]?.stringList() ?? []
            let sel = try sf["selector"].map { s throws(InputError) in try noGlobal(Values.selector(s), s) }
            e.serviceAccounts = ServiceAccountMatch(names: names, selector: sel)
        }
        return e
    }

    /// Whole-rule checks that span fields (V2–V11, and the notICMP note).
    static func validate(_ r: Rule, fields f: Fields, cursor c: Cursor) throws(InputError) {
        // The entity fields of the rule, to point errors at the list that is wrong (as Calico's
        // validator names the field).
        func entityField(_ side: String, _ key: String) -> Cursor? {
            guard let sc = f[side], let sf = try? sc.fields(allowed: [], strict: false) else { return nil }
            return sf[key]
        }
        let portFields = ["source", "destination"].flatMap { side in ["ports", "notPorts"].compactMap { entityField(side, $0) } }
            .filter { (try? $0.sequence().isEmpty) == false }
        let allPorts = r.source.ports + r.source.notPorts + r.destination.ports + r.destination.notPorts
        if !allPorts.isEmpty, let at = portFields.first {
            if let p = r.protocol {
                if !p.supportsPorts { throw at.error("rules that specify ports must set protocol to TCP or UDP or SCTP") }
            } else if allPorts.contains(where: { if case .range = $0 { return true } else { return false } }) {
                throw at.error("rules with numeric port or port range must set protocol to TCP or UDP or SCTP")
            }
        }
        if r.icmp != nil {
            guard let p = r.protocol, p.isICMP else { throw (f["icmp"] ?? c).error("ICMP fields require protocol to be ICMP or ICMPv6") }
        }
        if r.notICMP != nil, let p = r.protocol, !p.isICMP {
            throw (f["notICMP"] ?? c).error("ICMP fields require protocol to be ICMP or ICMPv6")
        }
        for spec in [r.protocol, r.notProtocol] {
            guard let spec, let v = r.ipVersion, let vc = f["ipVersion"] else { continue }
            if spec.number == 1 && v == .v6 { throw vc.error("protocol ICMP requires ipVersion 4") }
            if spec.number == 58 && v == .v4 { throw vc.error("protocol ICMPv6 requires ipVersion 6") }
        }
        let netFields: [(Cursor, [CIDR])] = [("source", "nets", r.source.nets), ("source", "notNets", r.source.notNets),
                                             ("destination", "nets", r.destination.nets), ("destination", "notNets", r.destination.notNets)]
            .compactMap { side, key, list in entityField(side, key).map { ($0, list) } }
        if let v = r.ipVersion, let (at, _) = netFields.first(where: { $0.1.contains { $0.family != v } }) {
            throw at.error("rule IP version doesn't match CIDR version")
        }
        if let first = netFields.lazy.flatMap({ $0.1 }).first,
           let (at, _) = netFields.first(where: { $0.1.contains { $0.family != first.family } }) {
            throw at.error("rule contains both IPv4 and IPv6 CIDRs")
        }
    }

    // MARK: Tier, Profile, network sets

    static func tier(spec: Cursor?, meta: Metadata) throws(InputError) -> Tier {
        guard meta.name.count <= 63, Values.isDNS1123Label(Substring(meta.name)) else {
            throw meta.cursor.error("invalid tier name '\(meta.name)': must be a lowercase DNS-1123 label without dots (at most 63 characters)")
        }
        let f = try spec?.fields(allowed: ["order", "defaultAction"], strict: true)
        let order = try f?["order"]?.double()
        var action = Tier.DefaultAction.deny
        if let ac = f?["defaultAction"] {
            let s = try ac.string()
            guard let a = Tier.DefaultAction(rawValue: s) else { throw ac.error("invalid defaultAction '\(s)': must be Deny or Pass") }
            action = a
        }
        if let builtIn = Tier.builtIns.first(where: { $0.name == meta.name }) {
            if order != builtIn.order {
                throw (f?["order"] ?? meta.cursor).error("\(builtIn.name) tier order must be \(Int(builtIn.order!))")
            }
            if f?["defaultAction"] != nil || builtIn.defaultAction == .pass, action != builtIn.defaultAction {
                throw (f?["defaultAction"] ?? meta.cursor).error("\(builtIn.name) tier defaultAction must be \(builtIn.defaultAction.rawValue)")
            }
        }
        return Tier(name: meta.name, order: order, defaultAction: action, location: meta.cursor.location, isBuiltIn: false)
    }

    static func profile(spec: Cursor?, meta: Metadata) throws(InputError) -> Profile {
        let f = try spec?.fields(allowed: ["ingress", "egress", "labelsToApply"], strict: true)
        let ingress = try rules(f?["ingress"], context: .init(global: true, direction: .ingress, isProfile: true))
        let egress = try rules(f?["egress"], context: .init(global: true, direction: .egress, isProfile: true))
        var p = Profile(name: meta.name, ingress: ingress, egress: egress,
                        labelsToApply: try f?["labelsToApply"]?.stringMap() ?? [:], location: meta.cursor.location)
        p.ingress = p.ingress.map { Normalizer.finishRule($0, policyNamespace: nil) }
        p.egress = p.egress.map { Normalizer.finishRule($0, policyNamespace: nil) }
        return p
    }

    static func networkSet(spec: Cursor?, meta: Metadata, global: Bool) throws(InputError) -> NetworkSet {
        if meta.labels["projectcalico.org/namespace"] != nil {
            throw meta.cursor.error("network sets may not carry the reserved label projectcalico.org/namespace")
        }
        let f = try spec?.fields(allowed: ["nets"], strict: true)
        var nets: [CIDR] = []
        for item in try f?["nets"]?.sequence() ?? [] { nets.append(try Values.lenientCIDR(item, allowBareIP: true)) }
        return NetworkSet(name: meta.name, namespace: global ? nil : (meta.namespace ?? "default"), labels: meta.labels,
                          effectiveLabels: meta.labels, nets: nets, location: meta.cursor.location)
    }
}

// Kubernetes networking.k8s.io/v1 NetworkPolicy: validated with the API server's rules (K8S-VAL),
// defaulted (K8S-DEF), and converted the way Calico converts it (CONV; SEMANTICS §3).

import Addresses
import Selectors

enum KubernetesPolicyDecoder {
    static func decode(spec: Cursor?, meta: Metadata, namespace: String) throws(InputError) -> Policy {
        guard Values.isDNS1123Subdomain(meta.name) else {
            throw meta.cursor.error("invalid name '\(meta.name)': must be a lowercase DNS-1123 subdomain")
        }
        let specCursor = spec ?? Cursor.emptyMapping(file: meta.cursor.file, path: "spec")
        let f = try specCursor.fields(allowed: ["podSelector", "policyTypes", "ingress", "egress"], strict: true)
        let podSelector = try f["podSelector"].map { c throws(InputError) in try labelSelector(c, isPodSelector: true) }
            ?? Selector(.equals(CalicoLabels.orchestrator, CalicoLabels.kubernetesOrchestrator))

        var types: [Direction] = []
        if let tc = f["policyTypes"] {
            for item in try tc.sequence() {
                let s = try item.string()
                guard let d = Direction.allCases.first(where: { $0.typeName == s }) else {
                    throw item.error("Unsupported value: \"\(s)\": supported values: \"Ingress\", \"Egress\"")
                }
                if types.contains(d) { throw item.error("Duplicate value: \"\(s)\"") }
                types.append(d)
            }
        }
        let ingressRules = try f["ingress"]?.sequence() ?? []
        let egressRules = try f["egress"]?.sequence() ?? []
        // SetDefaults_NetworkPolicy: Ingress always, Egress when egress rules exist.
        if types.isEmpty { types = egressRules.isEmpty ? [.ingress] : [.ingress, .egress] }

        var ingress: [Rule] = [], egress: [Rule] = []
        for (i, rc) in ingressRules.enumerated() { ingress += try rule(rc, direction: .ingress, index: i) }
        for (i, rc) in egressRules.enumerated() { egress += try rule(rc, direction: .egress, index: i) }

        var p = Policy(kind: .kubernetesNetworkPolicy, name: meta.name, namespace: namespace, tier: "default", order: 1000,
                       selector: podSelector, namespaceSelector: nil, serviceAccountSelector: nil, types: types,
                       ingress: types.contains(.ingress) ? ingress : [], egress: types.contains(.egress) ? egress : [],
                       location: meta.cursor.location, endpointSelector: podSelector)
        Normalizer.finishPolicy(&p)
        return p
    }

    /// A LabelSelector in Calico syntax (CONV `k8sSelectorToCalico`): matchLabels sorted by key,
    /// then matchExpressions in order, joined with `&&`; pod selectors start with the orchestrator term.
    static func labelSelector(_ c: Cursor, isPodSelector: Bool) throws(InputError) -> Selector {
        let f = try c.fields(allowed: ["matchLabels", "matchExpressions"], strict: true)
        var terms: [SelectorExpression] = []
        if isPodSelector { terms.append(.equals(CalicoLabels.orchestrator, CalicoLabels.kubernetesOrchestrator)) }
        if let mc = f["matchLabels"] {
            let labels = try mc.stringMap()
            let lf = try mc.fields(allowed: [], strict: false)
            for k in labels.keys.sorted() {
                if let p = Values.labelKeyProblem(k) { throw InputError(lf.keyLocations[k]!, field: mc.join(k), p) }
                if let p = Values.labelValueProblem(labels[k]!) { throw lf.entries[k]!.error(p) }
                terms.append(.equals(k, labels[k]!))
            }
        }
        for ec in try f["matchExpressions"]?.sequence() ?? [] {
            let ef = try ec.fields(allowed: ["key", "operator", "values"], strict: true)
            let keyCursor = try ef.required("key")
            let key = try keyCursor.string()
            if let p = Values.labelKeyProblem(key) { throw keyCursor.error(p) }
            let opCursor = try ef.required("operator")
            let op = try opCursor.string()
            let values = try ef["values"]?.stringList() ?? []
            for (i, v) in values.enumerated() {
                if let p = Values.labelValueProblem(v) { throw (try ef["values"]!.sequence())[i].error(p) }
            }
            switch op {
            case "In", "NotIn":
                if values.isEmpty {
                    throw InputError((ef["values"] ?? ec).location, field: ec.join("values"), "must be specified when `operator` is 'In' or 'NotIn'")
                }
                let set = Array(Set(values)).sorted()
                terms.append(op == "In" ? .inSet(key, set) : .notInSet(key, set))
            case "Exists", "DoesNotExist":
                if !values.isEmpty { throw ef["values"]!.error("may not be specified when `operator` is 'Exists' or 'DoesNotExist'") }
                terms.append(op == "Exists" ? .has(key) : .not(.has(key)))
            default:
                throw opCursor.error("not a valid selector operator '\(op)': must be In, NotIn, Exists or DoesNotExist")
            }
        }
        guard var expr = terms.first else { return Selector(.all) }
        for t in terms.dropFirst() { expr = .and(expr, t) }
        return Selector(expr)
    }

    /// One Kubernetes rule becomes one Calico Allow rule per (peer, protocol) (CONV `k8sRuleToCalico`).
    static func rule(_ c: Cursor, direction: Direction, index: Int) throws(InputError) -> [Rule] {
        let peerKey = direction == .ingress ? "from" : "to"
        let f = try c.fields(allowed: [peerKey, "ports"], strict: true)

        // Ports grouped by protocol; an entry with a protocol but no port means every port of it.
        var order: [ProtocolSpec] = []
        var portsByProtocol: [ProtocolSpec: [PortSpec]?] = [:]
        for pc in try f["ports"]?.sequence() ?? [] {
            let pf = try pc.fields(allowed: ["protocol", "port", "endPort"], strict: true)
            var proto = ProtocolSpec.tcp
            if let prc = pf["protocol"] {
                let s = try prc.string()
                switch s {
                case "TCP": proto = .tcp
                case "UDP": proto = .udp
                case "SCTP": proto = .sctp
                default: throw prc.error("Unsupported value: \"\(s)\": supported values: \"SCTP\", \"TCP\", \"UDP\"")
                }
            }
            var spec: PortSpec? = nil
            if let portCursor = pf["port"] {
                switch try portCursor.intOrString() {
                case let .int(n):
                    guard (1...65535).contains(n) else { throw portCursor.error("must be between 1 and 65535, inclusive") }
                    spec = .range(UInt16(n), UInt16(n))
                case let .string(s):
                    if let n = Int(s) {
                        guard (1...65535).contains(n) else { throw portCursor.error("must be between 1 and 65535, inclusive") }
                        spec = .range(UInt16(n), UInt16(n))
                    } else {
                        try Values.portName(s, portCursor)
                        spec = .named(s)
                    }
                }
            }
            if let ec = pf["endPort"] {
                let end = try ec.int()
                guard case let .range(start, _)? = spec else {
                    throw ec.error("may not be specified when `port` is not specified or is a named port")
                }
                guard end >= Int(start) else { throw ec.error("must be greater than or equal to `port`") }
                guard end <= 65535 else { throw ec.error("must be between 1 and 65535, inclusive") }
                spec = .range(start, UInt16(end))
            }
            if portsByProtocol[proto] == nil { order.append(proto) }
            switch (portsByProtocol[proto], spec) {
            case (.some(.none), _): break                       // already "all ports"
            case (_, nil): portsByProtocol[proto] = .some(nil)  // this entry absorbs the others
            case let (.some(.some(list)), s?): portsByProtocol[proto] = .some(list + [s])
            case let (nil, s?): portsByProtocol[proto] = .some([s])
            }
        }

        // Peers: each element is an alternative; none means "anywhere".
        var peers: [EntityRule?] = []
        let peerItems = try f[peerKey]?.sequence() ?? []
        for pc in peerItems { peers.append(try peer(pc)) }
        if peers.isEmpty { peers = [nil] }

        var out: [Rule] = []
        for peer in peers {
            let protocols: [ProtocolSpec?] = order.isEmpty ? [nil] : order
            for proto in protocols {
                var r = Rule(action: .allow, location: c.location)
                r.kubernetesRuleIndex = index
                r.protocol = proto
                let ports = proto.flatMap { portsByProtocol[$0] ?? nil } ?? []
                var peerEntity = peer ?? EntityRule()
                var ownSide = EntityRule()
                if direction == .ingress {
                    ownSide.ports = simplify(ports)
                    r.source = peerEntity
                    r.destination = ownSide
                } else {
                    peerEntity.ports = simplify(ports)
                    r.destination = peerEntity
                }
                out.append(r)
            }
        }
        return out
    }

    /// Merges overlapping and adjacent numeric ranges (CONV `SimplifyPorts`); named ports are kept.
    static func simplify(_ ports: [PortSpec]) -> [PortSpec] {
        var ranges: [(UInt16, UInt16)] = []
        var named: [PortSpec] = []
        for p in ports {
            switch p {
            case let .range(a, b): ranges.append((a, b))
            case .named: if !named.contains(p) { named.append(p) }
            }
        }
        ranges.sort { $0 < $1 }
        var merged: [(UInt16, UInt16)] = []
        for r in ranges {
            if let last = merged.last, Int(r.0) <= Int(last.1) + 1 {
                merged[merged.count - 1].1 = max(last.1, r.1)
            } else {
                merged.append(r)
            }
        }
        return merged.map { PortSpec.range($0.0, $0.1) } + named
    }

    static func peer(_ c: Cursor) throws(InputError) -> EntityRule {
        let f = try c.fields(allowed: ["podSelector", "namespaceSelector", "ipBlock"], strict: true)
        var e = EntityRule()
        if let ib = f["ipBlock"] {
            if f["podSelector"] != nil || f["namespaceSelector"] != nil {
                throw c.error("may not specify both ipBlock and another peer")
            }
            let bf = try ib.fields(allowed: ["cidr", "except"], strict: true)
            let cidrCursor = try bf.required("cidr")
            let cidr = try Values.lenientCIDR(cidrCursor, allowBareIP: false)
            e.nets = [cidr]
            for ec in try bf["except"]?.sequence() ?? [] {
                let ex = try Values.lenientCIDR(ec, allowBareIP: false)
                guard cidr.contains(ex), ex.prefixLength > cidr.prefixLength else {
                    throw ec.error("must be a strict subset of `cidr` (\(cidr))")
                }
                e.notNets.append(ex)
            }
            return e
        }
        let pod = try f["podSelector"].map { c throws(InputError) in try labelSelector(c, isPodSelector: true) }
        let ns = try f["namespaceSelector"].map { c throws(InputError) in try labelSelector(c, isPodSelector: false) }
        if pod == nil && ns == nil { throw c.error("must specify a peer (podSelector, namespaceSelector or ipBlock)") }
        // namespaceSelector alone still matches only pods: the selector is the orchestrator term.
        e.selector = pod ?? Selector(.equals(CalicoLabels.orchestrator, CalicoLabels.kubernetesOrchestrator))
        e.namespaceSelector = ns
        return e
    }
}

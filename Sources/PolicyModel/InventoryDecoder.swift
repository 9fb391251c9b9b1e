// Inventory kinds, as `kubectl get -o yaml` prints them: Pod, Namespace, ServiceAccount, the pod
// templates of workload controllers, Calico HostEndpoint and WorkloadEndpoint, and the Felix settings
// that change verdicts. Tolerant: the fields Verdict reads are validated, the rest is ignored.

import Addresses
import Selectors

enum InventoryDecoder {
    static func decode(kind: String, root: Cursor, into out: inout LoadedResources) throws(InputError) {
        let meta = try ResourceDecoder.metadata(root, strict: false)
        let top = try root.fields(allowed: [], strict: false)
        let spec = try top["spec"]?.fields(allowed: [], strict: false)
        switch kind {
        case "Namespace":
            out.namespaces.append(Namespace(name: meta.name, labels: meta.labels, location: meta.cursor.location))
        case "ServiceAccount":
            out.serviceAccounts.append(ServiceAccount(namespace: meta.namespace ?? "default", name: meta.name,
                                                      labels: meta.labels, location: meta.cursor.location))
        case "Pod":
            try out.pods.append(pod(meta: meta, spec: spec, status: top["status"]))
        case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
            guard let t = try spec?.required("template") else { throw root.missing("spec") }
            try out.pods.append(template(t, kind: kind, meta: meta))
        case "CronJob":
            guard let spec else { throw root.missing("spec") }
            let jt = try spec.required("jobTemplate").fields(allowed: [], strict: false)
            let js = try jt.required("spec").fields(allowed: [], strict: false)
            try out.pods.append(template(try js.required("template"), kind: kind, meta: meta))
        case "HostEndpoint":
            try out.hostEndpoints.append(hostEndpoint(meta: meta, spec: spec))
        case "WorkloadEndpoint":
            try out.workloadEndpoints.append(workloadEndpoint(meta: meta, spec: spec))
        case "FelixConfiguration":
            try felix(meta: meta, spec: spec, into: &out)
        default:
            preconditionFailure("InventoryDecoder called for \(kind)")
        }
    }

    // MARK: Pods

    static func pod(meta: Metadata, spec: Fields?, status: Cursor?) throws(InputError) -> PodRecord {
        var record = try podSpec(spec, kind: .pod, namespace: meta.namespace ?? "default", name: meta.name,
                                 labels: meta.labels, location: meta.cursor.location)
        if let sf = try status?.fields(allowed: [], strict: false) {
            var addrs: [IPAddress] = []
            for item in try sf["podIPs"]?.sequence() ?? [] {
                let f = try item.fields(allowed: [], strict: false)
                let ip = try Values.ipAddress(try f.required("ip"))
                if !addrs.contains(ip) { addrs.append(ip) }
            }
            if let pc = sf["podIP"] {
                let ip = try Values.ipAddress(pc)
                if !addrs.contains(ip) { addrs.insert(ip, at: 0) }
            }
            record.addresses = addrs
            if let phase = try sf["phase"]?.string(), phase == "Succeeded" || phase == "Failed" {
                record.inactiveReason = "the pod has finished (phase \(phase))"
            }
        }
        if record.inactiveReason == nil, try spec?["hostNetwork"]?.bool() == true {
            record.inactiveReason = "the pod uses the host network, so host endpoint policy applies to it, not workload policy"
        }
        return record
    }

    static func template(_ t: Cursor, kind: String, meta: Metadata) throws(InputError) -> PodRecord {
        let tf = try t.fields(allowed: [], strict: false)
        let tmeta = try tf["metadata"]?.fields(allowed: [], strict: false)
        let labels = try tmeta?["labels"]?.stringMap() ?? [:]
        let spec = try tf["spec"]?.fields(allowed: [], strict: false)
        var r = try podSpec(spec, kind: .podTemplate(controller: kind), namespace: meta.namespace ?? "default",
                            name: meta.name, labels: labels, location: meta.cursor.location)
        if try spec?["hostNetwork"]?.bool() == true {
            r.inactiveReason = "its pods use the host network, so host endpoint policy applies to them, not workload policy"
        }
        return r
    }

    static func podSpec(_ spec: Fields?, kind: EndpointKind, namespace: String, name: String, labels: [String: String],
                        location: SourceLocation) throws(InputError) -> PodRecord {
        var sa = "default"
        if let c = spec?["serviceAccountName"] ?? spec?["serviceAccount"] { sa = try c.string() }
        let node = try spec?["nodeName"]?.string()
        var ports: [NamedPort] = []
        for key in ["initContainers", "containers"] {
            for cc in try spec?[key]?.sequence() ?? [] {
                let cf = try cc.fields(allowed: [], strict: false)
                for pc in try cf["ports"]?.sequence() ?? [] {
                    let pf = try pc.fields(allowed: [], strict: false)
                    guard let nc = pf["name"] else { continue }   // only named ports matter to policy
                    let pname = try nc.string()
                    try Values.portName(pname, nc)
                    let portCursor = try pf.required("containerPort")
                    let num = try portCursor.int()
                    guard (1...65535).contains(num) else { throw portCursor.error("must be between 1 and 65535, inclusive") }
                    var proto: UInt8 = 6
                    if let prc = pf["protocol"] {
                        let s = try prc.string()
                        guard let n = ["TCP": UInt8(6), "UDP": 17, "SCTP": 132][s] else {
                            throw prc.error("Unsupported value: \"\(s)\": supported values: \"SCTP\", \"TCP\", \"UDP\"")
                        }
                        proto = n
                    }
                    ports.append(NamedPort(name: pname, protocolNumber: proto, port: UInt16(num)))
                }
            }
        }
        return PodRecord(kind: kind, namespace: namespace, name: name, labels: labels, node: node, serviceAccount: sa,
                         addresses: [], namedPorts: ports, inactiveReason: nil, location: location)
    }

    // MARK: Calico endpoints

    static func endpointPorts(_ c: Cursor?) throws(InputError) -> [NamedPort] {
        var out: [NamedPort] = []
        for pc in try c?.sequence() ?? [] {
            let pf = try pc.fields(allowed: [], strict: false)
            let nc = try pf.required("name")
            let name = try nc.string()
            try Values.portName(name, nc)
            let portCursor = try pf.required("port")
            let num = try portCursor.int()
            guard (1...65535).contains(num) else { throw portCursor.error("port number must be between 1 and 65535") }
            let protoCursor = try pf.required("protocol")
            let proto = try Values.protocol(protoCursor)
            guard proto.supportsPorts else { throw protoCursor.error("named ports must use TCP, UDP or SCTP") }
            out.append(NamedPort(name: name, protocolNumber: proto.number, port: UInt16(num)))
        }
        return out
    }

    static func hostEndpoint(meta: Metadata, spec: Fields?) throws(InputError) -> HostEndpointRecord {
        var ips: [IPAddress] = []
        for c in try spec?["expectedIPs"]?.sequence() ?? [] { ips.append(try Values.ipAddress(c)) }
        return HostEndpointRecord(name: meta.name, labels: meta.labels, node: try spec?["node"]?.string(),
                                  interfaceName: try spec?["interfaceName"]?.string(), expectedIPs: ips,
                                  profiles: try spec?["profiles"]?.stringList() ?? [],
                                  namedPorts: try endpointPorts(spec?["ports"]), location: meta.cursor.location)
    }

    static func workloadEndpoint(meta: Metadata, spec: Fields?) throws(InputError) -> WorkloadEndpointRecord {
        var ips: [IPAddress] = []
        for c in try spec?["ipNetworks"]?.sequence() ?? [] {
            let cidr = try Values.lenientCIDR(c, allowBareIP: true)
            guard cidr.prefixLength == cidr.family.bitWidth else {
                throw c.error("ipNetworks entries must be single addresses (/32 or /128), found \(cidr)")
            }
            ips.append(cidr.address)
        }
        let pod = try spec?["pod"]?.string()
        let workload = try spec?["workload"]?.string()
        let endpointName = [pod, workload].compactMap { $0 }.first { !$0.isEmpty } ?? meta.name
        return WorkloadEndpointRecord(namespace: meta.namespace ?? "default", name: meta.name, endpointName: endpointName,
                                      labels: meta.labels, node: try spec?["node"]?.string(),
                                      orchestrator: try spec?["orchestrator"]?.string(), addresses: ips,
                                      profiles: try spec?["profiles"]?.stringList() ?? [],
                                      namedPorts: try endpointPorts(spec?["ports"]),
                                      serviceAccount: try spec?["serviceAccountName"]?.string(),
                                      interfaceName: try spec?["interfaceName"]?.string(), location: meta.cursor.location)
    }

    // MARK: FelixConfiguration

    /// Only the `default` FelixConfiguration is global; per-node ones (`node.<name>`) are not modelled.
    static func felix(meta: Metadata, spec: Fields?, into out: inout LoadedResources) throws(InputError) {
        guard meta.name == "default" else {
            out.diagnostics.append(Diagnostic(.skippedKind, meta.cursor.location,
                "skipping FelixConfiguration \(meta.name): only the cluster-wide 'default' configuration is modelled"))
            return
        }
        var s = FelixSettings.defaults
        s.location = meta.cursor.location
        if let c = spec?["failsafeInboundHostPorts"] { s.failsafeInbound = try failsafes(c) }
        if let c = spec?["failsafeOutboundHostPorts"] { s.failsafeOutbound = try failsafes(c) }
        if let c = spec?["defaultEndpointToHostAction"] {
            let v = try c.string()
            guard let a = FelixSettings.EndpointToHostAction(rawValue: v) ?? FelixSettings.EndpointToHostAction.allCasesByUpper[v.uppercased()] else {
                throw c.error("defaultEndpointToHostAction must be Drop, Accept or Return (found '\(v)')")
            }
            s.defaultEndpointToHostAction = a
        }
        out.felix = s
    }

    static func failsafes(_ c: Cursor) throws(InputError) -> [FelixSettings.Failsafe] {
        var out: [FelixSettings.Failsafe] = []
        for item in try c.sequence() {
            let f = try item.fields(allowed: ["protocol", "port", "net"], strict: true)
            let pc = try f.required("port")
            let port = try pc.int()
            guard (1...65535).contains(port) else { throw pc.error("port number must be between 1 and 65535") }
            var proto: UInt8 = 6
            if let prc = f["protocol"] {
                let s = try prc.string()
                guard let n = ["tcp": UInt8(6), "udp": 17, "sctp": 132][s.lowercased()] else {
                    throw prc.error("failsafe protocol must be tcp, udp or sctp (found '\(s)')")
                }
                proto = n
            }
            let net = try f["net"].map { n throws(InputError) in try Values.lenientCIDR(n, allowBareIP: false) }
            out.append(FelixSettings.Failsafe(protocolNumber: proto, port: UInt16(port), net: net))
        }
        return out
    }
}

extension FelixSettings.EndpointToHostAction {
    static let allCasesByUpper: [String: Self] = ["ACCEPT": .accept, "DROP": .drop, "RETURN": .return]
}

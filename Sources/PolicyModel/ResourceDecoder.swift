// Dispatches each document to the decoder for its apiVersion and kind, and reads ObjectMeta.
//
// Policy kinds are strict (an unknown field is an error); inventory kinds (Pod, Namespace, workload
// controllers, endpoints) come from `kubectl get -o yaml` dumps, so only the fields Verdict reads are
// validated and the rest is ignored. ObjectMeta and `status` are accepted everywhere.

import Selectors

enum APIGroup {
    static let calicoV3 = "projectcalico.org/v3"
    static let calicoCRD = "crd.projectcalico.org/v1"
    static let networking = "networking.k8s.io/v1"
}

/// Standard ObjectMeta fields, accepted on every kind.
let objectMetaFields: Set<String> = [
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "finalizers", "managedFields",
]

struct Metadata {
    var name: String
    var namespace: String?
    var labels: [String: String]
    var cursor: Cursor
}

/// What to do with a policy that fails validation.
public enum InvalidPolicyHandling: String, Sendable, CaseIterable {
    /// Stop with an error naming the file, line, column and field (the default).
    case reject
    /// Leave the policy out and warn, as Felix does with a policy that fails its own validation
    /// (F-VALF: "treating as missing").
    case ignore
}

struct ResourceDecoder {
    var out = LoadedResources()
    var invalidPolicies = InvalidPolicyHandling.reject

    /// Decodes one policy document; in `.ignore` mode a validation failure drops the policy with a warning.
    private mutating func policyDocument(_ root: Cursor, _ body: (inout LoadedResources) throws(InputError) -> Void) throws(InputError) {
        do {
            try body(&out)
        } catch {
            guard invalidPolicies == .ignore else { throw error }
            out.diagnostics.append(Diagnostic(.invalidPolicyIgnored, error.location,
                "ignoring an invalid policy, as Felix would: \(error.field.isEmpty ? "" : error.field + ": ")\(error.message)"))
        }
    }

    mutating func decode(_ doc: Document) throws(InputError) {
        try decodeObject(doc.root)
    }

    private mutating func decodeObject(_ root: Cursor) throws(InputError) {
        guard case .mapping = root.node else {
            if root.isNull { return }  // an empty document (`---` at the end of a file)
            throw root.error("expected a Kubernetes-style resource (a mapping with apiVersion and kind), found \(root.kindName)")
        }
        let top = try root.fields(allowed: [], strict: false)
        let apiVersion = try top.required("apiVersion").nonEmptyString()
        let kindCursor = try top.required("kind")
        let kind = try kindCursor.nonEmptyString()
        out.documentCount += 1

        if kind == "List" || (kind.hasSuffix("List") && top["items"] != nil) {
            // Field paths in errors are relative to the resource, as kubectl reports them.
            for item in try (top["items"]?.sequence() ?? []) {
                try decodeObject(Cursor(node: item.node, file: item.file, path: ""))
            }
            return
        }

        switch (apiVersion, kind) {
        case (APIGroup.calicoV3, _), (APIGroup.calicoCRD, _):
            try decodeCalico(kind: kind, kindCursor: kindCursor, root: root, apiVersion: apiVersion)
        case (APIGroup.networking, "NetworkPolicy"):
            try policyDocument(root) { out throws(InputError) in
                let (f, meta) = try Self.strictTop(root, specRequired: false)
                let ns = meta.namespace ?? "default"
                try out.policies.append(KubernetesPolicyDecoder.decode(spec: f["spec"], meta: meta, namespace: ns))
            }
        case (APIGroup.networking, _):
            // Ingress, IngressClass, …: not network policy.
            skip(root, kind: kind, apiVersion: apiVersion)
        case ("v1", "Pod"), ("v1", "Namespace"), ("v1", "ServiceAccount"),
             ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"),
             ("apps/v1", "ReplicaSet"), ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("v1", "ReplicationController"):
            try InventoryDecoder.decode(kind: kind, root: root, into: &out)
        default:
            if apiVersion.hasSuffix("projectcalico.org/v3") || apiVersion.hasSuffix("projectcalico.org/v1")
                || (apiVersion.contains("projectcalico.org") && ["NetworkPolicy", "GlobalNetworkPolicy", "Tier"].contains(kind)) {
                throw kindCursor.error("unsupported apiVersion '\(apiVersion)' for kind \(kind) (use projectcalico.org/v3 or crd.projectcalico.org/v1)")
            }
            if ["NetworkPolicy"].contains(kind) {
                throw kindCursor.error("unsupported apiVersion '\(apiVersion)' for NetworkPolicy (use networking.k8s.io/v1 or projectcalico.org/v3)")
            }
            skip(root, kind: kind, apiVersion: apiVersion)
        }
    }

    private mutating func skip(_ root: Cursor, kind: String, apiVersion: String) {
        let why = kind == "Service" || kind == "Endpoints" || kind == "EndpointSlice"
            ? "Verdict judges traffic after DNAT, so Services are not needed" : "it has no effect on network-policy verdicts"
        out.diagnostics.append(Diagnostic(.skippedKind, root.location, "skipping \(apiVersion) \(kind): \(why)"))
    }

    private static let calicoKinds: Set<String> = [
        "NetworkPolicy", "GlobalNetworkPolicy", "Tier", "Profile", "NetworkSet", "GlobalNetworkSet",
        "HostEndpoint", "WorkloadEndpoint", "FelixConfiguration",
        "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy",
    ]
    /// Calico kinds that carry no policy or endpoint data.
    private static let calicoNonPolicyKinds: Set<String> = [
        "BGPConfiguration", "BGPPeer", "BGPFilter", "IPPool", "IPReservation", "ClusterInformation",
        "KubeControllersConfiguration", "CalicoNodeStatus", "Node", "IPAMConfiguration", "BlockAffinity",
        "IPAMBlock", "IPAMHandle", "BGPCommunity",
    ]

    private mutating func decodeCalico(kind: String, kindCursor: Cursor, root: Cursor, apiVersion: String) throws(InputError) {
        switch kind {
        case "NetworkPolicy", "GlobalNetworkPolicy":
            try policyDocument(root) { out throws(InputError) in
                let (f, meta) = try Self.strictTop(root, specRequired: false)
                let global = kind == "GlobalNetworkPolicy"
                try out.policies.append(CalicoPolicyDecoder.policy(spec: f["spec"], meta: meta, global: global, parent: root))
            }
        case "Tier":
            let (f, meta) = try Self.strictTop(root, specRequired: false)
            try out.tiers.append(CalicoPolicyDecoder.tier(spec: f["spec"], meta: meta))
        case "Profile":
            let (f, meta) = try Self.strictTop(root, specRequired: false)
            try out.profiles.append(CalicoPolicyDecoder.profile(spec: f["spec"], meta: meta))
        case "NetworkSet", "GlobalNetworkSet":
            let (f, meta) = try Self.strictTop(root, specRequired: false)
            try out.networkSets.append(CalicoPolicyDecoder.networkSet(spec: f["spec"], meta: meta, global: kind == "GlobalNetworkSet"))
        case "HostEndpoint", "WorkloadEndpoint", "FelixConfiguration":
            try InventoryDecoder.decode(kind: kind, root: root, into: &out)
        case "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy":
            let meta = try Self.metadata(root, strict: false)
            out.diagnostics.append(Diagnostic(.stagedPolicy, root.location,
                "\(kind) \(meta.name) is staged: Calico never enforces staged policies, so it does not affect verdicts"))
        default:
            if Self.calicoNonPolicyKinds.contains(kind) {
                skip(root, kind: kind, apiVersion: apiVersion)
                return
            }
            let hint = Fields.nearest(kind, in: Self.calicoKinds).map { " (did you mean '\($0)'?)" } ?? ""
            throw kindCursor.error("unknown Calico kind '\(kind)'\(hint)")
        }
    }

    /// Reads apiVersion/kind/metadata/spec/status strictly, for policy kinds.
    static func strictTop(_ root: Cursor, specRequired: Bool) throws(InputError) -> (Fields, Metadata) {
        let f = try root.fields(allowed: ["apiVersion", "kind", "metadata", "spec", "status"], strict: true)
        let meta = try Self.metadata(root, strict: true)
        if specRequired { _ = try f.required("spec") }
        return (f, meta)
    }

    static func metadata(_ root: Cursor, strict: Bool) throws(InputError) -> Metadata {
        let top = try root.fields(allowed: [], strict: false)
        let mc = try top.required("metadata")
        let m = try mc.fields(allowed: objectMetaFields, strict: strict)
        let nameCursor = try m.required("name")
        let name = try nameCursor.nonEmptyString()
        let ns = try m["namespace"]?.nonEmptyString()
        let labels = try m["labels"]?.stringMap() ?? [:]
        if let lc = m["labels"] {
            let lf = try lc.fields(allowed: [], strict: false)
            for k in lf.order {
                if let p = Values.labelKeyProblem(k) {
                    throw InputError(lf.keyLocations[k]!, field: lc.join(k), p)
                }
                if let p = Values.labelValueProblem(labels[k] ?? "") { throw lf.entries[k]!.error(p) }
            }
        }
        return Metadata(name: name, namespace: ns, labels: labels, cursor: nameCursor)
    }
}

/// Loads resources from files, directories and stdin.
public enum ResourceLoader {
    /// Where resources come from: a path (file or directory) or standard input (`-`).
    public struct Input: Sendable {
        public var path: String
        public init(_ path: String) { self.path = path }
    }

    /// Reads every input. Directories contribute their `*.yaml`, `*.yml` and `*.json` files in name
    /// order (recursively with `recursive`). The first invalid resource stops the load with an
    /// `InputError`; nothing is evaluated from a partially valid set.
    public static func load(_ inputs: [Input], recursive: Bool, invalidPolicies: InvalidPolicyHandling = .reject,
                            readStdin: () -> String? = ResourceLoader.readStandardInput) throws(InputError) -> LoadedResources {
        var decoder = ResourceDecoder()
        decoder.invalidPolicies = invalidPolicies
        for input in inputs {
            if input.path == "-" {
                guard let text = readStdin() else {
                    throw InputError(SourceLocation(file: "<stdin>", line: 0, column: 0), field: "", "cannot read standard input")
                }
                try decodeText(text, file: "<stdin>", into: &decoder, fromDirectory: false)
                continue
            }
            let files = try FileWalker.files(at: input.path, recursive: recursive)
            for (file, fromDirectory) in files {
                let text = try FileWalker.read(file)
                try decodeText(text, file: file, into: &decoder, fromDirectory: fromDirectory)
            }
        }
        return decoder.out
    }

    /// Decodes resources from a string (tests, and `-` input).
    public static func load(text: String, file: String) throws(InputError) -> LoadedResources {
        var decoder = ResourceDecoder()
        try decodeText(text, file: file, into: &decoder, fromDirectory: false)
        return decoder.out
    }

    private static func decodeText(_ text: String, file: String, into decoder: inout ResourceDecoder, fromDirectory: Bool) throws(InputError) {
        for doc in try DocumentReader.documents(of: text, file: file) {
            // Verdict's own probe and sequence files may sit beside the resources of an example; a
            // directory walk passes over them instead of failing on a missing `kind`.
            if fromDirectory, case .mapping = doc.root.node,
               let f = try? doc.root.fields(allowed: [], strict: false), f["kind"] == nil,
               f["probes"] != nil || f["packets"] != nil || f["cases"] != nil {
                continue
            }
            try decoder.decode(doc)
        }
    }

    public static func readStandardInput() -> String? {
        var data: [UInt8] = []
        while let line = readLine(strippingNewline: false) { data.append(contentsOf: line.utf8) }
        return String(decoding: data, as: UTF8.self)
    }
}

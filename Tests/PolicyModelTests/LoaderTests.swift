// ResourceLoader: documents, lists, JSON, directories, stdin, YAML errors with positions, strict
// and tolerant kinds, skipped kinds.

import Foundation
import Testing
@testable import PolicyModel
import Selectors

private let calicoNP = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: prod
spec:
  selector: app == 'web'
  ingress:
  - action: Allow

"""

private func gnp(_ name: String, order: Double? = nil) -> String {
    var s = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: \(name)\n"
    if let order { s += "spec:\n  order: \(order)\n" }
    return s
}

@Suite("Loader: documents and inputs")
struct LoaderDocumentTests {
    @Test("multi-document YAML loads every document in order")
    func multiDocument() throws {
        let text = documents(calicoNP, gnp("a"), namespaceYAML("prod"), gnp("b"))
        let r = try load(text)
        #expect(r.policies.map(\.name) == ["allow-web", "a", "b"])
        #expect(r.namespaces.map(\.name) == ["prod"])
        #expect(r.documentCount == 4)
        #expect(r.policies[1].location == PolicyModel.SourceLocation(file: "test.yaml", line: 14, column: 9))
    }

    @Test("empty documents, comments-only documents and a trailing --- are ignored")
    func emptyDocuments() throws {
        let text = "---\n# just a comment\n---\n\(gnp("a"))---\n---\n...\n---\n\(gnp("b"))---\n"
        let r = try load(text)
        #expect(r.policies.map(\.name) == ["a", "b"])
        #expect(try load("").policies.isEmpty)
        #expect(try load("# nothing here\n").documentCount == 0)
    }

    @Test("JSON input is read, with positions")
    func json() throws {
        let text = """
        {
          "apiVersion": "networking.k8s.io/v1",
          "kind": "NetworkPolicy",
          "metadata": {"name": "db", "namespace": "prod", "uid": "0b5c", "resourceVersion": "7"},
          "spec": {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"ports": [{"port": 5432, "protocol": "TCP"}], "from": [{"podSelector": {}}]}]
          }
        }
        """
        let r = try load(text, file: "np.json")
        let p = try #require(r.policies.first)
        #expect(p.kind == .kubernetesNetworkPolicy)
        #expect(p.namespace == "prod")
        #expect(p.ingress.count == 1)
        #expect(p.ingress[0].destination.ports == [.range(5432, 5432)])
        #expect(p.location == PolicyModel.SourceLocation(file: "np.json", line: 4, column: 24))

        let bad = text.replacingOccurrences(of: "\"protocol\": \"TCP\"", with: "\"protocl\": \"TCP\"")
        expectLoadError(bad, file: "np.json", message: "unknown field 'protocl' (did you mean 'protocol'?)",
                        field: "spec.ingress[0].ports[0].protocl", line: 7, column: 43)
    }

    @Test("a JSON array of resources is not a resource")
    func jsonArray() {
        expectLoadError("[{\"apiVersion\": \"v1\"}]", file: "a.json", message: "expected a Kubernetes-style resource",
                        field: "", line: 1, column: 1)
    }

    @Test("kind: List and <Kind>List with items")
    func lists() throws {
        let text = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: prod}
        - apiVersion: projectcalico.org/v3
          kind: GlobalNetworkPolicy
          metadata: {name: g}
        - apiVersion: v1
          kind: Service
          metadata: {name: svc, namespace: prod}
        ---
        apiVersion: v1
        kind: PodList
        metadata: {resourceVersion: "123"}
        items:
        - apiVersion: v1
          kind: Pod
          metadata: {name: web-1, namespace: prod}
          status: {podIP: 10.0.0.1}
        - apiVersion: v1
          kind: Pod
          metadata: {name: web-2, namespace: prod}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicyList
        items:
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: deny, namespace: prod}
          spec: {podSelector: {}}
        ---
        apiVersion: v1
        kind: List
        items: []

        """
        let r = try load(text)
        #expect(r.namespaces.map(\.name) == ["prod"])
        #expect(r.policies.map(\.name) == ["g", "deny"])
        #expect(r.pods.map(\.name) == ["web-1", "web-2"])
        #expect(r.pods[0].addresses.map(\.description) == ["10.0.0.1"])
        #expect(r.diagnostics.map(\.code) == [.skippedKind])
        #expect(r.diagnostics[0].location.line == 10)
    }

    @Test("an invalid item in a List fails the load at the item's position")
    func listItemError() {
        let text = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: projectcalico.org/v3
          kind: GlobalNetworkPolicy
          metadata: {name: g}
          spec: {selektor: all()}

        """
        expectLoadError(text, message: "unknown field 'selektor' (did you mean 'selector'?)", field: "spec.selektor", line: 7, column: 10)
    }

    @Test("resource envelope errors")
    func envelope() {
        expectLoadError("kind: Namespace\nmetadata: {name: a}\n", message: "required field 'apiVersion' is missing",
                        field: "apiVersion", line: 1, column: 1)
        expectLoadError("apiVersion: v1\nmetadata: {name: a}\n", message: "required field 'kind' is missing",
                        field: "kind", line: 1, column: 1)
        expectLoadError("apiVersion: v1\nkind: Namespace\n", message: "required field 'metadata' is missing",
                        field: "metadata", line: 1, column: 1)
        expectLoadError("apiVersion: v1\nkind: Namespace\nmetadata: {labels: {}}\n", message: "required field 'name' is missing",
                        field: "metadata.name", line: 3, column: 11)
        expectLoadError("just a string\n", message: "expected a Kubernetes-style resource", field: "", line: 1, column: 1)
        expectLoadError("apiVersion: v1\nkind: \"\"\nmetadata: {name: a}\n", message: "must not be empty", field: "kind", line: 2, column: 7)
    }

    @Test("unsupported apiVersions of policy kinds are errors, not silently skipped")
    func unsupportedAPIVersion() {
        expectLoadError("apiVersion: projectcalico.org/v2\nkind: NetworkPolicy\nmetadata: {name: a}\n",
                        message: "unsupported apiVersion 'projectcalico.org/v2' for kind NetworkPolicy", field: "kind", line: 2, column: 7)
        expectLoadError("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a}\n",
                        message: "unsupported apiVersion 'extensions/v1beta1' for NetworkPolicy", field: "kind", line: 2, column: 7)
    }

    @Test("crd.projectcalico.org/v1 is read like projectcalico.org/v3")
    func crdGroup() throws {
        let text = """
        apiVersion: crd.projectcalico.org/v1
        kind: NetworkPolicy
        metadata: {name: default.allow, namespace: prod}
        spec:
          order: 10
          ingress: [{action: Allow}]

        """
        let p = try #require(try load(text).policies.first)
        #expect(p.kind == .networkPolicy)
        #expect(p.name == "default.allow")
        #expect(p.order == 10)
    }
}

@Suite("Loader: files, directories and stdin")
struct LoaderFileTests {
    @Test("a directory contributes its policy files in name order; -R recurses; dot-files and other extensions are skipped")
    func directoryOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("b.yaml", gnp("from-b"))
        try dir.write("a.yml", gnp("from-a"))
        try dir.write("m/c.yaml", gnp("from-m-c"))
        try dir.write("m/deeper/d.json", "{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"GlobalNetworkPolicy\", \"metadata\": {\"name\": \"from-m-deeper-d\"}}")
        try dir.write("z.JSON", "{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"GlobalNetworkPolicy\", \"metadata\": {\"name\": \"from-z\"}}")
        try dir.write("notes.txt", "not yaml: [")
        try dir.write(".hidden.yaml", "broken: [")
        try dir.write("README.md", "# hi")

        let flat = try ResourceLoader.load([.init(dir.path)], recursive: false)
        #expect(flat.policies.map(\.name) == ["from-a", "from-b", "from-z"])
        #expect(flat.policies[0].location.file == dir.path + "/a.yml")

        let deep = try ResourceLoader.load([.init(dir.path)], recursive: true)
        #expect(deep.policies.map(\.name) == ["from-a", "from-b", "from-m-c", "from-m-deeper-d", "from-z"])
    }

    @Test("-R does not loop through a symbolic link to an ancestor directory")
    func symlinkCycle() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("a.yaml", gnp("only-once"))
        try FileManager.default.createDirectory(atPath: dir.path + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/sub/up", withDestinationPath: "..")
        let r = try ResourceLoader.load([.init(dir.path)], recursive: true)
        #expect(r.policies.map(\.name) == ["only-once"])
    }

    @Test("a UTF-8 byte order mark is accepted, from a file and from stdin")
    func byteOrderMark() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let text = "\u{FEFF}" + gnp("bom")
        try dir.write("bom.yaml", text)
        #expect(try ResourceLoader.load([.init(dir.path + "/bom.yaml")], recursive: false).policies.map(\.name) == ["bom"])
        let r = try ResourceLoader.load([.init("-")], recursive: false, readStdin: { text })
        #expect(r.policies.map(\.name) == ["bom"])
    }

    @Test("several inputs are read in the order given; a single file is read whatever its extension")
    func inputsInOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("one.yaml", gnp("one"))
        try dir.write("two.txt", gnp("two"))
        let r = try ResourceLoader.load([.init(dir.path + "/two.txt"), .init(dir.path + "/one.yaml")], recursive: false)
        #expect(r.policies.map(\.name) == ["two", "one"])
    }

    @Test("Verdict's own probe files in a directory are skipped by content, not by name")
    func probesSkipped() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("policy.yaml", gnp("p"))
        try dir.write("probes.json", "{\"probes\": [{\"src\": {\"ip\": \"10.0.0.1\"}, \"dst\": {\"ip\": \"10.0.0.2\"}, \"protocol\": \"TCP\", \"port\": 80}]}")
        try dir.write("checks.yaml", "probes: []\n")
        try dir.write("seq.yaml", "packets: [1, 2]\n")
        try dir.write("cases.json", "{\"cases\": {}}")
        let r = try ResourceLoader.load([.init(dir.path)], recursive: false)
        #expect(r.policies.map(\.name) == ["p"])
        #expect(r.documentCount == 1)

        // A file called probes.json that holds a resource is a resource.
        try dir.write("probes.json", "{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"GlobalNetworkPolicy\", \"metadata\": {\"name\": \"q\"}}")
        #expect(try ResourceLoader.load([.init(dir.path)], recursive: false).policies.map(\.name) == ["p", "q"])

        // Named explicitly, a probe file is not a resource file.
        try dir.write("explicit.json", "{\"probes\": []}")
        let e = inputError { () throws(InputError) in try ResourceLoader.load([.init(dir.path + "/explicit.json")], recursive: false) }
        #expect(e?.message == "required field 'apiVersion' is missing")
        #expect(e?.location.file == dir.path + "/explicit.json")
    }

    @Test("an invalid file in a directory stops the load and names the file")
    func directoryError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try dir.write("a.yaml", gnp("a"))
        try dir.write("b.yaml", "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: b}\nspec: {ordr: 1}\n")
        let e = try #require(inputError { () throws(InputError) in try ResourceLoader.load([.init(dir.path)], recursive: false) })
        #expect(e.description == "\(dir.path)/b.yaml:4:8: error: spec.ordr: unknown field 'ordr' (did you mean 'order'?)")
    }

    @Test("a missing path is an error")
    func missingPath() {
        let e = inputError { () throws(InputError) in try ResourceLoader.load([.init("/nonexistent/verdict/x.yaml")], recursive: false) }
        #expect(e?.message == "no such file or directory")
        #expect(e?.location.file == "/nonexistent/verdict/x.yaml")
    }

    @Test("'-' reads standard input through the readStdin closure")
    func stdin() throws {
        var calls = 0
        let r = try ResourceLoader.load([.init("-")], recursive: false, readStdin: {
            calls += 1
            return gnp("from-stdin")
        })
        #expect(calls == 1)
        #expect(r.policies.map(\.name) == ["from-stdin"])
        #expect(r.policies[0].location.file == "<stdin>")

        let bad = inputError { () throws(InputError) in
            try ResourceLoader.load([.init("-")], recursive: false, readStdin: { "apiVersion: v1\nkind: Pod\nmetadata: {name: [}\n" })
        }
        #expect(bad?.location.file == "<stdin>")
        #expect(bad?.location.line == 3)

        let none = inputError { () throws(InputError) in try ResourceLoader.load([.init("-")], recursive: false, readStdin: { nil }) }
        #expect(none?.message == "cannot read standard input")
    }

    @Test("invalidPolicies: .ignore drops an invalid policy with a warning, as Felix does; other kinds still fail")
    func ignoreInvalidPolicies() throws {
        let text = documents(gnp("good"),
                             "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\nspec:\n  ingress: [{action: allow}]\n",
                             "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: prod}\nspec: {podSelector: {matchLabels: {app: 'a b'}}}\n",
                             gnp("also-good"))
        let r = try ResourceLoader.load([.init("-")], recursive: false, invalidPolicies: .ignore, readStdin: { text })
        #expect(r.policies.map(\.name) == ["good", "also-good"])
        #expect(r.diagnostics.map(\.code) == [.invalidPolicyIgnored, .invalidPolicyIgnored])
        #expect(r.diagnostics[0].message.contains("spec.ingress[0].action: invalid action 'allow'"))
        #expect(r.diagnostics[0].location == PolicyModel.SourceLocation(file: "<stdin>", line: 10, column: 22))

        let rejected = inputError { () throws(InputError) in try ResourceLoader.load([.init("-")], recursive: false, readStdin: { text }) }
        #expect(rejected?.message.contains("invalid action 'allow'") == true)

        let badTier = "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {ordr: 1}\n"
        let tierError = inputError { () throws(InputError) in
            try ResourceLoader.load([.init("-")], recursive: false, invalidPolicies: .ignore, readStdin: { badTier })
        }
        #expect(tierError?.message.contains("unknown field 'ordr'") == true)
    }

    @Test("stdin does not skip probe-shaped documents (only directory walks do)")
    func stdinProbes() {
        let e = inputError { () throws(InputError) in try ResourceLoader.load([.init("-")], recursive: false, readStdin: { "{\"probes\": []}" }) }
        #expect(e?.message == "required field 'apiVersion' is missing")
    }
}

@Suite("Loader: YAML errors")
struct LoaderYAMLErrorTests {
    @Test("a YAML syntax error gives file:line:column")
    func syntaxError() throws {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n   labels: {}\n"
        let e = try #require(inputError { () throws(InputError) in try load(text, file: "ns.yaml") })
        #expect(e.location == PolicyModel.SourceLocation(file: "ns.yaml", line: 5, column: 10))
        #expect(e.message.hasPrefix("YAML syntax error: mapping values are not allowed in this context"))
        #expect(e.field == "")
        #expect(e.description.hasPrefix("ns.yaml:5:10: error: YAML syntax error:"))
    }

    @Test("an unclosed flow sequence reports where the parser gave up and where the sequence started")
    func unclosedFlow() throws {
        let e = try #require(inputError { () throws(InputError) in try load("key: [unclosed\n") })
        #expect(e.location.line == 2)
        #expect(e.message.contains("did not find expected ',' or ']'"))
        #expect(e.message.contains("line 1, column 6"))
    }

    @Test("Yams' silent-stop trap: an indentation error in a later document fails the whole load")
    func laterDocumentError() throws {
        let text = documents(gnp("first"), gnp("second"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n   labels: {}\n")
        let e = try #require(inputError { () throws(InputError) in try load(text) })
        #expect(e.location.line == 15)
        #expect(e.location.column == 10)
        #expect(e.message.hasPrefix("YAML syntax error"))
    }

    @Test("a tab used for indentation is a syntax error with a position")
    func tabs() throws {
        let e = try #require(inputError { () throws(InputError) in try load("apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n") })
        #expect(e.location.line == 4)
        #expect(e.message.hasPrefix("YAML syntax error"))
    }

    @Test("duplicate keys are an error at the duplicated key, naming it")
    func duplicateKeys() throws {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n"
        let e = try #require(inputError { () throws(InputError) in try load(text, file: "dup.yaml") })
        #expect(e.message.contains("'name'"))
        #expect(e.message.lowercased().contains("duplicate"))
        #expect(e.location.line == 4 || e.location.line == 5)
        #expect(e.location.column == 3)
        #expect(!e.message.contains("apiVersion"), "the message must not dump the whole file")
    }

    @Test("duplicate keys deep inside a policy are also caught")
    func duplicateKeysInSpec() throws {
        let text = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec:\n  ingress:\n  - action: Allow\n    action: Deny\n"
        let e = try #require(inputError { () throws(InputError) in try load(text) })
        #expect(e.message.contains("'action'"))
    }
}

@Suite("Loader: strict policy kinds")
struct LoaderStrictTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var what: String
        var yaml: String
        var message: String
        var field: String
        var line: Int
        var column: Int
        var testDescription: String { what }
    }

    static let cases: [Case] = [
        Case(what: "top level of a policy kind", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: g}
            specs: {}
            """, message: "unknown field 'specs' (did you mean 'spec'?)", field: "specs", line: 4, column: 1),
        Case(what: "metadata of a policy kind", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata:
              nmae: g
            """, message: "unknown field 'nmae' (did you mean 'name'?)", field: "metadata.nmae", line: 4, column: 3),
        Case(what: "Calico NetworkPolicy spec", yaml: """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: p, namespace: prod}
            spec:
              selektor: all()
            """, message: "unknown field 'selektor' (did you mean 'selector'?)", field: "spec.selektor", line: 5, column: 3),
        Case(what: "GlobalNetworkPolicy-only field in a NetworkPolicy", yaml: """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: p, namespace: prod}
            spec:
              doNotTrack: true
            """, message: "unknown field 'doNotTrack'", field: "spec.doNotTrack", line: 5, column: 3),
        Case(what: "GlobalNetworkPolicy spec", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: g}
            spec:
              applyOnFoward: true
            """, message: "unknown field 'applyOnFoward' (did you mean 'applyOnForward'?)", field: "spec.applyOnFoward", line: 5, column: 3),
        Case(what: "rule", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: g}
            spec:
              ingress:
              - action: Allow
                protcol: TCP
            """, message: "unknown field 'protcol' (did you mean 'protocol'?)", field: "spec.ingress[0].protcol", line: 7, column: 5),
        Case(what: "EntityRule", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: g}
            spec:
              egress:
              - action: Allow
                destination:
                  selctor: app == 'x'
            """, message: "unknown field 'selctor' (did you mean 'selector'?)", field: "spec.egress[0].destination.selctor", line: 8, column: 7),
        Case(what: "icmp", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: g}
            spec:
              ingress:
              - action: Allow
                protocol: ICMP
                icmp: {typ: 8}
            """, message: "unknown field 'typ' (did you mean 'type'?)", field: "spec.ingress[0].icmp.typ", line: 8, column: 12),
        Case(what: "Tier spec", yaml: """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: security}
            spec:
              ordr: 100
            """, message: "unknown field 'ordr' (did you mean 'order'?)", field: "spec.ordr", line: 5, column: 3),
        Case(what: "Profile spec", yaml: """
            apiVersion: projectcalico.org/v3
            kind: Profile
            metadata: {name: prof}
            spec:
              labelToApply: {a: b}
            """, message: "unknown field 'labelToApply' (did you mean 'labelsToApply'?)", field: "spec.labelToApply", line: 5, column: 3),
        Case(what: "NetworkSet spec", yaml: """
            apiVersion: projectcalico.org/v3
            kind: NetworkSet
            metadata: {name: ns1, namespace: prod}
            spec:
              net: [10.0.0.0/8]
            """, message: "unknown field 'net' (did you mean 'nets'?)", field: "spec.net", line: 5, column: 3),
        Case(what: "GlobalNetworkSet spec", yaml: """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: gns}
            spec:
              nest: [10.0.0.0/8]
            """, message: "unknown field 'nest' (did you mean 'nets'?)", field: "spec.nest", line: 5, column: 3),
        Case(what: "Kubernetes NetworkPolicy spec", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: np, namespace: prod}
            spec:
              podselector: {}
            """, message: "unknown field 'podselector' (did you mean 'podSelector'?)", field: "spec.podselector", line: 5, column: 3),
        Case(what: "Kubernetes NetworkPolicy rule", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: np, namespace: prod}
            spec:
              podSelector: {}
              ingress:
              - form: []
            """, message: "unknown field 'form' (did you mean 'from'?)", field: "spec.ingress[0].form", line: 7, column: 5),
        Case(what: "Kubernetes NetworkPolicy peer", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: np, namespace: prod}
            spec:
              podSelector: {}
              egress:
              - to:
                - namespaceSelecter: {}
            """, message: "unknown field 'namespaceSelecter' (did you mean 'namespaceSelector'?)", field: "spec.egress[0].to[0].namespaceSelecter", line: 8, column: 7),
        Case(what: "Kubernetes NetworkPolicy port", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: np, namespace: prod}
            spec:
              podSelector: {}
              ingress:
              - ports:
                - protocl: UDP
            """, message: "unknown field 'protocl' (did you mean 'protocol'?)", field: "spec.ingress[0].ports[0].protocl", line: 8, column: 7),
        Case(what: "Kubernetes LabelSelector", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: np, namespace: prod}
            spec:
              podSelector:
                matchLabel: {app: x}
            """, message: "unknown field 'matchLabel' (did you mean 'matchLabels'?)", field: "spec.podSelector.matchLabel", line: 6, column: 5),
        Case(what: "Kubernetes ipBlock", yaml: """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: np, namespace: prod}
            spec:
              podSelector: {}
              ingress:
              - from:
                - ipBlock: {cidr: 10.0.0.0/8, excepts: [10.1.0.0/16]}
            """, message: "unknown field 'excepts' (did you mean 'except'?)", field: "spec.ingress[0].from[0].ipBlock.excepts", line: 8, column: 35),
    ]

    @Test("unknown fields are errors with a 'did you mean' hint", arguments: cases)
    func unknownField(_ c: Case) {
        expectLoadError(c.yaml + "\n", message: c.message, field: c.field, line: c.line, column: c.column)
    }

    @Test("ObjectMeta fields and status are accepted on every policy kind")
    func objectMetaAndStatus() throws {
        let meta = """
          uid: 6f1c9c1e-1111-2222-3333-444455556666
          resourceVersion: "12345"
          generation: 3
          creationTimestamp: "2026-01-02T03:04:05Z"
          labels: {team: a}
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: |
              {"apiVersion":"v1"}
          finalizers: [x/y]
          ownerReferences: []
          managedFields:
          - manager: kubectl-client-side-apply
            operation: Update
            fieldsType: FieldsV1
            fieldsV1:
              f:spec: {}
        status: {}

        """
        let kinds = [
            ("projectcalico.org/v3", "NetworkPolicy", "  namespace: prod\n"),
            ("projectcalico.org/v3", "GlobalNetworkPolicy", ""),
            ("projectcalico.org/v3", "Tier", ""),
            ("projectcalico.org/v3", "Profile", ""),
            ("projectcalico.org/v3", "NetworkSet", "  namespace: prod\n"),
            ("projectcalico.org/v3", "GlobalNetworkSet", ""),
            ("networking.k8s.io/v1", "NetworkPolicy", "  namespace: prod\n"),
        ]
        for (api, kind, ns) in kinds {
            let text = "apiVersion: \(api)\nkind: \(kind)\nmetadata:\n  name: x\n\(ns)\(meta)"
            let r = inputError { () throws(InputError) in try load(text) }
            #expect(r == nil, "\(api) \(kind): \(r.map(\.description) ?? "")")
        }
        let r = try load("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: x\n\(meta)")
        #expect(r.tiers.map(\.name) == ["x"])
    }

    @Test("a realistic `kubectl get networkpolicy -o yaml` loads")
    func kubectlNetworkPolicy() throws {
        let text = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: |
              {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"annotations":{},"name":"api","namespace":"prod"}}
          creationTimestamp: "2026-03-01T10:00:00Z"
          generation: 1
          name: api
          namespace: prod
          resourceVersion: "48213"
          uid: 3f0d3c8e-5b7a-4f0e-9a11-1d2b3c4d5e6f
        spec:
          podSelector:
            matchLabels:
              app: api
          policyTypes:
          - Ingress
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  app: web
            ports:
            - port: 8080
              protocol: TCP
        status: {}

        """
        let p = try #require(try load(text).policies.first)
        #expect(p.name == "api")
        #expect(p.types == [.ingress])
        #expect(p.ingress.count == 1)
    }
}

@Suite("Loader: tolerant inventory kinds")
struct LoaderInventoryTests {
    static let kubectlPod = """
    apiVersion: v1
    kind: Pod
    metadata:
      annotations:
        cni.projectcalico.org/containerID: 2b0f1c3d4e5f
        cni.projectcalico.org/podIP: 10.244.1.7/32
        cni.projectcalico.org/podIPs: 10.244.1.7/32,fd00:10:244:1::7/128
      creationTimestamp: "2026-03-01T10:00:00Z"
      generateName: web-7c9d8b6f5-
      labels:
        app: web
        app.kubernetes.io/part-of: shop
        pod-template-hash: 7c9d8b6f5
      name: web-7c9d8b6f5-x2x9q
      namespace: prod
      ownerReferences:
      - apiVersion: apps/v1
        blockOwnerDeletion: true
        controller: true
        kind: ReplicaSet
        name: web-7c9d8b6f5
        uid: 8a1e1a7e-1a2b-4c5d-8e9f-0a1b2c3d4e5f
      resourceVersion: "123456"
      uid: 0e9a8b7c-6d5e-4f3a-2b1c-0d9e8f7a6b5c
      managedFields:
      - apiVersion: v1
        fieldsType: FieldsV1
        fieldsV1:
          f:metadata:
            f:generateName: {}
            f:labels:
              .: {}
              f:app: {}
          f:spec:
            f:containers:
              k:{"name":"web"}:
                .: {}
                f:ports:
                  k:{"containerPort":8080,"protocol":"TCP"}: {}
        manager: kube-controller-manager
        operation: Update
        time: "2026-03-01T10:00:00Z"
      - apiVersion: v1
        fieldsType: FieldsV1
        fieldsV1:
          f:status:
            f:conditions:
              k:{"type":"Ready"}:
                f:status: {}
        manager: kubelet
        operation: Update
        subresource: status
        time: "2026-03-01T10:00:05Z"
    spec:
      containers:
      - image: registry.example/web:1.2.3
        imagePullPolicy: IfNotPresent
        name: web
        env:
        - name: PORT
          value: "8080"
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
        - containerPort: 9090
          name: metrics
        - containerPort: 5353
          name: dns
          protocol: UDP
        - containerPort: 7000
          protocol: TCP
        readinessProbe:
          httpGet: {path: /healthz, port: http, scheme: HTTP}
        resources:
          limits: {cpu: 500m, memory: 128Mi}
        volumeMounts:
        - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
          name: kube-api-access-abcde
          readOnly: true
      initContainers:
      - name: init
        image: busybox
        ports:
        - containerPort: 8443
          name: admin
      dnsPolicy: ClusterFirst
      enableServiceLinks: true
      nodeName: worker-1
      preemptionPolicy: PreemptLowerPriority
      priority: 0
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      serviceAccount: shop-web
      serviceAccountName: shop-web
      terminationGracePeriodSeconds: 30
      tolerations:
      - effect: NoExecute
        key: node.kubernetes.io/not-ready
        operator: Exists
        tolerationSeconds: 300
      volumes:
      - name: kube-api-access-abcde
        projected:
          defaultMode: 420
          sources:
          - serviceAccountToken: {expirationSeconds: 3607, path: token}
    status:
      conditions:
      - lastProbeTime: null
        lastTransitionTime: "2026-03-01T10:00:00Z"
        status: "True"
        type: Initialized
      - lastProbeTime: null
        lastTransitionTime: "2026-03-01T10:00:05Z"
        status: "True"
        type: Ready
      containerStatuses:
      - containerID: containerd://abcdef
        image: registry.example/web:1.2.3
        name: web
        ready: true
        restartCount: 0
        started: true
        state:
          running: {startedAt: "2026-03-01T10:00:03Z"}
      hostIP: 192.168.0.11
      hostIPs:
      - ip: 192.168.0.11
      phase: Running
      podIP: 10.244.1.7
      podIPs:
      - ip: 10.244.1.7
      - ip: fd00:10:244:1::7
      qosClass: Burstable
      startTime: "2026-03-01T10:00:00Z"

    """

    @Test("a realistic `kubectl get pod -o yaml` (managedFields, status.conditions, …) loads")
    func kubectlPod() throws {
        let r = try load(Self.kubectlPod)
        let pod = try #require(r.pods.first)
        #expect(pod.kind == .pod)
        #expect(pod.name == "web-7c9d8b6f5-x2x9q")
        #expect(pod.namespace == "prod")
        #expect(pod.labels == ["app": "web", "app.kubernetes.io/part-of": "shop", "pod-template-hash": "7c9d8b6f5"])
        #expect(pod.node == "worker-1")
        #expect(pod.serviceAccount == "shop-web")
        #expect(pod.addresses.map(\.description) == ["10.244.1.7", "fd00:10:244:1::7"])
        #expect(pod.inactiveReason == nil)
        #expect(pod.namedPorts == [
            NamedPort(name: "admin", protocolNumber: 6, port: 8443),
            NamedPort(name: "http", protocolNumber: 6, port: 8080),
            NamedPort(name: "metrics", protocolNumber: 6, port: 9090),
            NamedPort(name: "dns", protocolNumber: 17, port: 5353),
        ])
        #expect(pod.location == PolicyModel.SourceLocation(file: "test.yaml", line: 14, column: 9))
        #expect(r.diagnostics.isEmpty)
    }

    @Test("podIP not listed in podIPs comes first; duplicates are dropped")
    func podIPs() throws {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nstatus:\n  podIP: 10.0.0.9\n  podIPs: [{ip: 'fd00::9'}, {ip: 'fd00::9'}]\n"
        #expect(try load(text).pods[0].addresses.map(\.description) == ["10.0.0.9", "fd00::9"])
    }

    @Test("inventory fields Verdict reads are still validated")
    func inventoryValidation() {
        expectLoadError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nstatus: {podIP: 10.0.0.300}\n",
                        message: "invalid IP address '10.0.0.300'", field: "status.podIP", line: 4, column: 17)
        expectLoadError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    ports:\n    - {name: HTTP, containerPort: 80}\n",
                        message: "invalid port name 'HTTP'", field: "spec.containers[0].ports[0].name", line: 8, column: 14)
        // The key is what is wrong, so the error points at the key.
        let badKey = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {'bad key!': x}\n"
        let e = inputError { () throws(InputError) in try load(badKey) }
        #expect(e?.message.contains("is not a valid label key") == true)
        #expect(e?.field == "metadata.labels.bad key!")
        #expect(e?.location.line == 5)
        #expect(e?.location.column == 12)
    }

    @Test("Namespace, ServiceAccount, Deployment, HostEndpoint and WorkloadEndpoint ignore fields Verdict does not read")
    func tolerantKinds() throws {
        let text = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: prod
          labels: {team: shop}
          managedFields: [{manager: kubectl}]
        spec:
          finalizers: [kubernetes]
        status:
          phase: Active
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: shop-web, namespace: prod, labels: {tier: front}}
        secrets: [{name: shop-web-token}]
        automountServiceAccountToken: false
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          namespace: prod
          annotations: {deployment.kubernetes.io/revision: "4"}
        spec:
          replicas: 3
          revisionHistoryLimit: 10
          selector: {matchLabels: {app: api}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
          template:
            metadata:
              creationTimestamp: null
              labels: {app: api, version: v2}
            spec:
              serviceAccountName: api-sa
              containers:
              - name: api
                image: api:2
                ports: [{containerPort: 8080, name: http}]
        status:
          availableReplicas: 3
          conditions: [{type: Available, status: "True"}]
        ---
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata:
          name: worker-1-eth0
          labels: {role: worker}
        spec:
          node: worker-1
          interfaceName: eth0
          expectedIPs: [192.168.0.11]
          profiles: [projectcalico-default-allow]
          ports: [{name: ssh, port: 22, protocol: TCP}]
          someFutureField: {x: 1}
        ---
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata:
          name: worker--1-k8s-web--1-eth0
          namespace: prod
          labels: {app: web, projectcalico.org/namespace: prod, projectcalico.org/orchestrator: k8s}
        spec:
          orchestrator: k8s
          node: worker-1
          containerID: abcdef
          pod: web-1
          endpoint: eth0
          serviceAccountName: shop-web
          ipNetworks: [10.244.1.8/32, "fd00::8/128"]
          ipNATs: []
          profiles: [kns.prod]
          interfaceName: cali12345
          mac: "ee:ee:ee:ee:ee:ee"
          ports: [{name: http, port: 8080, protocol: TCP, hostPort: 0}]

        """
        let r = try load(text)
        #expect(r.namespaces.map(\.name) == ["prod"])
        #expect(r.namespaces[0].labels == ["team": "shop"])
        #expect(r.serviceAccounts.map(\.name) == ["shop-web"])
        #expect(r.serviceAccounts[0].labels == ["tier": "front"])
        let dep = try #require(r.pods.first)
        #expect(dep.kind == .podTemplate(controller: "Deployment"))
        #expect(dep.labels == ["app": "api", "version": "v2"])
        #expect(dep.serviceAccount == "api-sa")
        #expect(dep.addresses.isEmpty)
        #expect(dep.namedPorts == [NamedPort(name: "http", protocolNumber: 6, port: 8080)])
        let hep = try #require(r.hostEndpoints.first)
        #expect(hep.node == "worker-1")
        #expect(hep.interfaceName == "eth0")
        #expect(hep.expectedIPs.map(\.description) == ["192.168.0.11"])
        #expect(hep.namedPorts == [NamedPort(name: "ssh", protocolNumber: 6, port: 22)])
        let wep = try #require(r.workloadEndpoints.first)
        #expect(wep.endpointName == "web-1")
        #expect(wep.addresses.map(\.description) == ["10.244.1.8", "fd00::8"])
        #expect(wep.orchestrator == "k8s")
        #expect(wep.serviceAccount == "shop-web")
        #expect(wep.interfaceName == "cali12345")
        #expect(wep.profiles == ["kns.prod"])
    }

    @Test("workload controllers and CronJobs contribute their pod template")
    func controllers() throws {
        var docs: [String] = []
        for kind in ["StatefulSet", "DaemonSet", "ReplicaSet", "Job"] {
            docs.append("apiVersion: \(kind == "Job" ? "batch/v1" : "apps/v1")\nkind: \(kind)\nmetadata: {name: \(kind.lowercased()), namespace: n}\nspec:\n  template:\n    metadata: {labels: {k: \(kind)}}\n    spec: {containers: [{name: c}]}\n")
        }
        docs.append("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cron, namespace: n}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {k: CronJob}}\n        spec: {containers: [{name: c}]}\n")
        docs.append("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc, namespace: n}\nspec:\n  template:\n    metadata: {labels: {k: RC}}\n")
        let r = try load(docs.joined(separator: "---\n"))
        #expect(r.pods.map(\.kind.description) == ["StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"])
        #expect(r.pods.map { $0.labels["k"] } == ["StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "RC"])
        expectLoadError("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\nspec: {replicas: 1}\n",
                        message: "required field 'template' is missing", field: "spec.template", line: 4, column: 7)
    }

    @Test("host-networked and finished pods are loaded but marked inactive")
    func inactivePods() throws {
        let text = documents(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: h, namespace: n}\nspec: {hostNetwork: true}\nstatus: {podIP: 192.168.0.5}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: done, namespace: n}\nstatus: {phase: Succeeded, podIP: 10.0.0.5}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: failed, namespace: n}\nstatus: {phase: Failed}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: running, namespace: n}\nstatus: {phase: Running, podIP: 10.0.0.6}\n",
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: n}\nspec:\n  template:\n    spec: {hostNetwork: true}\n")
        let r = try load(text)
        #expect(r.pods.map { $0.inactiveReason != nil } == [true, true, true, false, true])
        #expect(r.pods[0].inactiveReason?.contains("host network") == true)
        #expect(r.pods[1].inactiveReason?.contains("Succeeded") == true)
    }

    @Test("FelixConfiguration 'default' sets the verdict-relevant settings; other names are skipped")
    func felix() throws {
        let text = """
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata: {name: default}
        spec:
          failsafeInboundHostPorts: [{protocol: tcp, port: 22}, {protocol: UDP, port: 68, net: 10.0.0.0/8}]
          failsafeOutboundHostPorts: []
          defaultEndpointToHostAction: DROP
          logSeverityScreen: Info
        ---
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata: {name: node.worker-1}
        spec: {defaultEndpointToHostAction: Accept}

        """
        let r = try load(text)
        let f = try #require(r.felix)
        #expect(f.failsafeInbound.map(\.port) == [22, 68])
        #expect(f.failsafeInbound.map(\.protocolNumber) == [6, 17])
        #expect(f.failsafeInbound[1].net?.description == "10.0.0.0/8")
        #expect(f.failsafeOutbound.isEmpty)
        #expect(f.defaultEndpointToHostAction == .drop)
        #expect(r.diagnostics.map(\.code) == [.skippedKind])
    }
}

@Suite("Loader: skipped and unknown kinds")
struct LoaderKindTests {
    @Test("Services and other kinds without policy effect are skipped with a diagnostic", arguments: [
        ("v1", "Service", "Services are not needed"),
        ("v1", "Endpoints", "Services are not needed"),
        ("discovery.k8s.io/v1", "EndpointSlice", "Services are not needed"),
        ("v1", "ConfigMap", "no effect on network-policy verdicts"),
        ("networking.k8s.io/v1", "Ingress", "no effect on network-policy verdicts"),
        ("projectcalico.org/v3", "IPPool", "no effect on network-policy verdicts"),
        ("crd.projectcalico.org/v1", "BGPPeer", "no effect on network-policy verdicts"),
    ])
    func skipped(_ api: String, _ kind: String, _ why: String) throws {
        let text = "apiVersion: \(api)\nkind: \(kind)\nmetadata: {name: x, namespace: prod}\nspec: {anything: [goes]}\n"
        let r = try load(text)
        #expect(r.policies.isEmpty && r.pods.isEmpty)
        #expect(r.documentCount == 1)
        let d = try #require(r.diagnostics.first)
        #expect(r.diagnostics.count == 1)
        #expect(d.code == .skippedKind)
        #expect(d.message.contains("skipping \(api) \(kind)"))
        #expect(d.message.contains(why))
        #expect(d.location == PolicyModel.SourceLocation(file: "test.yaml", line: 1, column: 1))
        #expect(d.description.hasPrefix("test.yaml:1:1: warning: skipping"))
    }

    @Test("staged policies are never enforced: a diagnostic, no policy", arguments: [
        "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy",
    ])
    func staged(_ kind: String) throws {
        let text = "apiVersion: projectcalico.org/v3\nkind: \(kind)\nmetadata: {name: s, namespace: prod}\nspec:\n  stagedAction: Set\n  ingress: [{action: Deny}]\n"
        let r = try load(text)
        #expect(r.policies.isEmpty)
        #expect(r.diagnostics.map(\.code) == [.stagedPolicy])
        #expect(r.diagnostics[0].message.contains("\(kind) s is staged"))
    }

    @Test("an unknown Calico kind is an error with a hint", arguments: [
        ("GlobalNetworkPolcy", "unknown Calico kind 'GlobalNetworkPolcy' (did you mean 'GlobalNetworkPolicy'?)"),
        ("HostEndPoint", "unknown Calico kind 'HostEndPoint' (did you mean 'HostEndpoint'?)"),
        ("Teir", "unknown Calico kind 'Teir' (did you mean 'Tier'?)"),
        ("SomethingElseEntirely", "unknown Calico kind 'SomethingElseEntirely'"),
    ])
    func unknownCalicoKind(_ kind: String, _ message: String) {
        expectLoadError("apiVersion: projectcalico.org/v3\nkind: \(kind)\nmetadata: {name: x}\n",
                        message: message, field: "kind", line: 2, column: 7)
    }
}

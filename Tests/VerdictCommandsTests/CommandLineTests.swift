// The `verdict` binary end to end: exit codes (0, 1, 2, 64) and output shapes.

import Foundation
import Testing

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built `verdict` with `arguments`, feeding `stdin` if given.
func runVerdict(_ arguments: [String], stdin: String? = nil, executable: URL? = nil) throws -> ProcessResult {
    guard let binary = executable ?? FixturePaths.verdictBinary else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "verdict binary not found next to the tests: run `swift build` first"])
    }
    let p = Process()
    p.executableURL = binary
    p.arguments = arguments
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

@Suite(.serialized) final class CommandLineTests {
    /// This test's files (`writeTemp`), removed when the test's instance goes.
    let tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-cli-\(getpid())")
    deinit { try? FileManager.default.removeItem(at: tempDir) }

    static let inventory = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: prod}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: fe, namespace: prod, labels: {app: frontend}}
    spec: {containers: [{name: c, image: x}]}
    status: {podIP: 10.0.1.10}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: be, namespace: prod, labels: {app: backend}}
    spec: {containers: [{name: c, image: x}]}
    status: {podIP: 10.0.1.20}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: be-in, namespace: prod}
    spec:
      podSelector: {matchLabels: {app: backend}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: frontend}}}]
        ports: [{port: 8080}]
    """

    func writeTemp(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
        let url = tempDir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func probes(expect: String) -> String {
        """
        {"probes": [{"id": "p1", "src": {"endpoint": "prod/fe"}, "dst": {"endpoint": "prod/be"}, "protocol": "TCP", "port": 8080, "expect": "\(expect)"}]}
        """
    }

    @Test func checkExitsZeroWhenExpectationsHold() throws {
        let inv = try writeTemp("inv.yaml", Self.inventory)
        let pr = try writeTemp("ok.json", probes(expect: "allow"))
        let r = try runVerdict(["check", "-f", inv, "--probes", pr, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let results = json?["results"] as? [[String: Any]]
        #expect(results?.count == 1)
        #expect(results?.first?["verdict"] as? String == "allow")
        let ingress = results?.first?["ingress"] as? [String: Any]
        #expect(ingress?["policy"] as? String == "prod/be-in")
        #expect(ingress?["rule"] as? Int == 0)
        #expect((json?["summary"] as? [String: Any])?["failed"] as? Int == 0)
    }

    @Test func checkExitsOneWhenAnExpectationFails() throws {
        let inv = try writeTemp("inv.yaml", Self.inventory)
        let pr = try writeTemp("bad.json", probes(expect: "deny"))
        let r = try runVerdict(["check", "-f", inv, "--probes", pr])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAILED"))
    }

    @Test func policiesFromStandardInput() throws {
        let pr = try writeTemp("ok2.json", probes(expect: "allow"))
        let r = try runVerdict(["check", "-f", "-", "--probes", pr], stdin: Self.inventory)
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func badInputExitsTwoWithPosition() throws {
        let bad = try writeTemp("typo.yaml", """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: x}
        spec:
          ingress:
          - action: Allow
            protcol: TCP
        """)
        let pr = try writeTemp("ok3.json", probes(expect: "allow"))
        let r = try runVerdict(["check", "-f", bad, "--probes", pr])
        #expect(r.status == 2)
        #expect(r.stderr.contains("typo.yaml:7:5: error: spec.ingress[0].protcol: unknown field 'protcol' (did you mean 'protocol'?)"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func usageErrorExits64() throws {
        let r = try runVerdict(["check", "--no-such-flag"])
        #expect(r.status == 64)
    }

    @Test func selectPrintsCanonicalFormAndMatch() throws {
        let r = try runVerdict(["select", "app=='web' && env in {'z','a','a'}", "--label", "app=web", "--label", "env=a"])
        #expect(r.status == 0)
        #expect(r.stdout.contains(#""selector": "app == \"web\" && env in {\"a\", \"z\"}""#), "\(r.stdout)")
        #expect(r.stdout.contains(#""matches": true"#))
    }

    @Test func selectParseErrorExitsTwoWithColumn() throws {
        let r = try runVerdict(["select", "app == web"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("column 8"), "\(r.stderr)")
    }

    @Test func selectListsEndpointsOfAnInventory() throws {
        let inv = try writeTemp("inv2.yaml", Self.inventory)
        let r = try runVerdict(["select", "app == 'backend'", "-f", inv])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"prod/be\""))
        #expect(!r.stdout.contains("\"prod/fe\""))
    }

    @Test func warnsWhenAPolicySelectsNothing() throws {
        let inv = try writeTemp("inv3.yaml", Self.inventory + """

        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: typo}
        spec:
          selector: app == 'backnd'
          ingress: [{action: Deny}]
        """)
        let pr = try writeTemp("ok4.json", probes(expect: "allow"))
        let r = try runVerdict(["check", "-f", inv, "--probes", pr])
        #expect(r.status == 0)
        #expect(r.stderr.contains("policy typo selects no endpoint"), "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'backend'"), "\(r.stderr)")
    }

    /// The ICMP how-to's `allow-host-unreachable` selects no Kubernetes pod: Calico labels pods
    /// `projectcalico.org/orchestrator: k8s`, not `kubernetes`.
    @Test func orchestratorKubernetesSelectsNoPodAndWarns() throws {
        let inv = try writeTemp("inv5.yaml", Self.inventory + """

        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata:
          name: allow-host-unreachable
        spec:
          selector: projectcalico.org/orchestrator == 'kubernetes'
          types:
          - Ingress
          ingress:
          - action: Allow
            protocol: ICMP
            icmp:
              type: 3
              code: 1
        """)
        // With the policy selecting nothing, TCP to fe is still allowed (no policy applies to fe).
        let pr = try writeTemp("p5.json", """
        {"probes": [{"src": {"ip": "203.0.113.5"}, "dst": {"endpoint": "prod/fe"}, "protocol": "TCP", "port": 8080, "expect": "allow"}]}
        """)
        let r = try runVerdict(["check", "-f", inv, "--probes", pr])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("policy allow-host-unreachable selects no endpoint"), "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'k8s'"), "\(r.stderr)")
    }
}

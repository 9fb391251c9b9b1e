// `verdict audit` findings: every check has a fixture under Tests/Fixtures/audit/<id>/ whose bad/
// set raises exactly that finding and whose good/ twin raises no finding at all; the bundled
// examples audit with only what is truly wrong with them; tiers and Pass in the shadowing search.

import Foundation
import Testing

@Suite(.serialized) struct AuditFindingsTests {
    static let ids = ["VD001", "VD002", "VD003", "VD004", "VD005", "VD006", "VD007", "VD008", "VD009"]

    /// `-f <id>/<variant>`, plus `-r <id>/capture.pcap` and `--probes <id>/probes.json` when present.
    static func arguments(_ id: String, _ variant: String) -> [String] {
        let dir = "Tests/Fixtures/audit/\(id)"
        var args = ["-f", "\(dir)/\(variant)"]
        let root = FixturePaths.packageRoot.path + "/"
        if FileManager.default.fileExists(atPath: root + dir + "/capture.pcap") { args += ["-r", "\(dir)/capture.pcap"] }
        if FileManager.default.fileExists(atPath: root + dir + "/probes.json") { args += ["--probes", "\(dir)/probes.json"] }
        return args
    }

    @Test("bad fixture raises exactly its finding; good twin raises none", arguments: ids)
    func fixturePair(_ id: String) throws {
        let bad = try AuditRun.json(Self.arguments(id, "bad"))
        let badIDs = AuditRun.ids(bad)
        #expect(!badIDs.isEmpty && Set(badIDs) == [id], "\(id) bad: \(AuditRun.findings(bad))")
        for f in AuditRun.findings(bad) {
            #expect(f["file"] is String && f["line"] is Int, "\(id) finding without a location: \(f)")
        }
        let good = try AuditRun.json(Self.arguments(id, "good"))
        #expect(AuditRun.findings(good).isEmpty, "\(id) good: \(AuditRun.findings(good))")
        let checks = try #require(good["checks"] as? [[String: Any]])
        #expect(checks.first { $0["id"] as? String == id }?["ran"] as? Bool == true, "\(id) did not run: \(checks)")
    }

    @Test("every check of the catalog has a fixture pair")
    func catalogCovered() throws {
        let r = try AuditRun.json(AuditRun.example("icmp-howto"))
        let checks = try #require(r["checks"] as? [[String: Any]])
        #expect(checks.compactMap { $0["id"] as? String } == Self.ids)
    }

    @Test("finding details: severities, suggestions, witnesses")
    func details() throws {
        func messages(_ id: String) throws -> [(String, String)] {
            try AuditRun.findings(AuditRun.json(Self.arguments(id, "bad"))).map { ($0["severity"] as? String ?? "", $0["message"] as? String ?? "") }
        }
        let metadata = try messages("VD002")
        #expect(metadata.count == 2 && metadata.allSatisfy { $0.0 == "error" })
        #expect(metadata.contains { $0.1.contains("169.254.169.254 on TCP 80") } && metadata.contains { $0.1.contains("fd00:ec2::254 on TCP 80") })
        let dns = try messages("VD003")
        #expect(dns.count == 1 && dns[0].0 == "error" && dns[0].1.contains("UDP 53 and TCP 53 to kube-system/coredns denied for prod/web"))
        let typos = try messages("VD004").map(\.1)
        #expect(typos.count == 3)
        #expect(typos.filter { $0.contains("did you mean 'database'?") }.count == 2)
        #expect(typos.contains { $0.contains("did you mean 'k8s'?") })
        let never = try messages("VD006").map(\.1)
        #expect(never.contains { $0.contains("lies inside source.notNets") } && never.contains { $0.contains("protocol TCP is also its notProtocol") })
        let shadow = try AuditRun.findings(AuditRun.json(Self.arguments("VD007", "bad")))
        #expect(shadow.count == 2)
        #expect(shadow[0]["rule"] as? Int == 0 && shadow[0]["severity"] as? String == "error")
        #expect((shadow[0]["message"] as? String)?.contains("fully shadowed") == true)
        #expect((shadow[0]["message"] as? String)?.contains("TCP 198.51.100.1:40000 → 10.0.0.1:80 at prod/web ingress is allowed by default/allow-web rule 0 (Allow) (order 10)") == true)
        #expect(shadow[1]["rule"] as? Int == 1 && shadow[1]["severity"] as? String == "warning")
        #expect((shadow[1]["message"] as? String)?.contains("partly shadowed") == true)
        let unhit = try AuditRun.findings(AuditRun.json(Self.arguments("VD008", "bad")))
        #expect(unhit.count == 1 && unhit[0]["rule"] as? Int == 1 && unhit[0]["severity"] as? String == "info")
    }

    @Test("the examples audit with only what is truly wrong with them")
    func examples() throws {
        func summary(_ r: [String: Any]) -> [String] {
            AuditRun.findings(r).map { "\($0["id"] ?? "") \($0["severity"] ?? "") \($0["resource"] ?? "")" }
        }
        // zero-trust-k8s: monitoring and kube-system have no policy at all; dev-app's DNS egress
        // allows UDP only. The tutorial's missing egress halves show up as connectivity results.
        let k8s = try AuditRun.json(AuditRun.example("zero-trust-k8s") + ["--probes", "examples/zero-trust-k8s/probes.json"])
        #expect(summary(k8s) == ["VD001 warning Namespace monitoring", "VD001 warning Namespace kube-system",
                                 "VD003 warning KubernetesNetworkPolicy dev-app/default-deny"], "\(summary(k8s))")
        let probes = try #require((k8s["connectivity"] as? [String: Any])?["probes"] as? [[String: Any]])
        let feToBe = try #require(probes.first { $0["id"] as? String == "zt-02" })
        #expect(feToBe["actual"] as? String == "deny")
        // zero-trust-calico: the same, except that the monitoring GlobalNetworkPolicy gives CoreDNS
        // an ingress baseline (kube-system lacks only egress).
        let calico = try AuditRun.json(AuditRun.example("zero-trust-calico"))
        #expect(summary(calico) == ["VD001 warning Namespace monitoring", "VD001 warning Namespace kube-system",
                                    "VD003 warning NetworkPolicy dev-app/default-deny"], "\(summary(calico))")
        #expect(AuditRun.findings(calico)[1]["direction"] as? String == "egress")
        // icmp-howto: allow-host-unreachable's orchestrator selector selects no pod (only the VM).
        let icmp = try AuditRun.json(AuditRun.example("icmp-howto") + ["--probes", "examples/icmp-howto/probes.json"])
        #expect(summary(icmp) == ["VD004 warning GlobalNetworkPolicy allow-host-unreachable"], "\(summary(icmp))")
        #expect((AuditRun.findings(icmp).first?["message"] as? String)?.contains("it selects only vms/vm1") == true)
    }

    func write(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-audit-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    static let pod = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: prod}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: prod, labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
    status: {podIP: 10.0.0.1}
    """

    @Test("VD001 for the whole cluster when no workload has a baseline in either direction")
    func clusterWithoutBaseline() throws {
        let dir = try write(["cluster.yaml": Self.pod])
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = AuditRun.findings(try AuditRun.json(["-f", dir.path]))
        #expect(f.count == 1 && f[0]["id"] as? String == "VD001" && f[0]["resource"] as? String == "cluster", "\(f)")
        #expect(f[0]["file"] is NSNull)
    }

    @Test("VD001 partial: a namespace whose default deny leaves out some endpoints")
    func partialNamespace() throws {
        let cluster = Self.pod + """

        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: api, namespace: prod, labels: {app: api}}
        spec: {containers: [{name: c, image: api}]}
        status: {podIP: 10.0.0.2}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: deny-web, namespace: prod}
        spec: {selector: app == 'web', types: [Ingress, Egress]}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: deny-in, namespace: prod}
        spec: {selector: all(), types: [Ingress]}
        """
        let dir = try write(["cluster.yaml": cluster])
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try AuditRun.json(["-f", dir.path])
        let f = AuditRun.findings(r)
        #expect(f.count == 1 && f[0]["id"] as? String == "VD001" && f[0]["direction"] as? String == "egress", "\(f)")
        #expect((f[0]["message"] as? String)?.contains("the egress default deny does not cover prod/api (1 of 2 endpoints)") == true, "\(f)")
        let ns = try #require((r["namespaces"] as? [[String: Any]])?.first { $0["name"] as? String == "prod" })
        #expect((ns["ingress"] as? [String: Any])?["defaultDeny"] as? String == "protected")
        #expect((ns["egress"] as? [String: Any])?["defaultDeny"] as? String == "partial")
        #expect((ns["egress"] as? [String: Any])?["unprotectedEndpoints"] as? [String] == ["prod/api"])
    }

    @Test("VD007 through tiers: a Pass that leads to a later Allow, and an Allow in an earlier tier")
    func shadowingAcrossTiers() throws {
        let policies = """
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100, defaultAction: Deny}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.pass-web}
        spec:
          tier: security
          order: 10
          selector: all()
          types: [Ingress, Egress]
          ingress:
          - {action: Pass, protocol: TCP, destination: {ports: [80]}}
          - {action: Allow, protocol: TCP, destination: {ports: [443]}}
          egress:
          - {action: Pass}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.deny-web}
        spec:
          tier: security
          order: 20
          selector: all()
          types: [Ingress]
          ingress:
          - {action: Deny, protocol: TCP, destination: {ports: [80]}}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web}
        spec:
          selector: all()
          types: [Ingress, Egress]
          ingress:
          - {action: Allow, protocol: TCP, destination: {ports: [80]}}
          - {action: Deny, protocol: TCP, destination: {ports: [443]}}
        """
        let dir = try write(["cluster.yaml": Self.pod, "policies.yaml": policies])
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = AuditRun.findings(try AuditRun.json(["-f", dir.path]))
        #expect(f.map { $0["id"] as? String ?? "" } == ["VD007", "VD007"], "\(f)")
        let pass = try #require(f.first { $0["resource"] as? String == "GlobalNetworkPolicy security.deny-web" })
        #expect((pass["message"] as? String)?.contains("fully shadowed") == true)
        #expect((pass["message"] as? String)?.contains("allowed by default/web rule 0 (Allow) after security/security.pass-web rule 0 passed it on") == true, "\(pass)")
        let tier = try #require(f.first { $0["resource"] as? String == "GlobalNetworkPolicy web" })
        #expect(tier["rule"] as? Int == 1)
        #expect((tier["message"] as? String)?.contains("allowed by security/security.pass-web rule 1 (Allow)") == true, "\(tier)")
    }
}

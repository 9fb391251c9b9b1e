// `verdict audit`: the JSON report's shape, namespace default-deny status, connectivity results,
// and exit codes.

import Foundation
import Testing

@Suite(.serialized) struct AuditReportTests {
    @Test("JSON report: header, policies with rule counts and locations, namespaces, connectivity from probes")
    func zeroTrustK8sReport() throws {
        let r = try AuditRun.json(AuditRun.example("zero-trust-k8s") + ["--probes", "examples/zero-trust-k8s/probes.json"])
        #expect(r["apiVersion"] as? String == "verdict.dev/v1alpha1")
        #expect(r["kind"] as? String == "AuditReport")
        #expect(r["schemaVersion"] as? Int == 1)

        let policies = try #require(r["policies"] as? [[String: Any]])
        #expect(policies.count == 5)
        let deny = try #require(policies.first { $0["name"] as? String == "default-deny" })
        #expect(deny["kind"] as? String == "KubernetesNetworkPolicy")
        #expect(deny["namespace"] as? String == "dev-app")
        #expect(deny["tier"] as? String == "default")
        #expect(deny["order"] as? Int == 1000)
        #expect(deny["types"] as? [String] == ["Ingress", "Egress"])
        #expect(deny["selects"] as? [String] == ["dev-app/frontend", "dev-app/backend", "dev-app/database"])
        #expect(deny["ingressRules"] as? Int == 0 && deny["egressRules"] as? Int == 0)
        #expect(deny["file"] as? String == "examples/zero-trust-k8s/networkpolicy-deny-all.yaml")
        #expect(deny["line"] as? Int == 4)
        let dns = try #require(policies.first { $0["name"] as? String == "allow-dns-egress" })
        #expect(dns["egressRules"] as? Int == 1 && dns["ingressRules"] as? Int == 0)

        let namespaces = try #require(r["namespaces"] as? [[String: Any]])
        func status(_ ns: String, _ d: String) -> String? {
            (namespaces.first { $0["name"] as? String == ns }?[d] as? [String: Any])?["defaultDeny"] as? String
        }
        #expect(status("dev-app", "ingress") == "protected" && status("dev-app", "egress") == "protected")
        #expect(status("monitoring", "ingress") == "unprotected" && status("kube-system", "egress") == "unprotected")
        let summary = try #require(r["summary"] as? [String: Any])
        let open = (summary["unprotectedNamespaces"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(open == ["kube-system", "monitoring"])

        let endpoints = try #require(r["endpoints"] as? [[String: Any]])
        let frontend = try #require(endpoints.first { $0["id"] as? String == "dev-app/frontend" })
        let egress = try #require(frontend["egress"] as? [String: Any])
        #expect(egress["defaultDeny"] as? Bool == true && egress["tier"] as? String == "default")
        #expect(egress["policies"] as? [String] == ["dev-app/allow-dns-egress", "dev-app/default-deny"])

        // The tutorial opens only the receiving side: frontend → backend is denied at frontend's egress.
        let probes = try #require((r["connectivity"] as? [String: Any])?["probes"] as? [[String: Any]])
        #expect(probes.count == 18)
        #expect(probes.allSatisfy { $0["pass"] as? Bool == true })
        let zt02 = try #require(probes.first { $0["id"] as? String == "zt-02" })
        #expect(zt02["expect"] as? String == "deny" && zt02["actual"] as? String == "deny")
        let by = try #require(zt02["decidedBy"] as? [String: Any])
        #expect(by["endpoint"] as? String == "dev-app/frontend" && by["direction"] as? String == "egress")
        #expect(by["reason"] as? String == "end-of-tier" && by["tier"] as? String == "default")
        let zt01 = try #require(probes.first { $0["id"] as? String == "zt-01" })
        let by01 = try #require(zt01["decidedBy"] as? [String: Any])
        #expect(by01["policy"] as? String == "dev-app/allow-frontend-ingress" && by01["rule"] as? Int == 0 && by01["action"] as? String == "Allow")

        for f in AuditRun.findings(r) {
            for key in ["id", "severity", "message", "resource", "rule", "file", "line"] { #expect(f.keys.contains(key), "\(key) missing in \(f)") }
        }
    }

    @Test("connectivity from a capture: counts, denied flows with the deciding point, rules never hit")
    func capture() throws {
        let r = try AuditRun.json(AuditRun.example("zero-trust-k8s") + ["-r", "captures/zero-trust-k8s.pcap"])
        let c = try #require((r["connectivity"] as? [String: Any])?["capture"] as? [String: Any])
        #expect(c["file"] as? String == "captures/zero-trust-k8s.pcap")
        #expect(c["packets"] as? Int == 53 && c["allowed"] as? Int == 26 && c["denied"] as? Int == 27 && c["unparsed"] as? Int == 0)
        #expect(c["flows"] as? Int == 16 && c["flowsWithDenied"] as? Int == 10)
        let first = try #require((c["deniedFlows"] as? [[String: Any]])?.first)
        #expect(first["packet"] as? String == "tcp 100.64.0.2:41000 > 100.64.0.3:8080")
        #expect(first["decidedBy"] as? String == "dev-app/frontend egress: endOfTier default")
        #expect(c["rulesNeverHit"] as? Int == 0)
        #expect((r["connectivity"] as? [String: Any])?["probes"] is NSNull)
        let checks = try #require(r["checks"] as? [[String: Any]])
        #expect(checks.first { $0["id"] as? String == "VD008" }?["ran"] as? Bool == true)
        let table = try AuditRun.verdict(["audit"] + AuditRun.example("zero-trust-k8s") + ["-r", "captures/zero-trust-k8s.pcap", "-q"])
        #expect(table.stdout.contains("packets 53: 26 allowed, 27 denied, 0 unparsed; flows 16, 10 with denied packets"), "\(table.stdout)")
        #expect(try AuditRun.verdict(["audit", "-f", "-", "--probes", "-"]).status == 64)
    }

    @Test("a failed expectation is finding VD009 at the probe's line")
    func failedProbe() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-audit-probe-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let probes = dir.appendingPathComponent("probes.json")
        try """
        {"probes": [
          {"id": "fe-be", "src": {"endpoint": "dev-app/frontend"}, "dst": {"endpoint": "dev-app/backend"},
           "protocol": "TCP", "port": 8080, "expect": "allow"}
        ]}
        """.write(to: probes, atomically: true, encoding: .utf8)
        let r = try AuditRun.json(AuditRun.example("zero-trust-k8s") + ["--probes", probes.path])
        let f = try #require(AuditRun.findings(r).first { $0["id"] as? String == "VD009" })
        #expect(f["severity"] as? String == "error")
        #expect(f["resource"] as? String == "probe fe-be")
        #expect(f["line"] as? Int == 2)
        #expect((f["message"] as? String)?.contains("expected allow but is deny") == true)
    }

    @Test("exit codes: --fail-on, bad input, usage")
    func exitCodes() throws {
        let ex = AuditRun.example("zero-trust-k8s")
        #expect(try AuditRun.verdict(["audit"] + ex + ["-q"]).status == 0)
        #expect(try AuditRun.verdict(["audit"] + ex + ["-q", "--fail-on", "warning"]).status == 1)
        #expect(try AuditRun.verdict(["audit"] + ex + ["-q", "--fail-on", "info"]).status == 1)
        let bad = try AuditRun.verdict(["audit", "-f", "Tests/Fixtures/invalid/zero-trust-allow-monitoring-access.yaml", "-q"])
        #expect(bad.status == 2 && bad.stderr.contains("zero-trust-allow-monitoring-access.yaml:"), "\(bad.stderr)")
        #expect(try AuditRun.verdict(["audit"] + ex + ["--probes", "examples/nope.json"]).status == 2)
        #expect(try AuditRun.verdict(["audit"] + ex + ["-r", "examples/nope.pcap", "-q"]).status == 2)
        #expect(try AuditRun.verdict(["audit"] + ex + ["--fail-on", "fatal"]).status == 64)
        #expect(try AuditRun.verdict(["audit", "-q"]).status == 64)
    }
}

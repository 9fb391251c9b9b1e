// explain, matrix and diff on the bundled examples, through the binary.

import Foundation
import Testing

struct OperatorCommandsTests {
    let root = FixturePaths.packageRoot.path + "/"

    @Test("explain: every policing point, the matching rule, and why earlier rules did not match")
    func explain() throws {
        let r = try runVerdict(["explain", "-f", root + "examples/zero-trust-k8s", "--src", "dev-app/frontend", "--dst", "dev-app/backend",
                                "--port", "8080", "-q"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("TCP 100.64.0.2 → 100.64.0.3:8080: DENY"), "\(r.stdout)")
        #expect(r.stdout.contains("dev-app/frontend egress: deny by end of tier default"))
        #expect(r.stdout.contains("rule 0 Allow: no match: protocol is not UDP"))
        #expect(r.stdout.contains("dev-app/backend ingress: allow by default/dev-app/allow-frontend-to-backend rule 0 (Allow)"))
        let json = try runVerdict(["explain", "-f", root + "examples/icmp-howto", "--src", "203.0.113.5", "--dst", "hostendpoint:node1-eth0",
                                   "--port", "22", "-o", "json", "-q"])
        #expect(json.status == 0 && json.stdout.contains("\"reason\": \"failsafe\""), "\(json.stdout)")
        let bad = try runVerdict(["explain", "-f", root + "examples/icmp-howto", "--src", "demo/nope", "--dst", "demo/api", "--port", "80", "-q"])
        #expect(bad.status == 2 && bad.stderr.contains("demo/nope"), "\(bad.stderr)")
        #expect(try runVerdict(["explain", "-f", root + "examples/icmp-howto", "--src", "demo/web", "--dst", "demo/api"]).status == 64)
    }

    @Test("matrix: the truth table in table, md, json and dot")
    func matrix() throws {
        let args = ["matrix", "-f", root + "examples/zero-trust-calico", "--ports", "8080,3306", "--namespace", "dev-app", "-q"]
        let t = try runVerdict(args)
        #expect(t.status == 0)
        let frontendRow = t.stdout.split(separator: "\n").first { $0.hasPrefix("dev-app/frontend ") }
        #expect(frontendRow?.contains("8080✓ 3306✗") == true, "\(t.stdout)")
        let json = try runVerdict(args + ["-o", "json"])
        #expect(json.stdout.contains("\"from\": \"dev-app/backend\",\n      \"to\": \"dev-app/database\",\n      \"port\": \"tcp/3306\",\n      \"verdict\": \"allow\""), "\(json.stdout)")
        let dot = try runVerdict(args + ["-o", "dot"])
        #expect(dot.stdout.contains("\"dev-app/frontend\" -> \"dev-app/backend\" [label=\"tcp/8080\"]"))
        #expect(try runVerdict(args + ["-o", "md"]).stdout.contains("| from \\ to |"))
        #expect(try runVerdict(["matrix", "-f", root + "examples/icmp-howto", "--ports", "http"]).status == 64)
    }

    @Test("diff: exit 1 with the deciding rule in each version when verdicts change, 0 when none does")
    func diff() throws {
        let changed = try runVerdict(["diff", "--old", root + "examples/zero-trust-k8s", "--new", root + "examples/zero-trust-calico", "-q"])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("dev-app/frontend → dev-app/backend tcp/8080"))
        #expect(changed.stdout.contains("default/dev-app/allow-frontend-egress-to-backend rule 0 (Allow)"))
        let capture = try runVerdict(["diff", "--old", root + "examples/zero-trust-k8s", "--new", root + "examples/zero-trust-calico",
                                      "-r", root + "captures/zero-trust-k8s.pcap", "-o", "json", "-q"])
        #expect(capture.status == 1 && capture.stdout.contains("\"compared\": 53"), "\(capture.stdout)")
        let same = try runVerdict(["diff", "--old", root + "examples/zero-trust-k8s", "--new", root + "examples/zero-trust-k8s",
                                   "--probes", root + "examples/zero-trust-k8s/probes.json", "-q"])
        #expect(same.status == 0 && same.stdout.contains("no verdict changes (18 compared)"), "\(same.stdout)")
    }
}

// Golden outputs of `verdict audit` on examples/zero-trust-k8s with its probes, table and JSON,
// compared byte for byte. After a deliberate change, regenerate with
//   VERDICT_UPDATE_GOLDEN=1 swift test --filter AuditGoldenTests
// and read the diff before committing.

import Foundation
import Testing

@Suite(.serialized) struct AuditGoldenTests {
    static let golden = FixturePaths.fixtures.appendingPathComponent("audit/golden")
    static let arguments = ["audit", "-f", "examples/zero-trust-k8s", "--probes", "examples/zero-trust-k8s/probes.json", "-q"]

    func check(_ extra: [String], _ name: String) throws {
        let r = try AuditRun.verdict(Self.arguments + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let url = Self.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["VERDICT_UPDATE_GOLDEN"] == "1" {
            try r.stdout.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let want = try String(contentsOf: url, encoding: .utf8)
        #expect(r.stdout == want, "\(name) differs from the golden; regenerate with VERDICT_UPDATE_GOLDEN=1 after checking the diff:\n\(r.stdout)")
    }

    @Test("table output of the zero-trust-k8s example") func table() throws { try check([], "zero-trust-k8s.table.txt") }
    @Test("JSON output of the zero-trust-k8s example") func json() throws { try check(["-o", "json"], "zero-trust-k8s.json") }
}

// `verdict bench classbench` through the built binary: output shapes and exit codes 0, 1, 2, 64.

import Foundation
import Testing

@Suite(.serialized) struct BenchCommandLineTests {
    static let rules = MappingTests.rulesText
    /// Representable headers of MappingTests with their answers, plus one unrepresentable one.
    static let trace = """
    167838211\t16843009\t40000\t80\t6\t0\t0\t0
    134744072\t3232235781\t40000\t1000\t17\t0\t1\t1
    134744072\t16843009\t0\t9\t17\t0\t3\t3
    134744072\t16843009\t1024\t9\t17\t0\t3\t-1
    2886729985\t16843009\t0\t0\t50\t0\t5\t5
    134744072\t16843009\t5\t0\t47\t0\t4\t4

    """

    @Test(arguments: ["reference", "swift"])
    func jsonOutputAndExitZero(_ engine: String) throws {
        let dir = try TemporaryDirectory()
        let rules = try dir.write("hand.rules", Self.rules)
        let trace = try dir.writeGzip("hand.trace.gz", Self.trace)
        let r = try runVerdict(["bench", "classbench", "--rules", rules, "--trace", trace, "--engine", engine, "-o", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["rules", "packets", "mismatches", "mpps", "buildSeconds", "tableBytes"] { #expect(json[key] != nil, "\(key) missing") }
        #expect(json["rules"] as? Int == 6)
        #expect(json["packets"] as? Int == 6)
        #expect(json["mismatches"] as? Int == 0)
        #expect(json["unrepresentable"] as? Int == 1)
        #expect(json["engine"] as? String == engine)
        #expect(json["set"] as? String == "hand")
        #expect((json["mpps"] as? Double ?? (json["mpps"] as? Int).map(Double.init) ?? -1) >= 0)
        #expect(((json["tableBytes"] as? Int ?? -1) > 0) == (engine == "swift"))
        #expect(r.stderr.contains("1 headers not compared"))
    }

    @Test func tableOutputWithLimit() throws {
        let dir = try TemporaryDirectory()
        let rules = try dir.write("hand.rules", Self.rules)
        let trace = try dir.write("hand.trace", Self.trace)
        let r = try runVerdict(["bench", "classbench", "--rules", rules, "--trace", trace, "--limit", "3"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("packets        3\n"))
        #expect(r.stdout.contains("mismatches     0\n"))
        #expect(r.stdout.contains("engine         swift"))
        #expect(r.stdout.contains("rules          6 (7 Calico rules: 1 split by protocol, 1 without a Calico rule)"))
        #expect(r.stdout.contains("Mpps"))
        #expect(r.stdout.contains("build seconds"))
        #expect(r.stdout.contains("table bytes"))
    }

    @Test(arguments: ["reference", "swift"])
    func mismatchesExitOneAndAreListed(_ engine: String) throws {
        let dir = try TemporaryDirectory()
        let rules = try dir.write("hand.rules", Self.rules)
        // Line 2 claims rule 3; rule 1 decides.
        let trace = try dir.write("wrong.trace", Self.trace.replacingOccurrences(of: "1000\t17\t0\t1\t1", with: "1000\t17\t0\t1\t3"))
        let r = try runVerdict(["bench", "classbench", "--rules", rules, "--trace", trace, "--engine", engine, "-o", "json"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(trace):2: mismatch: expected rule 3, got 1"), "stderr: \(r.stderr)")
        #expect(r.stdout.contains("\"mismatches\": 1"))
    }

    @Test func badInputExitsTwoWithThePosition() throws {
        let dir = try TemporaryDirectory()
        let rules = try dir.write("bad.rules", Self.rules.replacingOccurrences(of: "0x01/0xFF", with: "0x01/0x0F"))
        let trace = try dir.write("t.trace", Self.trace)
        var r = try runVerdict(["bench", "classbench", "--rules", rules, "--trace", trace])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(rules):3:42: error: protocol: protocol mask must be 0xFF"), "stderr: \(r.stderr)")

        let good = try dir.write("good.rules", Self.rules)
        let badTrace = try dir.write("bad.trace", "1\t2\t3\t4\t6\t0\t0\n")
        r = try runVerdict(["bench", "classbench", "--rules", good, "--trace", badTrace])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(badTrace):1:14: error: expected: expected 8 tab-separated numbers"), "stderr: \(r.stderr)")

        let otherTrace = try dir.write("other.trace", "1\t2\t3\t4\t6\t0\t0\t6\n")
        r = try runVerdict(["bench", "classbench", "--rules", good, "--trace", otherTrace])
        #expect(r.status == 2)
        #expect(r.stderr.contains("past the last rule"))

        r = try runVerdict(["bench", "classbench", "--rules", good, "--trace", dir.path("missing.gz")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no such file"))
    }

    @Test func usageErrorsExit64() throws {
        #expect(try runVerdict(["bench", "classbench", "--rules", "x.rules"]).status == 64)
        #expect(try runVerdict(["bench", "classbench", "--rules", "x", "--trace", "y", "--limit", "0"]).status == 64)
        #expect(try runVerdict(["bench", "classbench", "--rules", "x", "--trace", "y", "--engine", "gpu"]).status == 64)
        #expect(try runVerdict(["bench", "classbench", "--rules", "x", "--trace", "y", "-o", "yaml"]).status == 64)
    }
}

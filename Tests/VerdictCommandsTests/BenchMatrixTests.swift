// `verdict bench` (the matrix, its default subcommand) through the built binary: small matrices run
// with 0 mismatches on every workload, the JSON schema, the Markdown table, a well-formed SVG plot,
// usage errors, a corrupted expectation caught, and exit 77 without the BPF capabilities.

import BPFLoader
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("verdict bench (matrix)", .serialized)
struct BenchMatrixTests {
    /// Runs `verdict bench …` and parses its JSON report.
    func report(_ args: [String]) throws -> (ProcessResult, [String: Any]) {
        let r = try runVerdict(["bench"] + args + ["-o", "json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)\n\(r.stderr)")
        return (r, o)
    }

    @Test("every workload at 10 and 100 rules, swift and reference: 0 mismatches, the JSON schema")
    func smallMatrix() throws {
        let (r, o) = try report(["--rules", "10,100", "--workload", "classbench-acl,classbench-fw,classbench-ipc,k8s",
                                 "--engine", "swift,reference", "--packets", "300", "--seed", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("verdict bench: workload classbench-acl,classbench-fw,classbench-ipc,k8s, seed 4"))
        #expect(o["kind"] as? String == "BenchReport")
        #expect(o["schemaVersion"] as? Int == 1)
        #expect(o["seed"] as? String == "4")
        #expect(o["engines"] as? [String] == ["swift", "reference"])
        let results = try #require(o["results"] as? [[String: Any]])
        #expect(results.count == 4 * 2 * 2)
        let keys: Set<String> = ["workload", "rules", "calicoRules", "engine", "packets", "mismatches", "mpps", "nsPerPacket", "buildSeconds",
                                 "tableBytes", "indexBytes", "passes", "classifySeconds", "generateSeconds"]
        for row in results {
            #expect(Set(row.keys) == keys)
            #expect(row["mismatches"] as? Int == 0)
            #expect(row["packets"] as? Int == 300)
            #expect((row["mpps"] as? Double ?? 0) > 0)
            #expect((row["nsPerPacket"] as? Double ?? 0) > 0)
            if row["engine"] as? String == "swift" {
                #expect((row["tableBytes"] as? Int ?? 0) > 0)
                #expect((row["indexBytes"] as? Int ?? 0) > 0, "the IPv4 atom index at least")
                #expect((row["passes"] as? Int ?? 0) >= 1)
            }
            if (row["workload"] as? String ?? "").hasPrefix("classbench") { #expect(row["calicoRules"] as? Int == row["rules"] as? Int) }
        }
        let rules: [Int] = results.map { $0["rules"] as? Int ?? 0 }
        let expectedRules: [Int] = Array([[Int]](repeating: [10, 10, 100, 100], count: 4).joined())
        #expect(rules == expectedRules)
    }

    @Test("the same seed gives the same workload: equal answers and sizes, run to run")
    func reproducible() throws {
        let a = try report(["--rules", "100", "--workload", "k8s", "--packets", "200", "--seed", "9"]).1
        let b = try report(["--rules", "100", "--workload", "k8s", "--packets", "200", "--seed", "9"]).1
        let rows = [a, b].map { ($0["results"] as? [[String: Any]])?.first }
        #expect(rows[0]?["tableBytes"] as? Int == rows[1]?["tableBytes"] as? Int)
        #expect(rows[0]?["calicoRules"] as? Int == rows[1]?["calicoRules"] as? Int)
    }

    @Test("-o md prints a Markdown table after the workload line")
    func markdown() throws {
        let r = try runVerdict(["bench", "--rules", "10", "--workload", "classbench-ipc", "--packets", "100", "-o", "md"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("verdict bench: workload classbench-ipc, seed 1, rules 10, engines swift") == true)
        #expect(lines.count == 4)
        #expect(lines[1] == "| workload | rules | calico rules | engine | packets | mismatches | Mpps | ns/packet | build s | table bytes | index bytes |")
        #expect(lines[2] == "|---|---|---|---|---|---|---|---|---|---|---|")
        #expect(lines[3].hasPrefix("| classbench-ipc | 10 | 10 | swift | 100 | 0 | "))
    }

    @Test("--plot writes a well-formed SVG with one line per workload and engine")
    func plot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.appendingPathComponent("bench.svg")
        let r = try runVerdict(["bench", "--rules", "10,100", "--workload", "classbench-acl,k8s", "--engine", "swift,reference",
                                "--packets", "100", "--plot", svg.path])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: svg)
        let parser = XMLParser(data: data)
        let collector = ElementCollector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.elements.first == "svg")
        #expect(collector.elements.filter { $0 == "polyline" }.count == 4)
        #expect(collector.elements.filter { $0 == "circle" }.count == 8)
        let text = String(decoding: data, as: UTF8.self)
        for label in ["classbench-acl / swift", "classbench-acl / reference", "k8s / swift", "k8s / reference", "rules (log scale)", "Mpps"] {
            #expect(text.contains(label), "missing \(label)")
        }
        // Written atomically: no temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bench.svg"])
    }

    @Test("a wrong expectation is reported: exit 1 naming the packet", arguments: ["classbench-fw", "k8s"])
    func corruptedExpectation(_ workload: String) throws {
        let r = try runVerdict(["bench", "--rules", "100", "--workload", workload, "--engine", "swift", "--packets", "200",
                                "--test-corrupt-expected", "17"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("\(workload), 100 rules, swift: packet 17"))
        #expect(r.stderr.contains("verdict: 1 mismatches in all"))
        #expect(r.stdout.contains(" 1 "))
    }

    @Test("usage errors exit 64", arguments: [
        ["--rules", "5"], ["--rules", "100001"], ["--rules", "10,abc"], ["--workload", "classbench-xyz"], ["--engine", "gpu"],
        ["--packets", "0"], ["-o", "csv"], ["--seed", "-1"], ["--plot", ""],
    ])
    func usage(_ args: [String]) throws {
        let r = try runVerdict(["bench"] + args)
        #expect(r.status == 64, "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("--plot into a missing directory exits 2 naming the file")
    func plotUnwritable() throws {
        let r = try runVerdict(["bench", "--rules", "10", "--packets", "50", "--plot", "/nonexistent-dir/bench.svg"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("/nonexistent-dir/bench.svg"))
    }

    @Test("bench classbench is still a subcommand")
    func classBenchSubcommand() throws {
        let r = try runVerdict(["bench", "classbench", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--trace"))
    }

    @Test("bpf: 0 mismatches on ClassBench and k8s",
          .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: "BPF unavailable: \(BPFCapabilities.current.reason ?? "")")))
    func bpf() throws {
        let (r, o) = try report(["--rules", "100", "--workload", "classbench-acl,k8s", "--engine", "bpf", "--packets", "500"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try #require(o["results"] as? [[String: Any]])
        #expect(results.count == 2)
        for row in results {
            #expect(row["mismatches"] as? Int == 0)
            #expect((row["tableBytes"] as? Int ?? 0) > 0)
        }
    }

    @Test("bpf without CAP_BPF and CAP_SYS_ADMIN exits 77 naming the capability",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv to drop capabilities"))
    func bpfWithoutPrivilege() throws {
        let binary = try #require(FixturePaths.verdictBinary).path
        let r = try runVerdict(["--bounding-set", "-bpf,-sys_admin", binary, "bench", "--rules", "10", "--engine", "bpf"],
                               executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
        #expect(r.status == 77, "\(r.stderr)")
        #expect(r.stderr.contains("--engine bpf: loading BPF programs needs CAP_BPF"))
        #expect(r.stdout.isEmpty)
    }
}

/// Element names in document order.
final class ElementCollector: NSObject, XMLParserDelegate {
    var elements: [String] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(name)
    }
}

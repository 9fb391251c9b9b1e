// `verdict replay --engine swift|bpf|both` through the binary: the kernel's TC program
// (BPF_PROG_TEST_RUN) reproduces the expected verdicts of two captures, `both` finds no
// disagreement there and reports one, as JSON Lines with exit 1, on a frame the kernel's test
// run refuses; usage errors and missing privilege (exit 77 naming the capability).

import BPFLoader
import Foundation
import Packets
import PcapIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("replay --engine bpf|both", .serialized,
       .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: "BPF unavailable: \(BPFCapabilities.current.reason ?? "")")))
struct ReplayEngineTests {
    static let root = FixturePaths.packageRoot.path + "/"
    /// Two captures with their policies: the zero-trust application and the conntrack edge cases.
    static let captures: [(capture: String, policies: String)] = [
        ("captures/zero-trust-calico.pcap", "examples/zero-trust-calico"),
        ("captures/conntrack.pcap", "captures/policies/edge"),
    ]

    @Test("--engine bpf reproduces the expected verdicts", arguments: 0..<2)
    func bpf(_ i: Int) throws {
        let (capture, policies) = Self.captures[i]
        let expected = capture.replacingOccurrences(of: ".pcap", with: ".expected.jsonl")
        let r = try runVerdict(["replay", "-f", Self.root + policies, "-r", Self.root + capture, "--engine", "bpf", "--expect", Self.root + expected])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("every packet matches"))
    }

    @Test("--engine bpf -o jsonl is the swift engine's output (INVALID packets carry no reason)", arguments: 0..<2)
    func sameLines(_ i: Int) throws {
        let (capture, policies) = Self.captures[i]
        let args = ["replay", "-f", Self.root + policies, "-r", Self.root + capture, "-o", "jsonl", "-q"]
        let swift = try runVerdict(args)
        let bpf = try runVerdict(args + ["--engine", "bpf"])
        #expect(swift.status == 0 && bpf.status == 0)
        let s = swift.stdout.split(separator: "\n"), b = bpf.stdout.split(separator: "\n")
        #expect(s.count == b.count && !s.isEmpty)
        for (x, y) in zip(s, b) {
            var sx = try #require(try JSONSerialization.jsonObject(with: Data(x.utf8)) as? [String: Any])
            if sx["conntrack"] as? String == "invalid" { sx["reason"] = nil }
            let by = try #require(try JSONSerialization.jsonObject(with: Data(y.utf8)) as? [String: Any])
            #expect(NSDictionary(dictionary: sx).isEqual(to: by), "swift: \(x)\nbpf:   \(y)")
        }
    }

    @Test("--engine both finds no disagreement on either capture", arguments: 0..<2)
    func both(_ i: Int) throws {
        let (capture, policies) = Self.captures[i]
        let r = try runVerdict(["replay", "-f", Self.root + policies, "-r", Self.root + capture, "--engine", "both"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(", 0 where the kernel and Swift disagree"))
    }

    @Test("--engine both reports a frame the kernel's test run refuses (9,042 bytes) as one JSON line and exits 1")
    func disagreement() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-engine-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("jumbo.pcap").path
        let w = try CaptureWriter(path: path, linkType: .ethernet)
        let net = PacketBuilder.Network.ip("10.1.0.10", "10.1.0.20")
        w.write(PacketBuilder(network: net, transport: .udp(src: 1000, dst: 80), payload: [UInt8](repeating: 0, count: 100)).frame(),
                timestamp: CaptureTimestamp(seconds: 1000))
        w.write(PacketBuilder(network: net, transport: .udp(src: 1001, dst: 80), payload: [UInt8](repeating: 0, count: 9000)).frame(),
                timestamp: CaptureTimestamp(seconds: 1001))
        try w.commit()
        let r = try runVerdict(["replay", "-f", Self.root + "captures/policies/edge", "-r", path, "--engine", "both", "-q"])
        #expect(r.status == 1, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        try #require(lines.count == 1, "\(r.stdout)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(o["packet"] as? Int == 2)
        #expect(o["differences"] as? [String] == ["verdict", "conntrack"])
        let swift = try #require(o["swift"] as? [String: Any]), bpf = try #require(o["bpf"] as? [String: Any])
        #expect(swift["verdict"] as? String == "deny" && swift["conntrack"] as? String == "new")
        #expect((swift["points"] as? [[String: Any]])?.count == 2)
        #expect(bpf["verdict"] as? String == "unparsed" && bpf["conntrack"] as? String == "unparsed")
        #expect((bpf["reason"] as? String)?.contains("BPF_PROG_TEST_RUN refused the 9042-byte frame") == true)
    }
}

struct ReplayEngineUsageTests {
    @Test("--engine both refuses the options of one engine (exit 64)", arguments: [["-o", "json"], ["--expect", "x.jsonl"], ["--write-denied", "x.pcap"], ["--metrics-file", "x.prom"]])
    func bothUsage(_ extra: [String]) throws {
        let root = FixturePaths.packageRoot.path + "/"
        let r = try runVerdict(["replay", "-f", root + "captures/policies/edge", "-r", root + "captures/conntrack.pcap", "--engine", "both"] + extra)
        #expect(r.status == 64)
        #expect(r.stderr.contains("--engine both prints the packets where the engines disagree; \(extra[0]) needs one engine"))
    }

    @Test("without CAP_BPF and CAP_SYS_ADMIN, --engine bpf and both exit 77 naming the capability",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv to drop capabilities"),
          arguments: ["bpf", "both"])
    func noPrivilege(_ engine: String) throws {
        let root = FixturePaths.packageRoot.path + "/"
        let binary = try #require(FixturePaths.verdictBinary).path
        let r = try runVerdict(["--bounding-set", "-bpf,-sys_admin", binary, "replay", "-f", root + "captures/policies/edge",
                                "-r", root + "captures/conntrack.pcap", "--engine", engine], executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
        #expect(r.status == 77, "\(r.stderr)")
        #expect(r.stderr.contains("--engine \(engine): loading BPF programs needs CAP_BPF"))
        #expect(r.stdout.isEmpty)
    }
}

@Suite("bench classbench --engine bpf",
       .enabled(if: BPFCapabilities.current.canLoadPrograms, Comment(rawValue: "BPF unavailable: \(BPFCapabilities.current.reason ?? "")")))
struct BenchBPFEngineTests {
    static let classBench = FixturePaths.packageRoot.appendingPathComponent("Benchmarks/classbench")

    @Test("the kernel gives the expected rule for the first 3,000 headers of each 1K set", arguments: ["acl1_1k", "fw1_1k", "ipc1_1k"])
    func oneK(_ set: String) throws {
        let rules = Self.classBench.appendingPathComponent("\(set).rules").path
        let r = try runVerdict(["bench", "classbench", "--rules", rules, "--trace", Self.classBench.appendingPathComponent("\(set).trace.gz").path,
                                "--engine", "bpf", "--limit", "3000", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["engine"] as? String == "bpf")
        #expect(o["packets"] as? Int == 3000)
        #expect(o["mismatches"] as? Int == 0)
        #expect((o["tableBytes"] as? Int ?? 0) > 0)
    }
}

// `verdict replay --jobs N` through the built binary: for every capture of captures/manifest.json,
// every output format and every output file, --jobs 2 and --jobs 3 give byte for byte what
// --jobs 1 gives; so does a capture of several thousand packets (many batches, flows in both
// directions across them, fragments, ICMP errors, conntrack expiry), with -c cutting it mid-batch
// and with the capture truncated (the same error, the same packets printed, no output file).

import CaptureReplay
import Foundation
import Packets
import PcapIO
import PolicyCompiler
import PolicyModel
import Testing

struct ReplayJobsTests {
    /// Everything one run produces: exit status, standard output and error, and the output files.
    struct RunOutput: Equatable {
        var status: Int32
        var stdout: String
        var stderr: String
        var denied: Data?
        var metrics: Data?
    }

    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-replay-jobs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// Runs replay with `arguments` plus --jobs, --write-denied and --metrics-file into `dir`.
    func replay(_ arguments: [String], jobs: String, files: Bool = true) throws -> RunOutput {
        let denied = dir.appendingPathComponent("denied.pcap").path, metrics = dir.appendingPathComponent("m.prom").path
        unlink(denied)
        unlink(metrics)
        let extra = files ? ["--write-denied", denied, "--metrics-file", metrics] : []
        let r = try runVerdict(["replay"] + arguments + ["--jobs", jobs] + extra)
        return RunOutput(status: r.status, stdout: r.stdout, stderr: r.stderr, denied: FileManager.default.contents(atPath: denied),
                         metrics: FileManager.default.contents(atPath: metrics))
    }

    @Test("every capture, every output format: --jobs 2 and 3 equal --jobs 1", arguments: CaptureReplayTests.entries)
    func manifestCaptures(_ e: CaptureReplayTests.Entry) throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = FixturePaths.packageRoot.path + "/"
        let base = e.policies.flatMap { ["-f", root + $0] } + ["-r", root + e.file]
        for output in ["table", "json", "jsonl"] {
            let one = try replay(base + ["-o", output], jobs: "1")
            #expect(one.status == (e.errorCode ?? 0), "\(e.file) -o \(output): \(one.stderr)")
            for jobs in ["2", "3"] {
                let many = try replay(base + ["-o", output], jobs: jobs)
                #expect(many == one, "\(e.file) -o \(output) --jobs \(jobs)")
            }
        }
        // --expect: the same verdict (exit 0, or the capture's error) and the same messages.
        let expect = base + ["--expect", root + e.expected]
        let one = try replay(expect, jobs: "1", files: false)
        #expect(try replay(expect, jobs: "3", files: false) == one, "\(e.file) --expect")
    }

    /// The Ethernet captures of captures/ one after another, `rounds` times, each round 50 s
    /// after the last (so some flows continue across rounds and some conntrack entries expire).
    static func longCapture(rounds: Int) throws -> [UInt8] {
        let files = ["zero-trust-k8s.pcap", "zero-trust-calico.pcap", "icmp-howto.pcap", "icmp-allow-ping.pcap", "icmp-host-unreachable.pcap",
                     "conntrack.pcap", "vlan.pcap", "ipv6-exthdr.pcap", "ipv4-fragments.pcap"]
        var packets: [(bytes: [UInt8], seconds: Int64, nanoseconds: UInt32, length: Int)] = []
        for f in files {
            let reader = try CaptureReader(path: FixturePaths.packageRoot.appendingPathComponent("captures/" + f).path)
            #expect(reader.linkType == .ethernet, "\(f) is not Ethernet")
            let first = packets.count
            let previousEnd = packets.last?.seconds
            try reader.forEach { r in packets.append((Array(r.bytes), r.timestamp.seconds, r.timestamp.nanoseconds, r.originalLength)) }
            // Each file starts a second after the previous one ended.
            if let previousEnd {
                let shift = previousEnd + 1 - packets[first].seconds
                for i in first..<packets.count { packets[i].seconds += shift }
            }
        }
        let span = (packets.last!.seconds - packets.first!.seconds) + 50
        var pcap = DeterministicPcapWriter(linkType: .ethernet)
        for round in 0..<rounds {
            for p in packets {
                pcap.append(p.bytes, seconds: UInt32(p.seconds + Int64(round) * span), nanoseconds: p.nanoseconds, originalLength: p.length)
            }
        }
        return pcap.bytes
    }

    @Test("a capture of many batches, whole, cut by -c mid-batch, and truncated: --jobs 2 and 3 equal --jobs 1")
    func longCaptures() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Self.longCapture(rounds: 12)
        let path = dir.appendingPathComponent("long.pcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let policies = ["-f", FixturePaths.packageRoot.appendingPathComponent("captures/policies/edge").path]
        let packets = try { () throws -> Int in
            var n = 0
            try CaptureReader(path: path).forEach { _ in n += 1 }
            return n
        }()
        #expect(packets > 3 * 1024, "only \(packets) packets: the capture should span several batches")
        for args in [["-o", "jsonl"], ["-o", "json"], ["-o", "table", "-c", "1500"], ["-o", "jsonl", "-c", "2049"]] {
            let one = try replay(policies + ["-r", path] + args, jobs: "1")
            #expect(one.status == 0, "\(args): \(one.stderr)")
            #expect(one.denied != nil && one.metrics != nil)
            for jobs in ["2", "3"] {
                #expect(try replay(policies + ["-r", path] + args, jobs: jobs) == one, "\(args) --jobs \(jobs)")
            }
        }

        // Cut inside the last packet: every packet before it is printed, then the error; no file.
        let truncated = dir.appendingPathComponent("truncated.pcap").path
        try Data(bytes.prefix(bytes.count - 10)).write(to: URL(fileURLWithPath: truncated))
        let one = try replay(policies + ["-r", truncated, "-o", "jsonl"], jobs: "1")
        #expect(one.status == 2)
        #expect(one.stderr.contains("packet \(packets)") && one.stderr.contains("truncated"), "\(one.stderr)")
        #expect(one.stdout.split(separator: "\n").count == packets - 1)
        #expect(one.denied == nil && one.metrics == nil)
        let three = try replay(policies + ["-r", truncated, "-o", "jsonl"], jobs: "3")
        #expect(three == one)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(left == ["long.pcap", "truncated.pcap"], "left behind: \(left)")
    }

    @Test("--jobs: auto and 0 run, bad values and kernel engines with more than one job are usage errors")
    func usage() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = FixturePaths.packageRoot.path + "/"
        let base = ["replay", "-f", root + "examples/zero-trust-k8s", "-r", root + "captures/zero-trust-k8s.pcap", "-q"]
        let one = try runVerdict(base + ["--jobs", "1"])
        for ok in ["auto", "0"] {
            let r = try runVerdict(base + ["--jobs", ok])
            #expect(r.status == 0 && r.stdout == one.stdout, "--jobs \(ok): \(r.stderr)")
        }
        for bad in ["-1", "x", "257", ""] {
            let r = try runVerdict(base + ["--jobs", bad])
            #expect(r.status == 64, "--jobs '\(bad)': \(r.status) \(r.stderr)")
        }
        for engine in ["bpf", "both"] {
            let r = try runVerdict(base + ["--engine", engine, "--jobs", "2"])
            #expect(r.status == 64 && r.stderr.contains("--jobs 2 needs --engine swift"), "\(engine): \(r.stderr)")
        }
    }

    @Test("bench replay checks every packet and --jobs 2 against --jobs 1 before timing")
    func bench() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let cb = FixturePaths.packageRoot.appendingPathComponent("Benchmarks/classbench").path
        let r = try runVerdict(["bench", "replay", "--rules", cb + "/fw1_1k.rules", "--trace", cb + "/fw1_1k.trace.gz",
                                "--limit", "3000", "--jobs", "2", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"mismatches\" : 0") || r.stdout.contains("\"mismatches\": 0"), "\(r.stdout)")
    }
}

/// CaptureReplayer itself: a consumer that throws stops every job's threads (no hang), and the
/// packets it saw before throwing are the first ones, in order, with the single job's results.
struct CaptureReplayerStopTests {
    @Test("a consumer that throws mid-capture stops the sharded run cleanly", arguments: [1, 3])
    func consumerThrows(jobs: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-replayer-stop-\(getpid())-\(jobs)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("long.pcap").path
        try Data(try ReplayJobsTests.longCapture(rounds: 8)).write(to: URL(fileURLWithPath: path))
        let set = try PolicySet.resolve(ResourceLoader.load([.init(FixturePaths.packageRoot.appendingPathComponent("captures/policies/edge").path)],
                                                            recursive: false))
        let table = try PolicyCompiler.compile(set)
        struct Enough: Error {}
        var all: [String] = []
        try CaptureReplayer(table: table, jobs: 1).run(try CaptureReader(path: path)) { record, _, r in
            all.append("\(record.number) \(r.allow.map(String.init) ?? "-") \(r.state) \(r.flowID)")
        }
        #expect(all.count > 2 * 1024)
        for stop in [0, 1500, all.count - 1] {
            var seen: [String] = []
            var stopped = false
            do {
                try CaptureReplayer(table: table, jobs: jobs).run(try CaptureReader(path: path)) { record, _, r in
                    if seen.count == stop { throw Enough() }
                    seen.append("\(record.number) \(r.allow.map(String.init) ?? "-") \(r.state) \(r.flowID)")
                }
            } catch is Enough {
                stopped = true
            }
            #expect(stopped, "the consumer's error should come back from run")
            #expect(seen == Array(all.prefix(stop)), "jobs \(jobs), stop after \(stop)")
        }
    }
}

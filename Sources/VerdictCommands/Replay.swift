// `verdict replay`: every packet of a capture through the compiled table and connection tracking,
// with per-packet verdicts, per-rule hits, denied packets written out, and a comparison with a
// previous run.

import PolicyCompiler
import ArgumentParser
import BPFDataPlane
import BPFLoader
import CaptureReplay
import Classifier
import CVerdictABI
import Foundation
import MatchTable
import Packets
import PcapIO

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a pcap or pcapng capture against a policy set: a verdict for every packet and flow.",
        discussion: """
        Each packet is judged as a node judges it: connection tracking first (replies and later
        packets of an allowed flow pass, ICMP errors quoting a tracked flow pass, ICMP errors and
        replies without one are INVALID), and policy (SEMANTICS §2.8) for packets that start a flow.
        Untracked (doNotTrack) policy runs on every packet. Non-first fragments take the verdict of
        their datagram's first fragment. Packets cut by the snapshot length before the end of their
        L4 header, and non-IP frames, are counted as unparsed.

        Output: a summary (table), the summary as JSON (json), or one JSON object per packet (jsonl).
        --expect takes a JSON Lines file of {"packet": N, ...}; every key given there must equal the
        packet's value in `-o jsonl` output.

        Engines: swift (default) judges with the Swift fast path and connection tracking; bpf runs
        every packet through the kernel's TC policy program with BPF_PROG_TEST_RUN (conntrack in
        capture time; the per-rule hits are the kernel's counters); both runs the two and prints,
        as JSON Lines on standard output, every packet where they disagree:
        {"packet": N, "differences": [...], "swift": {...}, "bpf": {...}} (docs/DECISIONS.md 32).
        bpf and both need the privilege to load BPF programs (root, or CAP_BPF and CAP_NET_ADMIN).

        --jobs N judges packets on N worker threads (auto: one per core), sharding flows by their
        unordered address pair so that both directions of a connection, a datagram's fragments and
        an ICMP error with the flow it quotes meet on one worker; the output is byte for byte the
        output of --jobs 1 (docs/DECISIONS.md 47). The bpf and both engines run one job.

        Exit codes: 0 ok, 1 --expect found differences (or, with --engine both, a disagreement),
        2 bad input, 77 BPF unavailable.
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("table"), help: ArgumentHelp("Use a table from `verdict compile` instead of -f.", valueName: "table.vdt"))
    var tablePath: String?

    @Option(name: [.customShort("r"), .customLong("read-file")], help: ArgumentHelp("The capture (pcap or pcapng), or - for standard input.", valueName: "capture"))
    var capturePath: String

    @Option(name: .customLong("bpf-filter"), help: ArgumentHelp("Replay only packets matching this pcap-filter expression.", valueName: "expr"))
    var filter: String?

    @Option(name: [.customShort("c"), .customLong("count")], help: "Stop after this many packets.")
    var count: Int?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: table (summary), json (summary), jsonl (one object per packet).")
    var outputOption: ReplayOutput?

    @Option(name: .customLong("engine"), help: "Who judges the packets: swift (the fast path), bpf (the kernel's TC program through BPF_PROG_TEST_RUN), both (print where they disagree).")
    var engine: ReplayEngine = .swift

    @Option(name: .customLong("write-denied"), help: ArgumentHelp("Write the denied packets to this pcap file.", valueName: "out.pcap"))
    var deniedPath: String?

    @Option(name: .customLong("expect"), help: ArgumentHelp("Compare with expected per-packet results (JSON Lines); exit 1 on any difference.", valueName: "verdicts.jsonl"))
    var expectPath: String?

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp("Write packet and rule-hit counters in the Prometheus text format.", valueName: "counters.prom"))
    var metricsPath: String?

    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Worker threads judging packets: 1 to \(Jobs.maximum), or auto (or 0) for one per core.", valueName: "N"))
    var jobsOption: Jobs?

    enum ReplayOutput: String, ExpressibleByArgument, CaseIterable { case table, json, jsonl }
    enum ReplayEngine: String, ExpressibleByArgument, CaseIterable { case swift, bpf, both }

    var output: ReplayOutput { outputOption ?? .table }

    func validate() throws {
        if let count, count < 1 { throw ValidationError("-c/--count must be at least 1") }
        if tablePath != nil && !input.filenames.isEmpty { throw ValidationError("give either -f or --table, not both") }
        if tablePath == nil && input.filenames.isEmpty { throw ValidationError("give the policies with -f (or a compiled table with --table)") }
        if capturePath == "-" && input.filenames.contains("-") { throw ValidationError("standard input can feed either -f or -r, not both") }
        if engine != .swift, let jobsOption, jobsOption.count > 1 {
            throw ValidationError("--jobs \(jobsOption.count) needs --engine swift: the \(engine.rawValue) engine judges every packet in one kernel program with one conntrack table")
        }
        if engine == .both {
            let given = [(outputOption != nil, "-o"), (deniedPath != nil, "--write-denied"), (expectPath != nil, "--expect"), (metricsPath != nil, "--metrics-file")]
            if let (_, flag) = given.first(where: \.0) {
                throw ValidationError("--engine both prints the packets where the engines disagree; \(flag) needs one engine (swift or bpf)")
            }
        }
    }

    func run() throws {
        let table = try tablePath.map(readTable) ?? compileTable(try input.loadPolicySet(), options: engine == .swift ? CompileOptions() : .bpf)
        let expected = try expectPath.map(ExpectedResults.load)
        // Names points for output; the engines that judge have their own classifiers.
        let classifier = Classifier(table)
        let kernel = engine == .swift ? nil : try Self.loadKernel(table, engine: engine)

        let reader: CaptureReader
        do throws(CaptureError) {
            reader = try CaptureReader(path: capturePath, filter: filter)
        } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        // tcpdump's first line, on stderr as tcpdump prints it.
        if !input.quiet {
            StandardError.write("reading from file \(capturePath), link-type \(reader.linkType), snapshot length \(reader.snaplen)")
        }
        var denied: CaptureWriter?
        if let deniedPath {
            do throws(CaptureError) {
                denied = try CaptureWriter(path: deniedPath, linkType: reader.linkType, snaplen: reader.snaplen)
            } catch {
                StandardError.write("verdict: error: \(error)")
                throw ExitCode(ExitStatus.inputError)
            }
        }

        var summary = ReplaySummary()
        var differences: [String] = []
        var seen = Set<Int>()
        var disagreements = 0
        let progress = Progress(enabled: isatty(2) != 0 && output != .jsonl)
        let out = BufferedOutput()
        var failure: CaptureError?
        let perPacket = output == .jsonl || expected != nil
        /// One judged packet into the summary and the outputs, in capture order.
        func accept(_ record: PacketRecord, _ headers: PacketHeaders, _ result: PacketResult) {
            summary.add(result)
            if result.allow == false { denied?.write(record) }
            if perPacket {
                let line = PacketJSON.object(record: record, headers: headers, result: result, classifier: classifier)
                if output == .jsonl { out.write(line.render()) }
                if let expected {
                    seen.insert(record.number)
                    if let diff = expected.compare(packet: record.number, actual: line) { differences.append(diff) }
                }
            }
            progress.tick(summary.packets)
        }
        let replayer = CaptureReplayer(table: table, jobs: jobsOption?.count ?? 1, policyVerdicts: perPacket ? .always : .whereNeeded)
        do {
            if engine == .swift {
                try replayer.run(reader, limit: count, accept)
            } else {
                try replayKernel(reader, kernel: kernel!, swift: engine == .both ? StatefulClassifier(classifier) : nil) { record, headers, s, b in
                    guard let s else { return accept(record, headers, b) }
                    summary.compared += 1
                    let differences = EngineComparison.differences(swift: s, bpf: b)
                    if !differences.isEmpty {
                        disagreements += 1
                        out.write(EngineDisagreementJSON.object(packet: record.number, differences: differences, swift: s, bpf: b,
                                                                classifier: classifier).render())
                    }
                    progress.tick(summary.compared)
                }
            }
        } catch let e as CaptureError {
            failure = e
        } catch let e as BPFError {
            progress.finish()
            out.flush()
            StandardError.write("verdict: error: BPF: \(e)")
            throw ExitCode(ExitStatus.inputError)
        }
        progress.finish()
        out.flush()
        if let failure {
            denied?.abandon()
            StandardError.write("verdict: error: \(failure)")
            throw ExitCode(ExitStatus.inputError)
        }
        if engine == .both {
            if !input.quiet {
                StandardError.write("verdict: \(summary.compared) packets, \(disagreements) where the kernel and Swift disagree")
            }
            if disagreements > 0 { throw ExitCode(ExitStatus.expectationFailed) }
            return
        }
        summary.flows = kernel?.flowCount ?? replayer.flowCount
        do throws(CaptureError) {
            try denied?.commit()
        } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        let hits: RuleHits
        if let kernel {
            do throws(BPFError) {
                hits = RuleHits(classifier, hits: try kernel.plane.hits())
            } catch {
                StandardError.write("verdict: error: BPF: \(error)")
                throw ExitCode(ExitStatus.inputError)
            }
        } else {
            hits = RuleHits(classifier, hits: replayer.hits())
        }
        if let metricsPath {
            try writeAtomically(metricsPath, Metrics.render(summary, hits))
        }
        switch output {
        case .table: print(summary.table(hits))
        case .json: print(summary.json(hits).render(pretty: true))
        case .jsonl: break
        }
        if let expected {
            for n in expected.packets.keys.sorted() where !seen.contains(n) {
                differences.append("packet \(n): expected in \(expected.path) but not in the capture")
            }
            if !differences.isEmpty {
                StandardError.write("verdict: \(differences.count) difference\(differences.count == 1 ? "" : "s") from \(expected.path):")
                for d in differences.prefix(50) { StandardError.write("  " + d) }
                if differences.count > 50 { StandardError.write("  … and \(differences.count - 50) more") }
                throw ExitCode(ExitStatus.expectationFailed)
            }
            if !input.quiet { StandardError.write("verdict: every packet matches \(expected.path)") }
        }
    }
}

private struct StopReading: Error {}

extension Replay {
    /// The kernel engines, one job: every packet through the TC program (and, for `both`, through
    /// `swift` too); `body` gets the Swift result (nil for bpf) and the kernel's.
    func replayKernel(_ reader: CaptureReader, kernel: BPFReplayEngine, swift: StatefulClassifier?,
                      _ body: (PacketRecord, PacketHeaders, PacketResult?, PacketResult) throws -> Void) throws {
        var headers = PacketHeaders()
        var delivered = 0
        do {
            try reader.forEach { record in
                if let count, delivered >= count { throw StopReading() }
                let outcome = PacketParser.parse(record.bytes, linkType: reader.linkType, into: &headers)
                let ns = record.timestamp.nanosecondsSinceEpoch
                let s = swift?.process(headers, outcome: outcome, timestampNanoseconds: ns)
                let b = try kernel.process(record.bytes, linkType: reader.linkType, headers: headers, outcome: outcome, timestampNanoseconds: ns).result
                delivered += 1
                try body(record, headers, s, b)
            }
        } catch is StopReading {}
    }

    /// The table in the kernel's TC program, or exit 77 naming what is missing.
    static func loadKernel(_ table: MatchTable, engine: ReplayEngine) throws -> BPFReplayEngine {
        let caps = BPFCapabilities.current
        guard caps.canLoadPrograms else {
            StandardError.write("verdict: error: --engine \(engine.rawValue): \(caps.reason ?? "BPF programs cannot be loaded here")")
            throw ExitCode(ExitStatus.missingPrivilege)
        }
        do throws(BPFError) {
            return try BPFReplayEngine(table)
        } catch {
            StandardError.write("verdict: error: --engine \(engine.rawValue): loading the table into BPF maps failed: \(error)")
            throw ExitCode(error.isPermissionDenied ? ExitStatus.missingPrivilege : ExitStatus.inputError)
        }
    }
}

/// One packet where the kernel and Swift disagree (`replay --engine both`).
enum EngineDisagreementJSON {
    static func object(packet: Int, differences: [String], swift: PacketResult, bpf: PacketResult, classifier: Classifier) -> JSONValue {
        .object([("packet", .int(packet)), ("differences", .array(differences.map { .string($0) })),
                 ("swift", side(swift, classifier)), ("bpf", side(bpf, classifier))])
    }

    /// An engine's answer: verdict, policy verdict, conntrack state, reason, points.
    static func side(_ r: PacketResult, _ classifier: Classifier) -> JSONValue {
        var f: [(String, JSONValue)] = [("verdict", .string(r.allow.map { $0 ? "allow" : "deny" } ?? "unparsed"))]
        if let p = r.policy { f.append(("policyVerdict", .string(p.allow ? "allow" : "deny"))) }
        f.append(("conntrack", .string(r.state.rawValue)))
        if let note = r.note { f.append(("reason", .string(note))) }
        if let p = r.policy { f.append(("points", .array(p.points.map { PacketJSON.pointJSON(classifier.describe($0)) }))) }
        return .object(f)
    }
}

/// Writes `text` to `path` through a temporary file and a rename.
func writeAtomically(_ path: String, _ text: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
        StandardError.write("verdict: error: \(path): cannot write")
        throw ExitCode(ExitStatus.inputError)
    }
    if rename(tmp, path) != 0 {
        unlink(tmp)
        StandardError.write("verdict: error: \(path): cannot rename into place: \(String(cString: strerror(errno)))")
        throw ExitCode(ExitStatus.inputError)
    }
}

/// Lines to stdout in large writes.
final class BufferedOutput {
    private var buffer = ""
    func write(_ line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }
    func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}

/// A packet counter on stderr, redrawn in place, only when stderr is a terminal.
final class Progress {
    let enabled: Bool
    private var last = 0
    init(enabled: Bool) { self.enabled = enabled }
    func tick(_ n: Int) {
        guard enabled, n - last >= 50_000 else { return }
        last = n
        FileHandle.standardError.write(Data("\r\u{1B}[K\(n) packets…".utf8))
    }
    func finish() {
        if enabled && last > 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

// `verdict bench` (the default subcommand, `matrix`): for each rule count × engine, generate a
// seeded workload (Workloads), build the engine, classify every packet, check every answer, and
// report throughput, build time and table size; optionally plot Mpps against rule count as SVG.

import ArgumentParser
import BPFLoader
import Foundation
import Workloads

struct BenchMatrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Throughput per rule count and engine on generated workloads, every answer checked (the default).",
        discussion: """
        Workloads (seeded, the same bytes for the same seed everywhere): classbench-acl,
        classbench-fw and classbench-ipc are ClassBench-shaped rule sets grown from the committed 1K
        seed sets, mapped to one ordered Calico policy as `bench classbench` maps them, with
        no-locality traces whose expected first-match index is a linear scan; k8s is a cluster of
        namespaces, pods with named ports, Kubernetes and Calico policies, tiers with Pass and
        network sets, with flow-local traffic whose expected verdicts (and deciding rule at every
        policing point) come from the reference evaluator. --rules is the target rule count (for
        k8s, Calico rules after conversion; the "calico rules" column gives what was built).

        Engines and timing are those of `bench classbench`: swift repeats the batch entry point
        for at least 0.5 s; bpf runs each packet through BPF_PROG_TEST_RUN and sums the kernel's
        durations (ClassBench: the pod enforced on its veth by the TC program; k8s: XDP in node
        mode); reference times one pass. Default packets: swift 100000, bpf 20000, reference
        2000000/rules clamped to 200…20000 (it is slow); --packets sets all of them. Build seconds:
        from the generated workload to a ready engine (policy set, table, maps). Table bytes: the
        compiled table, or the BPF maps.

        Exit codes: 0 every answer matched, 1 a mismatch (the first ones listed on standard error),
        2 a file cannot be written, 64 usage error, 77 BPF unavailable (bpf).
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table
        case json
        case md
    }

    @Option(name: .customLong("rules"), help: ArgumentHelp("Rule counts, comma-separated, each 10–100000.", valueName: "n,n,…"))
    var rulesList: String = "10,100,1000,10000,100000"

    @Option(name: .customLong("workload"),
            help: ArgumentHelp("classbench-acl, classbench-fw, classbench-ipc or k8s (comma-separated for several).", valueName: "name,…"))
    var workloadList: String = "classbench-acl"

    @Option(name: .customLong("engine"), help: ArgumentHelp("reference, swift and/or bpf, comma-separated.", valueName: "name,…"))
    var engineList: String = "swift"

    @Option(name: .customLong("seed"), help: "The workloads' seed.")
    var seed: UInt64 = 1

    @Option(name: .customLong("packets"), help: ArgumentHelp("Packets per run for every engine (default: per engine, see below).", valueName: "N"))
    var packets: Int?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table, json or md.")
    var output: Format = .table

    @Option(name: .customLong("plot"), help: ArgumentHelp("Also write Mpps against rule count as an SVG file.", valueName: "out.svg"))
    var plot: String?

    /// For the tests only: alter the expected answer of this packet of every run, which must then
    /// be reported as a mismatch (proves the check is live).
    @Option(name: .customLong("test-corrupt-expected"), help: ArgumentHelp(visibility: .private))
    var corruptExpected: Int?

    static let ruleRange = ClassBenchGenerator.supportedCounts

    func ruleCounts() throws -> [Int] {
        let parts = rulesList.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var out: [Int] = []
        for p in parts {
            guard let n = Int(p), Self.ruleRange.contains(n) else {
                throw ValidationError("--rules: '\(p)' is not a rule count from \(Self.ruleRange.lowerBound) to \(Self.ruleRange.upperBound)")
            }
            if !out.contains(n) { out.append(n) }
        }
        return out.sorted()
    }

    func workloads() throws -> [BenchWorkload] {
        try list(workloadList, option: "--workload", BenchWorkload.self)
    }

    func engines() throws -> [BenchEngine] {
        try list(engineList, option: "--engine", BenchEngine.self)
    }

    func list<T: RawRepresentable & CaseIterable & Equatable>(_ text: String, option: String, _: T.Type) throws -> [T] where T.RawValue == String {
        var out: [T] = []
        for p in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let v = T(rawValue: p) else {
                throw ValidationError("\(option): unknown '\(p)' (choose from \(T.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if !out.contains(v) { out.append(v) }
        }
        return out
    }

    func validate() throws {
        _ = try ruleCounts()
        _ = try workloads()
        _ = try engines()
        if let packets, packets < 1 { throw ValidationError("--packets must be at least 1") }
        if let plot, plot.isEmpty { throw ValidationError("--plot needs a file name") }
    }

    /// Packets a run of `engine` classifies at `rules` rules.
    func packetCount(_ engine: BenchEngine, rules: Int) -> Int {
        if let packets { return packets }
        switch engine {
        case .swift: return 100_000
        case .bpf: return 20_000
        case .reference: return max(200, min(20_000, 2_000_000 / rules))
        }
    }

    func run() throws {
        let counts = try ruleCounts(), workloads = try workloads(), engines = try engines()
        if engines.contains(.bpf) {
            let caps = BPFCapabilities.current
            guard caps.canLoadPrograms else {
                StandardError.write("verdict: error: --engine bpf: \(caps.reason ?? "BPF programs cannot be loaded here")")
                throw ExitCode(ExitStatus.missingPrivilege)
            }
        }
        let header = "verdict bench: workload \(workloads.map(\.rawValue).joined(separator: ",")), seed \(seed), "
            + "rules \(counts.map(String.init).joined(separator: ",")), engines \(engines.map(\.rawValue).joined(separator: ",")), "
            + "packets " + engines.map { e in "\(e.rawValue) \(packets.map(String.init) ?? Self.defaultPacketsText(e))" }.joined(separator: ", ")
        if output == .json { StandardError.write(header) } else { print(header) }
        #if DEBUG
        StandardError.write("verdict: warning: this is a debug build; its figures say nothing about speed (swift build -c release --product verdict)")
        #endif

        var rows: [BenchRow] = []
        var mismatchLines: [String] = []
        for workload in workloads {
            for n in counts {
                let need = engines.map { packetCount($0, rules: n) }.max()!
                StandardError.write("verdict: \(workload.rawValue), \(n) rules: generating the workload and \(need) packets …")
                let generated = try BenchCase.generate(workload, rules: n, packets: need, seed: seed)
                for engine in engines {
                    let runPackets = min(packetCount(engine, rules: n), need)
                    var result = try generated.run(engine, packets: runPackets, corrupt: corruptExpected)
                    result.row.generateSeconds = generated.generateSeconds
                    StandardError.write("verdict: \(workload.rawValue), \(n) rules, \(engine.rawValue): \(BenchReport.mpps(result.row.mpps)) Mpps, "
                                        + "\(result.row.mismatches) mismatches")
                    rows.append(result.row)
                    mismatchLines += result.firstMismatches
                }
            }
        }

        switch output {
        case .table: print(BenchReport.table(rows))
        case .md: print(BenchReport.markdown(rows))
        case .json: print(BenchReport.json(rows, workloads: workloads, seed: seed, engines: engines).render(pretty: true))
        }
        if let plot {
            do throws(WorkloadFileError) {
                try WorkloadFiles.write(BenchPlot.svg(rows, title: "verdict bench, seed \(seed)"), to: plot)
            } catch {
                StandardError.write("verdict: error: --plot \(error)")
                throw ExitCode(ExitStatus.inputError)
            }
        }
        let total = rows.reduce(0) { $0 + $1.mismatches }
        if total > 0 {
            for line in mismatchLines.prefix(BenchClassBench.listedMismatches) { StandardError.write("verdict: \(line)") }
            StandardError.write("verdict: \(total) mismatches in all")
            throw ExitCode(ExitStatus.expectationFailed)
        }
    }

    static func defaultPacketsText(_ e: BenchEngine) -> String {
        switch e {
        case .swift: "100000"
        case .bpf: "20000"
        case .reference: "2000000/rules (200…20000)"
        }
    }
}

enum BenchWorkload: String, CaseIterable, Sendable {
    case classbenchACL = "classbench-acl"
    case classbenchFW = "classbench-fw"
    case classbenchIPC = "classbench-ipc"
    case k8s
}

enum BenchEngine: String, CaseIterable, Sendable {
    case reference
    case swift
    case bpf
}

/// One line of the report.
struct BenchRow {
    var workload: String
    var engine: String
    /// The requested rule count, and the Calico rules built from it.
    var rules: Int
    var calicoRules: Int
    var packets: Int
    var mismatches: Int
    var mpps: Double
    var buildSeconds: Double
    var tableBytes: Int
    /// Memory the swift engine's Classifier adds beside the table: its term index (tables without
    /// bit vectors) and IPv4 atom index.
    var indexBytes: Int
    var passes: Int
    var classifySeconds: Double
    var generateSeconds: Double = 0

    var nsPerPacket: Double { mpps > 0 ? 1000 / mpps : 0 }
}

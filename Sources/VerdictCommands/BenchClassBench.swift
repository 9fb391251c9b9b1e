// `verdict bench classbench`: a ClassBench rule file mapped to one ordered Calico policy (see the
// ClassBench module), every header of its trace classified by an engine, each answer checked
// against the trace's expected first-match index, and the engine's speed on one core.

import Addresses
import ArgumentParser
import BPFDataPlane
import BPFLoader
import ClassBench
import Classifier
import CVerdictABI
import Foundation
import MatchTable
import Packets
import PolicyCompiler
import PolicyModel
import ReferenceEvaluator

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that also check every answer.",
        subcommands: [BenchMatrix.self, BenchClassBench.self, BenchReplay.self],
        defaultSubcommand: BenchMatrix.self)
}

struct BenchClassBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classbench",
        abstract: "Classify a ClassBench trace against its rule file and check every matched rule index.",
        discussion: """
        The rules become one GlobalNetworkPolicy on one pod (consecutive ones of at most 1024 rules,
        Calico's limit, for longer files), rule i in line order (Allow when i is even, Deny when
        odd); each trace header is a packet arriving at that pod, and the index of
        the deciding rule must equal the trace's 8th column. ClassBench ports on a protocol without
        ports (ICMP, GRE, …) have no Calico equivalent: a header whose expected rule needs them is
        counted as unrepresentable and not compared (docs/DECISIONS.md).

        Engines: swift (the compiled match table and the Swift fast path's batch entry point,
        every header of the trace in one call), reference (the reference evaluator, slow) and bpf
        (the kernel: the table in the BPF maps, the TC egress program enforcing the pod as on its
        veth, every header as one frame through BPF_PROG_TEST_RUN; ICMP headers become echo
        requests, since a frame needs a type and no ClassBench rule names one). Mpps: headers
        classified per second on one core, timing only the classification loop (the swift engine
        repeats it for at least 0.5 s; bpf sums the kernel's own duration of each run, parsing and
        conntrack included, without the system call). Build seconds: from parsed rules to a ready
        engine (policy set, and for swift the compiled table; for bpf also the maps loaded and
        written). Table bytes: the compiled table's size (0 for reference, which has no table;
        for bpf the table-derived maps at their size, both generations).

        Exit codes: 0 every answer matched, 1 a mismatch (the first ones are listed on standard
        error), 2 bad input, 64 usage error, 77 BPF unavailable (bpf).
        """)

    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case reference
        case swift
        case bpf
    }

    @Option(name: .customLong("rules"), help: ArgumentHelp("The ClassBench rule file.", valueName: "file"))
    var rulesPath: String

    @Option(name: .customLong("trace"), help: ArgumentHelp("The trace: 8 columns per line, plain or gzip-compressed.", valueName: "file[.gz]"))
    var tracePath: String

    @Option(name: .customLong("engine"), help: "Which classifier: reference, swift or bpf.")
    var engine: Engine = .swift

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(name: .customLong("limit"), help: ArgumentHelp("Use only the first N headers of the trace.", valueName: "N"))
    var limit: Int?

    /// How many mismatches are listed on standard error.
    static let listedMismatches = 10
    /// The swift engine repeats the timed loop until this much time has passed.
    static let minimumTiming: Duration = .milliseconds(500)

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    struct Run {
        var answers: [Int32]
        var buildSeconds: Double
        var classifySeconds: Double
        var passes: Int
        var tableBytes: Int
        /// The Classifier's own lookup structures beside the table (term index, IPv4 atom index).
        var indexBytes = 0
    }

    func run() throws {
        let rules: [ClassBenchRule]
        let trace: ClassBenchTrace
        do throws(InputError) {
            rules = try ClassBenchRuleFile.load(path: rulesPath)
            trace = try ClassBenchTrace.read(path: tracePath, limit: limit)
        } catch {
            throw failInput(error)
        }

        let result: Run
        let policy: ClassBenchPolicy
        let clock = ContinuousClock()
        let buildStart = clock.now
        do throws(InputError) {
            policy = try ClassBenchPolicy(rules: rules, file: rulesPath)
            try policy.check(trace)
        } catch {
            throw failInput(error)
        }
        let policySeconds = (clock.now - buildStart).seconds
        switch engine {
        case .reference: result = Self.runReference(policy, trace, policySeconds: policySeconds)
        case .swift: result = try Self.runSwift(policy, trace, policySeconds: policySeconds)
        case .bpf: result = try Self.runBPF(policy, trace, policySeconds: policySeconds)
        }

        // Compare.
        var mismatches: [Int] = []
        var unrepresentable = 0
        for i in 0..<trace.count {
            if !policy.isRepresentable(trace, i) {
                unrepresentable += 1
                continue
            }
            if result.answers[i] != trace.expected[i] { mismatches.append(i) }
        }
        for i in mismatches.prefix(Self.listedMismatches) {
            StandardError.write("verdict: \(trace.file):\(trace.line(of: i)): mismatch: expected rule \(trace.expected[i]), got \(result.answers[i]) "
                                + "(\(policy.packet(trace, i)))")
        }
        if mismatches.count > Self.listedMismatches {
            StandardError.write("verdict: … and \(mismatches.count - Self.listedMismatches) more mismatches")
        }
        if unrepresentable > 0 {
            StandardError.write("verdict: warning: \(unrepresentable) headers not compared: their protocol has no ports and their expected rule restricts ports")
        }

        let packetsTimed = Double(trace.count) * Double(result.passes)
        let mpps = result.classifySeconds > 0 ? packetsTimed / result.classifySeconds / 1e6 : 0
        let setName = URL(fileURLWithPath: rulesPath).lastPathComponent.replacingOccurrences(of: ".rules", with: "")
        let calicoRules = policy.classBenchIndex.count
        switch output {
        case .json:
            let doc: JSONValue = .object([
                ("set", .string(setName)),
                ("engine", .string(engine.rawValue)),
                ("rules", .int(rules.count)),
                ("packets", .int(trace.count)),
                ("mismatches", .int(mismatches.count)),
                ("mpps", .double(Self.round(mpps, 6))),
                ("buildSeconds", .double(Self.round(result.buildSeconds, 6))),
                ("tableBytes", .int(result.tableBytes)),
                ("indexBytes", .int(result.indexBytes)),
                ("calicoRules", .int(calicoRules)),
                ("unrepresentable", .int(unrepresentable)),
                ("passes", .int(result.passes)),
                ("classifySeconds", .double(Self.round(result.classifySeconds, 6))),
            ])
            print(doc.render(pretty: true))
        case .table:
            var ruleNote = ""
            if calicoRules != rules.count || !policy.unmappedRules.isEmpty {
                ruleNote = " (\(calicoRules) Calico rules: \(policy.splitRules.count) split by protocol, \(policy.unmappedRules.count) without a Calico rule)"
            }
            print(renderTable([
                ["set", setName],
                ["engine", engine.rawValue],
                ["rules", "\(rules.count)\(ruleNote)"],
                ["packets", "\(trace.count)" + (unrepresentable > 0 ? " (\(unrepresentable) unrepresentable, not compared)" : "")],
                ["mismatches", "\(mismatches.count)"],
                ["Mpps", String(format: "%.4g", mpps) + " (one core, \(result.passes) pass\(result.passes == 1 ? "" : "es"), \(String(format: "%.3f", result.classifySeconds)) s)"],
                ["build seconds", String(format: "%.3f", result.buildSeconds)],
                ["table bytes", "\(result.tableBytes)"],
                ["index bytes", "\(result.indexBytes)"],
            ]))
        }
        if !mismatches.isEmpty { throw ExitCode(ExitStatus.expectationFailed) }
    }

    static func round(_ x: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }

    // MARK: Engines

    static func runReference(_ policy: ClassBenchPolicy, _ trace: ClassBenchTrace, policySeconds: Double) -> Run {
        let clock = ContinuousClock()
        let buildStart = clock.now
        let engine = ClassBenchReferenceEngine(policy)
        let buildSeconds = policySeconds + (clock.now - buildStart).seconds
        let packets = (0..<trace.count).map { policy.packet(trace, $0) }
        var answers = [Int32](repeating: -1, count: trace.count)
        let start = clock.now
        for i in 0..<packets.count { answers[i] = engine.classify(packets[i]) }
        return Run(answers: answers, buildSeconds: buildSeconds, classifySeconds: (clock.now - start).seconds, passes: 1, tableBytes: 0)
    }

    static func runSwift(_ policy: ClassBenchPolicy, _ trace: ClassBenchTrace, policySeconds: Double) throws -> Run {
        let clock = ContinuousClock()
        let buildStart = clock.now
        let table = try compileTable(policy.policySet)
        let classifier = Classifier(table)
        let buildSeconds = policySeconds + (clock.now - buildStart).seconds
        guard let chain = table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS) else {
            StandardError.write("verdict: error: the compiled table has no workload ingress chain")
            throw ExitCode(ExitStatus.inputError)
        }
        // The ClassBench index of each rule of the chain (-1 for the defaults).
        var names: [UInt32: String] = [:]
        let classBenchOfRule: [Int32] = table.rules(chain: chain).map { r in
            guard r.origin == UInt8(VD_ORIGIN_POLICY.rawValue) else { return -1 }
            if names[r.policy] == nil { names[r.policy] = table.string(r.policy) }
            return policy.classBenchIndex(policy: names[r.policy]!, rule: Int(r.index))
        }
        let keys: [PacketKey] = (0..<trace.count).map { i in
            let p = policy.packet(trace, i)
            return PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                             sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: nil, icmpCode: nil)
        }
        var decided = [UInt32](repeating: VD_NONE, count: keys.count)
        let endpoint = policy.endpointIndex
        var passes = 0
        var elapsed = Duration.zero
        keys.withUnsafeBufferPointer { k in
            decided.withUnsafeMutableBufferPointer { out in
                repeat {
                    let start = clock.now
                    classifier.classifyPoints(chain: chain, endpoint: endpoint, keys: k, into: out)
                    elapsed += clock.now - start
                    passes += 1
                } while elapsed < Self.minimumTiming
            }
        }
        let answers = decided.map { $0 == VD_NONE ? Int32(-1) : classBenchOfRule[Int($0)] }
        return Run(answers: answers, buildSeconds: buildSeconds, classifySeconds: elapsed.seconds, passes: passes, tableBytes: table.byteCount,
                   indexBytes: classifier.termIndexBytes + classifier.addressIndexBytes)
    }
}

extension BenchClassBench {
    /// Every header as one frame through the kernel's TC egress program, enforcing the subject pod
    /// in endpoint mode (its ingress chain, as on the pod's veth).
    static func runBPF(_ policy: ClassBenchPolicy, _ trace: ClassBenchTrace, policySeconds: Double) throws -> Run {
        let caps = BPFCapabilities.current
        guard caps.canLoadPrograms else {
            StandardError.write("verdict: error: --engine bpf: \(caps.reason ?? "BPF programs cannot be loaded here")")
            throw ExitCode(ExitStatus.missingPrivilege)
        }
        let clock = ContinuousClock()
        let buildStart = clock.now
        let table = try compileTable(policy.policySet, options: .bpf)
        guard let chain = table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS) else {
            StandardError.write("verdict: error: the compiled table has no workload ingress chain")
            throw ExitCode(ExitStatus.inputError)
        }
        let plane: BPFTablePlane
        do throws(BPFError) {
            plane = try BPFTablePlane(table, object: .tc, mode: VD_MODE_ENDPOINT, endpoint: UInt32(policy.endpointIndex), headroom: 0,
                                      conntrackEntries: 1 << 18)
        } catch {
            StandardError.write("verdict: error: --engine bpf: loading the table into BPF maps failed: \(error)")
            throw ExitCode(error.isPermissionDenied ? ExitStatus.missingPrivilege : ExitStatus.inputError)
        }
        let buildSeconds = policySeconds + (clock.now - buildStart).seconds
        var names: [UInt32: String] = [:]
        let classBenchOfRule: [Int32] = table.rules(chain: chain).map { r in
            guard r.origin == UInt8(VD_ORIGIN_POLICY.rawValue) else { return -1 }
            if names[r.policy] == nil { names[r.policy] = table.string(r.policy) }
            return policy.classBenchIndex(policy: names[r.policy]!, rule: Int(r.index))
        }
        var answers = [Int32](repeating: -1, count: trace.count)
        var kernelNanoseconds = 0
        for i in 0..<trace.count {
            let p = policy.packet(trace, i)
            let frame = ClassBenchFrames.frame(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                                               sourcePort: p.sourcePort, destinationPort: p.destinationPort, id: UInt16(truncatingIfNeeded: i))
            let run: BPFRun
            do throws(BPFError) {
                run = try plane.run(frame, hook: .tcEgress)
            } catch {
                StandardError.write("verdict: error: --engine bpf: header \(i + 1): \(error)")
                throw ExitCode(ExitStatus.inputError)
            }
            kernelNanoseconds += Int(run.durationNanoseconds)
            let points = run.policy.points
            guard points.count == 1, points[0].chain == UInt8(chain) else {
                StandardError.write("verdict: error: --engine bpf: header \(i + 1): the kernel gave \(run.policy), not one point of the pod's ingress chain")
                throw ExitCode(ExitStatus.inputError)
            }
            answers[i] = points[0].rule == VD_NONE ? -1 : classBenchOfRule[Int(points[0].rule)]
        }
        let mapBytes = BPFTableMap.allCases.reduce(0) { $0 + plane.capacity.bytes(of: $1) }
        return Run(answers: answers, buildSeconds: buildSeconds, classifySeconds: Double(kernelNanoseconds) / 1e9, passes: 1, tableBytes: mapBytes)
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

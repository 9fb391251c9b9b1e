// `verdict bench replay`: end-to-end replay speed on a capture made of a ClassBench trace,
// beside the speed of reading the same capture and doing nothing else, after checking every
// packet's verdict.

import Addresses
import ArgumentParser
import CaptureReplay
import ClassBench
import Classifier
import CVerdictABI
import Foundation
import MatchTable
import Packets
import PcapIO
import PolicyModel

struct BenchReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Time end-to-end replay of a ClassBench trace as a capture, against the capture-reading ceiling.",
        discussion: """
        The rules are mapped as by `verdict bench classbench`. Every trace header becomes an
        Ethernet/IPv4 frame from the header's source address and ports to the subject pod
        (192.0.2.1), so that every packet goes through the pod's ingress chain (TCP SYN, UDP,
        SCTP INIT, ICMP echo request, or the bare protocol), one per microsecond, written to a
        temporary pcap file.

        Before timing, the capture is replayed once with per-packet results: each packet's points
        must be the classifier's for the same header (ClassBench's column 8 does not apply, the
        destination being the pod), its verdict the policy's unless conntrack decided, and the
        summary the same with --jobs 1 and --jobs N.

        With --packets-per-flow N, each header becomes N consecutive packets of one flow: TCP
        SYN, SYN-ACK from the pod, then ACKs alternating direction; ICMP echo request and reply
        alternating; other protocols alternating direction. With 1 (the default) every packet is
        its header's first, but headers repeat in ClassBench traces, so the capture still has far
        fewer flows than packets (the output says how many).

        Timed, each repeated for at least 0.5 s, on the file in the page cache:
          ceiling  libpcap reads every packet and does nothing else;
          mapped   the mapped reader replay uses for pcap files reads every packet, nothing else;
          replay   read, parse, conntrack, classify and count, as `verdict replay` does for its
                   summary (no per-packet output), on --jobs threads.
        Mpps: packets of the capture per second of wall-clock time.

        Exit codes: 0 ok, 1 a packet's result differs, 2 bad input, 64 usage error.
        """)

    @Option(name: .customLong("rules"), help: ArgumentHelp("The ClassBench rule file.", valueName: "file"))
    var rulesPath: String

    @Option(name: .customLong("trace"), help: ArgumentHelp("The trace: 8 columns per line, plain or gzip-compressed.", valueName: "file[.gz]"))
    var tracePath: String

    @Option(name: [.customShort("j"), .customLong("jobs")], help: ArgumentHelp("Worker threads for the timed replay: 1 to \(Jobs.maximum), or auto.", valueName: "N"))
    var jobsOption: Jobs?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(name: .customLong("limit"), help: ArgumentHelp("Use only the first N headers of the trace.", valueName: "N"))
    var limit: Int?

    @Option(name: .customLong("packets-per-flow"), help: ArgumentHelp("Packets per trace header, as one flow in both directions (1 to 1000).", valueName: "N"))
    var packetsPerFlow = 1

    @Option(name: .customLong("profile"), help: .hidden)
    var profile: ProfileLoop?

    @Option(name: .customLong("profile-seconds"), help: .hidden)
    var profileSeconds = 5.0

    /// For profilers: run one timed loop alone for --profile-seconds, without the checks.
    enum ProfileLoop: String, ExpressibleByArgument {
        case replay, ceiling, mapped
        /// Each of ReplayMeasurement.Stage's loops for --profile-seconds, in turn: ns per packet.
        case stages
    }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if packetsPerFlow < 1 || packetsPerFlow > 1000 { throw ValidationError("--packets-per-flow must be 1 to 1000") }
    }

    static let minimumTiming: Duration = .milliseconds(500)

    func run() throws {
        let jobs = jobsOption?.count ?? 1
        let rules: [ClassBenchRule], trace: ClassBenchTrace, policy: ClassBenchPolicy
        do throws(InputError) {
            rules = try ClassBenchRuleFile.load(path: rulesPath)
            trace = try ClassBenchTrace.read(path: tracePath, limit: limit)
            policy = try ClassBenchPolicy(rules: rules, file: rulesPath)
        } catch {
            throw failInput(error)
        }
        let table = try compileTable(policy.policySet)
        let path = NSTemporaryDirectory() + "verdict-bench-replay-\(getpid()).pcap"
        guard FileManager.default.createFile(atPath: path, contents: Data(ClassBenchFrames.replayCapture(policy, trace, packetsPerFlow: packetsPerFlow))) else {
            StandardError.write("verdict: error: \(path): cannot write the capture")
            throw ExitCode(ExitStatus.inputError)
        }
        defer { unlink(path) }
        let packetCount = trace.count * packetsPerFlow

        if profile == .stages {
            var previous = 0.0
            for stage in ReplayMeasurement.Stage.allCases {
                let clock = ContinuousClock(), start = clock.now
                var passes = 0
                while (clock.now - start).seconds < profileSeconds {
                    guard try ReplayMeasurement.run(stage, path, table: table) == packetCount else {
                        StandardError.write("verdict: error: stage \(stage.rawValue) saw another packet count")
                        throw ExitCode(ExitStatus.expectationFailed)
                    }
                    passes += 1
                }
                let ns = (clock.now - start).seconds * 1e9 / Double(packetCount * passes)
                print(stage.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                      + String(format: "%7.1f ns/packet  (+%.1f)", ns, ns - previous))
                previous = ns
            }
            return
        }
        if let profile {
            let clock = ContinuousClock(), start = clock.now
            var passes = 0
            while (clock.now - start).seconds < profileSeconds {
                switch profile {
                case .replay: _ = try ReplayMeasurement.replay(path, table: table, jobs: jobs)
                case .ceiling: _ = try ReplayMeasurement.readCeiling(path, using: .libpcap)
                case .mapped, .stages: _ = try ReplayMeasurement.readCeiling(path, using: .automatic)
                }
                passes += 1
            }
            let seconds = (clock.now - start).seconds
            print("\(profile.rawValue): \(passes) passes, \(String(format: "%.4g", Double(packetCount * passes) / seconds / 1e6)) Mpps")
            if profile == .replay {
                let r = try ReplayMeasurement.replay(path, table: table, jobs: jobs)
                print("flows \(r.flows), packets " + ConntrackState.allCases.map { "\($0.rawValue) \(r.tally.packets(in: $0))" }.joined(separator: ", ")
                      + "; allowed \(r.tally.allowed), denied \(r.tally.denied), classified \(r.hits.joined().reduce(0, +))")
            }
            return
        }

        let (mismatches, flows) = try check(path, table: table, policy: policy, trace: trace, jobs: jobs)
        for m in mismatches.prefix(BenchClassBench.listedMismatches) { StandardError.write("verdict: \(m)") }
        if mismatches.count > BenchClassBench.listedMismatches {
            StandardError.write("verdict: … and \(mismatches.count - BenchClassBench.listedMismatches) more mismatches")
        }

        let ceiling = try time { _ = try ReplayMeasurement.readCeiling(path, using: .libpcap) }
        let mapped = try time { _ = try ReplayMeasurement.readCeiling(path, using: .automatic) }
        let replay = try time { _ = try ReplayMeasurement.replay(path, table: table, jobs: jobs) }
        let packets = Double(packetCount)
        let ceilingMpps = packets * Double(ceiling.passes) / ceiling.seconds / 1e6
        let mappedMpps = packets * Double(mapped.passes) / mapped.seconds / 1e6
        let replayMpps = packets * Double(replay.passes) / replay.seconds / 1e6
        let setName = URL(fileURLWithPath: rulesPath).lastPathComponent.replacingOccurrences(of: ".rules", with: "")
        switch output {
        case .json:
            print(JSONValue.object([
                ("set", .string(setName)), ("rules", .int(rules.count)), ("packets", .int(packetCount)),
                ("packetsPerFlow", .int(packetsPerFlow)), ("flows", .int(flows)), ("jobs", .int(jobs)),
                ("mismatches", .int(mismatches.count)),
                ("ceilingMpps", .double(BenchClassBench.round(ceilingMpps, 4))), ("mappedCeilingMpps", .double(BenchClassBench.round(mappedMpps, 4))),
                ("replayMpps", .double(BenchClassBench.round(replayMpps, 4))),
                ("ceilingPasses", .int(ceiling.passes)), ("mappedCeilingPasses", .int(mapped.passes)), ("replayPasses", .int(replay.passes)),
            ]).render(pretty: true))
        case .table:
            print(renderTable([
                ["set", setName],
                ["rules", "\(rules.count)"],
                ["packets", "\(packetCount) (\(packetsPerFlow) per header)"],
                ["flows", "\(flows)"],
                ["jobs", "\(jobs)"],
                ["mismatches", "\(mismatches.count)"],
                ["ceiling Mpps", String(format: "%.4g", ceilingMpps) + " (libpcap reading only, \(ceiling.passes) passes)"],
                ["mapped Mpps", String(format: "%.4g", mappedMpps) + " (mapped reader reading only, \(mapped.passes) passes)"],
                ["replay Mpps", String(format: "%.4g", replayMpps) + " (end to end, \(replay.passes) passes, \(String(format: "%.0f", 100 * replayMpps / ceilingMpps))% of the libpcap ceiling, \(String(format: "%.0f", 100 * replayMpps / mappedMpps))% of the mapped one)"],
            ]))
        }
        if !mismatches.isEmpty { throw ExitCode(ExitStatus.expectationFailed) }
    }

    /// Runs `body` until at least ``minimumTiming`` has passed.
    func time(_ body: () throws -> Void) throws -> (passes: Int, seconds: Double) {
        let clock = ContinuousClock()
        var passes = 0
        var elapsed = Duration.zero
        repeat {
            let start = clock.now
            try body()
            elapsed += clock.now - start
            passes += 1
        } while elapsed < Self.minimumTiming
        return (passes, elapsed.seconds)
    }

    /// Every packet's points against the classifier's for the same header, and the summary of
    /// `jobs` threads against one.
    func check(_ path: String, table: MatchTable, policy: ClassBenchPolicy, trace: ClassBenchTrace, jobs: Int) throws -> (mismatches: [String], flows: Int) {
        let classifier = Classifier(table)
        let pod = IPAddress(v4: ClassBench.podIPv4)
        var mismatches: [String] = []
        let reader = try openCapture(path)
        let replayer = CaptureReplayer(table: table, jobs: jobs, policyVerdicts: .always)
        var index = 0
        try replayer.run(reader) { record, _, result in
            defer { index += 1 }
            let p = policy.packet(trace, index / packetsPerFlow)
            let f = ClassBenchFrames.FlowPacket(index % packetsPerFlow)
            let icmpType: UInt8? = p.protocolNumber == 1 ? f.icmpType : nil
            let want = f.isReply
                ? classifier.classify(PacketKey(source: pod, destination: p.source, protocolNumber: p.protocolNumber,
                                                sourcePort: p.destinationPort, destinationPort: p.sourcePort,
                                                icmpType: icmpType, icmpCode: icmpType.map { _ in 0 }))
                : classifier.classify(PacketKey(source: p.source, destination: pod, protocolNumber: p.protocolNumber,
                                                sourcePort: p.sourcePort, destinationPort: p.destinationPort,
                                                icmpType: icmpType, icmpCode: icmpType.map { _ in 0 }))
            guard let got = result.policy, let allow = result.allow else {
                mismatches.append("packet \(record.number): unparsed (\(result.note ?? ""))")
                return
            }
            if got != want { mismatches.append("packet \(record.number): points \(got.points), expected \(want.points)") }
            if result.state == .new && allow != want.allow { mismatches.append("packet \(record.number): verdict \(allow), policy says \(want.allow)") }
        }
        if index != trace.count * packetsPerFlow { mismatches.append("the capture gave \(index) packets, not \(trace.count * packetsPerFlow)") }
        if jobs > 1 {
            let one = try ReplayMeasurement.replay(path, table: table, jobs: 1)
            let many = try ReplayMeasurement.replay(path, table: table, jobs: jobs)
            if one.tally != many.tally || one.flows != many.flows || one.hits != many.hits {
                mismatches.append("--jobs \(jobs) gives another summary than --jobs 1")
            }
        }
        return (mismatches, replayer.flowCount)
    }

    func openCapture(_ path: String) throws -> CaptureReader {
        do throws(CaptureError) {
            return try CaptureReader(path: path)
        } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
    }
}

// End-to-end replay on ClassBench's 1K-rule sets (acl1, fw1, ipc1), beside the capture-reading
// ceiling. Each trace becomes a pcap file (ClassBenchFrames.replayCapture: every header as a
// frame from its source to the subject pod, so every packet meets the pod's 1K-rule ingress
// chain), written once to a temporary file that stays in the page cache. One benchmark per set:
//   Replay/<set>/ceiling  libpcap reads every packet and does nothing else
//   Replay/<set>/jobs1    read, parse, conntrack, classify and count (`verdict replay`'s summary)
//   Replay/<set>/jobs2    the same with two worker threads (a reader, two workers, the merge)
// One iteration is the whole capture: Mpps = packets × iterations per second. mallocCountTotal
// counts one iteration's allocations, which do not grow with the packets (tables grow by doubling).
// Before timing, every packet's points are checked against the classifier for the same header,
// and the summary of two jobs against one's; a mismatch aborts.

import Addresses
import Benchmark
import CaptureReplay
import Classifier
import ClassBench
import Foundation
import MatchTable
import PcapIO
import PolicyCompiler

let benchmarks: @Sendable () -> Void = {
    #if DEBUG
    print("WARNING: benchmarks built in debug mode; figures are meaningless. Use `swift package benchmark` (release).")
    #endif
    let dir = ProcessInfo.processInfo.environment["VERDICT_CLASSBENCH_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Benchmarks/classbench").path
    for set in ["acl1_1k", "fw1_1k", "ipc1_1k"] {
        let rulesPath = "\(dir)/\(set).rules", tracePath = "\(dir)/\(set).trace.gz"
        print("workload: ClassBench \(set) (\(rulesPath), \(tracePath)) as a pcap to the subject pod \(ClassBench.podAddress); seed: none (fixed files)")
        let trace: ClassBenchTrace, policy: ClassBenchPolicy, table: MatchTable
        do {
            trace = try ClassBenchTrace.read(path: tracePath)
            policy = try ClassBenchPolicy(rules: try ClassBenchRuleFile.load(path: rulesPath), file: rulesPath)
            table = try PolicyCompiler.compile(policy.policySet)
        } catch {
            print("error: \(set): \(error); set VERDICT_CLASSBENCH_DIR to the directory holding the ClassBench files")
            continue
        }
        // A fixed name per set, overwritten by each run, so runs leave one file per set behind at most.
        let path = NSTemporaryDirectory() + "verdict-replaybench-\(set).pcap"
        guard FileManager.default.createFile(atPath: path, contents: Data(ClassBenchFrames.replayCapture(policy, trace))) else {
            print("error: \(set): cannot write \(path)")
            continue
        }
        // Check every packet once, and two jobs against one.
        do {
            let classifier = Classifier(table)
            let pod = IPAddress(v4: ClassBench.podIPv4)
            var index = 0, mismatches = 0
            try CaptureReplayer(table: table, jobs: 1, policyVerdicts: .always).run(try CaptureReader(path: path)) { _, _, result in
                let p = policy.packet(trace, index)
                index += 1
                let icmp = p.protocolNumber == 1
                let want = classifier.classify(PacketKey(source: p.source, destination: pod, protocolNumber: p.protocolNumber,
                                                         sourcePort: p.sourcePort, destinationPort: p.destinationPort,
                                                         icmpType: icmp ? 8 : nil, icmpCode: icmp ? 0 : nil))
                if result.policy != want { mismatches += 1 }
            }
            precondition(index == trace.count && mismatches == 0, "\(set): \(mismatches) packets whose points are not the classifier's")
            let one = try ReplayMeasurement.replay(path, table: table, jobs: 1)
            let two = try ReplayMeasurement.replay(path, table: table, jobs: 2)
            precondition(one.tally == two.tally && one.flows == two.flows && one.hits == two.hits, "\(set): --jobs 2 differs from --jobs 1")
            print("\(set): \(trace.count) packets, \(one.flows) flows, \(one.tally.allowed) allowed, \(one.tally.denied) denied, 0 mismatches; "
                  + "one iteration = the whole capture")
        } catch {
            print("error: \(set): \(error)")
            continue
        }

        let config = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
                                             scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 30)
        Benchmark("Replay/\(set)/ceiling", configuration: config) { b in
            for _ in b.scaledIterations { blackHole(try ReplayMeasurement.readCeiling(path)) }
        }
        for jobs in [1, 2] {
            Benchmark("Replay/\(set)/jobs\(jobs)", configuration: config) { b in
                for _ in b.scaledIterations { blackHole(try ReplayMeasurement.replay(path, table: table, jobs: jobs).tally.packets) }
            }
        }
    }
}

// The Swift fast path on ClassBench's 1K-rule sets (acl1, fw1, ipc1): classification only, one
// core, the trace pre-loaded as packet keys, no-locality order. One benchmark per set and mode:
//   FastPath/<set>/batch   classifyPoints over the whole trace (groups of 8)
//   FastPath/<set>/single  classifyPoint, one packet per call
// Throughput is in packets; the malloc counter must read 0 per iteration (no allocation per
// packet). Every answer is checked against column 8 once before timing; a mismatch aborts.

import Benchmark
import Classifier
import ClassBench
import CVerdictABI
import Foundation
import MatchTable
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
        print("workload: ClassBench \(set) (\(rulesPath), \(tracePath)); seed: none (fixed files)")
        let rules: [ClassBenchRule], trace: ClassBenchTrace, policy: ClassBenchPolicy, table: MatchTable
        do {
            rules = try ClassBenchRuleFile.load(path: rulesPath)
            trace = try ClassBenchTrace.read(path: tracePath)
            policy = try ClassBenchPolicy(rules: rules, file: rulesPath)
            table = try PolicyCompiler.compile(policy.policySet)
        } catch {
            print("error: \(set): \(error); set VERDICT_CLASSBENCH_DIR to the directory holding the ClassBench files")
            continue
        }
        let classifier = Classifier(table)
        let chain = table.chainIndex(kind: VD_CHAIN_WORKLOAD, direction: VD_DIR_INGRESS)!
        let endpoint = policy.endpointIndex
        let keys: [PacketKey] = (0..<trace.count).map { i in
            let p = policy.packet(trace, i)
            return PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber,
                             sourcePort: p.sourcePort, destinationPort: p.destinationPort, icmpType: nil, icmpCode: nil)
        }
        // Check every answer once.
        var names: [UInt32: String] = [:]
        let classBenchOfRule: [Int32] = table.rules(chain: chain).map { r in
            guard r.origin == UInt8(VD_ORIGIN_POLICY.rawValue) else { return -1 }
            if names[r.policy] == nil { names[r.policy] = table.string(r.policy) }
            return policy.classBenchIndex(policy: names[r.policy]!, rule: Int(r.index))
        }
        var out = [UInt32](repeating: 0, count: keys.count)
        keys.withUnsafeBufferPointer { k in out.withUnsafeMutableBufferPointer { classifier.classifyPoints(chain: chain, endpoint: endpoint, keys: k, into: $0) } }
        let mismatches = (0..<keys.count).filter { i in (out[i] == VD_NONE ? -1 : classBenchOfRule[Int(out[i])]) != trace.expected[i] }.count
        precondition(mismatches == 0, "\(set): \(mismatches) mismatches against column 8")
        print("\(set): \(rules.count) rules, \(keys.count) packets, 0 mismatches, table \(table.byteCount) bytes")

        let config = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
                                             scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 30)
        Benchmark("FastPath/\(set)/batch", configuration: config) { b in
            var results = [UInt32](repeating: 0, count: keys.count)
            b.startMeasurement()
            for _ in b.scaledIterations {
                keys.withUnsafeBufferPointer { k in
                    results.withUnsafeMutableBufferPointer { classifier.classifyPoints(chain: chain, endpoint: endpoint, keys: k, into: $0) }
                }
            }
            b.stopMeasurement()
            blackHole(results[0])
        }
        Benchmark("FastPath/\(set)/single", configuration: config) { b in
            var acc: UInt32 = 0
            b.startMeasurement()
            for _ in b.scaledIterations {
                keys.withUnsafeBufferPointer { k in
                    for key in k { acc &+= classifier.classifyPoint(chain: chain, endpoint: endpoint, key: key) }
                }
            }
            b.stopMeasurement()
            blackHole(acc)
        }
    }
}

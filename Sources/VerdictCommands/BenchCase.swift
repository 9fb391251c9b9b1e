// One cell group of `verdict bench`: a generated workload at one rule count, and each engine run on
// it with every answer checked. ClassBench workloads reuse `bench classbench`'s engines (the same
// mapping, timing and answers); the k8s workload compares whole-path answers: the verdict and the
// deciding rule or default at every policing point.

import ArgumentParser
import BPFDataPlane
import BPFImage
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
import Workloads

struct BenchResult {
    var row: BenchRow
    /// "workload rules engine: packet i: expected …, got …", at most a few.
    var firstMismatches: [String]
}

enum BenchCase {
    case classBench(BenchWorkload, ClassBenchWorkload, ClassBenchPolicy, policySeconds: Double, generateSeconds: Double)
    case kubernetes(KubernetesWorkload, generateSeconds: Double)

    var generateSeconds: Double {
        switch self {
        case let .classBench(_, _, _, _, g): g
        case let .kubernetes(_, g): g
        }
    }

    static func generate(_ workload: BenchWorkload, rules: Int, packets: Int, seed: UInt64) throws -> BenchCase {
        let clock = ContinuousClock()
        let start = clock.now
        let profile: ClassBenchProfile
        switch workload {
        case .classbenchACL: profile = .acl
        case .classbenchFW: profile = .fw
        case .classbenchIPC: profile = .ipc
        case .k8s:
            do throws(InputError) {
                let w = try KubernetesWorkload(targetRules: rules, packets: packets, seed: seed)
                // Loading the YAML is the workload's making; resolving it is part of the build.
                return .kubernetes(w, generateSeconds: (clock.now - start).seconds - w.resolveSeconds)
            } catch {
                StandardError.write("verdict: error: the generated k8s workload does not load (a generator bug): \(error)")
                throw ExitCode(ExitStatus.inputError)
            }
        }
        let w = ClassBenchWorkload(profile: profile, ruleCount: rules, packets: packets, seed: seed)
        let generated = (clock.now - start).seconds
        let t = clock.now
        do throws(InputError) {
            let policy = try ClassBenchPolicy(rules: w.rules, file: "<generated \(workload.rawValue) \(rules) rules, seed \(seed)>")
            return .classBench(workload, w, policy, policySeconds: (clock.now - t).seconds, generateSeconds: generated)
        } catch {
            StandardError.write("verdict: error: the generated rules do not map to Calico (a generator bug): \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
    }

    func run(_ engine: BenchEngine, packets: Int, corrupt: Int?) throws -> BenchResult {
        switch self {
        case let .classBench(workload, w, policy, policySeconds, _):
            return try Self.runClassBench(workload, w, policy, policySeconds: policySeconds, engine, packets: packets, corrupt: corrupt)
        case let .kubernetes(w, _):
            return try Self.runKubernetes(w, engine, packets: packets, corrupt: corrupt)
        }
    }

    // MARK: ClassBench

    static func runClassBench(_ workload: BenchWorkload, _ w: ClassBenchWorkload, _ policy: ClassBenchPolicy, policySeconds: Double,
                              _ engine: BenchEngine, packets: Int, corrupt: Int?) throws -> BenchResult {
        var trace = ClassBenchTrace(file: w.trace.file)
        for i in 0..<min(packets, w.trace.count) {
            trace.append(source: w.trace.source[i], destination: w.trace.destination[i], sourcePort: w.trace.sourcePort[i],
                         destinationPort: w.trace.destinationPort[i], protocolNumber: w.trace.protocolNumber[i], expected: w.trace.expected[i])
        }
        var expected = trace.expected
        if let corrupt, corrupt < expected.count { expected[corrupt] = expected[corrupt] == 0 ? 1 : expected[corrupt] - 1 }
        let run: BenchClassBench.Run
        switch engine {
        case .reference: run = BenchClassBench.runReference(policy, trace, policySeconds: policySeconds)
        case .swift: run = try BenchClassBench.runSwift(policy, trace, policySeconds: policySeconds)
        case .bpf: run = try BenchClassBench.runBPF(policy, trace, policySeconds: policySeconds)
        }
        var mismatches = 0
        var lines: [String] = []
        for i in 0..<trace.count where policy.isRepresentable(trace, i) && run.answers[i] != expected[i] {
            mismatches += 1
            if lines.count < BenchClassBench.listedMismatches {
                lines.append("\(workload.rawValue), \(w.rules.count) rules, \(engine.rawValue): packet \(i): expected rule \(expected[i]), "
                             + "got \(run.answers[i]) (\(policy.packet(trace, i)))")
            }
        }
        let timed = Double(trace.count) * Double(run.passes)
        let row = BenchRow(workload: workload.rawValue, engine: engine.rawValue, rules: w.rules.count, calicoRules: policy.classBenchIndex.count,
                           packets: trace.count, mismatches: mismatches, mpps: run.classifySeconds > 0 ? timed / run.classifySeconds / 1e6 : 0,
                           buildSeconds: run.buildSeconds, tableBytes: run.tableBytes, indexBytes: run.indexBytes, passes: run.passes,
                           classifySeconds: run.classifySeconds)
        return BenchResult(row: row, firstMismatches: lines)
    }

    // MARK: Kubernetes

    static func key(_ p: Packet) -> PacketKey {
        PacketKey(source: p.source, destination: p.destination, protocolNumber: p.protocolNumber, sourcePort: p.sourcePort,
                  destinationPort: p.destinationPort, icmpType: p.icmpType, icmpCode: p.icmpCode)
    }

    static func runKubernetes(_ w: KubernetesWorkload, _ engine: BenchEngine, packets: Int, corrupt: Int?) throws -> BenchResult {
        let n = min(packets, w.packetCount)
        let clock = ContinuousClock()
        let calicoRules = w.policySet.allPolicies.reduce(0) { $0 + $1.ingress.count + $1.egress.count }
        // What each packet must get: its flow's expectation (one packet's altered under --test-corrupt-expected).
        func expected(_ i: Int) -> KubernetesExpectation {
            var e = w.expectations[Int(w.packetFlow[i])]
            if i == corrupt { e.allow.toggle() }
            return e
        }
        var answers: [KubernetesExpectation?] = []
        var buildSeconds = w.resolveSeconds, classifySeconds = 0.0, passes = 1, tableBytes = 0, indexBytes = 0
        switch engine {
        case .reference:
            let start = clock.now
            let evaluator = ReferenceEvaluator(w.policySet)
            buildSeconds += (clock.now - start).seconds
            let flows = (0..<n).map { w.packet($0) }
            var verdicts: [ConnectionVerdict] = []
            verdicts.reserveCapacity(n)
            let t = clock.now
            for p in flows { verdicts.append(evaluator.evaluate(p, from: evaluator.party(for: p.source), to: evaluator.party(for: p.destination))) }
            classifySeconds = (clock.now - t).seconds
            answers = verdicts.map { KubernetesExpectation($0) }
        case .swift:
            let start = clock.now
            let table = try compileTable(w.policySet)
            let classifier = Classifier(table)
            buildSeconds += (clock.now - start).seconds
            tableBytes = table.byteCount
            indexBytes = classifier.termIndexBytes + classifier.addressIndexBytes
            let keys = (0..<n).map { key(w.packet($0)) }
            var results = [PathVerdict](repeating: PathVerdict(), count: n)
            var elapsed = Duration.zero
            passes = 0
            keys.withUnsafeBufferPointer { k in
                results.withUnsafeMutableBufferPointer { out in
                    repeat {
                        let t = clock.now
                        classifier.classify(k, into: out)
                        elapsed += clock.now - t
                        passes += 1
                    } while elapsed < BenchClassBench.minimumTiming
                }
            }
            classifySeconds = elapsed.seconds
            // Describe each distinct answer once: equal PathVerdicts have equal descriptions.
            var described: [PathVerdict: KubernetesExpectation] = [:]
            answers = results.map { v in
                if let d = described[v] { return d }
                let d = KubernetesExpectation(allow: v.allow, decisions: v.points.map { classifier.describe($0).decision })
                described[v] = d
                return d
            }
        case .bpf:
            let start = clock.now
            let table = try compileTable(w.policySet, options: .bpf)
            let classifier = Classifier(table)
            let plane: BPFTablePlane
            do throws(BPFError) {
                plane = try BPFTablePlane(table, object: .xdp, mode: VD_MODE_NODE, headroom: 0, conntrackEntries: 1 << 18)
            } catch {
                StandardError.write("verdict: error: --engine bpf: loading the table into BPF maps failed: \(error)")
                throw ExitCode(error.isPermissionDenied ? ExitStatus.missingPrivilege : ExitStatus.inputError)
            }
            buildSeconds += (clock.now - start).seconds
            tableBytes = BPFTableMap.allCases.reduce(0) { $0 + plane.capacity.bytes(of: $1) }
            var nanoseconds = 0
            for i in 0..<n {
                let frame = Self.frame(w.packet(i), id: UInt16(truncatingIfNeeded: i))
                let run: BPFRun
                do throws(BPFError) {
                    run = try plane.run(frame)
                } catch {
                    StandardError.write("verdict: error: --engine bpf: packet \(i): \(error)")
                    throw ExitCode(ExitStatus.inputError)
                }
                nanoseconds += Int(run.durationNanoseconds)
                let points = run.policy.points.map { p in
                    PointDecision(kind: PointDecision.Kind(rawValue: p.kind) ?? .chain, allow: p.allow, chain: p.chain, endpoint: p.endpoint, rule: p.rule)
                }
                answers.append(KubernetesExpectation(allow: run.policy.allow, decisions: points.map { classifier.describe($0).decision }))
            }
            classifySeconds = Double(nanoseconds) / 1e9
        }
        var mismatches = 0
        var lines: [String] = []
        for i in 0..<n where answers[i] != expected(i) {
            mismatches += 1
            if lines.count < BenchClassBench.listedMismatches {
                lines.append("k8s, \(w.cluster.targetRules) rules, \(engine.rawValue): packet \(i) (\(w.packet(i))): expected \(describe(expected(i))), "
                             + "got \(answers[i].map(describe) ?? "nothing")")
            }
        }
        let timed = Double(n) * Double(passes)
        let row = BenchRow(workload: BenchWorkload.k8s.rawValue, engine: engine.rawValue, rules: w.cluster.targetRules, calicoRules: calicoRules,
                           packets: n, mismatches: mismatches, mpps: classifySeconds > 0 ? timed / classifySeconds / 1e6 : 0,
                           buildSeconds: buildSeconds, tableBytes: tableBytes, indexBytes: indexBytes, passes: passes, classifySeconds: classifySeconds)
        return BenchResult(row: row, firstMismatches: lines)
    }

    static func describe(_ e: KubernetesExpectation) -> String {
        "\(e.allow ? "allow" : "deny") [\(e.decisions.joined(separator: "; "))]"
    }

    /// A first packet as an Ethernet frame: TCP SYN, UDP, ICMP with its type and code.
    static func frame(_ p: Packet, id: UInt16) -> [UInt8] {
        let t: PacketBuilder.Transport
        switch p.protocolNumber {
        case 6: t = .tcp(src: p.sourcePort ?? 0, dst: p.destinationPort ?? 0, flags: .syn)
        case 17: t = .udp(src: p.sourcePort ?? 0, dst: p.destinationPort ?? 0)
        case 1: t = .icmp(type: p.icmpType ?? 8, code: p.icmpCode ?? 0)
        default: t = .other(protocol: p.protocolNumber, bytes: [UInt8](repeating: 0, count: 8))
        }
        return PacketBuilder(network: .ipv4(.init(src: p.source, dst: p.destination, identification: id)), transport: t).frame()
    }
}

// `verdict audit`: the policies, each namespace's default-deny status, misconfiguration findings
// with stable ids (module Audit), and connectivity results for probes and a capture, as a table,
// JSON (kind AuditReport) or SARIF 2.1.0.

import ArgumentParser
import Audit
import Classifier
import Foundation
import Packets
import PcapIO
import PolicyModel
import ReferenceEvaluator

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit a policy set: policies, default-deny status per namespace, misconfigurations, connectivity.",
        discussion: """
        Findings (stable ids): VD001 namespace or cluster without default-deny baseline, VD002 egress
        open to cloud metadata, VD003 egress default deny without DNS, VD004 selector that matches
        nothing (typo, with the nearest existing value), VD005 policy that selects nothing, VD006 rule
        that can never match, VD007 Deny shadowed by an earlier Allow (with a witness packet), VD008
        rule never hit by the capture (-r), VD009 probe whose expectation does not hold (--probes).

        Output: table (default), json (apiVersion verdict.dev/v1alpha1, kind AuditReport,
        schemaVersion 1) or sarif (SARIF 2.1.0). Exit codes: 1 when --fail-on is given and a finding
        reaches that severity, 0 otherwise; 2 bad input; 64 usage error.
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("probes"), help: ArgumentHelp("Connectivity probes (as for `verdict check`): expected against actual.", valueName: "probes.json"))
    var probesPath: String?

    @Option(name: [.customShort("r"), .customLong("read-file")], help: ArgumentHelp("Replay this capture: denied flows and rules never hit.", valueName: "capture"))
    var capturePath: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table, json or sarif.")
    var output: AuditFormat = .table

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding has this severity or a higher one: info, warning or error.")
    var failOn: FailOn?

    enum AuditFormat: String, ExpressibleByArgument, CaseIterable { case table, json, sarif }

    enum FailOn: String, ExpressibleByArgument, CaseIterable {
        case info, warning, error
        var severity: Severity { Severity(rawValue: rawValue)! }
    }

    func validate() throws {
        let stdinUsers = [input.filenames.contains("-"), probesPath == "-", capturePath == "-"].filter { $0 }.count
        if stdinUsers > 1 { throw ValidationError("standard input can feed only one of -f, --probes and -r") }
    }

    func run() throws {
        let set = try input.loadPolicySet()
        var probes: [ResolvedProbe]? = nil
        if let probesPath {
            let evaluator = ReferenceEvaluator(set)
            do throws(InputError) {
                probes = try ProbeLoader.load(path: probesPath).map { s throws(InputError) in try evaluator.resolve(s) }
            } catch {
                throw failInput(error)
            }
        }
        let capture = try capturePath.map { try replay($0, set) }
        let report = Auditor.audit(set, inputs: input.filenames, probes: probes, capture: capture)
        switch output {
        case .json: print(AuditJSON.report(report).render(pretty: true))
        case .table: print(AuditTable.render(report))
        case .sarif: print(AuditSARIF.log(report).render(pretty: true))
        }
        if let failOn, report.findings.contains(where: { $0.severity >= failOn.severity }) {
            throw ExitCode(ExitStatus.expectationFailed)
        }
    }

    /// Replays the capture through connection tracking and the compiled table (as `verdict replay`):
    /// the counts, the flows with a denied packet, and the policy rules no packet hit.
    func replay(_ path: String, _ set: PolicySet) throws -> CaptureSummary {
        let classifier = Classifier(try compileTable(set))
        let engine = StatefulClassifier(classifier)
        let reader: CaptureReader
        do throws(CaptureError) { reader = try CaptureReader(path: path) } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        var summary = ReplaySummary()
        var headers = PacketHeaders()
        var denied: [CaptureFlow] = []
        var seenDenied = Set<Int>()
        do {
            try reader.forEach { record in
                let outcome = PacketParser.parse(record.bytes, linkType: reader.linkType, into: &headers)
                let ns = record.timestamp.seconds * 1_000_000_000 + Int64(record.timestamp.nanoseconds)
                let r = engine.process(headers, outcome: outcome, timestampNanoseconds: ns)
                summary.add(r)
                if r.allow == false, seenDenied.insert(r.flowID).inserted {
                    denied.append(CaptureFlow(flow: r.flowID, firstPacket: record.number,
                                              packet: FlowKey(headers).map(\.description) ?? "packet \(record.number)",
                                              decidedBy: Self.decidedBy(r, classifier)))
                }
            }
        } catch let e as CaptureError {
            StandardError.write("verdict: error: \(e)")
            throw ExitCode(ExitStatus.inputError)
        }
        let hits = RuleHits(classifier)
        let unhit = hits.neverHit.filter { $0.reason == "rule" }.compactMap { h -> UnhitRule? in
            guard let policy = h.policy else { return nil }
            return UnhitRule(tier: h.tier, policy: policy, kind: h.kind, direction: h.direction == "ingress" ? .ingress : .egress,
                             ruleIndex: h.ruleIndex, action: h.action)
        }
        return CaptureSummary(file: path, packets: summary.packets, allowed: summary.allowed, denied: summary.denied,
                              unparsed: summary.unparsed, flows: engine.flowCount, deniedFlows: denied, unhitRules: unhit)
    }

    static func decidedBy(_ r: PacketResult, _ c: Classifier) -> String {
        guard let policy = r.policy else { return r.note ?? "unparsed" }
        if r.state != .new { return "conntrack \(r.state.rawValue)" + (r.note.map { ": \($0)" } ?? "") }
        let points = policy.points.map { c.describe($0) }
        guard let d = points.first(where: { $0.verdict == "deny" }) ?? points.last else { return "no policing point" }
        return "\(d.endpoint) \(d.direction): \(d.decision)"
    }
}

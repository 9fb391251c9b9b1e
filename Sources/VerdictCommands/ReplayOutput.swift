// What `verdict replay` prints: the per-packet JSON object, the summary (table and JSON), rule
// hits, the Prometheus counters, and the comparison with an --expect file.

import ArgumentParser
import CaptureReplay
import Classifier
import CVerdictABI
import Foundation
import MatchTable
import Packets
import PcapIO
import PolicyModel

struct ReplaySummary {
    var tally = ReplayTally()
    var flows = 0
    /// Packets compared by `--engine both`, which tallies nothing else.
    var compared = 0

    var packets: Int { tally.packets }
    var allowed: Int { tally.allowed }
    var denied: Int { tally.denied }
    var unparsed: Int { tally.unparsed }
    var unparsedReasons: [String: Int] { tally.unparsedReasons }
    var flowsWithDenied: Int { tally.flowsWithDenied }

    mutating func add(_ r: PacketResult) { tally.add(r) }

    func table(_ hits: RuleHits) -> String {
        var lines: [String] = []
        lines.append("packets \(packets): \(allowed) allowed, \(denied) denied, \(unparsed) unparsed")
        lines.append("flows \(flows): \(flows - flowsWithDenied) allowed, \(flowsWithDenied) with denied packets")
        lines.append("conntrack: " + ConntrackState.allCases.map { "\($0.rawValue) \(tally.packets(in: $0))" }.joined(separator: ", "))
        if !unparsedReasons.isEmpty {
            lines.append("unparsed: " + unparsedReasons.keys.sorted().map { "\($0) \(unparsedReasons[$0]!)" }.joined(separator: ", "))
        }
        lines.append("")
        lines.append("hits (packets whose verdict policy decided, per policing point):")
        var rows = [["TIER", "POLICY", "DIRECTION", "RULE", "ACTION", "HITS"]]
        for h in hits.rows where h.hits > 0 {
            rows.append([h.tier ?? "-", h.policy ?? "-", h.direction, h.ruleLabel, h.action, String(h.hits)])
        }
        lines.append(rows.count > 1 ? renderTable(rows) : "  (none)")
        let never = hits.neverHit
        lines.append("")
        lines.append("rules never hit: \(never.count)")
        for h in never { lines.append("  \(h.tier.map { "\($0)/" } ?? "")\(h.policy ?? "") \(h.direction) rule \(h.ruleIndex) (\(h.action))") }
        return lines.joined(separator: "\n")
    }

    func json(_ hits: RuleHits) -> JSONValue {
        .object([
            ("packets", .int(packets)), ("allowed", .int(allowed)), ("denied", .int(denied)), ("unparsed", .int(unparsed)),
            ("flows", .int(flows)), ("flowsWithDenied", .int(flowsWithDenied)),
            ("conntrack", .object(ConntrackState.allCases.map { ($0.rawValue, .int(tally.packets(in: $0))) })),
            ("unparsedReasons", .object(unparsedReasons.keys.sorted().map { ($0, .int(unparsedReasons[$0]!)) })),
            ("hits", .array(hits.rows.filter { $0.hits > 0 }.map(\.json))),
            ("neverHit", .array(hits.neverHit.map(\.json))),
        ])
    }
}

/// Hits per rule, summed over the chains a rule appears in (a policy that selects workloads and
/// host endpoints has its rules in both kinds of chain).
struct RuleHits {
    struct Row {
        var tier: String?
        var policy: String?
        var kind: String?
        var direction: String
        var reason: String
        var ruleIndex: Int
        var action: String
        var hits: UInt64

        var ruleLabel: String { ruleIndex >= 0 ? String(ruleIndex) : reason }

        var json: JSONValue {
            .object([("tier", .optional(tier)), ("policy", .optional(policy)), ("kind", .optional(kind)), ("direction", .string(direction)),
                     ("reason", .string(reason)), ("rule", ruleIndex >= 0 ? .int(ruleIndex) : .null), ("action", .string(action)),
                     ("hits", .int(Int(hits)))])
        }
    }

    var rows: [Row] = []

    /// From the classifier's counters, or from `counts[chain][rule]` (the kernel's vd_hits).
    init(_ c: Classifier, hits counts: [[UInt64]]? = nil) {
        var index: [String: Int] = [:]
        let t = c.table
        for (ci, chain) in t.chains.enumerated() {
            for (ri, r) in t.rules(chain: ci).enumerated() {
                let d = c.describe(PointDecision(kind: .chain, allow: r.action == 0, chain: UInt8(ci), endpoint: VD_NONE, rule: UInt32(ri)))
                let direction = chain.direction == 0 ? "ingress" : "egress"
                let action = ["allow", "deny", "pass"][Int(min(r.action, 2))]
                let row = Row(tier: d.tier, policy: d.policy, kind: d.policyKind, direction: direction, reason: d.reason,
                              ruleIndex: d.ruleIndex ?? -1, action: action, hits: counts.map { $0[ci][ri] } ?? c.hits(chain: ci, rule: ri))
                let key = "\(row.tier ?? "")|\(row.policy ?? "")|\(row.kind ?? "")|\(direction)|\(row.reason)|\(row.ruleIndex)"
                if let i = index[key] { rows[i].hits += row.hits } else { index[key] = rows.count; rows.append(row) }
            }
        }
    }

    /// Policy and profile rules no packet hit.
    var neverHit: [Row] { rows.filter { $0.hits == 0 && ($0.reason == "rule" || $0.reason == "profile") } }
}

enum PacketJSON {
    static func object(record: PacketRecord, headers h: PacketHeaders, result r: PacketResult, classifier: Classifier) -> JSONValue {
        var f: [(String, JSONValue)] = [("packet", .int(record.number)), ("timestamp", .string(record.timestamp.description))]
        guard let policy = r.policy, let allow = r.allow else {
            f.append(("verdict", .string("unparsed")))
            f.append(("conntrack", .string(r.state.rawValue)))
            f.append(("reason", .string(r.note ?? "")))
            return .object(f)
        }
        f.append(("src", .string(h.src.description)))
        f.append(("dst", .string(h.dst.description)))
        f.append(("protocol", .string(ProtocolSpec.displayName(h.protocol))))
        if h.hasPorts {
            f.append(("srcPort", .int(Int(h.srcPort))))
            f.append(("dstPort", .int(Int(h.dstPort))))
        }
        if h.isICMP && h.l4Present {
            f.append(("icmpType", .int(Int(h.icmpType))))
            f.append(("icmpCode", .int(Int(h.icmpCode))))
        }
        if h.protocol == 6 && h.l4Present { f.append(("tcpFlags", .string(tcpFlags(h.tcpFlags)))) }
        if h.isFragment { f.append(("fragment", .string(h.isFirstFragment ? "first" : "non-first"))) }
        f.append(("verdict", .string(allow ? "allow" : "deny")))
        f.append(("policyVerdict", .string(policy.allow ? "allow" : "deny")))
        f.append(("conntrack", .string(r.state.rawValue)))
        if let note = r.note { f.append(("reason", .string(note))) }
        f.append(("flow", .int(r.flowID)))
        let points = policy.points.map { classifier.describe($0) }
        // The point that decided: the first that denied, else the last that allowed.
        if let deciding = points.first(where: { $0.verdict == "deny" }) ?? points.last {
            f.append(("decidedBy", pointJSON(deciding)))
        }
        f.append(("points", .array(points.map(pointJSON))))
        return .object(f)
    }

    static func pointJSON(_ d: PointDescription) -> JSONValue {
        var f: [(String, JSONValue)] = [("endpoint", .string(d.endpoint)), ("direction", .string(d.direction)), ("stage", .string(d.stage)),
                                        ("verdict", .string(d.verdict)), ("reason", .string(d.reason))]
        if let t = d.tier { f.append(("tier", .string(t))) }
        if let p = d.policy { f.append(("policy", .string(p))) }
        if let k = d.policyKind { f.append(("kind", .string(k))) }
        if let i = d.ruleIndex { f.append(("rule", .int(i))) }
        if let a = d.action { f.append(("action", .string(a))) }
        if let s = d.policyStage, s != "normal" { f.append(("policyStage", .string(s))) }
        if d.httpNotEvaluated { f.append(("note", .string("HTTP match not evaluated at L3/L4"))) }
        return .object(f)
    }

    static func tcpFlags(_ f: UInt8) -> String {
        let names: [(UInt8, Character)] = [(0x02, "S"), (0x10, "A"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x40, "E"), (0x80, "C")]
        let s = String(names.filter { f & $0.0 != 0 }.map(\.1))
        return s.isEmpty ? "." : s
    }
}

/// An --expect file: per packet number, the keys a packet's JSON must have.
struct ExpectedResults {
    let path: String
    var packets: [Int: [(String, JSONValue)]] = [:]

    static func load(_ path: String) throws -> ExpectedResults {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            StandardError.write("verdict: error: \(path): cannot read the expected results")
            throw ExitCode(ExitStatus.inputError)
        }
        var e = ExpectedResults(path: path)
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                StandardError.write("verdict: \(path):\(i + 1):1: error: not a JSON object")
                throw ExitCode(ExitStatus.inputError)
            }
            guard let n = obj["packet"] as? Int, n >= 1 else {
                StandardError.write("verdict: \(path):\(i + 1):1: error: packet: each line needs \"packet\": a packet number from 1")
                throw ExitCode(ExitStatus.inputError)
            }
            e.packets[n] = obj.keys.sorted().filter { $0 != "packet" }.map { ($0, JSONValue(any: obj[$0]!)) }
        }
        return e
    }

    /// A line describing how `actual` differs, or nil.
    func compare(packet n: Int, actual: JSONValue) -> String? {
        guard let want = packets[n] else { return "packet \(n): not in \(path)" }
        guard case let .object(fields) = actual else { return nil }
        var diffs: [String] = []
        for (k, v) in want {
            let got = fields.first { $0.0 == k }?.1
            if got != v { diffs.append("\(k) expected \(v.render()) got \(got?.render() ?? "nothing")") }
        }
        return diffs.isEmpty ? nil : "packet \(n): " + diffs.joined(separator: ", ")
    }
}

extension JSONValue {
    /// From JSONSerialization's output.
    init(any v: Any) {
        switch v {
        case let n as NSNumber:
            let t = String(cString: n.objCType)
            if t == "c" || t == "B" {
                self = .bool(n.boolValue)
            } else if t == "d" || t == "f" {
                self = n.doubleValue == n.doubleValue.rounded() && abs(n.doubleValue) < 1e15 ? .int(n.intValue) : .double(n.doubleValue)
            } else {
                self = .int(n.intValue)
            }
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.map(JSONValue.init(any:)))
        case let o as [String: Any]: self = .object(o.keys.sorted().map { ($0, JSONValue(any: o[$0]!)) })
        default: self = .null
        }
    }
}

enum Metrics {
    static func render(_ s: ReplaySummary, _ hits: RuleHits) -> String {
        var out = ""
        func metric(_ name: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, value) in samples { out += "\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(value)\n" }
        }
        metric("verdict_packets_total", "Packets replayed, by data-plane verdict.",
               [("verdict=\"allow\"", "\(s.allowed)"), ("verdict=\"deny\"", "\(s.denied)"), ("verdict=\"unparsed\"", "\(s.unparsed)")])
        metric("verdict_conntrack_packets_total", "Packets replayed, by connection-tracking state.",
               ConntrackState.allCases.map { ("state=\"\($0.rawValue)\"", "\(s.tally.packets(in: $0))") })
        metric("verdict_flows_total", "Distinct flows (5-tuples, both directions) seen.", [("", "\(s.flows)")])
        metric("verdict_rule_hits_total", "Packets whose verdict a rule or default decided, per policing point.",
               hits.rows.map { h in
                   let labels = [("tier", h.tier ?? ""), ("policy", h.policy ?? ""), ("kind", h.kind ?? ""), ("direction", h.direction),
                                 ("reason", h.reason), ("rule", h.ruleIndex >= 0 ? String(h.ruleIndex) : ""), ("action", h.action)]
                   return (labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ","), "\(h.hits)")
               })
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

// `verdict explain`: one connection, every policing point, every tier and policy that selected the
// endpoint, every rule and why it did or did not match, and the default that applied.

import Addresses
import ArgumentParser
import Foundation
import PolicyModel
import ReferenceEvaluator

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the verdict for one connection: which tiers and policies applied, which rule matched and why the earlier ones did not.",
        discussion: """
        --src and --dst take an endpoint (ns/name, or hostendpoint:NAME) or an IP address. The JSON
        output (-o json) is the same object `verdict check -o json` gives for a probe. Exit 0 whatever
        the verdict; 2 for bad input.
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(help: ArgumentHelp("Source: ns/name, hostendpoint:NAME, or an IP address.", valueName: "endpoint|ip"))
    var src: String

    @Option(help: ArgumentHelp("Destination: ns/name, hostendpoint:NAME, or an IP address.", valueName: "endpoint|ip"))
    var dst: String

    @Option(name: .customLong("protocol"), help: "TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number.")
    var proto: String = "TCP"

    @Option(help: "Destination port (TCP, UDP, SCTP).")
    var port: UInt16?

    @Option(name: .customLong("src-port"), help: "Source port.")
    var srcPort: UInt16?

    @Option(name: .customLong("icmp-type"), help: "ICMP type (default: echo request).")
    var icmpType: UInt8?

    @Option(name: .customLong("icmp-code"), help: "ICMP code.")
    var icmpCode: UInt8?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: text or json.")
    var output: ExplainFormat = .text

    enum ExplainFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        if ["TCP", "UDP", "SCTP", "UDPLITE", "6", "17", "132", "136"].contains(proto.uppercased()) && port == nil {
            throw ValidationError("--port is required for \(proto)")
        }
    }

    func run() throws {
        let set = try input.loadPolicySet()
        let evaluator = ReferenceEvaluator(set)
        let probe: ResolvedProbe
        do throws(InputError) {
            let specs = try ProbeLoader.parse(probeJSON(), file: "<command line>")
            probe = try evaluator.resolve(specs[0])
        } catch {
            throw failInput(error)
        }
        let v = evaluator.evaluate(probe.packet, from: probe.source, to: probe.destination)
        switch output {
        case .json:
            print(JSONValue.object([("id", .null), ("verdict", .string(v.verdict.rawValue))]
                                   + TrailJSON.connection(v).filter { $0.0 != "verdict" }).render(pretty: true))
        case .text:
            print(ExplainText.render(v))
        }
    }

    /// The connection as a one-probe probes document, so that it is validated exactly like a probes file.
    func probeJSON() -> String {
        func side(_ s: String) -> JSONValue {
            IPAddress(s) != nil ? .object([("ip", .string(s))]) : .object([("endpoint", .string(s))])
        }
        var f: [(String, JSONValue)] = [("src", side(src)), ("dst", side(dst)), ("protocol", .string(proto))]
        if let port { f.append(("port", .int(Int(port)))) }
        if let srcPort { f.append(("srcPort", .int(Int(srcPort)))) }
        if icmpType != nil || icmpCode != nil {
            var icmp: [(String, JSONValue)] = []
            if let icmpType { icmp.append(("type", .int(Int(icmpType)))) }
            if let icmpCode { icmp.append(("code", .int(Int(icmpCode)))) }
            f.append(("icmp", .object(icmp)))
        }
        return JSONValue.object([("probes", .array([.object(f)]))]).render()
    }
}

/// The trail as indented text.
enum ExplainText {
    static func render(_ v: ConnectionVerdict) -> String {
        var out = ["\(v.packet): \(v.verdict.rawValue.uppercased())"]
        if v.points.isEmpty { out.append("  no policing point: neither end is an endpoint of the inventory") }
        for (i, t) in v.points.enumerated() {
            out.append("  (\(i + 1)) [\(t.stage.rawValue)] \(TrailJSON.summary(t))")
            func tiers(_ label: String, _ visits: [TierVisit]) {
                for tv in visits {
                    out.append("      \(label)tier \(tv.tier) (default action \(tv.defaultAction.rawValue)): \(tv.result.rawValue)")
                    for p in tv.policies {
                        out.append("        \(p.kind.rawValue) \(p.policy) (order \(p.order.map { "\($0)" } ?? "none"), \(p.location)): \(p.result.rawValue)")
                        for r in p.rules {
                            out.append("          rule \(r.index) \(r.action.rawValue): " + (r.mismatch.map { "no match: \($0)" } ?? "MATCH"))
                        }
                        if p.rules.isEmpty { out.append("          (no rules in this direction)") }
                    }
                }
            }
            tiers("untracked ", t.untrackedTiers)
            tiers("pre-DNAT ", t.preDNATTiers)
            tiers("", t.tiers)
            var decidedBeforeTiers = t.stage == .local
            if case .failsafe = t.decision { decidedBeforeTiers = true }
            if t.tiers.isEmpty && t.untrackedTiers.isEmpty && t.preDNATTiers.isEmpty && !decidedBeforeTiers {
                out.append("      no tier has a policy that selects \(t.endpoint) for \(t.direction.rawValue)")
            }
            for p in t.profiles {
                out.append("      profile \(p.profile): " + (p.decidingRule.map { "rule \($0) decided" } ?? "no rule decided"))
                for r in p.rules { out.append("        rule \(r.index) \(r.action.rawValue): " + (r.mismatch.map { "no match: \($0)" } ?? "MATCH")) }
            }
            for l in t.logged { out.append("      logged by \(l)") }
            for n in t.notes { out.append("      note: \(n)") }
        }
        if let note = v.conntrackNote { out.append("  conntrack: \(note)") }
        return out.joined(separator: "\n")
    }
}

// `verdict check`: the verdict, and the rule that decided it, for each probe of a probes file.

import ArgumentParser
import PolicyModel
import ReferenceEvaluator

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate probes (one packet of a new connection each) against a policy set.",
        discussion: """
        A probe is allowed iff the source endpoint's egress allows it (when the source is an endpoint)
        and the destination endpoint's ingress allows it (when the destination is one), plus any host
        endpoint the packet is forwarded through. Exit code 0 when every "expect" holds, 1 when one
        does not, 2 for bad input.

        Probes file: {"probes": [{"src": SIDE, "dst": SIDE, "protocol": "TCP", "port": 8080,
        "srcPort": 40000, "icmp": {"type": 8, "code": 0}, "expect": "allow"}]}
        where SIDE is {"endpoint": "ns/name"}, {"endpoint": "hostendpoint:NAME"}, {"ip": "10.0.0.1"} or both.
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("probes"), help: ArgumentHelp("The probes file, or - for standard input.", valueName: "path"))
    var probesPath: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table or json.")
    var output: OutputFormat = .table

    func validate() throws {
        if probesPath == "-" && input.filenames.contains("-") {
            throw ValidationError("standard input can feed either -f or --probes, not both")
        }
    }

    func run() throws {
        let set = try input.loadPolicySet()
        let evaluator = ReferenceEvaluator(set)
        var resolved: [ResolvedProbe] = []
        do throws(InputError) {
            for spec in try ProbeLoader.load(path: probesPath) { resolved.append(try evaluator.resolve(spec)) }
        } catch {
            throw failInput(error)
        }
        let results = resolved.map { ($0, evaluator.evaluate($0.packet, from: $0.source, to: $0.destination)) }
        let failed = results.filter { r in r.0.spec.expect.map { $0 != r.1.verdict.rawValue } ?? false }

        switch output {
        case .json:
            print(json(results, failed: failed.count).render(pretty: true))
        case .table:
            print(table(results))
            let allowed = results.filter { $0.1.verdict == .allow }.count
            let expectations = results.filter { $0.0.spec.expect != nil }.count
            print("\n\(results.count) probes: \(allowed) allowed, \(results.count - allowed) denied; "
                  + "\(expectations - failed.count) of \(expectations) expectations held")
        }
        if !failed.isEmpty { throw ExitCode(ExitStatus.expectationFailed) }
    }

    func label(_ side: ProbeSide, _ party: Party, _ ip: String) -> String {
        if let e = party.endpoint { return side.endpoint ?? e.id }
        return ip
    }

    func table(_ results: [(ResolvedProbe, ConnectionVerdict)]) -> String {
        var rows = [["ID", "SOURCE", "DESTINATION", "PROTO", "PORT", "VERDICT", "EXPECT", "DECIDED BY"]]
        for (i, (probe, v)) in results.enumerated() {
            let spec = probe.spec
            let port = spec.port.map(String.init) ?? spec.icmpType.map { "type \($0)/\(spec.icmpCode ?? 0)" } ?? "-"
            let expect: String
            switch spec.expect {
            case nil: expect = "-"
            case let e? where e == v.verdict.rawValue: expect = "\(e) ok"
            case let e?: expect = "\(e) FAILED"
            }
            // The deciding point: the first one that denied, else every point's summary.
            let deciding = v.points.first { $0.verdict == .deny }.map { [$0] } ?? v.points
            let by = deciding.isEmpty ? "no policing point (neither end is an endpoint)" : deciding.map(TrailJSON.summary).joined(separator: "; ")
            rows.append([spec.id ?? String(i + 1), label(spec.source, probe.source, probe.packet.source.description),
                         label(spec.destination, probe.destination, probe.packet.destination.description),
                         ProtocolSpec.displayName(spec.protocolNumber), port, v.verdict.rawValue, expect, by])
        }
        return renderTable(rows)
    }

    func json(_ results: [(ResolvedProbe, ConnectionVerdict)], failed: Int) -> JSONValue {
        let items: [JSONValue] = results.map { probe, v in
            var f: [(String, JSONValue)] = [("id", .optional(probe.spec.id))]
            f += [("verdict", .string(v.verdict.rawValue)), ("expect", .optional(probe.spec.expect))]
            f.append(("pass", probe.spec.expect.map { .bool($0 == v.verdict.rawValue) } ?? .null))
            f += TrailJSON.connection(v).filter { $0.0 != "verdict" }
            return .object(f)
        }
        let allowed = results.filter { $0.1.verdict == .allow }.count
        let expectations = results.filter { $0.0.spec.expect != nil }.count
        return .object([
            ("results", .array(items)),
            ("summary", .object([("probes", .int(results.count)), ("allowed", .int(allowed)), ("denied", .int(results.count - allowed)),
                                 ("expectations", .int(expectations)), ("failed", .int(failed))])),
        ])
    }
}

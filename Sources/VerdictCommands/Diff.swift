// `verdict diff`: what changes between two versions of a policy set, connection by connection
// (probes or an endpoint matrix) or packet by packet (a capture), with the deciding rule in each.

import Addresses
import ArgumentParser
import Classifier
import Packets
import PcapIO
import PolicyModel
import ReferenceEvaluator

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the connections and packets whose verdict changes between two policy versions.",
        discussion: """
        With --probes, each probe is evaluated against both versions; with -r, the capture is
        replayed against both (with connection tracking); otherwise every pair of endpoints present
        in both versions is probed on --ports (default: every single destination port the rules of
        either version name, and ICMP echo). Exit 1 when any verdict changes (like `kubectl diff`),
        0 when none does, 2 for bad input.
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("old"), parsing: .upToNextOption, help: ArgumentHelp("The old version: files or directories.", valueName: "path"))
    var oldPaths: [String]

    @Option(name: .customLong("new"), parsing: .upToNextOption, help: ArgumentHelp("The new version: files or directories.", valueName: "path"))
    var newPaths: [String]

    @Option(name: .customLong("probes"), help: ArgumentHelp("Compare on these probes.", valueName: "probes.json"))
    var probesPath: String?

    @Option(name: [.customShort("r"), .customLong("read-file")], help: ArgumentHelp("Compare on this capture.", valueName: "capture"))
    var capturePath: String?

    @Option(name: .customLong("ports"), parsing: .upToNextOption, help: "Ports for the endpoint matrix (as `verdict matrix --ports`).")
    var portLists: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table or json.")
    var output: OutputFormat = .table

    struct Change {
        var what: String      // the probe, the packet, or "from → to port"
        var old: String
        var new: String
        var oldBy: String
        var newBy: String

        var json: JSONValue {
            .object([("what", .string(what)), ("old", .string(old)), ("new", .string(new)), ("oldDecidedBy", .string(oldBy)), ("newDecidedBy", .string(newBy))])
        }
    }

    func validate() throws {
        if !input.filenames.isEmpty { throw ValidationError("give the versions with --old and --new, not -f") }
        if probesPath != nil && capturePath != nil { throw ValidationError("give --probes or -r, not both") }
    }

    func load(_ paths: [String]) throws -> PolicySet {
        var o = input
        o.filenames = paths
        return try o.loadPolicySet()
    }

    func run() throws {
        let oldSet = try load(oldPaths), newSet = try load(newPaths)
        var changes: [Change] = []
        var compared = 0
        if let probesPath {
            (changes, compared) = try probes(probesPath, oldSet, newSet)
        } else if let capturePath {
            (changes, compared) = try capture(capturePath, oldSet, newSet)
        } else {
            (changes, compared) = try matrix(oldSet, newSet)
        }
        switch output {
        case .json:
            print(JSONValue.object([("compared", .int(compared)), ("changed", .int(changes.count)), ("changes", .array(changes.map(\.json)))]).render(pretty: true))
        case .table:
            if changes.isEmpty {
                print("no verdict changes (\(compared) compared)")
            } else {
                var rows = [["WHAT", "OLD", "NEW", "OLD DECIDED BY", "NEW DECIDED BY"]]
                for c in changes { rows.append([c.what, c.old, c.new, c.oldBy, c.newBy]) }
                print(renderTable(rows))
                print("\n\(changes.count) of \(compared) changed")
            }
        }
        if !changes.isEmpty { throw ExitCode(ExitStatus.expectationFailed) }
    }

    /// The deciding point of a reference verdict in words.
    static func decidedBy(_ v: ConnectionVerdict) -> String {
        let deciding = v.points.first { $0.verdict == .deny }.map { [$0] } ?? v.points
        return deciding.isEmpty ? "no policing point" : deciding.map(TrailJSON.summary).joined(separator: "; ")
    }

    func probes(_ path: String, _ a: PolicySet, _ b: PolicySet) throws -> ([Change], Int) {
        let specs: [ProbeSpec]
        do throws(InputError) { specs = try ProbeLoader.load(path: path) } catch { throw failInput(error) }
        let ea = ReferenceEvaluator(a), eb = ReferenceEvaluator(b)
        var changes: [Change] = []
        for (i, spec) in specs.enumerated() {
            func answer(_ e: ReferenceEvaluator) -> (String, String) {
                do throws(InputError) {
                    let r = try e.resolve(spec)
                    let v = e.evaluate(r.packet, from: r.source, to: r.destination)
                    return (v.verdict.rawValue, Self.decidedBy(v))
                } catch {
                    return ("unresolved", error.message)
                }
            }
            let (va, ba) = answer(ea), (vb, bb) = answer(eb)
            if va != vb {
                let what = spec.id ?? "probe \(i + 1)"
                changes.append(Change(what: what, old: va, new: vb, oldBy: ba, newBy: bb))
            }
        }
        return (changes, specs.count)
    }

    func matrix(_ a: PolicySet, _ b: PolicySet) throws -> ([Change], Int) {
        var ports: [ProbePort] = []
        if portLists.isEmpty {
            var seen = Set<ProbePort>()
            for p in a.allPolicies + b.allPolicies {
                for r in p.ingress + p.egress {
                    guard let proto = r.protocol?.number, [6, 17, 132].contains(proto) else { continue }
                    for case let .range(lo, hi) in r.destination.ports where lo == hi {
                        let pp = ProbePort(protocolNumber: proto, port: lo)
                        if seen.insert(pp).inserted { ports.append(pp) }
                    }
                }
            }
            ports.sort { ($0.protocolNumber, $0.port ?? 0) < ($1.protocolNumber, $1.port ?? 0) }
            ports.append(ProbePort(protocolNumber: 1, port: nil))
        } else {
            let items = portLists.flatMap { $0.split(separator: ",").map(String.init) }
            ports = try items.map { item in
                guard let p = ProbePort(item) else { throw ValidationError("--ports: '\(item)' is not a port") }
                return p
            }
        }
        let ea = ReferenceEvaluator(a), eb = ReferenceEvaluator(b)
        let common = a.endpoints.filter { b.endpoint(id: $0.id) != nil }
        var changes: [Change] = []
        var compared = 0
        for s in common {
            for d in common where s.id != d.id {
                for p in ports {
                    guard let sa = s.address(of: p.family), let da = d.address(of: p.family),
                          let sb = b.endpoint(id: s.id)?.address(of: p.family), let db = b.endpoint(id: d.id)?.address(of: p.family) else { continue }
                    compared += 1
                    func packet(_ x: IPAddress, _ y: IPAddress) -> Packet {
                        Packet(source: x, destination: y, protocolNumber: p.protocolNumber, sourcePort: p.port == nil ? nil : 40000,
                               destinationPort: p.port, icmpType: p.port == nil ? 8 : nil, icmpCode: p.port == nil ? 0 : nil)
                    }
                    let va = ea.evaluate(packet(sa, da), from: ea.party(for: s), to: ea.party(for: d))
                    let vb = eb.evaluate(packet(sb, db), from: eb.party(for: b.endpoint(id: s.id)!), to: eb.party(for: b.endpoint(id: d.id)!))
                    if va.verdict != vb.verdict {
                        changes.append(Change(what: "\(s.id) → \(d.id) \(p)", old: va.verdict.rawValue, new: vb.verdict.rawValue,
                                              oldBy: Self.decidedBy(va), newBy: Self.decidedBy(vb)))
                    }
                }
            }
        }
        return (changes, compared)
    }

    func capture(_ path: String, _ a: PolicySet, _ b: PolicySet) throws -> ([Change], Int) {
        let ca = Classifier(try compileTable(a)), cb = Classifier(try compileTable(b))
        let sa = StatefulClassifier(ca), sb = StatefulClassifier(cb)
        let reader: CaptureReader
        do throws(CaptureError) { reader = try CaptureReader(path: path) } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        var headers = PacketHeaders()
        var changes: [Change] = []
        var count = 0
        func by(_ r: PacketResult, _ c: Classifier) -> String {
            guard let policy = r.policy else { return r.note ?? "unparsed" }
            if r.state != .new { return "conntrack \(r.state.rawValue)" }
            let points = policy.points.map { c.describe($0) }
            guard let d = points.first(where: { $0.verdict == "deny" }) ?? points.last else { return "no policing point" }
            return "\(d.endpoint) \(d.direction): \(d.decision)"
        }
        do {
            try reader.forEach { record in
                count += 1
                let outcome = PacketParser.parse(record.bytes, linkType: reader.linkType, into: &headers)
                let ns = record.timestamp.seconds * 1_000_000_000 + Int64(record.timestamp.nanoseconds)
                let ra = sa.process(headers, outcome: outcome, timestampNanoseconds: ns)
                let rb = sb.process(headers, outcome: outcome, timestampNanoseconds: ns)
                if ra.allow != rb.allow {
                    let v = { (r: PacketResult) in r.allow.map { $0 ? "allow" : "deny" } ?? "unparsed" }
                    let what = headers.ipVersion == 0 ? "packet \(record.number)" : "packet \(record.number) \(FlowKey(headers).map(\.description) ?? "")"
                    changes.append(Change(what: what, old: v(ra), new: v(rb), oldBy: by(ra, ca), newBy: by(rb, cb)))
                }
            }
        } catch let e as CaptureError {
            StandardError.write("verdict: error: \(e)")
            throw ExitCode(ExitStatus.inputError)
        }
        return (changes, count)
    }
}

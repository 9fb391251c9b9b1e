// `verdict matrix`: the connectivity truth table between all endpoints for some ports, in the
// style of cyclonus / policy-assistant, from the compiled table and the Swift fast path.

import Addresses
import ArgumentParser
import Classifier
import PolicyModel

/// A protocol and port (or ICMP echo) to probe with: `80`, `tcp/80`, `udp/53`, `sctp/9`, `icmp`, `icmpv6`.
struct ProbePort: Hashable, CustomStringConvertible {
    var protocolNumber: UInt8
    var port: UInt16?

    init?(_ text: String) {
        let parts = text.lowercased().split(separator: "/", maxSplits: 1).map(String.init)
        switch parts.count == 2 ? parts[0] : (UInt16(parts[0]) != nil ? "tcp" : parts[0]) {
        case "tcp": protocolNumber = 6
        case "udp": protocolNumber = 17
        case "sctp": protocolNumber = 132
        case "icmp": protocolNumber = 1
        case "icmpv6": protocolNumber = 58
        default: return nil
        }
        if protocolNumber == 1 || protocolNumber == 58 {
            guard parts.count == 1 else { return nil }
            port = nil
        } else {
            guard let p = UInt16(parts.count == 2 ? parts[1] : parts[0]), p > 0 else { return nil }
            port = p
        }
    }

    init(protocolNumber: UInt8, port: UInt16?) {
        self.protocolNumber = protocolNumber
        self.port = port
    }

    var description: String {
        switch protocolNumber {
        case 1: return "icmp"
        case 58: return "icmpv6"
        default: return "\(ProtocolSpec.displayName(protocolNumber).lowercased())/\(port ?? 0)"
        }
    }

    var family: IPFamily { protocolNumber == 58 ? .v6 : .v4 }

    /// The key of a new connection from `src` to `dst` (ICMP: an echo request).
    func key(from src: IPAddress, to dst: IPAddress) -> PacketKey {
        PacketKey(source: src, destination: dst, protocolNumber: protocolNumber, sourcePort: port == nil ? nil : 40000, destinationPort: port,
                  icmpType: port == nil ? (protocolNumber == 58 ? 128 : 8) : nil, icmpCode: port == nil ? 0 : nil)
    }
}

extension ProbePort: ExpressibleByArgument {
    init?(argument: String) { self.init(argument) }
}

struct Matrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the connectivity truth table between all endpoints for some ports.",
        discussion: """
        Rows are sources, columns destinations; each cell lists the probed ports and whether a new
        connection is allowed (✓) or denied (✗), the policy verdict of SEMANTICS §2.8. Ports:
        80, tcp/80, udp/53, sctp/9, icmp (echo request), icmpv6. Endpoints without an address of the
        port's family are skipped (—).
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("ports"), parsing: .upToNextOption, help: "Ports to probe, comma- or space-separated (default: tcp/80).")
    var portLists: [String] = ["tcp/80"]

    @Option(name: .customLong("namespace"), help: "Only endpoints of these namespaces (repeatable).")
    var namespaces: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: "table, md, json or dot.")
    var output: MatrixFormat = .table

    enum MatrixFormat: String, ExpressibleByArgument, CaseIterable { case table, md, json, dot }

    func ports() throws -> [ProbePort] {
        let items = portLists.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        return try items.map { item in
            guard let p = ProbePort(item) else { throw ValidationError("--ports: '\(item)' is not a port (80, tcp/80, udp/53, sctp/9, icmp, icmpv6)") }
            return p
        }
    }

    func run() throws {
        let ports = try ports()
        let set = try input.loadPolicySet()
        let classifier = Classifier(try compileTable(set))
        let endpoints = set.endpoints.filter { namespaces.isEmpty || namespaces.contains($0.namespace ?? "") }
        let m = ConnectivityMatrix(classifier: classifier, endpoints: endpoints, ports: ports)
        switch output {
        case .table: print(m.table())
        case .md: print(m.markdown())
        case .json: print(m.json().render(pretty: true))
        case .dot: print(m.dot())
        }
    }
}

/// Verdicts for every (source, destination, port).
struct ConnectivityMatrix {
    let endpoints: [Endpoint]
    let ports: [ProbePort]
    /// cells[s][d][p]: nil when an end has no address of the port's family.
    var cells: [[[Bool?]]] = []

    init(classifier: Classifier, endpoints: [Endpoint], ports: [ProbePort]) {
        self.endpoints = endpoints
        self.ports = ports
        cells = endpoints.map { s in
            endpoints.map { d in
                ports.map { p in
                    guard let sa = s.address(of: p.family), let da = d.address(of: p.family) else { return nil }
                    return classifier.classify(p.key(from: sa, to: da)).allow
                }
            }
        }
    }

    func cell(_ s: Int, _ d: Int) -> String {
        let parts = cells[s][d].map { $0.map { $0 ? "✓" : "✗" } ?? "—" }
        return ports.count == 1 ? parts[0] : zip(ports, parts).map { "\($0.0.port.map(String.init) ?? $0.0.description)\($0.1)" }.joined(separator: " ")
    }

    func table() -> String {
        var rows = [["FROM \\ TO"] + endpoints.map(\.id)]
        for s in endpoints.indices { rows.append([endpoints[s].id] + endpoints.indices.map { cell(s, $0) }) }
        return "ports: \(ports.map(\.description).joined(separator: ", "))\n" + renderTable(rows)
    }

    func markdown() -> String {
        var lines = ["ports: \(ports.map(\.description).joined(separator: ", "))", "",
                     "| from \\ to | " + endpoints.map(\.id).joined(separator: " | ") + " |",
                     "|---|" + String(repeating: "---|", count: endpoints.count)]
        for s in endpoints.indices { lines.append("| \(endpoints[s].id) | " + endpoints.indices.map { cell(s, $0) }.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n")
    }

    func json() -> JSONValue {
        var items: [JSONValue] = []
        for s in endpoints.indices {
            for d in endpoints.indices {
                for (pi, p) in ports.enumerated() {
                    guard let v = cells[s][d][pi] else { continue }
                    items.append(.object([("from", .string(endpoints[s].id)), ("to", .string(endpoints[d].id)), ("port", .string(p.description)),
                                          ("verdict", .string(v ? "allow" : "deny"))]))
                }
            }
        }
        return .object([("ports", .array(ports.map { .string($0.description) })), ("endpoints", .array(endpoints.map { .string($0.id) })),
                        ("results", .array(items))])
    }

    /// Allowed connections as edges, labelled with their ports.
    func dot() -> String {
        var lines = ["digraph connectivity {", "  rankdir=LR;"]
        for e in endpoints { lines.append("  \"\(e.id)\";") }
        for s in endpoints.indices {
            for d in endpoints.indices where s != d {
                let allowed = ports.indices.filter { cells[s][d][$0] == true }.map { ports[$0].description }
                if !allowed.isEmpty { lines.append("  \"\(endpoints[s].id)\" -> \"\(endpoints[d].id)\" [label=\"\(allowed.joined(separator: ","))\"];") }
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}

// `verdict status`: per interface loaded by `verdict load`, what is attached (mode, direction,
// program ids, pins), the active generation, a table summary and every rule's counter with its
// tier, policy and rule, as a table, JSON (stable schema) or the Prometheus text format.

import ArgumentParser
import BPFDataPlane
import BPFLoader
import Classifier
import CVerdictABI
import Foundation
import MatchTable

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what verdict load attached, the table generation and the per-rule counters.",
        discussion: """
        Reads the state `verdict load` recorded and the pinned maps (vd_cfg, vd_gen, vd_hits): the
        counters are packets whose verdict each rule decided (new flows; replies and later packets of
        an allowed flow pass by connection tracking and count nowhere), summed over CPUs and over
        the chains a rule appears in, since the active generation was written (a reload starts them
        at zero). `attached` says whether the interface still runs each recorded program.

        -o json: {"apiVersion": "verdict.dev/v1alpha1", "kind": "DataPlaneStatus", "schemaVersion": 1,
        "bpffsMountedByLoad" (the mount point load mounted bpffs at, or null), "interfaces": [{"interface", "ifindex", "mode", "directions", "enforcing", "pinDirectory",
        "stateDirectory", "programs": [{"hook", "program", "id", "attached"}], "attached", "generation",
        "loadedAt", "reloadedAt", "reloads", "sources", "table": {"bytes", "endpoints", "atoms",
        "rules"}, "maps": [{"name", "id", "maxEntries"}], "rules": [{"tier", "policy", "kind",
        "direction", "reason", "rule", "action", "hits"}]}]}.
        -o prom: verdict_rule_packets_total{interface,tier,policy,kind,direction,reason,rule,action},
        verdict_table_generation{interface}, verdict_program_attached{interface,hook}.

        Exit codes: 0 ok (also when nothing is loaded and no --interface is given), 2 nothing is
        loaded on --interface or its state is unreadable, 77 missing privilege (reading pinned maps
        needs CAP_BPF).
        """)

    @Option(name: .customLong("interface"), help: ArgumentHelp("Only this interface.", valueName: "name"))
    var interface: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "table, json or prom (Prometheus text format).")
    var output: StatusOutput = .table

    @OptionGroup var location: DataPlaneLocation

    enum StatusOutput: String, ExpressibleByArgument, CaseIterable { case table, json, prom }

    func validate() throws { if let interface { try DataPlaneCommand.validateInterfaceName(interface) } }

    struct Report {
        var state: LoadState
        var paths: StatePaths
        var table: MatchTable
        var pinned: BPFPinnedTable
        var live: [String: UInt32?]
        var hits: RuleHits

        func attached(_ p: AttachedProgram) -> Bool { live[p.hook] == .some(p.id) }
        var allAttached: Bool { state.programs.allSatisfy(attached) }
    }

    func run() throws {
        let names = interface.map { [$0] } ?? location.loadedInterfaces
        if let interface, (try? location.state(interface).read()) == nil {
            let exists = FileManager.default.fileExists(atPath: location.state(interface).stateFile)
            StandardError.write("verdict: error: " + (exists ? "\(location.state(interface).stateFile) is unreadable; run verdict unload --interface \(interface)"
                                                        : "nothing is loaded on \(interface) (no \(location.state(interface).stateFile))"))
            throw ExitCode(ExitStatus.inputError)
        }
        if !names.isEmpty, let reason = BPFCapabilities.current.reason {
            StandardError.write("verdict: error: status: reading the pinned maps: \(reason)")
            throw ExitCode(ExitStatus.missingPrivilege)
        }
        var reports: [Report] = []
        for name in names {
            let paths = location.state(name)
            do {
                guard let state = try paths.read() else { continue }
                let table = try paths.readTable()
                let pinned = try DataPlaneCommand.bpf("status \(name)") { () throws(BPFError) in
                    try BPFPinnedTable.read(directory: state.pinDirectory, table: table)
                }
                reports.append(Report(state: state, paths: paths, table: table, pinned: pinned, live: DataPlaneCommand.liveIDs(state),
                                      hits: RuleHits(Classifier(table), hits: pinned.hits)))
            } catch let e as ExitCode {
                throw e
            } catch {
                StandardError.write("verdict: error: \(error); run verdict unload --interface \(name)")
                throw ExitCode(ExitStatus.inputError)
            }
        }
        switch output {
        case .table: print(renderText(reports), terminator: "")
        case .json: print(json(reports).render())
        case .prom: print(prometheus(reports), terminator: "")
        }
    }

    // MARK: Outputs

    func renderText(_ reports: [Report]) -> String {
        guard !reports.isEmpty else { return "no interface has Verdict's programs loaded (state under \(location.stateDirectory))\n" }
        var out = ""
        if let m = BPFFSMount.record(location.stateDirectory) {
            out += "bpffs at \(m.mountPoint) mounted by verdict load (for \(m.interface), \(m.mountedAt))\n"
        }
        for r in reports {
            let s = r.state
            out += "\(s.interface) (ifindex \(s.ifindex)): \(s.mode) \(s.directions.joined(separator: "+")), enforcing \(s.enforcing)\n"
            for p in s.programs {
                out += "  program \(p.program) \(p.hook) id \(p.id): \(r.attached(p) ? "attached" : "NOT attached (\(r.live[p.hook].flatMap { $0 }.map { "id \($0) there" } ?? "nothing there"))")\n"
            }
            if s.pending != nil {
                out += "  a reload into larger maps was interrupted: run verdict load again (it loads afresh) or verdict unload\n"
            }
            out += "  generation \(r.pinned.config.generation); loaded \(s.loadedAt)\(s.reloadedAt.map { ", reloaded \($0) (\(s.reloads) reloads)" } ?? "")\n"
            out += "  table: \(r.table.size) bytes, \(r.table.endpoints.count) endpoints, \(r.table.atoms.count) address atoms, \(DataPlaneCommand.ruleCount(r.table)) rules\n"
            out += "  pins: \(s.pinDirectory) (\(r.pinned.maps.count) maps); state: \(r.paths.directory)\n"
            var rows = [["TIER", "POLICY", "DIRECTION", "RULE", "ACTION", "PACKETS"]]
            for h in r.hits.rows where h.hits > 0 || h.reason == "rule" || h.reason == "profile" {
                rows.append([h.tier ?? "-", h.policy ?? "-", h.direction, h.ruleLabel, h.action, String(h.hits)])
            }
            out += renderTable(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }

    func json(_ reports: [Report]) -> JSONValue {
        .object([
            ("apiVersion", .string("verdict.dev/v1alpha1")), ("kind", .string("DataPlaneStatus")), ("schemaVersion", .int(1)),
            ("bpffsMountedByLoad", .optional(BPFFSMount.record(location.stateDirectory)?.mountPoint)),
            ("interfaces", .array(reports.map { r in
                let s = r.state
                return .object([
                    ("interface", .string(s.interface)), ("ifindex", .int(Int(s.ifindex))), ("mode", .string(s.mode)),
                    ("directions", .array(s.directions.map(JSONValue.string))), ("enforcing", .string(s.enforcing)),
                    ("pinDirectory", .string(s.pinDirectory)), ("stateDirectory", .string(r.paths.directory)),
                    ("programs", .array(s.programs.map { p in
                        .object([("hook", .string(p.hook)), ("program", .string(p.program)), ("id", .int(Int(p.id))), ("attached", .bool(r.attached(p)))])
                    })),
                    ("attached", .bool(r.allAttached)), ("generation", .int(Int(r.pinned.config.generation))),
                    ("loadedAt", .string(s.loadedAt)), ("reloadedAt", .optional(s.reloadedAt)), ("reloads", .int(s.reloads)),
                    ("sources", .array(s.sources.map(JSONValue.string))),
                    ("table", .object([("bytes", .int(r.table.size)), ("endpoints", .int(r.table.endpoints.count)),
                                       ("atoms", .int(r.table.atoms.count)), ("rules", .int(DataPlaneCommand.ruleCount(r.table)))])),
                    ("maps", .array(r.pinned.maps.map { .object([("name", .string($0.name)), ("id", .int(Int($0.id))), ("maxEntries", .int(Int($0.maxEntries)))]) })),
                    ("rules", .array(r.hits.rows.map(\.json))),
                ])
            })),
        ])
    }

    func prometheus(_ reports: [Report]) -> String {
        func labels(_ pairs: [(String, String)]) -> String { "{" + pairs.map { "\($0.0)=\"\(Metrics.escape($0.1))\"" }.joined(separator: ",") + "}" }
        var out = "# HELP verdict_rule_packets_total Packets whose verdict a rule or default decided, per interface and policing point, since the active generation was written.\n"
        out += "# TYPE verdict_rule_packets_total counter\n"
        for r in reports {
            for h in r.hits.rows {
                out += "verdict_rule_packets_total" + labels([("interface", r.state.interface), ("tier", h.tier ?? ""), ("policy", h.policy ?? ""),
                                                               ("kind", h.kind ?? ""), ("direction", h.direction), ("reason", h.reason),
                                                               ("rule", h.ruleIndex >= 0 ? String(h.ruleIndex) : ""), ("action", h.action)]) + " \(h.hits)\n"
            }
        }
        out += "# HELP verdict_table_generation The table generation (0 or 1) the interface's programs use.\n# TYPE verdict_table_generation gauge\n"
        for r in reports { out += "verdict_table_generation" + labels([("interface", r.state.interface)]) + " \(r.pinned.config.generation)\n" }
        out += "# HELP verdict_program_attached 1 when the interface still runs the program verdict load attached.\n# TYPE verdict_program_attached gauge\n"
        for r in reports {
            for p in r.state.programs { out += "verdict_program_attached" + labels([("interface", r.state.interface), ("hook", p.hook)]) + " \(r.attached(p) ? 1 : 0)\n" }
        }
        return out
    }
}

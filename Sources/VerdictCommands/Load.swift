// `verdict load`: policies → a table in pinned BPF maps → XDP or TC programs attached to an
// interface, outliving the command. Loading again on the same interface reloads atomically
// (the inactive generation is written, then vd_cfg flips). docs/DECISIONS.md 34–37.

import ArgumentParser
import BPFDataPlane
import BPFLoader
import CVerdictABI
import Foundation
import MatchTable

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enforce a policy set on an interface with the XDP or TC programs (or reload it atomically).",
        discussion: """
        Without --endpoint/--host-endpoint the programs run in node mode: each packet is judged by its
        source endpoint's egress and its destination endpoint's ingress (the path replay uses), the
        endpoints found by address. With --endpoint ns/name the interface is taken as that workload's
        host-side veth (packets it receives come from the workload: its egress policy; packets it
        sends go to it: its ingress policy); with --host-endpoint NAME as that host endpoint's
        interface (received: ingress policy; sent: egress).

        The maps are pinned under <pin-path>/<interface>/ and the active table and attachment are
        recorded under <state-dir>/<interface>/; the programs stay attached after the command ends.
        Running load again on the same interface writes the new table into the inactive generation
        and flips to it: no packet sees half a table, and established flows stay established. Mode,
        direction and node/endpoint enforcement cannot change on a reload (unload first), nor can the
        maps grow: a table that does not fit them is refused.

        --mode xdp is native XDP and is refused where the driver lacks it (use xdp-generic or tc);
        XDP sees only traffic the interface receives, so it takes --direction ingress only.
        --dry-run compiles, sizes the maps, and loads the programs through the verifier, prints what
        would be attached and the verifier's statistics, and attaches and pins nothing.

        Exit codes: 0 loaded, 2 bad input (policies, interface, or a table that does not fit),
        64 usage error, 77 missing privilege (CAP_BPF and CAP_NET_ADMIN, or root).
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("interface"), help: ArgumentHelp("The interface to attach to.", valueName: "name"))
    var interface: String

    @Option(name: .customLong("mode"), help: "xdp (native, in the driver), xdp-generic (any interface), or tc (clsact).")
    var mode: AttachMode = .tc

    @Option(name: .customLong("direction"), help: "Which of the interface's traffic to police: ingress, egress or both (default: both for tc, ingress for xdp).")
    var direction: AttachDirection?

    @Option(name: .customLong("endpoint"), help: ArgumentHelp("Enforce this workload's policy (the interface is its host-side veth).", valueName: "ns/name"))
    var endpoint: String?

    @Option(name: .customLong("host-endpoint"), help: ArgumentHelp("Enforce this host endpoint's policy (the interface is its).", valueName: "name"))
    var hostEndpoint: String?

    @OptionGroup var location: DataPlaneLocation

    @Flag(name: .customLong("dry-run"), help: "Load and verify, print what would be attached; attach and pin nothing.")
    var dryRun = false

    enum AttachMode: String, ExpressibleByArgument, CaseIterable {
        case xdp, xdpGeneric = "xdp-generic", tc
        var isXDP: Bool { self != .tc }
    }
    enum AttachDirection: String, ExpressibleByArgument, CaseIterable { case ingress, egress, both }

    var directions: [TCDirection] {
        switch direction ?? (mode.isXDP ? .ingress : .both) {
        case .ingress: return [.ingress]
        case .egress: return [.egress]
        case .both: return [.ingress, .egress]
        }
    }

    func validate() throws {
        if mode.isXDP, let d = direction, d != .ingress {
            throw ValidationError("--mode \(mode.rawValue) sees only the traffic \(interface) receives: it takes --direction ingress (use --mode tc for \(d.rawValue))")
        }
        if endpoint != nil && hostEndpoint != nil { throw ValidationError("give --endpoint or --host-endpoint, not both") }
        if let e = endpoint, e.split(separator: "/").count != 2 { throw ValidationError("--endpoint takes ns/name, got '\(e)'") }
        try DataPlaneCommand.validateInterfaceName(interface)
    }

    /// `node`, `workload ns/name`, `host NAME`.
    var enforcing: String {
        if let endpoint { return "workload \(endpoint)" }
        if let hostEndpoint { return "host \(hostEndpoint)" }
        return "node"
    }

    func run() throws {
        let table = try compileTable(try input.loadPolicySet())
        let endpointIndex = try endpointIndex(in: table)
        if let refusal = dryRun ? BPFCapabilities.current.reason : BPFCapabilities.attachRefusal {
            StandardError.write("verdict: error: load: \(refusal)")
            throw ExitCode(ExitStatus.missingPrivilege)
        }
        let ifindex = try DataPlaneCommand.interfaceIndex(interface)
        if dryRun { return try runDry(table, endpointIndex: endpointIndex, ifindex: ifindex) }

        let paths = location.state(interface)
        let state: LoadState?
        do { state = try paths.read() } catch {
            StandardError.write("verdict: error: \(error); run verdict unload --interface \(interface)")
            throw ExitCode(ExitStatus.inputError)
        }
        if let state {
            if DataPlaneCommand.attachmentsPresent(state) {
                return try reload(table, endpointIndex: endpointIndex, state: state, paths: paths)
            }
            // The programs are gone (the interface was recreated, or someone detached them):
            // what is pinned and recorded describes nothing; start afresh.
            StandardError.write("verdict: warning: \(interface): the programs recorded in \(paths.stateFile) are no longer attached; loading afresh")
            try DataPlaneCommand.removeEverything(state: state, paths: paths, pinDirectory: location.pinDirectory(interface), detach: false)
        } else if FileManager.default.fileExists(atPath: location.pinDirectory(interface)) {
            StandardError.write("verdict: error: \(location.pinDirectory(interface)) exists but \(paths.stateFile) does not: "
                                + "another tool's pins, or a load that crashed; remove the directory or run verdict unload --interface \(interface)")
            throw ExitCode(ExitStatus.inputError)
        }
        try freshLoad(table, endpointIndex: endpointIndex, ifindex: ifindex, paths: paths)
    }

    // MARK: Endpoint

    func endpointIndex(in table: MatchTable) throws -> UInt32? {
        guard endpoint != nil || hostEndpoint != nil else { return nil }
        let (name, kind, flag) = endpoint.map { ($0, VD_EP_WORKLOAD, "--endpoint") } ?? (hostEndpoint!, VD_EP_HOST, "--host-endpoint")
        let candidates = table.endpoints.enumerated().filter { UInt32($0.element.kind) == kind.rawValue }
        if let hit = candidates.first(where: { table.string($0.element.name) == name }) { return UInt32(hit.offset) }
        let known = candidates.map { table.string($0.element.name) }.sorted()
        StandardError.write("verdict: error: \(flag) \(name): no such \(kind == VD_EP_WORKLOAD ? "workload" : "host") endpoint in the policy set"
                            + (known.isEmpty ? "" : " (it has: \(known.prefix(20).joined(separator: ", "))\(known.count > 20 ? ", ..." : ""))"))
        throw ExitCode(ExitStatus.inputError)
    }

    var bpfMode: vd_bpf_mode { endpoint != nil || hostEndpoint != nil ? VD_MODE_ENDPOINT : VD_MODE_NODE }
    var objectKind: BPFObjectKind { mode.isXDP ? .xdp : .tc }

    /// The programs to attach: (hook name in state, program, TC direction or nil for XDP).
    var hooks: [(hook: String, program: BPFHook, tc: TCDirection?)] {
        if mode.isXDP { return [("xdp", .xdp, nil)] }
        return directions.map { ("tc-\($0.rawValue)", $0 == .ingress ? .tcIngress : .tcEgress, $0) }
    }

    /// Extra capacity per map at a first load, for reloads with larger tables (DECISIONS 36).
    static let headroom = 1.0

    // MARK: Dry run

    func runDry(_ table: MatchTable, endpointIndex: UInt32?, ifindex: Int32) throws {
        let mountPoint = try BPFFSMount.plan(pinPath: location.pinPath)
        let plane = try DataPlaneCommand.bpf("load --dry-run") { () throws(BPFError) in
            try BPFTablePlane(table, object: objectKind, mode: bpfMode, endpoint: endpointIndex, headroom: Self.headroom, verifierStatistics: true)
        }
        var lines = ["dry run: nothing attached, nothing pinned",
                     "would attach: \(hooks.map { "\($0.program.rawValue) at \(interface) (ifindex \(ifindex)) \($0.tc.map { "tc \($0.rawValue)" } ?? mode.rawValue)" }.joined(separator: "; "))",
                     "enforcing: \(enforcing)",
                     "would pin under: \(location.pinDirectory(interface))\(mountPoint.map { " (after mounting bpffs at \($0), where none is mounted)" } ?? "")",
                     "table: \(table.size) bytes, \(table.endpoints.count) endpoints, \(table.atoms.count) address atoms, rules per chain \(table.chains.map { "\($0.rule_count)" }.joined(separator: "/"))",
                     "maps (entries, both generations):"]
        for m in plane.object.maps where !m.name.hasPrefix(".") && !m.name.contains(".") {
            lines.append("  \(m.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(m.typeName.padding(toLength: 16, withPad: " ", startingAt: 0)) \(m.maxEntries) × \(m.valueSize) B")
        }
        lines.append("verifier:")
        for h in hooks {
            let p = try DataPlaneCommand.bpf("program") { () throws(BPFError) in try plane.object.program(h.program.rawValue) }
            if let s = p.verifierStatistics {
                lines.append("  \(h.program.rawValue): \(s.processedInstructions) instructions processed, \(s.totalStates) states (peak \(s.peakStates)), stack \(s.stackDepth), \(s.verificationMicroseconds) µs")
            } else {
                lines.append("  \(h.program.rawValue): accepted")
            }
        }
        print(lines.joined(separator: "\n"))
    }

    // MARK: First load

    func freshLoad(_ table: MatchTable, endpointIndex: UInt32?, ifindex: Int32, paths: StatePaths) throws {
        let pinDir = location.pinDirectory(interface)
        // Before anything is built: a pin path that cannot be on bpffs ends the command here.
        let mountPoint = try BPFFSMount.plan(pinPath: location.pinPath)
        let plane = try DataPlaneCommand.bpf("load") { () throws(BPFError) in
            try BPFTablePlane(table, object: objectKind, mode: bpfMode, endpoint: endpointIndex, headroom: Self.headroom)
        }
        var attached: [AttachedProgram] = []
        var createdQdisc = false
        var mounted = false
        // Undo on any failure below: detach what was attached, remove pins and state, and the
        // bpffs this load mounted while nothing else uses it.
        var done = false
        defer {
            if !done {
                for a in attached { DataPlaneCommand.detach(a, ifindex: ifindex, mode: mode.rawValue) }
                if createdQdisc { try? TCAttachment.removeQdisc(ifindex: ifindex) }
                DataPlaneCommand.removePins(pinDir)
                try? paths.remove()
                if mounted {
                    DataPlaneCommand.removeEmptyPinRoots(location.pinPath, below: mountPoint ?? "/")
                    BPFFSMount.releaseIfUnused(stateRoot: location.stateDirectory)
                }
            }
        }
        if let mountPoint {
            try BPFFSMount.mount(mountPoint, stateRoot: location.stateDirectory, interface: interface)
            mounted = true
        }
        try DataPlaneCommand.bpf("pin maps under \(pinDir)") { () throws(BPFError) in try plane.pin(under: pinDir) }
        for h in hooks {
            let program = try DataPlaneCommand.bpf("load") { () throws(BPFError) in try plane.object.program(h.program.rawValue) }
            if let dir = h.tc {
                let a = try DataPlaneCommand.bpf("attach \(h.program.rawValue) to \(interface) tc \(dir.rawValue)") { () throws(BPFError) in
                    try TCAttachment.attach(program, ifindex: ifindex, direction: dir, handle: DataPlaneCommand.tcHandle, priority: DataPlaneCommand.tcPriority)
                }
                createdQdisc = createdQdisc || a.createdQdisc
                attached.append(AttachedProgram(hook: h.hook, program: h.program.rawValue, id: a.programID))
            } else {
                let xmode: XDPMode = mode == .xdp ? .native : .generic
                let a = try DataPlaneCommand.bpf("attach \(h.program.rawValue) to \(interface) (\(mode.rawValue))") { () throws(BPFError) in
                    do throws(BPFError) {
                        return try XDPAttachment.attach(program, ifindex: ifindex, mode: xmode)
                    } catch {
                        var e = error
                        if e.errno == 95 || e.errno == 22, xmode == .native {
                            e.message = "the driver of \(interface) has no native XDP; use --mode xdp-generic (any driver, slower) or --mode tc"
                        } else if e.errno == 16 || e.errno == 17 {
                            e.message = "\(interface) already has an XDP program attached (not Verdict's, or not recorded under \(location.stateDirectory))"
                        }
                        throw e
                    }
                }
                attached.append(AttachedProgram(hook: h.hook, program: h.program.rawValue, id: a.programID))
            }
        }
        let now = ISO8601DateFormatter().string(from: Date())
        let state = LoadState(interface: interface, ifindex: ifindex, mode: mode.rawValue, directions: directions.map(\.rawValue), enforcing: enforcing,
                              endpointIndex: endpointIndex, pinDirectory: pinDir, programs: attached,
                              tcHandle: mode.isXDP ? nil : DataPlaneCommand.tcHandle, tcPriority: mode.isXDP ? nil : DataPlaneCommand.tcPriority,
                              createdQdisc: createdQdisc, sources: input.filenames, loadedAt: now, reloadedAt: nil, reloads: 0)
        do {
            try paths.writeTable(table)
            try paths.write(state)
        } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        done = true
        print("loaded \(interface): \(attached.map { "\($0.program) (\($0.hook), id \($0.id))" }.joined(separator: ", ")); \(enforcing) mode; "
              + "generation \(plane.activeGeneration); \(DataPlaneCommand.ruleCount(table)) rules; maps pinned under \(pinDir)")
    }

    // MARK: Reload

    func reload(_ table: MatchTable, endpointIndex: UInt32?, state: LoadState, paths: StatePaths) throws {
        let changed = [(state.mode != mode.rawValue, "--mode \(state.mode)"),
                       (state.directions != directions.map(\.rawValue), "--direction \(state.directions.count == 2 ? "both" : state.directions[0])"),
                       ((state.enforcing == "node") != (bpfMode == VD_MODE_NODE), state.enforcing == "node" ? "node mode" : state.enforcing)]
            .filter(\.0).map(\.1)
        guard changed.isEmpty else {
            StandardError.write("verdict: error: \(interface) is loaded with \(changed.joined(separator: ", ")); a reload keeps them: "
                                + "run verdict unload --interface \(interface) first to change them")
            throw ExitCode(ExitStatus.inputError)
        }
        let old: MatchTable
        do { old = try paths.readTable() } catch {
            StandardError.write("verdict: error: \(error); run verdict unload --interface \(interface)")
            throw ExitCode(ExitStatus.inputError)
        }
        let plane = try DataPlaneCommand.bpf("reload \(interface)") { () throws(BPFError) in
            try BPFTablePlane(reopening: state.pinDirectory, table: old, object: objectKind)
        }
        do throws(BPFError) {
            try plane.stage(table, endpoint: endpointIndex)
        } catch {
            if error.errno == 7 {
                StandardError.write("verdict: error: reload \(interface): \(error.message.replacingOccurrences(of: "; load it afresh", with: "")); "
                                    + "the pinned maps cannot grow in place: run verdict unload --interface \(interface), then load again")
                throw ExitCode(ExitStatus.inputError)
            }
            throw DataPlaneCommand.fail("reload \(interface)", error)
        }
        // The table file first: if we die between the two, status names the rules of the
        // generation the kernel is about to use (the flip is one word; see DECISIONS 34).
        do { try paths.writeTable(table) } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        try DataPlaneCommand.bpf("flip \(interface)") { () throws(BPFError) in try plane.flip() }
        var s = state
        s.endpointIndex = endpointIndex
        s.enforcing = enforcing
        s.sources = input.filenames
        s.reloads += 1
        s.reloadedAt = ISO8601DateFormatter().string(from: Date())
        do { try paths.write(s) } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        print("reloaded \(interface): generation \(plane.activeGeneration) active; \(DataPlaneCommand.ruleCount(table)) rules; \(enforcing) mode; reload \(s.reloads)")
    }
}

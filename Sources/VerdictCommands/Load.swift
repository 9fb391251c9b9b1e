// `verdict load`: policies → a table in pinned BPF maps → XDP or TC programs attached to an
// interface, outliving the command. Loading again on the same interface reloads atomically
// (the inactive generation is written, then vd_cfg flips). docs/DECISIONS.md 34–37.

import PolicyCompiler
import ArgumentParser
import BPFDataPlane
import BPFImage
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
        and flips to it: no packet sees half a table, and established flows stay established. A
        table too large for the pinned maps gets new maps (the conntrack map kept) and new programs,
        each attached program replaced in one step, then the pins replaced. Mode, direction and
        node/endpoint enforcement cannot change on a reload (unload first).

        Where no bpffs is mounted at /sys/fs/bpf and --pin-path lies under it, load mounts one there
        (never over another file system or a non-empty directory; needs CAP_SYS_ADMIN) and says so;
        unload unmounts it once it holds no pins.

        --mode xdp is native XDP and is refused where the driver lacks it (use xdp-generic or tc);
        XDP sees only traffic the interface receives, so it takes --direction ingress only.
        --dry-run compiles, sizes the maps, and loads the programs through the verifier, prints what
        would be attached and the verifier's statistics, and attaches and pins nothing.

        Exit codes: 0 loaded, 2 bad input (policies, interface, a table above the maps' limits, a pin
        path off bpffs), 64 usage error, 77 missing privilege (CAP_BPF and CAP_NET_ADMIN, or root;
        CAP_SYS_ADMIN to mount bpffs).
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
        let table = try compileTable(try input.loadPolicySet(), options: .bpf)
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
        var replacing: [String: UInt32] = [:]
        var keepQdisc = false
        if let state, state.pending != nil {
            // A reload into larger maps stopped half way (DECISIONS 57): which maps and table the
            // attached programs use is not worth guessing. Load afresh, replacing our programs
            // where they are attached (so the interface is never unpoliced) and detaching the rest.
            StandardError.write("verdict: warning: \(interface): a reload into larger maps was interrupted (\(paths.stateFile) records it); "
                                + "loading afresh over it (tracked flows are forgotten)")
            let owned = DataPlaneCommand.ownedLiveIDs(state)
            let wanted = Set(hooks.map(\.hook))
            if state.mode == mode.rawValue {
                replacing = owned.filter { wanted.contains($0.key) }
            }
            keepQdisc = state.createdQdisc && !replacing.isEmpty && !mode.isXDP
            if let ifindex = NetworkNamespace.interfaceIndexOrNil(state.interface) {
                for p in state.programs where replacing[p.hook] == nil {
                    if let id = owned[p.hook] {
                        DataPlaneCommand.detach(AttachedProgram(hook: p.hook, program: p.program, id: id), ifindex: ifindex, mode: state.mode,
                                                handle: state.tcHandle ?? DataPlaneCommand.tcHandle, priority: state.tcPriority ?? DataPlaneCommand.tcPriority)
                    }
                }
            }
            try DataPlaneCommand.removeEverything(state: state, paths: paths, pinDirectory: location.pinDirectory(interface), detach: false)
        } else if let state {
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
        try freshLoad(table, endpointIndex: endpointIndex, ifindex: ifindex, paths: paths, replacing: replacing, keepQdisc: keepQdisc)
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

    /// - Parameters:
    ///   - replacing: per hook, our program attached there now (after an interrupted growth),
    ///     replaced in one step instead of attached beside.
    ///   - keepQdisc: the clsact qdisc is one an earlier load created (unload removes it).
    func freshLoad(_ table: MatchTable, endpointIndex: UInt32?, ifindex: Int32, paths: StatePaths,
                   replacing: [String: UInt32] = [:], keepQdisc: Bool = false) throws {
        let pinDir = location.pinDirectory(interface)
        // Before anything is built: a pin path that cannot be on bpffs ends the command here.
        let mountPoint = try BPFFSMount.plan(pinPath: location.pinPath)
        let plane = try DataPlaneCommand.bpf("load") { () throws(BPFError) in
            try BPFTablePlane(table, object: objectKind, mode: bpfMode, endpoint: endpointIndex, headroom: Self.headroom)
        }
        var attached: [AttachedProgram] = []
        var createdQdisc = keepQdisc
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
                    try TCAttachment.attach(program, ifindex: ifindex, direction: dir, handle: DataPlaneCommand.tcHandle, priority: DataPlaneCommand.tcPriority,
                                            replace: replacing[h.hook] != nil)
                }
                createdQdisc = createdQdisc || a.createdQdisc
                attached.append(AttachedProgram(hook: h.hook, program: h.program.rawValue, id: a.programID))
            } else {
                let xmode: XDPMode = mode == .xdp ? .native : .generic
                let a = try DataPlaneCommand.bpf("attach \(h.program.rawValue) to \(interface) (\(mode.rawValue))") { () throws(BPFError) in
                    do throws(BPFError) {
                        if let old = replacing[h.hook] { return try XDPAttachment.replace(program, ifindex: ifindex, mode: xmode, expectedID: old) }
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
        guard plane.capacity.holds(BPFMapCapacity.required(for: table)) else {
            return try grow(table, endpointIndex: endpointIndex, state: state, paths: paths, old: plane)
        }
        do throws(BPFError) {
            try plane.stage(table, endpoint: endpointIndex)
        } catch {
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

    // MARK: Reload into larger maps

    /// A reload whose table outgrows the pinned maps (DECISIONS 57): a new object with maps
    /// sized for it and the pinned vd_ct (tracked flows survive), the table written and
    /// activated there while no program reads it, its maps pinned beside the live ones, the new
    /// programs recorded in state.json as pending, then each attached program replaced in one
    /// step (XDP_FLAGS_REPLACE against the recorded id; BPF_TC_F_REPLACE on Verdict's handle and
    /// priority), the pin directories exchanged (renameat2 RENAME_EXCHANGE), table.vdt and
    /// state.json written, and the retired maps unpinned.
    func grow(_ table: MatchTable, endpointIndex: UInt32?, state: LoadState, paths: StatePaths, old: BPFTablePlane) throws {
        let ifindex = try DataPlaneCommand.interfaceIndex(interface)
        guard ifindex == state.ifindex else {
            StandardError.write("verdict: error: reload \(interface): the interface has index \(ifindex), \(paths.stateFile) records \(state.ifindex); run verdict unload --interface \(interface)")
            throw ExitCode(ExitStatus.inputError)
        }
        let pinDir = state.pinDirectory
        let nextDir = DataPlaneCommand.growthDirectory(pinDir)
        let generation = 1 - old.activeGeneration
        let plane = try DataPlaneCommand.bpf("reload \(interface) into larger maps") { () throws(BPFError) in
            try BPFTablePlane(table, object: objectKind, mode: bpfMode, endpoint: endpointIndex, headroom: Self.headroom,
                              minimumCapacity: old.capacity, sharing: (pinDir, ["vd_ct"]), generation: generation)
        }
        let handle = state.tcHandle ?? DataPlaneCommand.tcHandle, priority = state.tcPriority ?? DataPlaneCommand.tcPriority
        let xmode: XDPMode = mode == .xdp ? .native : .generic

        // Until the programs are replaced, failing leaves the interface as it was.
        DataPlaneCommand.removePins(nextDir)
        var committed = false
        defer { if !committed { DataPlaneCommand.removePins(nextDir) } }
        try DataPlaneCommand.bpf("pin maps under \(nextDir)") { () throws(BPFError) in try plane.pin(under: nextDir) }
        var newPrograms: [AttachedProgram] = []
        for h in hooks {
            let id = try DataPlaneCommand.bpf("program id") { () throws(BPFError) in try plane.object.program(h.program.rawValue).id }
            newPrograms.append(AttachedProgram(hook: h.hook, program: h.program.rawValue, id: id))
        }
        var pending = state
        pending.pending = PendingGrowth(pinDirectory: nextDir, programs: newPrograms)
        do { try paths.write(pending) } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }

        // Replace, hook by hook; on failure put the replaced hooks back on programs over the old
        // maps (the reopened plane's, the same code) and forget the growth.
        var replaced: [(hook: String, tc: TCDirection?)] = []
        for h in hooks {
            let oldID = state.programs.first { $0.hook == h.hook }?.id ?? 0
            do throws(BPFError) {
                let program = try plane.object.program(h.program.rawValue)
                if let dir = h.tc {
                    _ = try TCAttachment.attach(program, ifindex: ifindex, direction: dir, handle: handle, priority: priority, replace: true)
                } else {
                    _ = try XDPAttachment.replace(program, ifindex: ifindex, mode: xmode, expectedID: oldID)
                }
                replaced.append((h.hook, h.tc))
            } catch {
                var back = state
                var restored = true
                for r in replaced {
                    do throws(BPFError) {
                        let program = try old.object.program(hooks.first { $0.hook == r.hook }!.program.rawValue)
                        let id: UInt32
                        if let dir = r.tc {
                            id = try TCAttachment.attach(program, ifindex: ifindex, direction: dir, handle: handle, priority: priority, replace: true).programID
                        } else {
                            id = try XDPAttachment.replace(program, ifindex: ifindex, mode: xmode,
                                                           expectedID: newPrograms.first { $0.hook == r.hook }!.id).programID
                        }
                        if let i = back.programs.firstIndex(where: { $0.hook == r.hook }) { back.programs[i].id = id }
                    } catch {
                        restored = false
                    }
                }
                if restored {
                    back.pending = nil
                    try? paths.write(back)
                } else {
                    committed = true   // the new maps stay pinned: a program may use them; the next load recovers
                    StandardError.write("verdict: error: reload \(interface): putting the old programs back failed; run verdict load again (it loads afresh) or verdict unload")
                }
                throw DataPlaneCommand.fail("reload \(interface): replace \(h.program.rawValue) at \(h.hook)", error)
            }
        }
        committed = true

        // The programs run on the new maps: move their pins to the interface's directory. One
        // exchange where bpffs has it; else two renames (an interruption between them leaves the
        // state pending, which the next load recovers).
        let retired: String
        do throws(BPFError) {
            try BPFFileSystem.exchange(nextDir, pinDir)
            retired = nextDir
        } catch {
            let aside = pinDir + ":retired"
            DataPlaneCommand.removePins(aside)
            guard rename(pinDir, aside) == 0, rename(nextDir, pinDir) == 0 else {
                StandardError.write("verdict: error: reload \(interface): moving the new pins to \(pinDir): \(String(cString: strerror(errno))); "
                                    + "the new programs are attached; run verdict load again (it loads afresh) or verdict unload")
                throw ExitCode(ExitStatus.inputError)
            }
            retired = aside
        }
        var s = pending
        s.programs = newPrograms
        s.pending = nil
        s.endpointIndex = endpointIndex
        s.enforcing = enforcing
        s.sources = input.filenames
        s.reloads += 1
        s.reloadedAt = ISO8601DateFormatter().string(from: Date())
        do {
            try paths.writeTable(table)
            try paths.write(s)
        } catch {
            StandardError.write("verdict: error: \(error); the new programs are attached: run verdict load again (it loads afresh) or verdict unload")
            throw ExitCode(ExitStatus.inputError)
        }
        DataPlaneCommand.removePins(retired)
        let grown = BPFTableMap.allCases.filter { plane.capacity[$0] > old.capacity[$0] }.map { "\($0.name) \(old.capacity[$0]) → \(plane.capacity[$0])" }
        print("reloaded \(interface) into larger maps (\(grown.joined(separator: ", ")) entries per generation): generation \(plane.activeGeneration) active; "
              + "\(DataPlaneCommand.ruleCount(table)) rules; \(enforcing) mode; reload \(s.reloads); programs replaced (\(newPrograms.map { "\($0.hook) id \($0.id)" }.joined(separator: ", "))); conntrack kept")
    }
}

// What load, unload and status share: the TC filter's identity, BPFError → message and exit
// code, the interface's index, whether recorded programs are still attached, and removal of
// attachments, pins and state.

import ArgumentParser
import BPFLoader
import Foundation
import MatchTable

enum DataPlaneCommand {
    /// The TC filter Verdict attaches (handle and priority identify it for detach and query):
    /// "vd" in ASCII, away from the 1/1 other tools default to.
    static let tcHandle: UInt32 = 0x7664
    static let tcPriority: UInt32 = 0x7664

    /// Runs a BPFLoader operation; a failure ends the command: 77 for missing privilege,
    /// 2 otherwise, with one message naming the operation.
    static func bpf<T>(_ what: String, _ body: () throws(BPFError) -> T) throws -> T {
        do throws(BPFError) { return try body() } catch { throw fail(what, error) }
    }

    static func fail(_ what: String, _ e: BPFError) -> ExitCode {
        if e.isPermissionDenied {
            StandardError.write("verdict: error: \(what): \(e.operation): \(e.message) (needs CAP_BPF and CAP_NET_ADMIN, or root)")
            return ExitCode(ExitStatus.missingPrivilege)
        }
        var text = "verdict: error: \(what): \(e.operation): \(e.message)"
        if e.errno != 0 { text += " (errno \(e.errno))" }
        let log = e.verifierLog.trimmingCharacters(in: .whitespacesAndNewlines)
        if !log.isEmpty { text += "\n" + log.split(separator: "\n").suffix(40).joined(separator: "\n") }
        StandardError.write(text)
        return ExitCode(ExitStatus.inputError)
    }

    /// Interface names become directory names: refuse what would escape the pin directory.
    static func validateInterfaceName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count < 16, name != ".", name != "..", !name.contains("/"), !name.contains(where: \.isWhitespace) else {
            throw ValidationError("--interface '\(name)' is not an interface name (at most 15 bytes, no '/' or spaces)")
        }
    }

    /// The interface's index in this network namespace, or exit 2.
    static func interfaceIndex(_ name: String) throws -> Int32 {
        do throws(BPFError) { return try NetworkNamespace.interfaceIndex(name) } catch {
            StandardError.write("verdict: error: no interface \(name) in this network namespace (\(error.message))")
            throw ExitCode(ExitStatus.inputError)
        }
    }

    /// What is attached now for each recorded program: the kernel's program id, or nil.
    static func liveIDs(_ state: LoadState) -> [String: UInt32?] {
        let ifindex = NetworkNamespace.interfaceIndexOrNil(state.interface)
        var out: [String: UInt32?] = [:]
        for p in state.programs {
            guard let ifindex else { out[p.hook] = .some(nil); continue }
            switch p.hook {
            case "xdp":
                let q = (try? XDPAttachment.query(ifindex: ifindex)) ?? [:]
                out[p.hook] = .some(state.mode == "xdp" ? q[.native] : q[.generic])
            default:
                let dir: TCDirection = p.hook == "tc-ingress" ? .ingress : .egress
                out[p.hook] = .some((try? TCAttachment.query(ifindex: ifindex, direction: dir, handle: state.tcHandle ?? tcHandle,
                                                            priority: state.tcPriority ?? tcPriority)) ?? nil)
            }
        }
        return out
    }

    /// Where a reload that grows the maps pins the new maps beside the live ones (`:` cannot
    /// occur in an interface name, so this never names another interface's directory).
    static func growthDirectory(_ pinDirectory: String) -> String { pinDirectory + ":next" }

    /// Per hook, the id attached now when it is one of ours: the recorded program's, or the
    /// new program of an interrupted growth (state.pending).
    static func ownedLiveIDs(_ state: LoadState) -> [String: UInt32] {
        let live = liveIDs(state)
        var out: [String: UInt32] = [:]
        for p in state.programs {
            guard let id = live[p.hook] ?? nil else { continue }
            if id == p.id || state.pending?.programs.contains(where: { $0.hook == p.hook && $0.id == id }) == true { out[p.hook] = id }
        }
        return out
    }

    /// True when every recorded program is attached with the recorded id.
    static func attachmentsPresent(_ state: LoadState) -> Bool {
        let live = liveIDs(state)
        return state.programs.allSatisfy { live[$0.hook] == .some($0.id) }
    }

    /// Detaches one recorded program if the interface still runs it (never another tool's).
    static func detach(_ p: AttachedProgram, ifindex: Int32, mode: String, handle: UInt32 = tcHandle, priority: UInt32 = tcPriority) {
        switch p.hook {
        case "xdp":
            let xmode: XDPMode = mode == "xdp" ? .native : .generic
            if (try? XDPAttachment.query(ifindex: ifindex))?[xmode] == p.id { try? XDPAttachment.detach(ifindex: ifindex, mode: xmode) }
        default:
            let dir: TCDirection = p.hook == "tc-ingress" ? .ingress : .egress
            if (try? TCAttachment.query(ifindex: ifindex, direction: dir, handle: handle, priority: priority)) == p.id {
                try? TCAttachment.detach(ifindex: ifindex, direction: dir, handle: handle, priority: priority)
            }
        }
    }

    /// Unlinks every pin under `directory`, then the directory (bpffs holds only pins).
    @discardableResult
    static func removePins(_ directory: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed = 0
        for n in names where unlink(directory + "/" + n) == 0 { removed += 1 }
        rmdir(directory)
        return removed
    }

    /// Removes `root` and each parent up to (not including) `stop` while they are empty: the
    /// directories load created for pins (an `rmdir` fails harmlessly on anything else).
    static func removeEmptyPinRoots(_ root: String, below stop: String) {
        var dir = BPFFSMount.normalized(root)
        let end = BPFFSMount.normalized(stop)
        rmdir(dir)
        while dir.hasPrefix(end + "/") {
            dir = String(dir[..<dir.lastIndex(of: "/")!])
            if dir == end || rmdir(dir) != 0 { break }
        }
    }

    /// Detaches (when asked) every recorded program still attached, removes the qdisc load
    /// created, every pin and the state directory. Returns what it did, for the message.
    @discardableResult
    static func removeEverything(state: LoadState, paths: StatePaths, pinDirectory: String, detach doDetach: Bool) throws -> [String] {
        var did: [String] = []
        if doDetach, let ifindex = NetworkNamespace.interfaceIndexOrNil(state.interface) {
            let live = liveIDs(state), owned = ownedLiveIDs(state)
            for p in state.programs {
                if let id = owned[p.hook] {
                    var attached = p
                    attached.id = id
                    detach(attached, ifindex: ifindex, mode: state.mode, handle: state.tcHandle ?? tcHandle, priority: state.tcPriority ?? tcPriority)
                    did.append("detached \(p.program) (\(p.hook), id \(id))")
                } else if let other = live[p.hook] ?? nil {
                    did.append("left \(p.hook) program id \(other) attached: not the one verdict load attached (id \(p.id))")
                }
            }
            if state.createdQdisc && !state.programs.contains(where: { $0.hook == "xdp" }) {
                try? TCAttachment.removeQdisc(ifindex: ifindex)
                did.append("removed the clsact qdisc")
            }
        }
        // The new maps of an interrupted growth, or the old ones a growth left behind.
        var pins = removePins(pinDirectory)
        for extra in Set([growthDirectory(pinDirectory)] + (state.pending.map { [$0.pinDirectory] } ?? [])) { pins += removePins(extra) }
        if pins > 0 { did.append("removed \(pins) pins under \(pinDirectory)") }
        do { try paths.remove() } catch {
            StandardError.write("verdict: error: cannot remove \(paths.directory): \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        did.append("removed \(paths.directory)")
        return did
    }

    static func ruleCount(_ table: MatchTable) -> Int { table.chains.reduce(0) { $0 + Int($1.rule_count) } }
}

extension NetworkNamespace {
    /// The interface's index here, or nil when there is no such interface.
    static func interfaceIndexOrNil(_ name: String) -> Int32? {
        try? interfaceIndex(name)
    }
}

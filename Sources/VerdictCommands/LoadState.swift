// What `verdict load` leaves for `status`, `unload` and the next `load` of an interface, beside
// the pinned maps (docs/DECISIONS.md 34): `<state-dir>/<ifname>/state.json` (how the programs
// are attached) and `table.vdt` (the active table, for the names of rules), each written to a
// temporary file and renamed, so a reader sees the old file or the new one, never half.

import ArgumentParser
import Foundation
import MatchTable

/// One attached program, as `load` recorded it.
struct AttachedProgram: Codable, Equatable {
    /// `xdp`, `tc-ingress` or `tc-egress`.
    var hook: String
    /// The program's C name (`vd_tc_ingress`).
    var program: String
    /// The id the kernel gave it when attached.
    var id: UInt32
}

/// state.json.
struct LoadState: Codable {
    static let schemaVersion = 1
    var schemaVersion = LoadState.schemaVersion
    var interface: String
    var ifindex: Int32
    /// `xdp`, `xdp-generic` or `tc`.
    var mode: String
    /// The interface's directions policed: `ingress`, `egress`.
    var directions: [String]
    /// `node`, or the enforced endpoint: `workload ns/name`, `host NAME`.
    var enforcing: String
    /// The endpoint's index in the active table (endpoint mode).
    var endpointIndex: UInt32?
    var pinDirectory: String
    var programs: [AttachedProgram]
    /// TC filter handle and priority (tc mode).
    var tcHandle: UInt32?
    var tcPriority: UInt32?
    /// True when `load` created the clsact qdisc (so `unload` removes it).
    var createdQdisc: Bool
    /// The -f inputs of the last load.
    var sources: [String]
    var loadedAt: String
    var reloadedAt: String?
    var reloads: Int
    /// A reload into larger maps under way: written before its first program is attached,
    /// cleared when it is complete (DECISIONS 57). Set when load finds it: that reload was
    /// interrupted.
    var pending: PendingGrowth? = nil
}

/// A reload that replaces the programs and maps (the table outgrew the pinned maps).
struct PendingGrowth: Codable, Equatable {
    /// Where the new maps are pinned until they take the interface's pin directory.
    var pinDirectory: String
    /// The new programs, with the ids the kernel gave them at load (before attaching).
    var programs: [AttachedProgram]
}

/// Where one interface's state lives.
struct StatePaths {
    let directory: String
    var stateFile: String { directory + "/state.json" }
    var tableFile: String { directory + "/table.vdt" }

    init(stateRoot: String, interface: String) { directory = stateRoot + "/" + interface }

    /// state.json, or nil when there is none; a file that does not decode is an error.
    func read() throws -> LoadState? {
        guard let data = FileManager.default.contents(atPath: stateFile) else { return nil }
        do {
            let s = try JSONDecoder().decode(LoadState.self, from: data)
            guard s.schemaVersion == LoadState.schemaVersion else {
                throw StateError("\(stateFile): schemaVersion \(s.schemaVersion), this verdict reads \(LoadState.schemaVersion)")
            }
            return s
        } catch let e as StateError {
            throw e
        } catch {
            throw StateError("\(stateFile): not a state file written by verdict load: \(error)")
        }
    }

    func write(_ state: LoadState) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.atomicWrite(try enc.encode(state), to: stateFile)
    }

    func readTable() throws -> MatchTable {
        do throws(MatchTableError) { return try MatchTable(contentsOf: tableFile) } catch { throw StateError("\(error)") }
    }

    func writeTable(_ table: MatchTable) throws {
        try makeDirectory()
        do throws(MatchTableError) { try table.write(to: tableFile) } catch { throw StateError("\(error)") }
    }

    func makeDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Removes state.json, table.vdt and the directory (and any temporary file left there).
    func remove() throws {
        guard FileManager.default.fileExists(atPath: directory) else { return }
        try FileManager.default.removeItem(atPath: directory)
    }

    /// Temporary file + fsync + rename.
    static func atomicWrite(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw StateError("cannot write \(tmp): \(String(cString: strerror(errno)))")
        }
        let fd = open(tmp, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw StateError("cannot rename \(tmp) to \(path): \(e)")
        }
    }
}

struct StateError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// `--pin-path` and `--state-dir`, shared by load, unload and status.
struct DataPlaneLocation: ParsableArguments {
    @Option(name: .customLong("pin-path"), help: ArgumentHelp("Where the maps are pinned (bpffs); one directory per interface under it.", valueName: "dir"))
    var pinPath = "/sys/fs/bpf/verdict"

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where load keeps the active table and how it attached; one directory per interface under it.", valueName: "dir"))
    var stateDirectory = "/run/verdict"

    func pinDirectory(_ interface: String) -> String { pinPath + "/" + interface }
    func state(_ interface: String) -> StatePaths { StatePaths(stateRoot: stateDirectory, interface: interface) }

    /// Interfaces with a state directory, by name.
    var loadedInterfaces: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? [])
            .filter { FileManager.default.fileExists(atPath: stateDirectory + "/" + $0 + "/state.json") }.sorted()
    }
}

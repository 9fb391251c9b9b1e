// bpffs for `verdict load`: when the pin path lies under /sys/fs/bpf and no bpffs is mounted
// there, load mounts one (as Cilium, Calico and bpftool do), says so and records it in
// <state-dir>/bpffs.json; `unload` unmounts it again only while it holds nothing but the
// kernel's own entries (docs/DECISIONS.md 56).

import ArgumentParser
import BPFLoader
import Foundation

/// <state-dir>/bpffs.json: the bpffs instance `verdict load` mounted.
struct BPFFSMountRecord: Codable, Equatable {
    var mountPoint: String
    /// st_dev of the mount: tells our instance from one mounted there later.
    var device: UInt64
    var mountedAt: String
    /// The interface whose load mounted it.
    var interface: String
}

enum BPFFSMount {
    static func recordPath(_ stateRoot: String) -> String { stateRoot + "/bpffs.json" }

    /// The record under `stateRoot`, or nil (a file that does not decode counts as none).
    static func record(_ stateRoot: String) -> BPFFSMountRecord? {
        guard let data = FileManager.default.contents(atPath: recordPath(stateRoot)) else { return nil }
        return try? JSONDecoder().decode(BPFFSMountRecord.self, from: data)
    }

    /// `path` absolute, without trailing slashes (`.` and `..` components resolved by name).
    static func normalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for c in absolute.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// What pinning under `pinPath` needs: nil when it is on bpffs already, else the mount
    /// point to mount (/sys/fs/bpf, when `pinPath` lies under it and it may take a mount).
    /// Exits 2 with the reason when pins cannot go there at all.
    static func plan(pinPath: String) throws -> String? {
        let pin = normalized(pinPath)
        if BPFFileSystem.isBPF(BPFFileSystem.nearestExisting(pin)) { return nil }
        let mp = BPFFileSystem.defaultMountPoint
        guard pin == mp || pin.hasPrefix(mp + "/") else {
            StandardError.write("verdict: error: --pin-path \(pinPath) is not on a bpffs mount: mount one there (mount -t bpf bpf DIR), "
                                + "or pin under \(mp), where load mounts bpffs itself when it is missing")
            throw ExitCode(ExitStatus.inputError)
        }
        if let refusal = BPFFileSystem.mountRefusal(mp) {
            StandardError.write("verdict: error: --pin-path \(pinPath) is not on a bpffs mount and load will not mount one: \(refusal)")
            throw ExitCode(ExitStatus.inputError)
        }
        return mp
    }

    /// Mounts bpffs at `mountPoint`, says so on stderr and records it under `stateRoot`.
    /// 77 without CAP_SYS_ADMIN, 2 for any other failure.
    static func mount(_ mountPoint: String, stateRoot: String, interface: String) throws {
        if let refusal = BPFCapabilities.mountRefusal {
            StandardError.write("verdict: error: load: \(mountPoint) has no bpffs and \(refusal); mount it first (mount -t bpf bpf \(mountPoint)) or run as root")
            throw ExitCode(ExitStatus.missingPrivilege)
        }
        do throws(BPFError) { try BPFFileSystem.mount(at: mountPoint) } catch {
            if error.isPermissionDenied {
                StandardError.write("verdict: error: load: \(error.operation): \(error.message): mounting bpffs needs CAP_SYS_ADMIN in the mount namespace's owning user namespace")
                throw ExitCode(ExitStatus.missingPrivilege)
            }
            StandardError.write("verdict: error: load: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        guard BPFFileSystem.isBPF(mountPoint), let device = BPFFileSystem.device(of: mountPoint) else {
            StandardError.write("verdict: error: load: mounted bpffs at \(mountPoint), but it does not show there")
            throw ExitCode(ExitStatus.inputError)
        }
        StandardError.write("verdict: mounted bpffs at \(mountPoint) (none was mounted; recorded in \(recordPath(stateRoot)), unload unmounts it once it holds no pins)")
        let rec = BPFFSMountRecord(mountPoint: mountPoint, device: device, mountedAt: ISO8601DateFormatter().string(from: Date()), interface: interface)
        do {
            try FileManager.default.createDirectory(atPath: stateRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try StatePaths.atomicWrite(try enc.encode(rec), to: recordPath(stateRoot))
        } catch {
            // Unrecorded, the mount would never be undone: take it back while it is empty.
            try? BPFFileSystem.unmount(at: mountPoint)
            StandardError.write("verdict: error: load: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
    }

    /// Unmounts the bpffs load mounted (recorded under `stateRoot`) when it is still that
    /// instance and holds nothing but the kernel's entries; returns what it did or why not,
    /// nil when there is no record. A record of a mount that is gone or replaced is dropped.
    @discardableResult
    static func releaseIfUnused(stateRoot: String) -> String? {
        guard let rec = record(stateRoot) else { return nil }
        let mp = rec.mountPoint
        guard BPFFileSystem.mountType(at: mp) == "bpf", BPFFileSystem.device(of: mp) == rec.device else {
            unlink(recordPath(stateRoot))
            rmdir(stateRoot)
            return nil
        }
        let others = (BPFFileSystem.entries(mp) ?? ["?"]).filter { !BPFFileSystem.kernelEntries.contains($0) }
        guard others.isEmpty else {
            return "left the bpffs load mounted at \(mp) mounted: it holds \(others.prefix(5).joined(separator: ", "))\(others.count > 5 ? ", ..." : "")"
        }
        do throws(BPFError) { try BPFFileSystem.unmount(at: mp) } catch {
            return "left the bpffs load mounted at \(mp) mounted: \(error.operation): \(error.message)"
        }
        unlink(recordPath(stateRoot))
        rmdir(stateRoot)
        return "unmounted the bpffs load mounted at \(mp)"
    }
}

// `verdict load` mounting bpffs at /sys/fs/bpf when none is there (DECISIONS 56), and refusing
// where it must not, always inside a private mount namespace (`unshare --mount --propagation
// private`), so the host's /sys/fs/bpf is never touched: the test checks it is the same after.

import BPFLoader
import Foundation
import Testing
@testable import VerdictCommands

#if canImport(Glibc)
import Glibc
#endif

/// A mount namespace of its own: a `sleep` started by `unshare --mount --propagation private`,
/// entered with `nsenter --mount=/proc/PID/ns/mnt`. Mounts made in it never reach the host's;
/// it ends (and its mounts with it) when the sleep is killed on deinit.
final class PrivateMountNamespace {
    let process = Process()
    var pid: Int32 { process.processIdentifier }

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "/usr/bin/sleep", "600"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // unshare execs sleep once the namespace exists: wait until the link differs.
        let mine = Self.link("/proc/self/ns/mnt")
        for _ in 0..<200 {
            if let theirs = Self.link("/proc/\(pid)/ns/mnt"), theirs != mine { return }
            usleep(10_000)
        }
        stop()
        throw LoadTestError("unshare --mount did not make a mount namespace")
    }

    deinit { stop() }

    private func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    static func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    /// `path args` inside this mount namespace (and network namespace `net`, when given).
    func run(_ path: String, _ args: [String], net: String? = nil) throws -> ProcessResult {
        try tool("/usr/bin/nsenter", ["--mount=/proc/\(pid)/ns/mnt"] + (net.map { ["--net=/run/netns/\($0)"] } ?? []) + [path] + args)
    }

    @discardableResult
    func must(_ path: String, _ args: [String]) throws -> String {
        let r = try run(path, args)
        guard r.status == 0 else { throw LoadTestError("\(path) \(args.joined(separator: " ")) in the private mount namespace exited \(r.status): \(r.stderr)") }
        return r.stdout
    }

    /// The file-system type mounted at `path` here ("" when none).
    func mountType(_ path: String) throws -> String {
        try run("/usr/bin/findmnt", ["-n", "-o", "FSTYPE", "--mountpoint", path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func exists(_ path: String) throws -> Bool { try run("/usr/bin/test", ["-e", path]).status == 0 }

    /// Makes /sys/fs/bpf here a plain directory with no mount on it (the host's stays as it is).
    func withoutBPFFS() throws {
        while try mountType(BPFFileSystem.defaultMountPoint) != "" { try must("/usr/bin/umount", [BPFFileSystem.defaultMountPoint]) }
    }
}

/// The host's /sys/fs/bpf as the tests must leave it.
struct HostBPFFS: Equatable {
    var type: String?
    var device: UInt64?
    var entries: [String]?
    init() {
        type = BPFFileSystem.mountType(at: BPFFileSystem.defaultMountPoint)
        device = BPFFileSystem.device(of: BPFFileSystem.defaultMountPoint)
        entries = BPFFileSystem.entries(BPFFileSystem.defaultMountPoint)
    }
}

let bpffsSkip: String? = loadEndToEndSkip ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") && FileManager.default.isExecutableFile(atPath: "/usr/bin/findmnt")
    ? nil : "needs unshare and findmnt (util-linux)")

@Suite("verdict load mounts bpffs", .serialized, .enabled(if: bpffsSkip == nil, Comment(rawValue: "skipped: \(bpffsSkip ?? "")")))
struct LoadBPFFSTests {
    static let example = FixturePaths.examples.appendingPathComponent("icmp-howto").path

    /// `verdict ARGS --state-dir …` in the server's network namespace and `mounts`' mount
    /// namespace, with the default --pin-path (/sys/fs/bpf/verdict).
    func verdict(_ mounts: PrivateMountNamespace, _ net: LoadTestNetwork, _ args: [String], prefix: [String] = []) throws -> ProcessResult {
        let binary = try #require(FixturePaths.verdictBinary).path
        let command = prefix.isEmpty ? binary : prefix[0]
        return try mounts.run(command, Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : [binary]) + args + ["--state-dir", net.stateDir], net: net.server)
    }

    @Test("load mounts bpffs at /sys/fs/bpf, records it, status shows it; unload unmounts it once no pin is left")
    func mountsAndReleases() throws {
        let host = HostBPFFS()
        defer { #expect(HostBPFFS() == host, "the host's /sys/fs/bpf changed") }
        let net = try LoadTestNetwork()
        let mounts = try PrivateMountNamespace()
        try mounts.withoutBPFFS()

        let load = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0", "-q"])
        try #require(load.status == 0, "\(load.stderr)")
        #expect(load.stderr.contains("verdict: mounted bpffs at /sys/fs/bpf (none was mounted"), "\(load.stderr)")
        #expect(try mounts.mountType("/sys/fs/bpf") == "bpf")
        #expect(try mounts.exists("/sys/fs/bpf/verdict/vds0/vd_cfg"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/bpf/verdict"), "pins reached the host's /sys/fs/bpf")
        let record = try JSONDecoder().decode(BPFFSMountRecord.self, from: Data(contentsOf: URL(fileURLWithPath: net.stateDir + "/bpffs.json")))
        #expect(record.mountPoint == "/sys/fs/bpf" && record.interface == "vds0")
        let filters = try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", "ingress"])
        #expect(filters.contains("vd_tc_ingress"))

        let status = try verdict(mounts, net, ["status", "-o", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"bpffsMountedByLoad\":\"/sys/fs/bpf\""), "\(status.stdout)")
        let text = try verdict(mounts, net, ["status"])
        #expect(text.stdout.contains("bpffs at /sys/fs/bpf mounted by verdict load (for vds0"), "\(text.stdout)")

        // A reload finds bpffs there and mounts nothing.
        let again = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0", "-q"])
        #expect(again.status == 0 && again.stdout.contains("reloaded vds0"), "\(again.stderr)")
        #expect(!again.stderr.contains("mounted bpffs"))

        // Another tool's pin keeps the mount: unload says so and leaves it, record and all.
        try mounts.must("/usr/bin/mkdir", ["/sys/fs/bpf/othertool"])
        let unload = try verdict(mounts, net, ["unload", "--interface", "vds0"])
        #expect(unload.status == 0, "\(unload.stderr)")
        #expect(unload.stdout.contains("left the bpffs load mounted at /sys/fs/bpf mounted: it holds othertool"), "\(unload.stdout)")
        #expect(try mounts.mountType("/sys/fs/bpf") == "bpf")
        #expect(!(try mounts.exists("/sys/fs/bpf/verdict")))
        #expect(FileManager.default.fileExists(atPath: net.stateDir + "/bpffs.json"))

        // Once the other pin is gone, the next unload takes the mount back.
        try mounts.must("/usr/bin/rmdir", ["/sys/fs/bpf/othertool"])
        let load2 = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0", "-q"])
        try #require(load2.status == 0, "\(load2.stderr)")
        #expect(!load2.stderr.contains("mounted bpffs"))
        let unload2 = try verdict(mounts, net, ["unload", "--interface", "vds0"])
        #expect(unload2.status == 0, "\(unload2.stderr)")
        #expect(unload2.stdout.contains("unmounted the bpffs load mounted at /sys/fs/bpf"), "\(unload2.stdout)")
        #expect(try mounts.mountType("/sys/fs/bpf") == "")
        #expect(!FileManager.default.fileExists(atPath: net.stateDir))
        #expect(try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", "ingress"]).isEmpty)
    }

    @Test("load never mounts over another file system or a non-empty directory, nor without CAP_SYS_ADMIN, and leaves nothing")
    func refusals() throws {
        let host = HostBPFFS()
        defer { #expect(HostBPFFS() == host, "the host's /sys/fs/bpf changed") }
        let net = try LoadTestNetwork()
        let mounts = try PrivateMountNamespace()
        try mounts.withoutBPFFS()
        func nothingLeft(_ what: String) throws {
            #expect(try net.must("/usr/sbin/tc", ["-n", net.server, "filter", "show", "dev", "vds0", "ingress"]).isEmpty, "\(what): a filter is attached")
            #expect(!FileManager.default.fileExists(atPath: net.stateDir + "/vds0"), "\(what): state left")
        }

        // Another file system mounted at /sys/fs/bpf.
        try mounts.must("/usr/bin/mount", ["-t", "tmpfs", "tmpfs", "/sys/fs/bpf"])
        let overTmpfs = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0"])
        #expect(overTmpfs.status == 2)
        #expect(overTmpfs.stderr.contains("/sys/fs/bpf already holds a tmpfs mount"), "\(overTmpfs.stderr)")
        #expect(try mounts.mountType("/sys/fs/bpf") == "tmpfs")
        try nothingLeft("over tmpfs")
        try mounts.must("/usr/bin/umount", ["/sys/fs/bpf"])

        // A directory with files in it (a tmpfs over /sys/fs makes one, in this namespace only).
        try mounts.must("/usr/bin/mount", ["-t", "tmpfs", "tmpfs", "/sys/fs"])
        try mounts.must("/usr/bin/mkdir", ["/sys/fs/bpf"])
        try mounts.must("/usr/bin/touch", ["/sys/fs/bpf/keep"])
        let overFiles = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0"])
        #expect(overFiles.status == 2)
        #expect(overFiles.stderr.contains("/sys/fs/bpf is not empty (keep)"), "\(overFiles.stderr)")
        #expect(try mounts.mountType("/sys/fs/bpf") == "")
        try nothingLeft("over files")
        try mounts.must("/usr/bin/umount", ["/sys/fs"])

        // Without CAP_SYS_ADMIN (CAP_BPF and CAP_NET_ADMIN kept): 77 naming it, nothing mounted.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            let noAdmin = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0"],
                                      prefix: ["/usr/bin/setpriv", "--bounding-set", "-sys_admin"])
            #expect(noAdmin.status == 77, "\(noAdmin.stderr)")
            #expect(noAdmin.stderr.contains("/sys/fs/bpf has no bpffs and mounting bpffs needs CAP_SYS_ADMIN"), "\(noAdmin.stderr)")
            #expect(try mounts.mountType("/sys/fs/bpf") == "")
            try nothingLeft("without CAP_SYS_ADMIN")
        }

        // A --pin-path elsewhere that is not on bpffs: load mounts only at /sys/fs/bpf.
        let elsewhere = "/tmp/vdt-state-\(getpid())-nobpffs"
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let other = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0", "--pin-path", elsewhere + "/verdict"])
        #expect(other.status == 2)
        #expect(other.stderr.contains("--pin-path \(elsewhere)/verdict is not on a bpffs mount"), "\(other.stderr)")
        try nothingLeft("pin path elsewhere")

        // A dry run says it would mount, and mounts nothing.
        let dry = try verdict(mounts, net, ["load", "-f", Self.example, "--interface", "vds0", "--dry-run", "-q"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("(after mounting bpffs at /sys/fs/bpf, where none is mounted)"), "\(dry.stdout)")
        #expect(try mounts.mountType("/sys/fs/bpf") == "")
    }
}

// bpffs itself: whether a path lies on it, whether a directory may take a new mount, and
// mount(2)/umount2(2) of an instance, as Cilium, Calico and bpftool do at /sys/fs/bpf when a
// node has none (docs/DECISIONS.md 56).

#if canImport(Glibc)
import Glibc
#endif

/// The BPF file system (bpffs) as a mount.
public enum BPFFileSystem {
    /// Where the kernel expects bpffs (a directory sysfs creates when BPF is built in).
    public static let defaultMountPoint = "/sys/fs/bpf"

    /// The entries a bpffs mounted in the initial user namespace starts with: the kernel's
    /// preloaded iterators (kernel/bpf/preload), not pins anyone made.
    public static let kernelEntries: Set<String> = ["maps.debug", "progs.debug"]

    /// True when `path` lies on a bpffs mount.
    public static func isBPF(_ path: String) -> Bool { Libbpf.isBPFFileSystem(path) }

    /// `path` if it exists, else its nearest existing ancestor.
    public static func nearestExisting(_ path: String) -> String {
        var p = path
        while !p.isEmpty && p != "/" && !FileSystem.exists(p) {
            p = String(p[..<(p.lastIndex(of: "/") ?? p.startIndex)])
        }
        return p.isEmpty ? "/" : p
    }

    /// The device of the file system holding `path`, or nil when it cannot be stat'ed.
    public static func device(of path: String) -> UInt64? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return UInt64(s.st_dev)
    }

    /// The file-system type mounted at `path` in this mount namespace (from
    /// /proc/self/mountinfo; the last mount wins), or nil when `path` is no mount point.
    public static func mountType(at path: String) -> String? {
        guard let f = fopen("/proc/self/mountinfo", "r") else { return nil }
        defer { fclose(f) }
        var found: String?
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0, let l = line {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            let fields = String(cString: l).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 4, unescape(String(fields[4])) == path,
                  let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            found = String(fields[dash + 1])
        }
        return found
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 4 <= bytes.count,
               let v = UInt8(String(decoding: bytes[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The entries of directory `path` (without . and ..), or nil when it cannot be read.
    public static func entries(_ path: String) -> [String]? {
        guard let d = opendir(path) else { return nil }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    /// Why a new bpffs must not be mounted at `path`, or nil when it may: `path` must be an
    /// existing, empty directory that is not itself a mount point (never over another file
    /// system, never hiding files).
    public static func mountRefusal(_ path: String) -> String? {
        guard FileSystem.exists(path) else {
            return "\(path) does not exist (the kernel makes it when BPF is built in and sysfs is mounted)"
        }
        guard FileSystem.isDirectory(path) else { return "\(path) is not a directory" }
        if let type = mountType(at: path) {
            return "\(path) already holds a \(type) mount; verdict mounts bpffs only on an empty directory, never over another file system"
        }
        guard let names = entries(path) else { return "\(path) cannot be read: \(String(cString: strerror(errno)))" }
        guard names.isEmpty else {
            return "\(path) is not empty (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")); verdict does not mount over files"
        }
        return nil
    }

    /// `mount -t bpf bpf <path>` through mount(2). Needs CAP_SYS_ADMIN (EPERM without).
    public static func mount(at path: String) throws(BPFError) {
        guard Glibc.mount("bpf", path, "bpf", 0, nil) == 0 else {
            throw BPFError(operation: "mount -t bpf bpf \(path)", errno: errno)
        }
    }

    /// Swaps two paths on one file system in a single step (renameat2 RENAME_EXCHANGE; bpffs
    /// supports it): a reader sees the old pair or the new one, never a missing name.
    public static func exchange(_ a: String, _ b: String) throws(BPFError) {
        try Libbpf.renameExchange(a, b)
    }

    /// umount2(2) of the mount at `path` (not lazy: a busy mount stays, EBUSY).
    public static func unmount(at path: String) throws(BPFError) {
        guard umount2(path, Int32(UMOUNT_NOFOLLOW)) == 0 else {
            throw BPFError(operation: "umount \(path)", errno: errno)
        }
    }
}

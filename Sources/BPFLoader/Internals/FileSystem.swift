// The few file-system operations pinning needs, over libc.

#if canImport(Glibc)
import Glibc
#endif

enum FileSystem {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var s = stat()
        return stat(path, &s) == 0 && (s.st_mode & S_IFMT) == S_IFDIR
    }

    static func makeDirectory(_ path: String) throws(BPFError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw BPFError(operation: "mkdir(\(path))", errno: errno)
        }
    }

    /// Removes an empty directory; false when it is not empty or absent.
    @discardableResult
    static func removeDirectory(_ path: String) -> Bool { rmdir(path) == 0 }

    static func remove(_ path: String) throws(BPFError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw BPFError(operation: "unlink(\(path))", errno: errno)
        }
    }
}

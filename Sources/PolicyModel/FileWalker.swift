// Finding and reading input files.

import Foundation

enum FileWalker {
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    /// The files named by `path`: the file itself, or a directory's policy files in name order.
    /// The Bool says whether the file was found by walking a directory.
    static func files(at path: String, recursive: Bool) throws(InputError) -> [(String, Bool)] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InputError(SourceLocation(file: path, line: 0, column: 0), field: "", "no such file or directory")
        }
        if !isDir.boolValue { return [(path, false)] }
        var out: [(String, Bool)] = []
        func walk(_ dir: String) throws(InputError) {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted() } catch {
                throw InputError(SourceLocation(file: dir, line: 0, column: 0), field: "", "cannot list directory: \(error.localizedDescription)")
            }
            for name in names where !name.hasPrefix(".") {
                let p = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                var sub: ObjCBool = false
                FileManager.default.fileExists(atPath: p, isDirectory: &sub)
                if sub.boolValue {
                    // Like `kubectl -R`, do not follow symbolic links to directories (they can loop).
                    let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: p)) != nil
                    if recursive && !isLink { try walk(p) }
                } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
                    out.append((p, true))
                }
            }
        }
        try walk(path)
        return out
    }

    static func read(_ path: String) throws(InputError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(SourceLocation(file: path, line: 0, column: 0), field: "", "cannot read file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(SourceLocation(file: path, line: 0, column: 0), field: "", "file is not valid UTF-8")
        }
        return text
    }
}

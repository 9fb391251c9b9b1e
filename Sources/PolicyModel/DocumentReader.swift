// Reading YAML and JSON documents into position-aware cursors.
//
// Decoding walks Yams `Node`s directly instead of going through Codable, for three reasons that
// ../shared/docs/TOOLCHAIN.md §4 measured: every error can name line, column and field path; unknown
// keys are caught instead of silently dropped; and it avoids the tag-resolution cost of the Codable
// path. JSON is read by the same parser (it is a YAML flow document), so JSON errors carry positions too.

import Foundation
import Yams

/// One document of an input file.
struct Document {
    let file: String
    let root: Cursor
}

/// A node plus where it is: the file, its 1-based position, and its field path in the document.
struct Cursor {
    let node: Node
    let file: String
    let path: String

    var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    func error(_ message: String) -> InputError { InputError(location, field: path, message) }

    /// Stands in for an omitted section (a policy without `spec`), which reads as an empty mapping.
    static func emptyMapping(file: String, path: String) -> Cursor {
        Cursor(node: .mapping(Node.Mapping([])), file: file, path: path)
    }

    /// An error about a child field that is missing, reported at this (parent) node.
    func missing(_ key: String) -> InputError {
        InputError(location, field: join(key), "required field '\(key)' is missing")
    }

    func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var isNull: Bool {
        if case let .scalar(s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    var kindName: String {
        switch node {
        case .scalar: return isNull ? "null" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Scalars

    func string() throws(InputError) -> String {
        guard case let .scalar(s) = node, !isNull else { throw error("expected a string, found \(kindName)") }
        return s.string
    }

    /// A string that must not be empty.
    func nonEmptyString() throws(InputError) -> String {
        let s = try string()
        if s.isEmpty { throw error("must not be empty") }
        return s
    }

    /// An integer written as a number (a quoted "80" is a string, as in Kubernetes' JSON decoding).
    func int() throws(InputError) -> Int {
        guard case let .scalar(s) = node, s.style == .plain, let v = Int(s.string) else {
            throw error("expected an integer, found \(describeScalar())")
        }
        return v
    }

    func double() throws(InputError) -> Double {
        guard case let .scalar(s) = node, s.style == .plain, let v = Double(s.string), v.isFinite,
              s.string.allSatisfy({ "0123456789+-.eE".contains($0) }) else {
            throw error("expected a number, found \(describeScalar())")
        }
        return v
    }

    func bool() throws(InputError) -> Bool {
        guard case let .scalar(s) = node, s.style == .plain else { throw error("expected true or false, found \(describeScalar())") }
        switch s.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw error("expected true or false, found \(describeScalar())")
        }
    }

    /// Either a plain integer or a string: Kubernetes' IntOrString and Calico's numorstring types.
    enum IntOrString { case int(Int), string(String) }
    func intOrString() throws(InputError) -> IntOrString {
        guard case let .scalar(s) = node, !isNull else { throw error("expected a number or a string, found \(kindName)") }
        if s.style == .plain, let v = Int(s.string) { return .int(v) }
        return .string(s.string)
    }

    func describeScalar() -> String {
        if case let .scalar(s) = node, !isNull {
            return s.style == .plain ? "'\(s.string)'" : "the string \"\(s.string)\""
        }
        return kindName
    }

    // MARK: Collections

    func sequence() throws(InputError) -> [Cursor] {
        if isNull { return [] }
        guard case let .sequence(seq) = node else { throw error("expected a list, found \(kindName)") }
        return seq.enumerated().map { Cursor(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    func stringList() throws(InputError) -> [String] {
        var out: [String] = []
        for c in try sequence() { out.append(try c.string()) }
        return out
    }

    /// A mapping of string keys. `allowed` lists the keys this decoder understands; with `strict`
    /// any other key is an error naming the key, otherwise it is ignored (inventory pasted from
    /// `kubectl get -o yaml` carries many fields Verdict does not read).
    func fields(allowed: Set<String>, strict: Bool) throws(InputError) -> Fields {
        if isNull { return Fields(parent: self, entries: [:], order: [], keyLocations: [:]) }
        guard case let .mapping(m) = node else { throw error("expected a mapping, found \(kindName)") }
        var entries: [String: Cursor] = [:]
        var order: [String] = []
        var keyLocations: [String: SourceLocation] = [:]
        for (k, v) in m {
            guard case let .scalar(ks) = k else {
                throw InputError(Cursor(node: k, file: file, path: path).location, field: path, "mapping keys must be strings")
            }
            let key = ks.string
            let keyLocation = Cursor(node: k, file: file, path: join(key)).location
            if entries[key] != nil { throw InputError(keyLocation, field: join(key), "duplicate field '\(key)'") }
            if strict && !allowed.contains(key) {
                let hint = Fields.nearest(key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                throw InputError(keyLocation, field: join(key), "unknown field '\(key)'\(hint)")
            }
            entries[key] = Cursor(node: v, file: file, path: join(key))
            keyLocations[key] = keyLocation
            order.append(key)
        }
        return Fields(parent: self, entries: entries, order: order, keyLocations: keyLocations)
    }

    /// A `map[string]string` such as labels or annotations.
    func stringMap() throws(InputError) -> [String: String] {
        let f = try fields(allowed: [], strict: false)
        var out: [String: String] = [:]
        for k in f.order {
            let c = f.entries[k]!
            // Label values that look like numbers or booleans are still strings in Kubernetes (`version: 2`
            // is rejected by the API server); accept the plain scalar text, as users paste such YAML.
            guard case let .scalar(s) = c.node else { throw c.error("expected a string value, found \(c.kindName)") }
            out[k] = c.isNull ? "" : s.string
        }
        return out
    }
}

/// The fields of one mapping, with helpers that produce located errors.
struct Fields {
    let parent: Cursor
    let entries: [String: Cursor]
    let order: [String]
    /// Where each key is written, for errors about the key itself (e.g. an invalid label key).
    let keyLocations: [String: SourceLocation]

    subscript(_ key: String) -> Cursor? {
        guard let c = entries[key], !c.isNull else { return nil }
        return c
    }

    func required(_ key: String) throws(InputError) -> Cursor {
        guard let c = self[key] else { throw parent.missing(key) }
        return c
    }

    /// The closest allowed key by edit distance, for "did you mean" hints on typos.
    static func nearest(_ key: String, in allowed: Set<String>) -> String? {
        let best = allowed.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }.min { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let (k, d) = best, d <= max(2, key.count / 3) else { return nil }
        return k
    }
}

/// Levenshtein distance, used for "did you mean" hints.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// Splits input files into documents.
enum DocumentReader {
    /// Parses every document of `text`. A syntax error anywhere fails the whole file: Yams'
    /// `compose_all` sequence would instead stop quietly at the first error (TOOLCHAIN §4).
    static func documents(of text: String, file: String) throws(InputError) -> [Document] {
        var out: [Document] = []
        // A UTF-8 byte order mark survives on standard input; files lose it when decoded.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        do {
            let parser = try Parser(yaml: text, resolver: .basic, encoding: .utf8)
            while let node = try parser.nextRoot() {
                out.append(Document(file: file, root: Cursor(node: node, file: file, path: "")))
            }
        } catch let e as YamlError {
            throw yamlError(e, file: file)
        } catch {
            throw InputError(SourceLocation(file: file, line: 0, column: 0), field: "", "cannot parse: \(error)")
        }
        return out
    }

    static func yamlError(_ e: YamlError, file: String) -> InputError {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var msg = "YAML syntax error: \(problem)"
            if let context { msg += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return InputError(SourceLocation(file: file, line: mark.line, column: mark.column), field: "", msg)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return InputError(SourceLocation(file: file, line: context.mark.line, column: context.mark.column), field: "",
                              "duplicate field \(keys) in one mapping")
        default:
            return InputError(SourceLocation(file: file, line: 0, column: 0), field: "", "YAML error: \(e)")
        }
    }
}

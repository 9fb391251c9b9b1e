// Helpers shared by the PolicyModel tests: loading YAML from strings and checking located errors.

import Foundation
import Testing
@testable import PolicyModel
import Selectors

/// Loads `text` as one input file.
func load(_ text: String, file: String = "test.yaml") throws(InputError) -> LoadedResources {
    try ResourceLoader.load(text: text, file: file)
}

/// Loads and resolves `text`.
func resolve(_ text: String, options: PolicySet.Options = PolicySet.Options()) throws(InputError) -> PolicySet {
    try PolicySet.resolve(try load(text), options: options)
}

/// The error `body` throws, or nil.
func inputError<T>(_ body: () throws(InputError) -> T) -> InputError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Expects `text` to fail to load with an error whose message contains `message`, at `field`
/// (exact path) and `line`:`column` of `file`.
func expectLoadError(_ text: String, file: String = "test.yaml", message: String, field: String, line: Int, column: Int,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let e = inputError({ () throws(InputError) in try load(text, file: file) }) else {
        Issue.record("expected an error containing \"\(message)\", but the input loaded", sourceLocation: sourceLocation)
        return
    }
    #expect(e.message.contains(message), "message: \(e.message)", sourceLocation: sourceLocation)
    #expect(e.field == field, "field of: \(e)", sourceLocation: sourceLocation)
    #expect(e.location.file == file, sourceLocation: sourceLocation)
    #expect(e.location.line == line, "line of: \(e)", sourceLocation: sourceLocation)
    #expect(e.location.column == column, "column of: \(e)", sourceLocation: sourceLocation)
}

/// Canonical form of a selector written in Calico syntax, for comparing normalised selectors.
func canon(_ text: String) -> String {
    do {
        return try Selector(parsing: text).canonical
    } catch {
        fatalError("bad selector in test: \(text): \(error)")
    }
}

/// A fresh temporary directory, removed by `cleanup`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-pm-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A Namespace resource.
func namespaceYAML(_ name: String, labels: [String: String] = [:]) -> String {
    var s = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(name)\n"
    if !labels.isEmpty {
        s += "  labels:\n" + labels.keys.sorted().map { "    \($0): \"\(labels[$0]!)\"\n" }.joined()
    }
    return s
}

/// A Pod resource with an IPv4 address.
func podYAML(_ name: String, namespace: String, labels: [String: String] = [:], ip: String? = nil,
             serviceAccount: String? = nil) -> String {
    var s = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \(name)\n  namespace: \(namespace)\n"
    if !labels.isEmpty {
        s += "  labels:\n" + labels.keys.sorted().map { "    \($0): \"\(labels[$0]!)\"\n" }.joined()
    }
    s += "spec:\n  containers:\n  - name: c\n    image: nginx\n"
    if let serviceAccount { s += "  serviceAccountName: \(serviceAccount)\n" }
    if let ip { s += "status:\n  podIP: \(ip)\n" }
    return s
}

/// Joins resources into one multi-document YAML text.
func documents(_ docs: String...) -> String { docs.joined(separator: "---\n") }

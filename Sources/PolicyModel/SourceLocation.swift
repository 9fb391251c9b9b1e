// Where a value came from, so that every error and every verdict can point back at a line of YAML.

/// A 1-based position in an input file. `line`/`column` are 0 when the input has no positions
/// (for example a resource synthesised by Verdict itself).
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location for things Verdict creates itself (built-in tiers, implicit profiles).
    public static func builtIn(_ what: String) -> SourceLocation {
        SourceLocation(file: "<built-in \(what)>", line: 0, column: 0)
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// Bad input: one message naming the file, line, column and field.
///
/// Rendered as `FILE:LINE:COL: error: FIELD: MESSAGE`, the shape compilers and kubectl users know.
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    /// Path of the offending field inside its document, e.g. `spec.ingress[0].protocol`
    /// (empty for whole-document problems such as YAML syntax errors).
    public var field: String
    public var message: String

    public init(_ location: SourceLocation, field: String, _ message: String) {
        self.location = location
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(location): error: \(message)" : "\(location): error: \(field): \(message)"
    }
}

/// Something Verdict wants the user to know that does not stop the run (a selector that matches
/// nothing, a kind it skips). Printed on stderr as `FILE:LINE:COL: warning: MESSAGE`.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        case skippedKind = "skipped-kind"
        case stagedPolicy = "staged-policy"
        case undefinedTier = "undefined-tier"
        case missingNamespace = "missing-namespace"
        case syntheticAddress = "synthetic-address"
        case sharedAddress = "shared-address"
        case inactiveEndpoint = "inactive-endpoint"
        case duplicateResource = "duplicate-resource"
        case invalidPolicyIgnored = "invalid-policy-ignored"
    }
    public var code: Code
    public var location: SourceLocation
    public var message: String

    public init(_ code: Code, _ location: SourceLocation, _ message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): warning: \(message)" }
}

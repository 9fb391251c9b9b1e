// The selector AST and its evaluation (SEMANTICS §4.3, libcalico-go/lib/selector/parser/ast.go).

/// A parsed Calico selector.
///
/// The parser builds `&&`/`||` chains left-associatively (`a && b && c` is
/// `.and(.and(a, b), c)`), collapses a run of leading `!` by parity exactly as Calico's parser does
/// (`!!has(a)` is `.has("a")`, `!!!has(a)` is `.not(.has("a"))`; `!(!has(a))` keeps both `.not`s,
/// like Calico), and sorts and de-duplicates `in`/`not in` members by byte order.
public indirect enum SelectorExpression: Hashable, Sendable {
    /// `all()` and the empty selector: always true.
    case all
    /// `global()`: always true when evaluated (only meaningful as a whole rule namespaceSelector,
    /// where policy normalisation rewrites it).
    case global
    /// `has(label)`: the label is present.
    case has(String)
    /// `label == "value"`: present and equal.
    case equals(String, String)
    /// `label != "value"`: absent, or present with another value.
    case notEquals(String, String)
    /// `label in {…}`: present and one of the members. Members are sorted and de-duplicated by the parser.
    case inSet(String, [String])
    /// `label not in {…}`: absent, or present with a value that is not a member.
    case notInSet(String, [String])
    /// `label contains "s"`: present and the value contains `s` (byte-wise).
    case contains(String, String)
    /// `label starts with "s"`: present and the value starts with `s` (byte-wise).
    case startsWith(String, String)
    /// `label ends with "s"`: present and the value ends with `s` (byte-wise).
    case endsWith(String, String)
    case not(SelectorExpression)
    case and(SelectorExpression, SelectorExpression)
    case or(SelectorExpression, SelectorExpression)
}

extension SelectorExpression {
    /// Evaluates against a label lookup (`nil` = label absent). Comparisons are exact,
    /// case-sensitive and byte-wise (UTF-8), as in Go; no Unicode normalisation is applied.
    public func matches(_ lookup: (String) -> String?) -> Bool {
        switch self {
        case .all, .global:
            return true
        case .has(let label):
            return lookup(label) != nil
        case .equals(let label, let value):
            guard let actual = lookup(label) else { return false }
            return ByteString.equal(actual, value)
        case .notEquals(let label, let value):
            guard let actual = lookup(label) else { return true }
            return !ByteString.equal(actual, value)
        case .inSet(let label, let members):
            guard let actual = lookup(label) else { return false }
            return members.contains { ByteString.equal(actual, $0) }
        case .notInSet(let label, let members):
            guard let actual = lookup(label) else { return true }
            return !members.contains { ByteString.equal(actual, $0) }
        case .contains(let label, let needle):
            guard let actual = lookup(label) else { return false }
            return ByteString.contains(actual, needle)
        case .startsWith(let label, let prefix):
            guard let actual = lookup(label) else { return false }
            return actual.utf8.starts(with: prefix.utf8)
        case .endsWith(let label, let suffix):
            guard let actual = lookup(label) else { return false }
            return ByteString.hasSuffix(actual, suffix)
        case .not(let operand):
            return !operand.matches(lookup)
        case .and(let lhs, let rhs):
            return lhs.matches(lookup) && rhs.matches(lookup)
        case .or(let lhs, let rhs):
            return lhs.matches(lookup) || rhs.matches(lookup)
        }
    }

    /// Evaluates against a label map.
    public func matches(_ labels: [String: String]) -> Bool {
        matches { labels[$0] }
    }

    /// The label this leaf compares, or nil for `all()`, `global()` and the boolean operators.
    public var label: String? {
        switch self {
        case .has(let l), .equals(let l, _), .notEquals(let l, _), .inSet(let l, _), .notInSet(let l, _),
             .contains(let l, _), .startsWith(let l, _), .endsWith(let l, _):
            return l
        case .all, .global, .not, .and, .or:
            return nil
        }
    }

    /// True for `.and`, `.or` (the nodes that need parentheses under `!`).
    var isBinary: Bool {
        switch self {
        case .and, .or: return true
        default: return false
        }
    }

    /// Applies `transform` bottom-up to every node.
    public func rewritten(_ transform: (SelectorExpression) -> SelectorExpression) -> SelectorExpression {
        switch self {
        case .not(let operand):
            return transform(.not(operand.rewritten(transform)))
        case .and(let lhs, let rhs):
            return transform(.and(lhs.rewritten(transform), rhs.rewritten(transform)))
        case .or(let lhs, let rhs):
            return transform(.or(lhs.rewritten(transform), rhs.rewritten(transform)))
        default:
            return transform(self)
        }
    }

    /// True if any node satisfies `predicate`.
    public func containsNode(where predicate: (SelectorExpression) -> Bool) -> Bool {
        if predicate(self) { return true }
        switch self {
        case .not(let operand):
            return operand.containsNode(where: predicate)
        case .and(let lhs, let rhs), .or(let lhs, let rhs):
            return lhs.containsNode(where: predicate) || rhs.containsNode(where: predicate)
        default:
            return false
        }
    }

    /// Sorts (by UTF-8 bytes, as Go's `sort.Strings`) and de-duplicates set members.
    public static func normalizedMembers(_ members: [String]) -> [String] {
        let sorted = members.sorted { ByteString.less($0, $1) }
        var out: [String] = []
        out.reserveCapacity(sorted.count)
        for member in sorted where out.last.map({ !ByteString.equal($0, member) }) ?? true {
            out.append(member)
        }
        return out
    }
}

/// Byte-wise (UTF-8) string comparisons, matching Go's string semantics. Swift's `String ==`
/// and `<` use Unicode canonical equivalence, which Calico does not.
enum ByteString {
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func hasSuffix(_ value: String, _ suffix: String) -> Bool {
        let v = value.utf8, s = suffix.utf8
        guard s.count <= v.count else { return false }
        return v.dropFirst(v.count - s.count).elementsEqual(s)
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        let h = Array(haystack.utf8), n = Array(needle.utf8)
        if n.isEmpty { return true }
        guard n.count <= h.count else { return false }
        outer: for start in 0...(h.count - n.count) {
            for j in 0..<n.count where h[start + j] != n[j] { continue outer }
            return true
        }
        return false
    }
}

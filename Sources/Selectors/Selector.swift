// The public facade: a parsed selector together with the text it was written as.

/// A Calico label selector (SEMANTICS §4).
///
/// Equality and hashing compare both `expression` and `source`: `Selector(parsing: "a=='b'")`
/// and `Selector(parsing: "a == 'b'")` have equal expressions (and canonical forms) but are
/// different values. Compare `expression` or `canonical` to compare meaning.
public struct Selector: Hashable, Sendable, CustomStringConvertible {
    public let expression: SelectorExpression
    /// The text as written (`""` for the empty selector); for selectors built from an expression
    /// or by a rewrite, the canonical form.
    public let source: String
    /// Calico canonical form (SEMANTICS §4.5). `description` returns it.
    public let canonical: String

    /// Longest label name the selector language accepts.
    public static let maxLabelLength = Tokenizer.maxLabelLength

    /// Parses `text`. The empty selector, and one made only of spaces and tabs, is `all()`.
    public init(parsing text: String) throws(SelectorParseError) {
        let expression = try Parser.parse(text)
        self.init(expression: expression, source: text)
    }

    /// A selector for `expression`; `source` is its canonical form.
    public init(_ expression: SelectorExpression) {
        let canonical = CanonicalPrinter.canonical(expression)
        self.expression = expression
        self.source = canonical
        self.canonical = canonical
    }

    private init(expression: SelectorExpression, source: String) {
        self.expression = expression
        self.source = source
        self.canonical = CanonicalPrinter.canonical(expression)
    }

    /// `all()`.
    public static let all = Selector(.all)

    /// True iff `source` is empty or only spaces/tabs (Calico treats such a selector as `all()`,
    /// but policy normalisation distinguishes "no selector" from an explicit `all()`).
    public var isEmptySource: Bool {
        source.unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" }
    }

    public var description: String { canonical }

    /// Calico's own `String()` rendering (every `&&`/`||` group in parentheses, e.g.
    /// `(a == "b" && has(c))`). Use `canonical` for display and comparison inside Verdict.
    public var calicoString: String { expression.calicoString }

    public static func == (lhs: Selector, rhs: Selector) -> Bool {
        lhs.expression == rhs.expression && lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(expression)
        hasher.combine(source)
    }

    // MARK: Evaluation

    public func matches(_ labels: [String: String]) -> Bool {
        expression.matches(labels)
    }

    /// Evaluates with a lookup function (`nil` = label absent), e.g. over an effective-label
    /// chain (own labels, then profile labels) without building a dictionary.
    public func matches(_ lookup: (String) -> String?) -> Bool {
        expression.matches(lookup)
    }

    // MARK: Combinators

    /// `lhs && rhs` as an expression (no simplification; `all()` operands are kept).
    public static func && (lhs: Selector, rhs: Selector) -> Selector {
        Selector(.and(lhs.expression, rhs.expression))
    }

    public static func || (lhs: Selector, rhs: Selector) -> Selector {
        Selector(.or(lhs.expression, rhs.expression))
    }

    public static prefix func ! (operand: Selector) -> Selector {
        Selector(.not(operand.expression))
    }

    // MARK: Introspection

    public var containsGlobal: Bool {
        expression.containsNode { $0 == .global }
    }

    /// The whole expression is `global()` (possibly written `(global())` or `!!global()`).
    public var isExactlyGlobal: Bool {
        expression == .global
    }

    /// Every label name the selector mentions.
    public var referencedLabels: Set<String> {
        var labels = Set<String>()
        _ = expression.containsNode { node in
            if let label = node.label { labels.insert(label) }
            return false
        }
        return labels
    }

    /// Every comparison in the selector, in source order (duplicates kept), with the operator
    /// as it effectively applies after pushing enclosing `!`s down to it; see `LabelComparison`.
    public var labelComparisons: [LabelComparison] {
        var result: [LabelComparison] = []
        func walk(_ node: SelectorExpression, negated: Bool) {
            switch node {
            case .all, .global:
                return
            case .not(let operand):
                walk(operand, negated: !negated)
            case .and(let lhs, let rhs), .or(let lhs, let rhs):
                walk(lhs, negated: negated)
                walk(rhs, negated: negated)
            case .has(let label):
                result.append(LabelComparison(label: label, values: [], op: negated ? "!has" : "has"))
            case .equals(let label, let value):
                result.append(LabelComparison(label: label, values: [value], op: negated ? "!=" : "=="))
            case .notEquals(let label, let value):
                result.append(LabelComparison(label: label, values: [value], op: negated ? "==" : "!="))
            case .inSet(let label, let members):
                result.append(LabelComparison(label: label, values: members, op: negated ? "not in" : "in"))
            case .notInSet(let label, let members):
                result.append(LabelComparison(label: label, values: members, op: negated ? "in" : "not in"))
            case .contains(let label, let value):
                result.append(LabelComparison(label: label, values: [value], op: negated ? "!contains" : "contains"))
            case .startsWith(let label, let value):
                result.append(LabelComparison(label: label, values: [value], op: negated ? "!starts with" : "starts with"))
            case .endsWith(let label, let value):
                result.append(LabelComparison(label: label, values: [value], op: negated ? "!ends with" : "ends with"))
            }
        }
        walk(expression, negated: false)
        return result
    }
}

/// One comparison of a label in a selector, for "did you mean" suggestions.
///
/// `op` is the effective operator once enclosing `!`s are pushed down to the comparison (exact
/// for these operators: `!(a == "x")` ≡ `a != "x"`, `!(a in {…})` ≡ `a not in {…}`):
/// `"=="`, `"!="`, `"in"`, `"not in"`, `"has"`, `"!has"`, `"contains"`, `"!contains"`,
/// `"starts with"`, `"!starts with"`, `"ends with"`, `"!ends with"`. `values` are the literal
/// values compared with (set members for `in`/`not in`, empty for `has`).
public struct LabelComparison: Hashable, Sendable {
    public let label: String
    public let values: [String]
    public let op: String

    public init(label: String, values: [String], op: String) {
        self.label = label
        self.values = values
        self.op = op
    }

    /// True when the comparison can only hold if the label is present with a matching value
    /// (`==`, `in`, `has`, `contains`, `starts with`, `ends with`): the selector uses the label
    /// positively, so a value that no endpoint carries is a likely typo.
    public var isPositive: Bool {
        switch op {
        case "==", "in", "has", "contains", "starts with", "ends with": return true
        default: return false
        }
    }
}

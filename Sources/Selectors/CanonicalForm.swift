// Printing selectors: Verdict's canonical form (SEMANTICS §4.5) and Calico's exact `String()`
// (libcalico-go/lib/selector/parser/ast.go `collectFragments`).
//
// Shared by both forms (as in ast.go):
// - values in double quotes, or single quotes when the value contains a double quote;
// - `starts with`, `ends with`, `not in` spelled that way; sets printed `a in {"x", "z"}` with
//   members sorted by bytes and de-duplicated, `{}` when empty;
// - one space around `==`, `!=`, `&&`, `||`; `!` directly before its operand (`!a == "b"`).
//
// They differ only in parentheses:
// - `canonical` (SEMANTICS §4.5) uses them only where precedence needs them: an `||` operand of
//   `&&`, and a `&&`/`||` operand of `!`. Runs of `!` are collapsed by parity, so printing is
//   idempotent: parse(canonical).canonical == canonical.
// - `calicoString` wraps every `&&`/`||` group in parentheses, the top level included, exactly
//   as Calico does: `a == "b" && has(c)` prints `(a == "b" && has(c))`. Calico's AND/OR nodes are
//   n-ary; a left-nested chain of the same operator is printed as one group, which reproduces
//   Calico for every selector except one that wraps the left operand of a same-operator chain in
//   redundant parentheses (`(a && b) && c`: Calico `((a && b) && c)`, here `(a && b && c)`).
//   Nested `!` are printed one `!` each, as in Calico.

enum CanonicalPrinter {
    /// `"value"`, or `'value'` when the value contains `"`. (A value containing both quote
    /// characters cannot come from the parser; it is printed in single quotes, as Calico does.)
    static func quote(_ value: String) -> String {
        value.unicodeScalars.contains("\"") ? "'\(value)'" : "\"\(value)\""
    }

    static func set(_ members: [String]) -> String {
        "{" + SelectorExpression.normalizedMembers(members).map(quote).joined(separator: ", ") + "}"
    }

    /// Leaves (everything but `!`, `&&`, `||`).
    static func leaf(_ expression: SelectorExpression) -> String? {
        switch expression {
        case .all: return "all()"
        case .global: return "global()"
        case .has(let label): return "has(\(label))"
        case .equals(let label, let value): return "\(label) == \(quote(value))"
        case .notEquals(let label, let value): return "\(label) != \(quote(value))"
        case .contains(let label, let value): return "\(label) contains \(quote(value))"
        case .startsWith(let label, let value): return "\(label) starts with \(quote(value))"
        case .endsWith(let label, let value): return "\(label) ends with \(quote(value))"
        case .inSet(let label, let members): return "\(label) in \(set(members))"
        case .notInSet(let label, let members): return "\(label) not in \(set(members))"
        case .not, .and, .or: return nil
        }
    }

    private enum Level: Int, Comparable {
        case or = 0, and = 1, unary = 2
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    // MARK: Canonical (minimal parentheses)

    static func canonical(_ expression: SelectorExpression) -> String {
        var out = ""
        writeCanonical(expression, level: .or, into: &out)
        return out
    }

    private static func writeCanonical(_ expression: SelectorExpression, level: Level, into out: inout String) {
        switch expression {
        case .not:
            var negations = 0
            var operand = expression
            while case .not(let inner) = operand {
                negations += 1
                operand = inner
            }
            if negations % 2 == 0 {
                writeCanonical(operand, level: level, into: &out)
            } else {
                out += "!"
                writeCanonical(operand, level: .unary, into: &out)
            }
        case .and(let lhs, let rhs):
            let parens = level > .and
            if parens { out += "(" }
            writeCanonical(lhs, level: .and, into: &out)
            out += " && "
            writeCanonical(rhs, level: .and, into: &out)
            if parens { out += ")" }
        case .or(let lhs, let rhs):
            let parens = level > .or
            if parens { out += "(" }
            writeCanonical(lhs, level: .or, into: &out)
            out += " || "
            writeCanonical(rhs, level: .or, into: &out)
            if parens { out += ")" }
        default:
            out += leaf(expression)!
        }
    }

    // MARK: Calico's String()

    static func calico(_ expression: SelectorExpression) -> String {
        var out = ""
        writeCalico(expression, into: &out)
        return out
    }

    private static func writeCalico(_ expression: SelectorExpression, into out: inout String) {
        switch expression {
        case .not(let operand):
            out += "!"
            writeCalico(operand, into: &out)
        case .and, .or:
            let isAnd: Bool
            if case .and = expression { isAnd = true } else { isAnd = false }
            // Flatten the left spine of the same operator (how the parser builds a chain).
            var operands: [SelectorExpression] = []
            var node = expression
            while true {
                if isAnd, case .and(let l, let r) = node {
                    operands.append(r); node = l
                } else if !isAnd, case .or(let l, let r) = node {
                    operands.append(r); node = l
                } else {
                    operands.append(node); break
                }
            }
            out += "("
            for (i, operand) in operands.reversed().enumerated() {
                if i > 0 { out += isAnd ? " && " : " || " }
                writeCalico(operand, into: &out)
            }
            out += ")"
        default:
            out += leaf(expression)!
        }
    }
}

extension SelectorExpression: CustomStringConvertible {
    /// Verdict's canonical form (SEMANTICS §4.5); see `CanonicalPrinter`.
    public var canonical: String { CanonicalPrinter.canonical(self) }

    /// Calico's own `Selector.String()` rendering (every `&&`/`||` group parenthesised).
    public var calicoString: String { CanonicalPrinter.calico(self) }

    public var description: String { canonical }
}

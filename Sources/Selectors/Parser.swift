// Recursive-descent parser for the Calico selector language (SEMANTICS §4.2), following
// libcalico-go/lib/selector/parser/parser.go:
//
//     selector   := ε | or_expr                       (empty or blank ≡ all())
//     or_expr    := and_expr ( "||" and_expr )*
//     and_expr   := unary ( "&&" unary )*
//     unary      := "!"* primary                      (leading !s collapsed by parity)
//     primary    := has(label) | all() | global()
//                 | label ("==" | "!=" | contains | starts with | ends with) string
//                 | label ("in" | "not in") "{" [ string ("," string)* [","] ] "}"
//                 | "(" or_expr ")"

struct Parser {
    /// Parenthesis nesting limit. Calico has none (Go stacks grow); a policy selector is at most
    /// 1024 characters, so no accepted policy can nest deeper than 512. The limit only protects
    /// the recursive parser and the recursive AST walkers from absurd inputs.
    static let maxNesting = 1000

    private var tokenizer: Tokenizer
    private var lookahead: Token?
    private var depth = 0

    init(_ source: String) {
        tokenizer = Tokenizer(source)
    }

    static func parse(_ source: String) throws(SelectorParseError) -> SelectorExpression {
        var parser = Parser(source)
        return try parser.parseRoot()
    }

    // MARK: Token access

    private mutating func peek(expected: String) throws(SelectorParseError) -> Token {
        if let lookahead { return lookahead }
        let token = try tokenizer.next(expected: expected)
        lookahead = token
        return token
    }

    private mutating func take(expected: String) throws(SelectorParseError) -> Token {
        let token = try peek(expected: expected)
        lookahead = nil
        return token
    }

    private func failure(at token: Token, expected: String, _ message: String) -> SelectorParseError {
        tokenizer.error(at: token.start, expected: expected, message)
    }

    private var afterTermExpected: String {
        depth > 0 ? "'&&', '||' or ')'" : "'&&', '||' or end of selector"
    }

    // MARK: Grammar

    mutating func parseRoot() throws(SelectorParseError) -> SelectorExpression {
        let first = try peek(expected: "expression")
        if first.kind == .eof { return .all }
        let expression = try parseOr()
        let rest = try peek(expected: afterTermExpected)
        guard rest.kind == .eof else {
            var message = "unexpected content at end of selector at column \(rest.start + 1): found \(rest.kind.display)"
            if rest.kind == .rparen { message += " without a matching '('" }
            message += "; expected '&&', '||' or end of selector"
            throw failure(at: rest, expected: "end of selector", message)
        }
        return expression
    }

    private mutating func parseOr() throws(SelectorParseError) -> SelectorExpression {
        var result = try parseAnd()
        while try peek(expected: afterTermExpected).kind == .or {
            lookahead = nil
            result = .or(result, try parseAnd())
        }
        return result
    }

    private mutating func parseAnd() throws(SelectorParseError) -> SelectorExpression {
        var result = try parseUnary()
        while try peek(expected: afterTermExpected).kind == .and {
            lookahead = nil
            result = .and(result, try parseUnary())
        }
        return result
    }

    private mutating func parseUnary() throws(SelectorParseError) -> SelectorExpression {
        var negated = false
        while try peek(expected: "expression").kind == .not {
            lookahead = nil
            negated.toggle()
        }
        let operand = try parsePrimary()
        return negated ? .not(operand) : operand
    }

    private mutating func parsePrimary() throws(SelectorParseError) -> SelectorExpression {
        let token = try take(expected: "expression")
        switch token.kind {
        case .has(let label):
            return .has(label)
        case .all:
            return .all
        case .global:
            return .global
        case .label(let label):
            return try parseComparison(label: label, labelToken: token)
        case .lparen:
            guard depth < Self.maxNesting else {
                throw failure(at: token, expected: "expression",
                              "parentheses nested more than \(Self.maxNesting) deep at column \(token.start + 1)")
            }
            depth += 1
            let inner = try parseOr()
            depth -= 1
            let close = try take(expected: "')'")
            guard close.kind == .rparen else {
                throw failure(at: close, expected: ")",
                              "expected ')' at column \(close.start + 1) to close the '(' at column \(token.start + 1), found \(close.kind.display)")
            }
            return inner
        default:
            let what = token.kind == .eof ? "unexpected end of selector" : "unexpected \(token.kind.display)"
            throw failure(at: token, expected: "expression",
                          "\(what) at column \(token.start + 1); expected a label, has(…), all(), global(), '!' or '('")
        }
    }

    private mutating func parseComparison(label: String, labelToken: Token) throws(SelectorParseError) -> SelectorExpression {
        let op = try take(expected: "operator")
        let opName: String
        switch op.kind {
        case .eq: opName = "=="
        case .ne: opName = "!="
        case .contains: opName = "contains"
        case .startsWith: opName = "starts with"
        case .endsWith: opName = "ends with"
        case .inSet, .notInSet:
            let members = try parseSet(opName: op.kind == .inSet ? "in" : "not in")
            return op.kind == .inSet ? .inSet(label, members) : .notInSet(label, members)
        default:
            var message = "expected an operator (==, !=, in, not in, contains, starts with, ends with) after label '\(label)' at column \(op.start + 1), found \(op.kind.display)"
            if op.kind == .lparen, ["has", "all", "global"].contains(label) {
                message += " ('\(label)' must be followed directly by '(' with no space: \(label)(…))"
            }
            throw failure(at: op, expected: "operator", message)
        }
        let value = try take(expected: "string literal")
        guard case .string(let text) = value.kind else {
            var message = "expected string literal after '\(opName)' at column \(value.start + 1), found \(value.kind.display)"
            if case .label(let bare) = value.kind {
                message += " (values must be quoted: '\(bare)')"
            }
            throw failure(at: value, expected: "string literal", message)
        }
        switch op.kind {
        case .eq: return .equals(label, text)
        case .ne: return .notEquals(label, text)
        case .contains: return .contains(label, text)
        case .startsWith: return .startsWith(label, text)
        default: return .endsWith(label, text)
        }
    }

    /// `{` [ string ("," string)* [","] ] `}` — empty sets and a trailing comma are accepted.
    private mutating func parseSet(opName: String) throws(SelectorParseError) -> [String] {
        let open = try take(expected: "'{'")
        guard open.kind == .lbrace else {
            var message = "expected '{' after '\(opName)' at column \(open.start + 1), found \(open.kind.display)"
            if open.kind == .lparen || {
                if case .string = open.kind { return true } else { return false }
            }() {
                message += " (sets are written in braces: \(opName) {'a', 'b'})"
            }
            throw failure(at: open, expected: "{", message)
        }
        var members: [String] = []
        while true {
            let item = try take(expected: "string literal or '}'")
            switch item.kind {
            case .rbrace:
                return SelectorExpression.normalizedMembers(members)
            case .string(let text):
                members.append(text)
                let separator = try take(expected: "',' or '}'")
                switch separator.kind {
                case .comma:
                    continue
                case .rbrace:
                    return SelectorExpression.normalizedMembers(members)
                default:
                    throw failure(at: separator, expected: "',' or '}'",
                                  "expected ',' or '}' at column \(separator.start + 1) in the set opened at column \(open.start + 1), found \(separator.kind.display)")
                }
            default:
                var message = "expected string literal or '}' at column \(item.start + 1) in the set opened at column \(open.start + 1), found \(item.kind.display)"
                if case .label(let bare) = item.kind { message += " (values must be quoted: '\(bare)')" }
                throw failure(at: item, expected: "string literal or '}'", message)
            }
        }
    }
}

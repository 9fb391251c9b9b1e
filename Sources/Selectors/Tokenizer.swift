// Tokenizer for the Calico selector language (SEMANTICS §4.1), following
// libcalico-go/lib/selector/tokenizer/tokenizer.go:
//
// - Only space and tab separate tokens; any other character outside a string literal that does
//   not start a token (newline, carriage return, `%`, …) is an error.
// - Label names are runs of `[A-Za-z0-9_./-]`, 1–512 characters (`MaxLabelLength`).
// - String literals are `'…'` or `"…"` with no escapes: the literal ends at the next quote of the
//   same kind. (Like Calico, anything else — including a line break — may appear inside.)
// - `has(`, `all(`, `global(` are recognised only when the keyword is immediately followed by
//   `(`; inside the parentheses spaces are allowed. `has (x)` is the label `has` followed by `(`.
// - Directly after a label, and only there, the words `contains`, `starts with`/`startswith`,
//   `ends with`/`endswith`, `not in`/`notin` and `in` are operators; each must end at a word
//   boundary (the next character is not a label character).
//
// The tokenizer is pulled lazily by the parser, so the error reported is always the first one in
// reading order. (Calico tokenizes the whole text before parsing; both accept exactly the same
// selectors because a successful parse consumes every token up to the end.)

enum TokenKind: Equatable, Sendable {
    case label(String)
    case string(String)
    case lbrace, rbrace, comma
    case eq, ne, not
    case inSet, notInSet, contains, startsWith, endsWith
    case all, global
    case has(String)
    case lparen, rparen
    case and, or
    case eof

    /// How the token is described in error messages ("found …").
    var display: String {
        switch self {
        case .label(let name): return "label '\(name)'"
        case .string(let value): return "string literal \(CanonicalPrinter.quote(value))"
        case .lbrace: return "'{'"
        case .rbrace: return "'}'"
        case .comma: return "','"
        case .eq: return "'=='"
        case .ne: return "'!='"
        case .not: return "'!'"
        case .inSet: return "'in'"
        case .notInSet: return "'not in'"
        case .contains: return "'contains'"
        case .startsWith: return "'starts with'"
        case .endsWith: return "'ends with'"
        case .all: return "'all()'"
        case .global: return "'global()'"
        case .has(let name): return "'has(\(name))'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .eof: return "end of selector"
        }
    }
}

struct Token: Equatable, Sendable {
    var kind: TokenKind
    /// 0-based index (in Unicode scalars) of the token's first character; `scalars.count` for EOF.
    var start: Int
}

struct Tokenizer {
    /// Longest label name Calico accepts (tokenizer.go `MaxLabelLength`).
    static let maxLabelLength = 512

    let source: String
    let scalars: [Unicode.Scalar]
    private(set) var position = 0
    private var lastLabel: String? = nil

    init(_ source: String) {
        self.source = source
        self.scalars = Array(source.unicodeScalars)
    }

    static func isLabelCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "/", "-": return true
        default: return false
        }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t"
    }

    /// True if `text` is a valid label name (1–512 label characters and nothing else).
    static func isValidLabel(_ text: String) -> Bool {
        var count = 0
        for scalar in text.unicodeScalars {
            guard isLabelCharacter(scalar) else { return false }
            count += 1
        }
        return count >= 1 && count <= maxLabelLength
    }

    func error(at index: Int, expected: String, _ message: String) -> SelectorParseError {
        SelectorParseError(source: source, column: index + 1, expected: expected, message: message)
    }

    private mutating func skipWhitespace() {
        while position < scalars.count, Self.isWhitespace(scalars[position]) { position += 1 }
    }

    private func hasPrefix(_ word: String, at index: Int) -> Bool {
        var i = index
        for scalar in word.unicodeScalars {
            guard i < scalars.count, scalars[i] == scalar else { return false }
            i += 1
        }
        return true
    }

    private func isWordBoundary(at index: Int) -> Bool {
        index >= scalars.count || !Self.isLabelCharacter(scalars[index])
    }

    /// Matches `words` at `position`, allowing spaces/tabs (or nothing) between them, ending at
    /// a word boundary. Returns the index just after the last word.
    private func matchWords(_ words: [String]) -> Int? {
        var i = position
        for (n, word) in words.enumerated() {
            guard hasPrefix(word, at: i) else { return nil }
            i += word.unicodeScalars.count
            if n < words.count - 1 {
                while i < scalars.count, Self.isWhitespace(scalars[i]) { i += 1 }
            }
        }
        return isWordBoundary(at: i) ? i : nil
    }

    /// Reads a label name at `position` (no leading whitespace skipped).
    private mutating func readLabel(expected: String) throws(SelectorParseError) -> String {
        let start = position
        while position < scalars.count, Self.isLabelCharacter(scalars[position]) { position += 1 }
        let length = position - start
        if length == 0 {
            throw unexpectedCharacter(at: start, expected: expected)
        }
        if length > Self.maxLabelLength {
            throw error(at: start, expected: "label of at most \(Self.maxLabelLength) characters",
                        "label at column \(start + 1) is \(length) characters long; label names are limited to \(Self.maxLabelLength) characters")
        }
        var name = String.UnicodeScalarView()
        name.append(contentsOf: scalars[start..<position])
        return String(name)
    }

    func unexpectedCharacter(at index: Int, expected: String) -> SelectorParseError {
        guard index < scalars.count else {
            return error(at: index, expected: expected, "expected \(expected) at column \(index + 1), found end of selector")
        }
        let scalar = scalars[index]
        switch scalar {
        case "\n", "\r":
            return error(at: index, expected: expected,
                         "unexpected line break at column \(index + 1) (a selector must be on one line; only spaces and tabs may separate tokens); expected \(expected)")
        default:
            let shown: String
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F {
                shown = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
            } else {
                shown = "'\(scalar)'"
            }
            return error(at: index, expected: expected, "unexpected character \(shown) at column \(index + 1); expected \(expected)")
        }
    }

    /// Produces the next token. `expected` describes what the parser wants here; it is used only
    /// in the error for a character that cannot start any token.
    mutating func next(expected: String) throws(SelectorParseError) -> Token {
        skipWhitespace()
        let start = position
        guard position < scalars.count else {
            lastLabel = nil
            return Token(kind: .eof, start: start)
        }
        let previousLabel = lastLabel
        lastLabel = nil
        let c = scalars[position]
        func single(_ kind: TokenKind) -> Token {
            position += 1
            return Token(kind: kind, start: start)
        }
        switch c {
        case "(": return single(.lparen)
        case ")": return single(.rparen)
        case "{": return single(.lbrace)
        case "}": return single(.rbrace)
        case ",": return single(.comma)
        case "\"", "'":
            var i = position + 1
            while i < scalars.count, scalars[i] != c { i += 1 }
            guard i < scalars.count else {
                throw error(at: start, expected: "closing \(c) quote",
                            "unterminated string literal starting at column \(start + 1) (no closing \(c); values cannot contain their own quote character)")
            }
            var value = String.UnicodeScalarView()
            value.append(contentsOf: scalars[(position + 1)..<i])
            position = i + 1
            return Token(kind: .string(String(value)), start: start)
        case "=":
            guard hasPrefix("==", at: position) else {
                throw error(at: start, expected: "==", "expected '==' at column \(start + 1), found a single '='")
            }
            position += 2
            return Token(kind: .eq, start: start)
        case "!":
            if hasPrefix("!=", at: position) {
                position += 2
                return Token(kind: .ne, start: start)
            }
            return single(.not)
        case "&":
            guard hasPrefix("&&", at: position) else {
                throw error(at: start, expected: "&&", "expected '&&' at column \(start + 1), found a single '&'")
            }
            position += 2
            return Token(kind: .and, start: start)
        case "|":
            guard hasPrefix("||", at: position) else {
                throw error(at: start, expected: "||", "expected '||' at column \(start + 1), found a single '|'")
            }
            position += 2
            return Token(kind: .or, start: start)
        default:
            break
        }

        if let previousLabel {
            // Directly after a label only an operator word may follow.
            let operators: [([String], TokenKind)] = [
                (["contains"], .contains),
                (["starts", "with"], .startsWith),
                (["ends", "with"], .endsWith),
                (["not", "in"], .notInSet),
                (["in"], .inSet),
            ]
            for (words, kind) in operators {
                if let end = matchWords(words) {
                    position = end
                    return Token(kind: kind, start: start)
                }
            }
            throw error(at: start, expected: "operator", "expected an operator (==, !=, in, not in, contains, starts with, ends with) after label '\(previousLabel)' at column \(start + 1)")
        }

        if hasPrefix("has(", at: position) {
            position += 4
            skipWhitespace()
            let name = try readLabel(expected: "label")
            skipWhitespace()
            guard position < scalars.count, scalars[position] == ")" else {
                throw error(at: position, expected: ")", "expected ')' to close 'has(' at column \(position + 1)")
            }
            position += 1
            return Token(kind: .has(name), start: start)
        }
        for (word, kind) in [("all(", TokenKind.all), ("global(", TokenKind.global)] where hasPrefix(word, at: position) {
            position += word.unicodeScalars.count
            skipWhitespace()
            guard position < scalars.count, scalars[position] == ")" else {
                throw error(at: position, expected: ")", "expected ')' after '\(word)' at column \(position + 1)")
            }
            position += 1
            return Token(kind: kind, start: start)
        }
        let name = try readLabel(expected: expected)
        lastLabel = name
        return Token(kind: .label(name), start: start)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

// Grammar: precedence, alternative spellings, lexical rules, errors.

import Testing
@testable import Selectors

struct ParseCase: Sendable, CustomTestStringConvertible {
    let text: String
    let expression: SelectorExpression
    init(_ text: String, _ expression: SelectorExpression) {
        self.text = text
        self.expression = expression
    }
    var testDescription: String { "`\(text)`" }
}

@Suite("Parser")
struct ParserTests {
    // MARK: Precedence and associativity

    static let precedence: [ParseCase] = [
        // D-SEL example: (!has(my-label)) || ((my-label starts with 'prod') && (role in {...}))
        ParseCase("! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}",
                  .or(.not(.has("my-label")),
                      .and(.startsWith("my-label", "prod"), .inSet("role", ["business", "frontend"])))),
        ParseCase("a == 'x' || b == 'y' && c == 'z'",
                  .or(.equals("a", "x"), .and(.equals("b", "y"), .equals("c", "z")))),
        ParseCase("a == 'x' && b == 'y' || c == 'z'",
                  .or(.and(.equals("a", "x"), .equals("b", "y")), .equals("c", "z"))),
        ParseCase("(a == 'x' || b == 'y') && c == 'z'",
                  .and(.or(.equals("a", "x"), .equals("b", "y")), .equals("c", "z"))),
        ParseCase("!a == 'x' && b == 'y'", .and(.not(.equals("a", "x")), .equals("b", "y"))),
        ParseCase("!(a == 'x' && b == 'y')", .not(.and(.equals("a", "x"), .equals("b", "y")))),
        ParseCase("!has(a) || has(b)", .or(.not(.has("a")), .has("b"))),
        ParseCase("has(a) && has(b) && has(c)", .and(.and(.has("a"), .has("b")), .has("c"))),
        ParseCase("has(a) || has(b) || has(c)", .or(.or(.has("a"), .has("b")), .has("c"))),
        ParseCase("has(a) && (has(b) && has(c))", .and(.has("a"), .and(.has("b"), .has("c")))),
        // Leading runs of ! collapse by parity (Calico parser.go); a parenthesised ! does not.
        ParseCase("!!has(a)", .has("a")),
        ParseCase("! ! has(a)", .has("a")),
        ParseCase("!!!has(a)", .not(.has("a"))),
        ParseCase("!! ! has(a)", .not(.has("a"))),
        ParseCase("!(!has(a))", .not(.not(.has("a")))),
        ParseCase("((has(a)))", .has("a")),
        ParseCase("!all()", .not(.all)),
        ParseCase("!global()", .not(.global)),
    ]

    @Test("precedence: ! then && then ||, left-associative", arguments: precedence)
    func precedenceCases(_ c: ParseCase) throws {
        #expect(try Selector(parsing: c.text).expression == c.expression)
    }

    @Test("D-SEL example evaluates as (!has) || (starts with && in)")
    func dselEvaluation() throws {
        let s = try Selector(parsing: "! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}")
        #expect(s.matches([:]))                                                    // !has
        #expect(s.matches(["my-label": "prod-1", "role": "business"]))              // && branch
        #expect(!s.matches(["my-label": "prod-1", "role": "db"]))                   // && fails, has(label)
        #expect(!s.matches(["my-label": "dev", "role": "frontend"]))                // prefix fails
        #expect(s.matches(["role": "db"]))                                          // !has wins
    }

    // MARK: Alternative spellings and lexical rules

    static let spellings: [ParseCase] = [
        ParseCase("a starts with 'x'", .startsWith("a", "x")),
        ParseCase("a startswith 'x'", .startsWith("a", "x")),
        ParseCase("a starts  \twith 'x'", .startsWith("a", "x")),
        ParseCase("a ends with \"x\"", .endsWith("a", "x")),
        ParseCase("a endswith \"x\"", .endsWith("a", "x")),
        ParseCase("a not in {'x'}", .notInSet("a", ["x"])),
        ParseCase("a notin {'x'}", .notInSet("a", ["x"])),
        ParseCase("a not\tin{'x'}", .notInSet("a", ["x"])),
        ParseCase("a in{'x'}", .inSet("a", ["x"])),
        ParseCase("a contains\"x\"", .contains("a", "x")),
        ParseCase("a=='b'", .equals("a", "b")),
        ParseCase("a!='b'", .notEquals("a", "b")),
        ParseCase("a == \"b\"", .equals("a", "b")),
        ParseCase("a == ''", .equals("a", "")),
        ParseCase("a == \"it's\"", .equals("a", "it's")),
        ParseCase("a == 'say \"hi\"'", .equals("a", "say \"hi\"")),
        ParseCase("a == ' spaced  value '", .equals("a", " spaced  value ")),
        ParseCase("a == 'x && y || !z'", .equals("a", "x && y || !z")),
        ParseCase("has( a )", .has("a")),
        ParseCase("has(\ta\t)", .has("a")),
        ParseCase("all( )", .all),
        ParseCase("global(\t)", .global),
        ParseCase("\t all() \t", .all),
        ParseCase("", .all),
        ParseCase("   ", .all),
        ParseCase("\t", .all),
        ParseCase("a in {}", .inSet("a", [])),
        ParseCase("a not in { }", .notInSet("a", [])),
        ParseCase("a in {'x',}", .inSet("a", ["x"])),
        ParseCase("a in {'z', 'x', 'x', \"y\"}", .inSet("a", ["x", "y", "z"])),
        ParseCase("app.kubernetes.io/name == 'web'", .equals("app.kubernetes.io/name", "web")),
        ParseCase("projectcalico.org/namespace == 'prod'", .equals("projectcalico.org/namespace", "prod")),
        ParseCase("-_./09AZaz == 'x'", .equals("-_./09AZaz", "x")),
        // Keywords are only operators directly after a label; elsewhere they are label names.
        ParseCase("in == 'x'", .equals("in", "x")),
        ParseCase("has == 'x'", .equals("has", "x")),
        ParseCase("all != 'x'", .notEquals("all", "x")),
        ParseCase("contains contains 'x'", .contains("contains", "x")),
        ParseCase("not not in {'x'}", .notInSet("not", ["x"])),
        ParseCase("hash in {'x'}", .inSet("hash", ["x"])),
    ]

    @Test("alternative spellings and lexical rules", arguments: spellings)
    func spellingCases(_ c: ParseCase) throws {
        #expect(try Selector(parsing: c.text).expression == c.expression)
    }

    static let otherRejections: [String] = [
        "a containsx 'y'",          // operator words end at a word boundary
        "a inx {'y'}",
        "a notinx {'y'}",
        "a startswithx 'y'",
        "a starts 'y'",
        "a IN {'y'}",               // case-sensitive
        "a in 'y'",
        "a in {'y' 'z'}",
        "a in {,}",
        "a in {'y',,}",
        "a == 'b' || ",
        "!",
        "()",
        ")",
        "a",
        "a b",
        "'a' == b",
        "a == 'b' c == 'd'",
        "a == 'b'\r",
        "a == 'b'\u{00A0}",          // only space and tab are whitespace
        "a ==\u{2003}'b'",
        "has()",
        "has(a b)",
        "all(x)",
        "global(",
        "a === 'b'",
        "a == 'b' && && c == 'd'",
        "a == \"b'",
        "a == 'b\"",
        "é == 'x'",
    ]

    @Test("other invalid selectors are rejected", arguments: otherRejections)
    func otherRejected(_ text: String) {
        #expect(throws: SelectorParseError.self) { try Selector(parsing: text) }
    }

    @Test("a line break inside a quoted value is accepted, as by Calico's tokenizer")
    func lineBreakInsideString() throws {
        #expect(try Selector(parsing: "a == 'x\ny'").expression == .equals("a", "x\ny"))
    }

    // MARK: Label length

    @Test("label names may be 512 characters, not 513")
    func labelLength() throws {
        let ok = String(repeating: "k", count: 512)
        let long = String(repeating: "k", count: 513)
        #expect(try Selector(parsing: "\(ok) == 'v'").expression == .equals(ok, "v"))
        #expect(try Selector(parsing: "has(\(ok))").expression == .has(ok))
        #expect(try Selector(parsing: "a == 'v' && \(ok) in {'v'}").referencedLabels == ["a", ok])

        for text in ["\(long) == 'v'", "has(\(long))", "has( \(long) )", "a == 'v' || \(long) != 'w'"] {
            let error = #expect(throws: SelectorParseError.self) { try Selector(parsing: text) }
            #expect(error?.expected == "label of at most 512 characters")
            #expect(error?.message.contains("513 characters") == true)
            #expect(error?.message.contains("512") == true)
            let start = text.unicodeScalars.firstIndex(of: "k").map { text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: $0) }
            #expect(error?.column == (start ?? -1) + 1)
        }
    }

    @Test("the label limit is 512 (Calico MaxLabelLength)")
    func labelLimitConstant() {
        #expect(Selector.maxLabelLength == 512)
    }

    // MARK: Error columns and expectations

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let text: String
        let column: Int
        let expected: String
        let messageFragment: String
        init(_ text: String, _ column: Int, _ expected: String, _ messageFragment: String) {
            self.text = text; self.column = column; self.expected = expected; self.messageFragment = messageFragment
        }
        var testDescription: String { "`\(text)` ⇒ column \(column), expected \(expected)" }
    }

    static let errors: [ErrorCase] = [
        ErrorCase("app = 'web'", 5, "==", "expected '==' at column 5"),
        ErrorCase("app == web", 8, "string literal", "expected string literal after '==' at column 8"),
        ErrorCase("app != web", 8, "string literal", "values must be quoted: 'web'"),
        ErrorCase("app starts with web", 17, "string literal", "after 'starts with' at column 17"),
        ErrorCase("has (app)", 5, "operator", "'has' must be followed directly by '('"),
        ErrorCase("app == 'web' &", 14, "&&", "expected '&&' at column 14"),
        ErrorCase("a == 'b' | c == 'd'", 10, "||", "expected '||' at column 10"),
        ErrorCase("(app == 'web'", 14, ")", "expected ')' at column 14 to close the '(' at column 1"),
        ErrorCase("app in ('a')", 8, "{", "expected '{' after 'in' at column 8"),
        ErrorCase("app not in 'a'", 12, "{", "expected '{' after 'not in' at column 12"),
        ErrorCase("app == 'web'\n&& env == 'prod'", 13, "'&&', '||' or end of selector", "line break at column 13"),
        ErrorCase("app == 'it's'", 12, "end of selector", "unexpected content at end of selector at column 12"),
        ErrorCase("a == 'b')", 9, "end of selector", "without a matching '('"),
        ErrorCase("a == 'b' || %", 13, "expression", "unexpected character '%' at column 13"),
        ErrorCase("a == 'b' &&", 12, "expression", "unexpected end of selector at column 12"),
        ErrorCase("!", 2, "expression", "unexpected end of selector at column 2"),
        ErrorCase(")", 1, "expression", "unexpected ')' at column 1"),
        ErrorCase("app == 'web", 8, "closing ' quote", "unterminated string literal starting at column 8"),
        ErrorCase("app in {'a' 'b'}", 13, "',' or '}'", "expected ',' or '}' at column 13 in the set opened at column 8"),
        ErrorCase("app in {'a', b}", 14, "string literal or '}'", "values must be quoted: 'b'"),
        ErrorCase("app equals 'x'", 5, "operator", "after label 'app' at column 5"),
        ErrorCase("app", 4, "operator", "after label 'app' at column 4, found end of selector"),
        ErrorCase("has()", 5, "label", "at column 5"),
        ErrorCase("has(app", 8, ")", "expected ')' to close 'has(' at column 8"),
        ErrorCase("all(x)", 5, ")", "expected ')' after 'all(' at column 5"),
        ErrorCase("(a == 'b' c == 'd')", 11, ")", "found label 'c'"),
        ErrorCase("a == 'b' && (c == 'd' || e == 'f'", 34, ")", "'(' at column 13"),
        ErrorCase("a == 'b'\t\tx", 11, "end of selector", "at column 11"),
    ]

    @Test("errors name the column and what was expected", arguments: errors)
    func errorDetails(_ c: ErrorCase) {
        let error = #expect(throws: SelectorParseError.self) { try Selector(parsing: c.text) }
        #expect(error?.column == c.column)
        #expect(error?.expected == c.expected)
        #expect(error?.message.contains(c.messageFragment) == true, "\(error?.message ?? "nil")")
        #expect(error?.message.contains("column \(c.column)") == true, "\(error?.message ?? "nil")")
        #expect(error?.source == c.text)
    }

    @Test("error description: message, selector, caret under the column")
    func errorDescription() {
        let error = #expect(throws: SelectorParseError.self) { try Selector(parsing: "app == web") }
        let lines = error?.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines?.count == 3)
        #expect(lines?[0] == "invalid selector \"app == web\": expected string literal after '==' at column 8, found label 'web' (values must be quoted: 'web')")
        #expect(lines?[1] == "  app == web")
        #expect(lines?[2] == "         ^")
    }

    @Test("error description keeps the caret aligned across tabs and line breaks")
    func errorDescriptionAlignment() {
        let tabbed = #expect(throws: SelectorParseError.self) { try Selector(parsing: "\tapp = 'x'") }
        #expect(tabbed?.description.hasSuffix("\n  \tapp = 'x'\n  \t    ^") == true)
        let multiLine = #expect(throws: SelectorParseError.self) { try Selector(parsing: "a == 'b'\nx") }
        #expect(multiLine?.description.hasSuffix("\n  a == 'b'↵x\n          ^") == true)
    }

    @Test("a selector whose only problem is at the end reports column count+1")
    func endColumn() {
        let text = "a == 'b' && has(c) && d in {'e'"
        let error = #expect(throws: SelectorParseError.self) { try Selector(parsing: text) }
        #expect(error?.column == text.count + 1)
        #expect(error?.expected == "',' or '}'")
    }

    @Test("deeply nested parentheses parse")
    func deepNesting() throws {
        let depth = 300
        let text = String(repeating: "(", count: depth) + "a == 'b'" + String(repeating: ")", count: depth)
        #expect(try Selector(parsing: text).expression == .equals("a", "b"))
        let negated = String(repeating: "!(", count: depth) + "has(a)" + String(repeating: ")", count: depth)
        let selector = try Selector(parsing: negated)
        #expect(selector.canonical == "has(a)")            // 300 is even
        #expect(selector.matches(["a": "1"]))
    }

    @Test("a long && chain parses, prints and evaluates")
    func longChain() throws {
        let terms = (0..<400).map { "l\($0) == 'v'" }
        let text = terms.joined(separator: " && ")
        let selector = try Selector(parsing: text)
        #expect(selector.canonical == terms.map { $0.replacingQuotes() }.joined(separator: " && "))
        var labels: [String: String] = [:]
        for i in 0..<400 { labels["l\(i)"] = "v" }
        #expect(selector.matches(labels))
        labels["l399"] = "w"
        #expect(!selector.matches(labels))
    }
}

extension String {
    /// `'x'` → `"x"` for simple test values.
    func replacingQuotes() -> String {
        String(self.map { $0 == "'" ? "\"" : $0 })
    }
}

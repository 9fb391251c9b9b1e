// A syntax error in a Calico selector, with the column it was found at and what the parser
// expected there.

/// A selector that Calico would reject.
///
/// `column` is 1-based and counts Unicode scalars of `source` (for the ASCII text that
/// selectors almost always are, that is the character column). When the problem is a missing
/// token at the end of the text, `column` is `source`'s length + 1.
public struct SelectorParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The selector text exactly as given to the parser.
    public let source: String
    /// 1-based column in `source` where the problem is.
    public let column: Int
    /// What the parser expected at `column`, e.g. `"string literal"`, `"=="`, `"label"`, `")"`,
    /// `"end of selector"`, `"operator"`, `"expression"`, `"{"`.
    public let expected: String
    /// One-line explanation that names the column, e.g.
    /// `expected string literal after '==' at column 8, found unquoted 'web' (values must be quoted: 'web')`.
    public let message: String

    public init(source: String, column: Int, expected: String, message: String) {
        self.source = source
        self.column = column
        self.expected = expected
        self.message = message
    }

    /// Three lines: the message, the selector, and a caret under the offending column:
    ///
    ///     invalid selector "app == web": expected string literal after '==' at column 8, …
    ///       app == web
    ///              ^
    ///
    /// Line breaks inside the selector are shown as `↵` so the caret stays aligned.
    public var description: String {
        let shown = Self.displayForm(source)
        var caret = ""
        var index = 0
        for scalar in shown.unicodeScalars {
            guard index < column - 1 else { break }
            caret.unicodeScalars.append(scalar == "\t" ? "\t" : " ")
            index += 1
        }
        while index < column - 1 {
            caret.append(" ")
            index += 1
        }
        caret.append("^")
        return "invalid selector \"\(shown)\": \(message)\n  \(shown)\n  \(caret)"
    }

    /// `source` with line breaks replaced by a single visible scalar each (keeps columns aligned).
    static func displayForm(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\r": out.append("↵")
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}

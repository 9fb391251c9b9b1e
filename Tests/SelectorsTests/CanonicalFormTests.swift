// SEMANTICS §4.5 canonical form, and Calico's own String() rendering.

import Testing
@testable import Selectors

struct CanonicalCase: Sendable, CustomTestStringConvertible {
    let input: String
    let canonical: String
    init(_ input: String, _ canonical: String) {
        self.input = input
        self.canonical = canonical
    }
    var testDescription: String { "`\(input)` ⇒ `\(canonical)`" }
}

@Suite("Canonical form")
struct CanonicalFormTests {
    static let cases: [CanonicalCase] = [
        // Empty selector.
        CanonicalCase("", "all()"),
        CanonicalCase("  \t ", "all()"),
        CanonicalCase(" all() ", "all()"),
        CanonicalCase(" (all() )", "all()"),
        CanonicalCase("global( )", "global()"),
        // Quoting.
        CanonicalCase("a == 'b'", "a == \"b\""),
        CanonicalCase("a == '\"'", "a == '\"'"),
        CanonicalCase("a == \"'\"", "a == \"'\""),
        CanonicalCase("a contains '\"'", "a contains '\"'"),
        CanonicalCase("a contains \"'\"", "a contains \"'\""),
        CanonicalCase("a!='\"'", "a != '\"'"),
        CanonicalCase("a == ''", "a == \"\""),
        // Alternative spellings.
        CanonicalCase("a startswith '\"'", "a starts with '\"'"),
        CanonicalCase("a endswith \"'\"", "a ends with \"'\""),
        CanonicalCase("a starts   with 'x'", "a starts with \"x\""),
        CanonicalCase("a notin {'x'}", "a not in {\"x\"}"),
        CanonicalCase("a not  in{'x'}", "a not in {\"x\"}"),
        // Sets: sorted, de-duplicated, `{"x", "z"}`.
        CanonicalCase("a in {\"z\", \"x\", \"x\"}", "a in {\"x\", \"z\"}"),
        CanonicalCase("a in {\"d\"}", "a in {\"d\"}"),
        CanonicalCase("a in {\"d\", \"a\", \"b\"}", "a in {\"a\", \"b\", \"d\"}"),
        CanonicalCase("a in {\"z\", \"z\", \"x\", \"y\", \"x\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}"),
        CanonicalCase("a in {'b','a',}", "a in {\"a\", \"b\"}"),
        CanonicalCase("a in {}", "a in {}"),
        CanonicalCase("a not in {  }", "a not in {}"),
        CanonicalCase("a in {\"'\", '\"', \"c\"}", "a in {'\"', \"'\", \"c\"}"),
        CanonicalCase("a in {'b', 'B', '_', '1'}", "a in {\"1\", \"B\", \"_\", \"b\"}"),
        // Spacing.
        CanonicalCase("a=='b'&&has( c )", "a == \"b\" && has(c)"),
        CanonicalCase("a=='b'||has(c)", "a == \"b\" || has(c)"),
        CanonicalCase("! has(a)", "!has(a)"),
        CanonicalCase("! a == 'b'", "!a == \"b\""),
        CanonicalCase("!(a == 'b')", "!a == \"b\""),
        CanonicalCase("! a in {'x'}", "!a in {\"x\"}"),
        // Parentheses only where precedence needs them.
        CanonicalCase("(a == \"b\")", "a == \"b\""),
        CanonicalCase("!(has(b) || has(a))", "!(has(b) || has(a))"),
        CanonicalCase("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
        CanonicalCase("! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")"),
        CanonicalCase("(has(a) || has(b)) && has(c)", "(has(a) || has(b)) && has(c)"),
        CanonicalCase("has(c) && (has(a) || has(b))", "has(c) && (has(a) || has(b))"),
        CanonicalCase("(has(a) && has(b)) || has(c)", "has(a) && has(b) || has(c)"),
        CanonicalCase("has(a) || (has(b) && has(c))", "has(a) || has(b) && has(c)"),
        CanonicalCase("(has(a) && has(b)) && has(c)", "has(a) && has(b) && has(c)"),
        CanonicalCase("has(a) && (has(b) && has(c))", "has(a) && has(b) && has(c)"),
        CanonicalCase("has(a) || (has(b) || has(c))", "has(a) || has(b) || has(c)"),
        CanonicalCase("((((has(a)))))", "has(a)"),
        // Double negation collapses by parity.
        CanonicalCase("!!has(a)", "has(a)"),
        CanonicalCase("!!!has(a)", "!has(a)"),
        CanonicalCase("!(!has(a))", "has(a)"),
        CanonicalCase("!(!(has(a) || has(b))) && has(c)", "(has(a) || has(b)) && has(c)"),
        CanonicalCase("!all()", "!all()"),
        // D-SEL example.
        CanonicalCase("! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}",
                      "!has(my-label) || my-label starts with \"prod\" && role in {\"business\", \"frontend\"}"),
        CanonicalCase("!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
                      "!(!(k == \"v\" && has(t) || all()) && a in {\"b\", \"c\"})"),
    ]

    @Test("canonical form", arguments: cases)
    func canonicalForm(_ c: CanonicalCase) throws {
        let selector = try Selector(parsing: c.input)
        #expect(selector.canonical == c.canonical)
        #expect(selector.description == c.canonical)
        #expect(selector.source == c.input)
    }

    static let idempotenceCorpus: [String] = cases.map(\.input) + [
        "app == 'web' && env in {'prod', 'staging'} || !has(tier)",
        "(projectcalico.org/orchestrator == 'k8s' && app == 'backend') && projectcalico.org/namespace == 'prod'",
        "(pcns.team == \"a\") && (projectcalico.org/orchestrator == 'k8s')",
        "projectcalico.org/orchestrator == 'k8s' && k in { 'a', 'b' } && k2 not in { 'a', 'b' } && has(k3) && ! has(k4)",
        "kubernetes.io/metadata.name not in {\"calico-system\", \"kube-public\", \"kube-system\", \"tigera-operator\"}",
        "k8s-app == \"kube-dns\"",
        "!(a == 'x' || !(b == 'y' && !(c == 'z' || d == 'w')))",
        "!!(a == 'x' || b == 'y') && c == 'z'",
        "global() || all()",
        "!global()",
        "a == 'x\ty'",
    ]

    @Test("re-parsing the canonical form gives the same canonical form", arguments: idempotenceCorpus)
    func idempotence(_ text: String) throws {
        let selector = try Selector(parsing: text)
        let canonical = selector.canonical
        let reparsed = try Selector(parsing: canonical)
        #expect(reparsed.canonical == canonical)
        #expect(Selector(selector.expression).canonical == canonical)
        #expect(Selector(reparsed.expression).source == canonical)
    }

    @Test("the corpus is big enough to mean something")
    func corpusSize() {
        #expect(Self.idempotenceCorpus.count >= 40)
    }

    @Test("values with both quote characters can only come from the API and print in single quotes (like Calico)")
    func bothQuotes() {
        #expect(SelectorExpression.equals("a", "it's \"x\"").canonical == "a == 'it's \"x\"'")
    }

    @Test("sets built through the API are printed sorted and de-duplicated too")
    func apiSetsNormalised() {
        #expect(SelectorExpression.inSet("a", ["z", "x", "x"]).canonical == "a in {\"x\", \"z\"}")
        #expect(Selector(.notInSet("a", ["b", "a"])).source == "a not in {\"a\", \"b\"}")
    }

    @Test("set members sort by bytes (Go sort.Strings), not by Swift String ordering")
    func byteOrderSort() throws {
        // U+00E9 (C3 A9) sorts after "z" (7A) byte-wise.
        let selector = try Selector(parsing: "a in {'\u{e9}', 'z', 'e'}")
        #expect(selector.expression == .inSet("a", ["e", "z", "\u{e9}"]))
    }

    // MARK: Calico's exact String()

    static let calicoCases: [CanonicalCase] = [
        CanonicalCase("", "all()"),
        CanonicalCase("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
        CanonicalCase("! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")"),
        CanonicalCase("a startswith '\"'", "a starts with '\"'"),
        CanonicalCase("a in {\"z\", \"z\", \"x\", \"y\", \"x\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}"),
        CanonicalCase("k == 'v' && x == 'y'", "(k == \"v\" && x == \"y\")"),
        CanonicalCase("k == 'v' || has(x)", "(k == \"v\" || has(x))"),
        CanonicalCase("!(k == 'v')", "!k == \"v\""),
        CanonicalCase("!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
                      "!(!((k == \"v\" && has(t)) || all()) && a in {\"b\", \"c\"})"),
        CanonicalCase("a == '1' && b == '2' && c == '3'", "(a == \"1\" && b == \"2\" && c == \"3\")"),
        CanonicalCase("a == '1' && (b == '2' && c == '3')", "(a == \"1\" && (b == \"2\" && c == \"3\"))"),
        CanonicalCase("!(!has(a))", "!!has(a)"),
        CanonicalCase("!!has(a)", "has(a)"),
    ]

    @Test("calicoString reproduces Calico's Selector.String()", arguments: calicoCases)
    func calicoString(_ c: CanonicalCase) throws {
        #expect(try Selector(parsing: c.input).calicoString == c.canonical)
    }
}

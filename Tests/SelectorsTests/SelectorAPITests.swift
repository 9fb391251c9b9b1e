// The Selector facade: rewrites (SEMANTICS §2.2), combinators, introspection, evaluation details.

import Testing
@testable import Selectors

@Suite("Selector API")
struct SelectorAPITests {
    // MARK: Construction

    @Test("source is kept as written; expression-built selectors use the canonical form")
    func sources() throws {
        let written = try Selector(parsing: "app=='web'")
        #expect(written.source == "app=='web'")
        #expect(written.canonical == "app == \"web\"")
        let built = Selector(.and(.has("a"), .or(.has("b"), .has("c"))))
        #expect(built.source == "has(a) && (has(b) || has(c))")
        #expect(built.source == built.canonical)
        #expect(Selector.all.source == "all()")
        #expect(Selector.all.expression == .all)
        #expect(!Selector.all.isEmptySource)
    }

    @Test("isEmptySource: empty or only spaces/tabs", arguments: [
        ("", true), (" ", true), ("\t \t", true), ("all()", false), (" all() ", false), ("has(a)", false),
    ])
    func emptySource(_ text: String, _ empty: Bool) throws {
        let selector = try Selector(parsing: text)
        #expect(selector.isEmptySource == empty)
        if empty { #expect(selector.expression == .all) }
    }

    @Test("equality compares expression and source; canonical compares meaning")
    func equality() throws {
        let a = try Selector(parsing: "a=='b'")
        let b = try Selector(parsing: "a == 'b'")
        #expect(a != b)
        #expect(a.expression == b.expression)
        #expect(a.canonical == b.canonical)
        #expect(a == (try Selector(parsing: "a=='b'")))
        #expect(Set([a, b, try Selector(parsing: "a=='b'")]).count == 2)
    }

    // MARK: Rewrites

    @Test("prefixingLabels prefixes every label name and leaves all()/global() alone")
    func prefixing() throws {
        let selector = try Selector(parsing:
            "has(a) && b == 'x' && c != 'y' && d in {'1'} && e not in {'2'} && f contains 'z' && g starts with 'p' && h ends with 's' || all() || !global()")
        let prefixed = selector.prefixingLabels(with: "pcns.")
        #expect(prefixed.canonical ==
            "has(pcns.a) && pcns.b == \"x\" && pcns.c != \"y\" && pcns.d in {\"1\"} && pcns.e not in {\"2\"} && pcns.f contains \"z\" && pcns.g starts with \"p\" && pcns.h ends with \"s\" || all() || !global()")
        #expect(prefixed.source == prefixed.canonical)
        #expect(prefixed.referencedLabels == Set(["a", "b", "c", "d", "e", "f", "g", "h"].map { "pcns." + $0 }))
        // Values are not touched.
        #expect(prefixed.matches(["pcns.b": "x", "pcns.a": "1", "pcns.c": "q", "pcns.d": "1",
                                  "pcns.f": "zz", "pcns.g": "pq", "pcns.h": "ss"]))
    }

    @Test("prefixing the k8s namespace-selector example (TC-44 quirk: not in is true without pcns labels)")
    func prefixingNamespaceSelector() throws {
        let ns = try Selector(parsing: "kubernetes.io/metadata.name not in {\"calico-system\", \"kube-public\", \"kube-system\", \"tigera-operator\"}")
        let prefixed = ns.prefixingLabels(with: "pcns.")
        #expect(prefixed.expression == .notInSet("pcns.kubernetes.io/metadata.name",
                                                 ["calico-system", "kube-public", "kube-system", "tigera-operator"]))
        #expect(prefixed.matches([:]))                                                     // host endpoint
        #expect(prefixed.matches(["pcns.kubernetes.io/metadata.name": "prod"]))
        #expect(!prefixed.matches(["pcns.kubernetes.io/metadata.name": "kube-system"]))
    }

    @Test("rewrites that change nothing keep the selector (and an empty source stays empty)")
    func noOpRewrites() throws {
        let empty = try Selector(parsing: "  ")
        #expect(empty.prefixingLabels(with: "pcsa.") == empty)
        #expect(empty.prefixingLabels(with: "pcsa.").isEmptySource)
        #expect(empty.replacingGlobal(with: .has("x")) == empty)
        let written = try Selector(parsing: "a=='b'")
        #expect(written.replacingAll(with: .has("x")).source == "a=='b'")
    }

    @Test("replacingAll replaces every all() node (GNP namespaceSelector, SEMANTICS §2.2)")
    func replacingAll() throws {
        let ns = SelectorExpression.has("projectcalico.org/namespace")
        #expect(try Selector(parsing: "all()").replacingAll(with: ns).canonical == "has(projectcalico.org/namespace)")
        let combined = try Selector(parsing: "(all()) && pcns.team == 'a' || !all()")
        #expect(combined.replacingAll(with: ns).canonical ==
                "has(projectcalico.org/namespace) && pcns.team == \"a\" || !has(projectcalico.org/namespace)")
        // The implicit all() of an empty selector is a node too.
        #expect(try Selector(parsing: "").replacingAll(with: ns).expression == ns)
        #expect(try Selector(parsing: "global()").replacingAll(with: ns).expression == .global)
    }

    @Test("replacingGlobal replaces every global() node (rule namespaceSelector, SEMANTICS §2.2)")
    func replacingGlobal() throws {
        let notNamespaced = SelectorExpression.not(.has("projectcalico.org/namespace"))
        let global = try Selector(parsing: "global()")
        #expect(global.isExactlyGlobal && global.containsGlobal)
        let rewritten = global.replacingGlobal(with: notNamespaced)
        #expect(rewritten.canonical == "!has(projectcalico.org/namespace)")
        #expect(!rewritten.containsGlobal)
        #expect(rewritten.matches(["role": "node"]))                               // host endpoint
        #expect(!rewritten.matches(["projectcalico.org/namespace": "prod"]))      // pod
        #expect(try Selector(parsing: "all()").replacingGlobal(with: notNamespaced).expression == .all)
    }

    @Test("containsGlobal / isExactlyGlobal", arguments: [
        ("global()", true, true),
        ("(global())", true, true),
        ("!!global()", true, true),
        ("global( )", true, true),
        ("global() && env == 'x'", true, false),
        ("!global()", true, false),
        ("all()", false, false),
        ("global == 'x'", false, false),
        ("", false, false),
    ])
    func globalDetection(_ text: String, _ contains: Bool, _ exactly: Bool) throws {
        let selector = try Selector(parsing: text)
        #expect(selector.containsGlobal == contains)
        #expect(selector.isExactlyGlobal == exactly)
    }

    // MARK: Combinators

    @Test("&&, || and ! build expressions and canonical sources")
    func combinators() throws {
        let a = try Selector(parsing: "app == 'web'")
        let b = try Selector(parsing: "env == 'prod' || env == 'dev'")
        let both = a && b
        #expect(both.expression == .and(a.expression, b.expression))
        #expect(both.source == "app == \"web\" && (env == \"prod\" || env == \"dev\")")
        let either = a || b
        #expect(either.source == "app == \"web\" || env == \"prod\" || env == \"dev\"")
        let notB = !b
        #expect(notB.source == "!(env == \"prod\" || env == \"dev\")")
        #expect(notB.matches(["env": "test"]))
        #expect(!notB.matches(["env": "dev"]))
        #expect((!(!a)).canonical == a.canonical)
        #expect((a && b).matches(["app": "web", "env": "dev"]))
        #expect(!(a && b).matches(["app": "web"]))
    }

    // MARK: Introspection

    @Test("referencedLabels")
    func referencedLabels() throws {
        let selector = try Selector(parsing: "a == 'x' && !(has(b) || c in {'1'}) || d not in {} && all() && e contains 'q'")
        #expect(selector.referencedLabels == ["a", "b", "c", "d", "e"])
        #expect(Selector.all.referencedLabels.isEmpty)
    }

    @Test("labelComparisons: every comparison in order, with the effective operator")
    func labelComparisons() throws {
        let selector = try Selector(parsing:
            "app == 'web' && !(env in {'prod','dev'} || has(x)) || !tier != 'fe' && role not in {'a'} && !!k starts with 'p' && !(!(m ends with 's' && n contains 'c'))")
        #expect(selector.labelComparisons == [
            LabelComparison(label: "app", values: ["web"], op: "=="),
            LabelComparison(label: "env", values: ["dev", "prod"], op: "not in"),
            LabelComparison(label: "x", values: [], op: "!has"),
            LabelComparison(label: "tier", values: ["fe"], op: "=="),
            LabelComparison(label: "role", values: ["a"], op: "not in"),
            LabelComparison(label: "k", values: ["p"], op: "starts with"),
            LabelComparison(label: "m", values: ["s"], op: "ends with"),
            LabelComparison(label: "n", values: ["c"], op: "contains"),
        ])
        #expect(selector.labelComparisons.filter(\.isPositive).map(\.label) == ["app", "tier", "k", "m", "n"])
        let negative = try Selector(parsing: "!a contains 'x' && !b starts with 'y' && !c ends with 'z' && d != 'w'")
        #expect(negative.labelComparisons.map(\.op) == ["!contains", "!starts with", "!ends with", "!="])
        #expect(negative.labelComparisons.allSatisfy { !$0.isPositive })
    }

    // MARK: Evaluation details

    @Test("!= and not in are true when the label is missing; == and in are not")
    func missingLabels() throws {
        for (text, expected) in [("a != 'x'", true), ("a not in {'x'}", true), ("a == 'x'", false),
                                 ("a in {'x'}", false), ("a contains ''", false), ("a starts with ''", false),
                                 ("a ends with ''", false), ("has(a)", false), ("!has(a)", true)] {
            #expect(try Selector(parsing: text).matches(["b": "x"]) == expected, "\(text)")
        }
        #expect(try Selector(parsing: "a contains ''").matches(["a": ""]))
        #expect(try Selector(parsing: "a == ''").matches(["a": ""]))
        #expect(try !Selector(parsing: "a == ''").matches([:]))
    }

    @Test("comparisons are exact, case-sensitive and byte-wise (no Unicode normalisation)")
    func byteComparisons() throws {
        let precomposed = "caf\u{e9}"          // é as one scalar
        let decomposed = "cafe\u{301}"         // e + combining acute: == precomposed for Swift String
        #expect(precomposed == decomposed)     // Swift's view…
        let selector = Selector(.equals("a", precomposed))
        #expect(selector.matches(["a": precomposed]))
        #expect(!selector.matches(["a": decomposed]))   // …but Go compares bytes
        #expect(!Selector(.inSet("a", [precomposed])).matches(["a": decomposed]))
        #expect(Selector(.notInSet("a", [precomposed])).matches(["a": decomposed]))
        #expect(!Selector(.startsWith("a", "cafe")).matches(["a": precomposed]))
        #expect(Selector(.startsWith("a", "cafe")).matches(["a": decomposed]))
        #expect(!Selector(.endsWith("a", "\u{301}")).matches(["a": precomposed]))
        #expect(Selector(.endsWith("a", "\u{301}")).matches(["a": decomposed]))
        #expect(Selector(.contains("a", "e\u{301}")).matches(["a": decomposed]))
        #expect(try !Selector(parsing: "a == 'Web'").matches(["a": "web"]))
        #expect(try Selector(parsing: "a contains 'eb'").matches(["a": "web"]))
        #expect(try !Selector(parsing: "a contains 'webs'").matches(["a": "web"]))
        #expect(try Selector(parsing: "a ends with 'web'").matches(["a": "web"]))
        #expect(try !Selector(parsing: "a ends with 'aweb'").matches(["a": "web"]))
    }

    @Test("lookup-based evaluation walks an effective-label chain (own labels, then profiles)")
    func lookupChain() throws {
        let own = ["app": "web"]
        let profiles = [["pcns.team": "a", "app": "ignored"], ["pcns.team": "b", "pcsa.projectcalico.org/name": "fe-sa"]]
        let lookup: (String) -> String? = { key in
            if let v = own[key] { return v }
            for p in profiles { if let v = p[key] { return v } }
            return nil
        }
        #expect(try Selector(parsing: "app == 'web' && pcns.team == 'a'").matches(lookup))
        #expect(try !Selector(parsing: "pcns.team == 'b'").matches(lookup))           // first hit wins
        #expect(try Selector(parsing: "pcsa.projectcalico.org/name == 'fe-sa'").matches(lookup))
    }

    @Test("all(), global() and !all()")
    func constants() throws {
        #expect(Selector.all.matches([:]))
        #expect(try Selector(parsing: "global()").matches(["x": "y"]))
        #expect(try !Selector(parsing: "!all()").matches(["x": "y"]))
        #expect(try !Selector(parsing: "!global()").matches([:]))
    }
}

// SEMANTICS §9 TC-27: selector grammar and evaluation.

import Testing
@testable import Selectors

/// L1 = {app: web, env: prod, tier: frontend}, L2 = {app: db}, L3 = {}.
let tc27L1: [String: String] = ["app": "web", "env": "prod", "tier": "frontend"]
let tc27L2: [String: String] = ["app": "db"]
let tc27L3: [String: String] = [:]

struct EvaluationCase: Sendable, CustomTestStringConvertible {
    let selector: String
    let l1: Bool, l2: Bool, l3: Bool
    init(_ selector: String, _ l1: Bool, _ l2: Bool, _ l3: Bool) {
        self.selector = selector
        self.l1 = l1; self.l2 = l2; self.l3 = l3
    }
    var testDescription: String { "`\(selector)` ⇒ \(l1 ? "T" : "F")/\(l2 ? "T" : "F")/\(l3 ? "T" : "F")" }
}

let T = true, F = false

let tc27Cases: [EvaluationCase] = [
    EvaluationCase("", T, T, T),
    EvaluationCase("all()", T, T, T),
    EvaluationCase("!all()", F, F, F),
    EvaluationCase("has(app)", T, T, F),
    EvaluationCase("!has(env)", F, T, T),
    EvaluationCase("env == 'prod'", T, F, F),
    EvaluationCase("env != 'prod'", F, T, T),
    EvaluationCase("env in {'prod','staging'}", T, F, F),
    EvaluationCase("env not in {'prod'}", F, T, T),
    EvaluationCase("env in {}", F, F, F),
    EvaluationCase("env not in {}", T, T, T),
    EvaluationCase("app contains 'e'", T, F, F),
    EvaluationCase("app starts with 'w'", T, F, F),
    EvaluationCase("app ends with 'b'", T, T, F),
    EvaluationCase("app == \"web\" && !has(tier)", F, F, F),
    EvaluationCase("app == 'db' || has(tier)", T, T, F),
    EvaluationCase("!has(tier) || tier starts with 'front' && env in {'prod'}", T, T, T),
    EvaluationCase("!!has(app)", T, T, F),
    EvaluationCase("app notin {'db'}", T, F, T),
    EvaluationCase("app=='web'", T, F, F),
    EvaluationCase("( app == 'web' )", T, F, F),
]

@Suite("TC-27 selector grammar and evaluation")
struct TC27Tests {
    @Test("evaluation on L1/L2/L3", arguments: tc27Cases)
    func evaluation(_ c: EvaluationCase) throws {
        let selector = try Selector(parsing: c.selector)
        #expect(selector.matches(tc27L1) == c.l1, "L1")
        #expect(selector.matches(tc27L2) == c.l2, "L2")
        #expect(selector.matches(tc27L3) == c.l3, "L3")
    }

    @Test("the canonical form evaluates the same on L1/L2/L3", arguments: tc27Cases)
    func canonicalEvaluation(_ c: EvaluationCase) throws {
        let reparsed = try Selector(parsing: try Selector(parsing: c.selector).canonical)
        #expect(reparsed.matches(tc27L1) == c.l1)
        #expect(reparsed.matches(tc27L2) == c.l2)
        #expect(reparsed.matches(tc27L3) == c.l3)
    }

    @Test("lookup-based evaluation agrees with the dictionary one", arguments: tc27Cases)
    func lookupEvaluation(_ c: EvaluationCase) throws {
        let selector = try Selector(parsing: c.selector)
        #expect(selector.matches { tc27L1[$0] } == c.l1)
        #expect(selector.matches { tc27L2[$0] } == c.l2)
        #expect(selector.matches { tc27L3[$0] } == c.l3)
    }

    static let mustReject: [String] = [
        "app = 'web'",
        "app == web",
        "has (app)",
        "app == 'web' &",
        "(app == 'web'",
        "app in ('a')",
        "app == 'web'\n&& env == 'prod'",
        "app == 'it's'",
    ]

    @Test("must be rejected", arguments: mustReject)
    func rejected(_ text: String) {
        #expect(throws: SelectorParseError.self) { try Selector(parsing: text) }
    }

    @Test("folded multi-line YAML (line break turned into a space) is accepted")
    func foldedLineIsFine() throws {
        let selector = try Selector(parsing: "app == 'web' && env == 'prod'")
        #expect(selector.matches(tc27L1))
        #expect(!selector.matches(tc27L2))
    }
}

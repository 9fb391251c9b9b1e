// Seeded random property tests: random ASTs → canonical text → parse → same meaning; random
// token soup never crashes the parser and either fails with a sane column or round-trips.

import Testing
@testable import Selectors

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, deterministic, good enough for test generation.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Generate {
    static let labels = ["a", "b", "app", "x.y/z", "k-8_s", "in", "has"]
    // Values never contain both quote characters (that cannot be written in the language).
    static let values = ["", "x", "y", "xy", "yx", "web", "it's", "say \"hi\"", "\u{e9}", "a b", "&&", "{}"]

    static func pick<T>(_ items: [T], _ rng: inout SplitMix64) -> T {
        items[Int(rng.next() % UInt64(items.count))]
    }

    static func expression(depth: Int, _ rng: inout SplitMix64) -> SelectorExpression {
        let choice = depth <= 0 ? Int(rng.next() % 11) : Int(rng.next() % 15)
        let label = pick(labels, &rng)
        switch choice {
        case 0: return rng.next() % 4 == 0 ? .all : .has(label)
        case 1: return rng.next() % 8 == 0 ? .global : .has(label)
        case 2: return .equals(label, pick(values, &rng))
        case 3: return .notEquals(label, pick(values, &rng))
        case 4, 5:
            let count = Int(rng.next() % 4)
            let members = (0..<count).map { _ in pick(values, &rng) }
            // Constructed the way the parser constructs them: sorted and de-duplicated.
            let normalized = SelectorExpression.normalizedMembers(members)
            return choice == 4 ? .inSet(label, normalized) : .notInSet(label, normalized)
        case 6: return .contains(label, pick(values, &rng))
        case 7: return .startsWith(label, pick(values, &rng))
        case 8: return .endsWith(label, pick(values, &rng))
        case 9: return .has(label)
        case 10: return .equals(label, pick(values, &rng))
        case 11: return .not(expression(depth: depth - 1, &rng))
        case 12: return .and(expression(depth: depth - 1, &rng), expression(depth: depth - 1, &rng))
        case 13: return .or(expression(depth: depth - 1, &rng), expression(depth: depth - 1, &rng))
        default: return .not(.not(expression(depth: depth - 1, &rng)))
        }
    }

    static func labelMap(_ rng: inout SplitMix64) -> [String: String] {
        var map: [String: String] = [:]
        for label in labels where rng.next() % 3 != 0 {
            map[label] = pick(values, &rng)
        }
        return map
    }

    static let soupPieces = [
        "a", "app", "has(", "has", "all(", "global(", "(", ")", "{", "}", ",", "==", "=", "!=", "!",
        "&&", "&", "||", "|", " in ", " not in ", " notin ", " contains ", " starts with ", " endswith ",
        "'x'", "\"y\"", "'", "\"", " ", "\t", "\n", "%", "all()", "has(b)", "global()",
    ]
}

@Suite("Properties (seeded)")
struct PropertyTests {
    @Test("canonical text re-parses to an equivalent selector, and printing is idempotent",
          arguments: [UInt64(1), 2, 3, 42, 0xC0FFEE])
    func canonicalRoundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let expression = Generate.expression(depth: Int(rng.next() % 5), &rng)
            let canonical = expression.canonical
            let reparsed = try Selector(parsing: canonical)
            #expect(reparsed.canonical == canonical, "\(canonical)")
            let viaCalico = try Selector(parsing: expression.calicoString)
            #expect(viaCalico.canonical == canonical, "\(expression.calicoString)")
            for _ in 0..<12 {
                let labels = Generate.labelMap(&rng)
                let expected = expression.matches(labels)
                #expect(reparsed.matches(labels) == expected, "\(canonical) on \(labels)")
                #expect(viaCalico.matches(labels) == expected, "\(expression.calicoString) on \(labels)")
            }
        }
    }

    @Test("rewrites commute with evaluation", arguments: [UInt64(7), 8, 9])
    func rewriteSemantics(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<150 {
            let selector = Selector(Generate.expression(depth: 3, &rng))
            let labels = Generate.labelMap(&rng)
            // Prefixing the selector and the label keys gives the same answer.
            var prefixedLabels: [String: String] = [:]
            for (k, v) in labels { prefixedLabels["pcns." + k] = v }
            #expect(selector.prefixingLabels(with: "pcns.").matches(prefixedLabels) == selector.matches(labels))
            // all()/global() are always true, so replacing them with a tautology changes nothing…
            #expect(selector.replacingAll(with: .or(.has("q"), .not(.has("q")))).matches(labels) == selector.matches(labels))
            #expect(selector.replacingGlobal(with: .notInSet("q", [])).matches(labels) == selector.matches(labels))
            // …and the rewritten selectors contain no such node any more.
            #expect(!selector.replacingGlobal(with: .has("q")).containsGlobal)
            #expect(!selector.replacingAll(with: .has("q")).expression.containsNode { $0 == .all })
            // The combinators agree with boolean logic.
            let other = Selector(Generate.expression(depth: 2, &rng))
            #expect((selector && other).matches(labels) == (selector.matches(labels) && other.matches(labels)))
            #expect((selector || other).matches(labels) == (selector.matches(labels) || other.matches(labels)))
            #expect((!selector).matches(labels) == !selector.matches(labels))
        }
    }

    @Test("random token soup: never crashes; errors point inside the text; successes round-trip",
          arguments: [UInt64(11), 12, 13, 14])
    func tokenSoup(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var accepted = 0
        for _ in 0..<600 {
            let count = Int(rng.next() % 9)
            let text = (0..<count).map { _ in Generate.pick(Generate.soupPieces, &rng) }.joined()
            do {
                let selector = try Selector(parsing: text)
                accepted += 1
                let reparsed = try Selector(parsing: selector.canonical)
                #expect(reparsed.canonical == selector.canonical, "\(text)")
                #expect(reparsed.expression == selector.expression || reparsed.canonical == selector.canonical)
            } catch {
                #expect(error.column >= 1 && error.column <= text.unicodeScalars.count + 1, "\(text)")
                #expect(error.message.contains("column \(error.column)"), "\(error.message)")
                #expect(!error.expected.isEmpty)
            }
        }
        #expect(accepted > 0)
    }
}

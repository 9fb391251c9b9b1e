// A minimal block-style YAML writer for the generated resources. Strings are always single-quoted
// (so selectors, port names and label values can never be read as numbers, booleans or flow syntax);
// numbers and booleans are written plain.

indirect enum YAMLValue {
    /// A string, written single-quoted.
    case string(String)
    /// A plain scalar written as is (numbers, booleans).
    case plain(String)
    case list([YAMLValue])
    case map([(String, YAMLValue)])

    static func int(_ n: Int) -> YAMLValue { .plain(String(n)) }
    static func bool(_ b: Bool) -> YAMLValue { .plain(b ? "true" : "false") }
    static func double(_ d: Double) -> YAMLValue {
        d == d.rounded() && abs(d) < 1e15 ? .plain(String(Int(d))) : .plain(String(d))
    }

    var isScalarLike: Bool {
        switch self {
        case .string, .plain: return true
        case let .list(xs): return xs.isEmpty
        case let .map(xs): return xs.isEmpty
        }
    }

    var inline: String {
        switch self {
        case let .string(s): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case let .plain(s): return s
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    static func key(_ k: String) -> String {
        let plain = k.first.map { $0.isLetter } == true && k.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        return plain ? k : YAMLValue.string(k).inline
    }

    func lines(indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .string, .plain:
            return [pad + inline]
        case let .map(entries):
            if entries.isEmpty { return [pad + "{}"] }
            var out: [String] = []
            for (k, v) in entries {
                if v.isScalarLike {
                    out.append(pad + Self.key(k) + ": " + v.inline)
                } else if case .list = v {
                    out.append(pad + Self.key(k) + ":")
                    out += v.lines(indent: indent)
                } else {
                    out.append(pad + Self.key(k) + ":")
                    out += v.lines(indent: indent + 2)
                }
            }
            return out
        case let .list(items):
            if items.isEmpty { return [pad + "[]"] }
            var out: [String] = []
            for item in items {
                if item.isScalarLike {
                    out.append(pad + "- " + item.inline)
                } else {
                    var nested = item.lines(indent: indent + 2)
                    nested[0] = pad + "- " + nested[0].dropFirst(indent + 2)
                    out += nested
                }
            }
            return out
        }
    }

    /// Documents separated by `---`.
    static func documents(_ docs: [YAMLValue]) -> String {
        docs.map { "---\n" + $0.lines(indent: 0).joined(separator: "\n") + "\n" }.joined()
    }
}

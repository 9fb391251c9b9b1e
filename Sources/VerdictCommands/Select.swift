// `verdict select`: parse a selector, print its canonical form, and test it against labels or an inventory.

import ArgumentParser
import PolicyModel
import Selectors

struct Select: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse a Calico selector, print its canonical form, and test it against labels or endpoints.",
        discussion: """
        Examples:
          verdict select "app == 'web' && env in {'prod','staging'}" --label app=web --label env=prod
          verdict select "has(app)" -f examples/zero-trust-k8s/

        Labels are matched as given (split at the first '='). With -f, the endpoints are matched by their
        effective labels (their own, Calico's implicit projectcalico.org/* labels, and pcns./pcsa. labels).
        A parse error exits with code 2 and names the column.
        """)

    @Argument(help: "The selector expression (quote it for the shell).")
    var expression: String

    @Option(name: .customLong("label"), help: ArgumentHelp("A label key=value to test against. Repeatable.", valueName: "key=value"))
    var labels: [String] = []

    @OptionGroup var input: PolicyInputOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: json or table.")
    var output: OutputFormat = .json

    func run() throws {
        var labelMap: [String: String] = [:]
        for l in labels {
            guard let eq = l.firstIndex(of: "=") else { throw ValidationError("--label '\(l)' must be key=value") }
            labelMap[String(l[..<eq])] = String(l[l.index(after: eq)...])
        }
        let selector: Selector
        do {
            selector = try Selector(parsing: expression)
        } catch {
            StandardError.write("verdict: error: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        var fields: [(String, JSONValue)] = [("selector", .string(selector.canonical)), ("matches", .bool(selector.matches(labelMap)))]
        var endpoints: [String] = [], sets: [String] = []
        if !input.filenames.isEmpty {
            let set = try input.loadPolicySet()
            endpoints = set.endpoints.filter { selector.matches($0.effectiveLabels) }.map(\.id)
            sets = set.networkSets.filter { selector.matches($0.effectiveLabels) }.map(\.qualifiedName)
            fields.append(("endpoints", .array(endpoints.map(JSONValue.string))))
            fields.append(("networkSets", .array(sets.map(JSONValue.string))))
        }
        switch output {
        case .json:
            print(JSONValue.object(fields).render(pretty: true))
        case .table:
            print("selector: \(selector.canonical)")
            print("matches:  \(selector.matches(labelMap))")
            if !input.filenames.isEmpty {
                print("endpoints (\(endpoints.count)):" + (endpoints.isEmpty ? " none" : ""))
                for e in endpoints { print("  \(e)") }
                print("network sets (\(sets.count)):" + (sets.isEmpty ? " none" : ""))
                for s in sets { print("  \(s)") }
            }
        }
    }
}

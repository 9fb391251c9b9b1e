// Shared pieces of the commands: policy input options, output formats, stderr, exit codes.

import ArgumentParser
import Foundation
import PolicyModel

/// Exit codes shared by every command (README "Exit codes").
public enum ExitStatus {
    public static let expectationFailed: Int32 = 1
    public static let inputError: Int32 = 2
    public static let usage: Int32 = 64
    public static let missingPrivilege: Int32 = 77
}

enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Prints an input error the way compilers do and ends the command with exit code 2.
func failInput(_ error: InputError) -> ExitCode {
    StandardError.write("verdict: \(error)")
    return ExitCode(ExitStatus.inputError)
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

extension PolicySet.Options.TieBreak: ExpressibleByArgument {}
extension InvalidPolicyHandling: ExpressibleByArgument {}

/// `-f/--filename` (repeatable: file, directory or `-`), `-R`, and evaluation options.
struct PolicyInputOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("filename")],
            help: ArgumentHelp("A policy or inventory file, a directory of them, or - for standard input. Repeatable.", valueName: "path"))
    var filenames: [String] = []

    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Descend into subdirectories of directories given with -f.")
    var recursive = false

    @Option(name: .customLong("tie-break"),
            help: "How policies with equal order are ordered: head (Calico 3.32+: name/namespace/kind) or legacy (≤3.31: namespace/name).")
    var tieBreak: PolicySet.Options.TieBreak = .head

    @Option(name: .customLong("invalid-policies"),
            help: "What to do with a policy that fails validation: reject (error, exit 2) or ignore (drop it with a warning, as Felix does).")
    var invalidPolicies: InvalidPolicyHandling = .reject

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Do not print warnings on standard error.")
    var quiet = false

    /// Loads and resolves the inputs, printing warnings; bad input ends the command with exit code 2.
    func loadPolicySet(requireInput: Bool = true) throws -> PolicySet {
        if requireInput && filenames.isEmpty {
            throw ValidationError("give at least one -f/--filename (a file, a directory, or - for standard input)")
        }
        do throws(InputError) {
            let loaded = try ResourceLoader.load(filenames.map(ResourceLoader.Input.init), recursive: recursive, invalidPolicies: invalidPolicies)
            var options = PolicySet.Options()
            options.tieBreak = tieBreak
            let set = try PolicySet.resolve(loaded, options: options)
            if !quiet {
                for d in set.diagnostics where d.code != .skippedKind { StandardError.write("verdict: \(d)") }
                for u in set.unmatchedSelectors() where u.field == "spec.selector" {
                    var line = "verdict: \(u.location): warning: policy \(u.policy) selects no endpoint in the inventory (\(u.selector))"
                    if !u.suggestions.isEmpty { line += "; " + u.suggestions.joined(separator: "; ") }
                    StandardError.write(line)
                }
            }
            return set
        } catch {
            throw failInput(error)
        }
    }
}

/// Pads columns for table output.
func renderTable(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count - 1 { widths[i] = max(widths[i], c.count) } }
    return rows.map { r in
        r.enumerated().map { i, c in i < widths.count - 1 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : c }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}

// `verdict compile` and `verdict inspect`: policies → a `.vdt` match table, and a table → text.

import ArgumentParser
import MatchTable
import PolicyCompiler
import PolicyModel

/// Compiles a policy set, or ends the command with exit code 2 when it cannot be compiled.
func compileTable(_ set: PolicySet) throws -> MatchTable {
    do throws(CompileError) {
        return try PolicyCompiler.compile(set)
    } catch {
        StandardError.write("verdict: error: cannot compile the policy set: \(error)")
        throw ExitCode(ExitStatus.inputError)
    }
}

/// Reads a `.vdt` file, or ends the command with exit code 2.
func readTable(_ path: String) throws -> MatchTable {
    do throws(MatchTableError) {
        return try MatchTable(contentsOf: path)
    } catch {
        StandardError.write("verdict: \(error)")
        throw ExitCode(ExitStatus.inputError)
    }
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile policies and inventory into a match table (.vdt).",
        discussion: """
        The table is what `replay` classifies against and what `load` copies into BPF maps. The same
        input always gives byte-identical output. The layout is in docs/MATCH_TABLE_FORMAT.md; see it
        with `verdict inspect`.
        """)

    @OptionGroup var input: PolicyInputOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the table.", valueName: "table.vdt"))
    var outputPath: String

    func run() throws {
        let table = try compileTable(try input.loadPolicySet())
        do throws(MatchTableError) {
            try table.write(to: outputPath)
        } catch {
            StandardError.write("verdict: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        if !input.quiet {
            let chains = table.chains.map { "\($0.rule_count)" }.joined(separator: "/")
            StandardError.write("verdict: wrote \(outputPath): \(table.size) bytes, \(table.endpoints.count) endpoints, "
                                + "\(table.atoms.count) address atoms, rules per chain \(chains)")
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a match table as stable text: atoms, endpoints, nodes, and every chain's rules, classes and key maps.")

    @Argument(help: ArgumentHelp("A table written by `verdict compile`.", valueName: "table.vdt"))
    var path: String

    func run() throws {
        print(try readTable(path).dump(), terminator: "")
    }
}

// `verdict compile` and `verdict inspect`: policies → a `.vdt` match table, and a table → text.

import ArgumentParser
import MatchTable
import PolicyCompiler
import PolicyModel

/// Compiles a policy set, or ends the command with exit code 2 when it cannot be compiled.
///
/// - Parameter options: `.bpf` for a table the BPF data plane will load (it needs the bit vectors).
func compileTable(_ set: PolicySet, options: CompileOptions = CompileOptions()) throws -> MatchTable {
    do throws(CompileError) {
        return try PolicyCompiler.compile(set, options: options)
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

        Bit vectors (per dimension, a row of bits per class of keys) are the fastest form up to a
        few thousand terms per chain and the form the BPF data plane loads; they grow as classes ×
        terms. `auto` writes them when a bound of their size stays within \(CompileOptions.defaultBitVectorBudget >> 20) MiB; without
        them the Swift fast path indexes the terms instead (same answers). `always` for a table that
        `load` or `replay --engine bpf --table` will put in BPF maps.
        """)

    enum BitVectors: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never

        var options: CompileOptions {
            switch self {
            case .auto: return CompileOptions()
            case .always: return .bpf
            case .never: return .termIndexOnly
            }
        }
    }

    @OptionGroup var input: PolicyInputOptions

    @Option(name: .customLong("bit-vectors"), help: "Write the bit-vector rows: auto, always (BPF) or never.")
    var bitVectors: BitVectors = .auto

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the table.", valueName: "table.vdt"))
    var outputPath: String

    func run() throws {
        let table = try compileTable(try input.loadPolicySet(), options: bitVectors.options)
        do throws(MatchTableError) {
            try table.write(to: outputPath)
        } catch {
            StandardError.write("verdict: \(error)")
            throw ExitCode(ExitStatus.inputError)
        }
        if !input.quiet {
            let chains = table.chains.map { "\($0.rule_count)" }.joined(separator: "/")
            StandardError.write("verdict: wrote \(outputPath): \(table.size) bytes, \(table.endpoints.count) endpoints, "
                                + "\(table.atoms.count) address atoms, rules per chain \(chains)"
                + (table.hasBitVectors ? "" : ", no bit vectors (term index; not loadable into BPF maps)"))
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

// `verdict unload`: detaches what `verdict load` attached to an interface and removes its pins
// and state, leaving nothing behind.

import ArgumentParser
import BPFLoader
import Foundation

struct Unload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detach Verdict's programs from an interface and remove its pinned maps and state.",
        discussion: """
        Detaches each program `verdict load` recorded, if the interface still runs that program (a
        program another tool attached since is left alone, and said so), removes the clsact qdisc
        when load created it, every pin under <pin-path>/<interface>/ and <state-dir>/<interface>/.
        An interface that no longer exists is not an error: its attachments went with it, and the
        pins and state are removed.

        Exit codes: 0 unloaded, 2 nothing is loaded on the interface, 64 usage error,
        77 missing privilege.
        """)

    @Option(name: .customLong("interface"), help: ArgumentHelp("The interface to unload.", valueName: "name"))
    var interface: String

    @OptionGroup var location: DataPlaneLocation

    func validate() throws { try DataPlaneCommand.validateInterfaceName(interface) }

    func run() throws {
        let paths = location.state(interface)
        let pinDir = location.pinDirectory(interface)
        let state: LoadState?
        do { state = try paths.read() } catch {
            // An unreadable state file still names pins to remove; the attachments cannot be known.
            StandardError.write("verdict: warning: \(error); removing pins and state without detaching")
            state = nil
        }
        guard state != nil || FileManager.default.fileExists(atPath: paths.directory) || FileManager.default.fileExists(atPath: pinDir) else {
            StandardError.write("verdict: error: nothing is loaded on \(interface) (no \(paths.stateFile), no \(pinDir))")
            throw ExitCode(ExitStatus.inputError)
        }
        if let refusal = BPFCapabilities.attachRefusal {
            StandardError.write("verdict: error: unload: \(refusal)")
            throw ExitCode(ExitStatus.missingPrivilege)
        }
        var did: [String]
        if let state {
            did = try DataPlaneCommand.removeEverything(state: state, paths: paths, pinDirectory: pinDir, detach: true)
        } else {
            did = ["removed \(DataPlaneCommand.removePins(pinDir)) pins under \(pinDir)"]
            try? paths.remove()
            did.append("removed \(paths.directory)")
        }
        // The roots load created stay only while another interface uses them, and the bpffs
        // load mounted only while it holds any pin (DECISIONS 56).
        let record = BPFFSMount.record(location.stateDirectory)
        DataPlaneCommand.removeEmptyPinRoots(location.pinPath, below: record?.mountPoint ?? location.pinPath)
        if let released = BPFFSMount.releaseIfUnused(stateRoot: location.stateDirectory) { did.append(released) }
        rmdir(location.stateDirectory)
        print("unloaded \(interface): " + did.joined(separator: "; "))
    }
}

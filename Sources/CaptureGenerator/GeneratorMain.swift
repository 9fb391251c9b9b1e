// capture-generator: writes every capture of captures/ with its expected verdicts and the
// manifest, byte for byte the same on every run.
//
//     swift run capture-generator [OUTPUT-DIR]          # default: captures
//     swift run capture-generator --list [NAME...]     # print each packet's expectation and reason

import Foundation

@main
struct GeneratorMain {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("-h") || arguments.contains("--help") {
            print("""
            usage: capture-generator [OUTPUT-DIR]
                   capture-generator --list [CAPTURE-NAME...]

            Writes every capture of captures/ (pcap/pcapng), its expected verdicts
            (<name>.expected.jsonl) and manifest.json into OUTPUT-DIR (default: captures).
            --list prints each packet's expected line and the reason for it instead.
            """)
            return
        }
        if let i = arguments.firstIndex(of: "--list") {
            arguments.remove(at: i)
            for c in CaptureSet.all() where arguments.isEmpty || arguments.contains(c.name) {
                print(c.listing())
            }
            return
        }
        guard arguments.count <= 1 else {
            FileHandle.standardError.write(Data("capture-generator: give at most one output directory\n".utf8))
            exit(64)
        }
        let directory = arguments.first ?? CaptureSet.directory
        do {
            let captures = CaptureSet.all()
            try CaptureSet.write(to: directory, captures)
            let packets = captures.reduce(0) { $0 + $1.packets.count }
            print("capture-generator: wrote \(captures.count) captures (\(packets) packets), their expected verdicts and manifest.json to \(directory)")
        } catch {
            FileHandle.standardError.write(Data("capture-generator: \(directory): \(error)\n".utf8))
            exit(1)
        }
    }
}

// Every capture of captures/, and the files they turn into: the capture, its expected verdicts, and
// the manifest that ties each capture to the policies it is replayed against.

import Foundation

enum CaptureSet {
    /// All captures, in manifest order.
    static func all() -> [Capture] {
        [
            ZeroTrust.kubernetes(),
            ZeroTrust.calico(),
            ICMPHowTo.endState(),
            ICMPHowTo.allowPing(),
            ICMPHowTo.hostUnreachable(),
            Edge.conntrack(),
            Edge.vlan(),
            Edge.ipv6ExtensionHeaders(),
            Edge.ipv4Fragments(),
            Edge.truncated(),
            Edge.multiInterface(),
            Edge.mixedLinkTypes(),
            Edge.linuxSLL(),
            Edge.linuxSLL2(),
            Edge.rawIP(),
            Edge.loopbackNull(),
        ]
    }

    /// The directory the manifest's paths are relative to the repository root through.
    static let directory = "captures"

    /// Every generated file by name (relative to the output directory), in a fixed order.
    static func files(_ captures: [Capture] = all()) -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for c in captures {
            out.append((c.fileName, c.fileBytes()))
            out.append((c.expectedFileName, Array(c.expectedJSONL().utf8)))
        }
        out.append(("manifest.json", Array(manifest(captures).utf8)))
        return out
    }

    /// `captures/manifest.json`: per capture its file, the `-f` paths (relative to the repository
    /// root), the expected file, the packet count, an optional expected error, and a description.
    static func manifest(_ captures: [Capture]) -> String {
        var entries: [String] = []
        for c in captures {
            var lines = [
                "      \"file\": \(json("\(directory)/\(c.fileName)"))",
                "      \"policies\": [" + c.policies.map(json).joined(separator: ", ") + "]",
                "      \"expected\": \(json("\(directory)/\(c.expectedFileName)"))",
                "      \"packets\": \(c.packets.count)",
            ]
            if let e = c.expectError {
                lines.append("      \"expectError\": {\"exitCode\": \(e.exitCode), \"message\": \(json(e.message)), "
                    + "\"packetsBeforeError\": \(c.readablePacketCount)}")
            }
            lines.append("      \"description\": \(json(c.summary))")
            entries.append("    {\n" + lines.joined(separator: ",\n") + "\n    }")
        }
        return "{\n  \"captures\": [\n" + entries.joined(separator: ",\n") + "\n  ]\n}\n"
    }

    static func json(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Writes every file into `directory`, creating it if needed.
    static func write(to directory: String, _ captures: [Capture] = all()) throws {
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, bytes) in files(captures) {
            try Data(bytes).write(to: url.appendingPathComponent(name), options: .atomic)
        }
    }
}

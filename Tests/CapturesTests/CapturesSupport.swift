// Shared helpers: where captures/ is, the manifest, expected lines, and reading a capture's packets
// through the project's own CaptureReader and PacketParser.

import Foundation
import Packets
import PcapIO
import Testing

enum Repo {
    /// The package root, found from this file's path so the tests run from any directory.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let captures = root.appendingPathComponent("captures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// One entry of captures/manifest.json.
struct ManifestEntry: CustomStringConvertible, Sendable {
    var file: String
    var policies: [String]
    var expected: String
    var packets: Int
    var expectErrorExitCode: Int?
    var expectErrorMessage: String?
    var packetsBeforeError: Int?
    var summary: String

    var description: String { file }
    var name: String { URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent }
}

enum Manifest {
    static func load() throws -> [ManifestEntry] {
        let data = try Data(contentsOf: Repo.captures.appendingPathComponent("manifest.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let captures = try #require(root["captures"] as? [[String: Any]])
        return try captures.map { c in
            let error = c["expectError"] as? [String: Any]
            return ManifestEntry(file: try #require(c["file"] as? String), policies: try #require(c["policies"] as? [String]),
                                 expected: try #require(c["expected"] as? String), packets: try #require(c["packets"] as? Int),
                                 expectErrorExitCode: error?["exitCode"] as? Int, expectErrorMessage: error?["message"] as? String,
                                 packetsBeforeError: error?["packetsBeforeError"] as? Int,
                                 summary: try #require(c["description"] as? String))
        }
    }

    /// The manifest's entries, for parameterized tests (empty if the manifest cannot be read; the
    /// manifest test then fails on its own).
    static var entries: [ManifestEntry] { (try? load()) ?? [] }
}

/// One line of an expected-verdicts file.
struct ExpectedLine: Sendable {
    var packet: Int
    var verdict: String
    var conntrack: String?
    var policyVerdict: String?
    var reason: String?
    var keys: Set<String>
}

enum ExpectedFile {
    static func load(_ relative: String) throws -> [ExpectedLine] {
        let text = try String(contentsOfFile: Repo.path(relative), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
            return ExpectedLine(packet: try #require(o["packet"] as? Int), verdict: try #require(o["verdict"] as? String),
                                conntrack: o["conntrack"] as? String, policyVerdict: o["policyVerdict"] as? String,
                                reason: o["reason"] as? String, keys: Set(o.keys))
        }
    }
}

/// A packet read back from a capture, with the parser's view of it.
struct ReadPacket {
    var number: Int
    var bytes: [UInt8]
    var outcome: ParseOutcome
    var headers: PacketHeaders

    var isNonFirstFragment: Bool { headers.isFragment && !headers.isFirstFragment }

    /// Why replay would count the packet as unparsed (docs/DECISIONS.md 20), or nil when it classifies:
    /// the parser's outcome when it is not `ok`, `truncated-l4` when the L4 header of a packet
    /// that needs one (ports or ICMP type) was cut.
    var unparsedReason: String? {
        if outcome != .ok { return outcome.description }
        if !headers.l4Present && !isNonFirstFragment && (PacketHeaders.protocolHasPorts(headers.protocol) || headers.isICMP) {
            return "truncated-l4"
        }
        return nil
    }
}

enum CaptureFile {
    /// Every packet the reader delivers, parsed, and the error that stopped reading, if any.
    static func read(_ relative: String) throws -> (packets: [ReadPacket], linkType: LinkType, error: CaptureError?) {
        let reader = try CaptureReader(path: Repo.path(relative))
        var packets: [ReadPacket] = []
        var failure: CaptureError?
        do {
            try reader.forEach { record in
                var headers = PacketHeaders()
                let outcome = PacketParser.parse(record.bytes, linkType: reader.linkType, into: &headers)
                packets.append(ReadPacket(number: record.number, bytes: Array(record.bytes), outcome: outcome, headers: headers))
            }
        } catch let e as CaptureError {
            failure = e
        }
        return (packets, reader.linkType, failure)
    }
}

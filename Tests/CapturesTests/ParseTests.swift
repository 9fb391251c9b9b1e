// (b) Every capture reads through CaptureReader and PacketParser as its expected file says: the
// packet count, and "unparsed" exactly for the packets the parser cannot classify, for the reason
// given.

import Foundation
import Packets
import PcapIO
import Testing

@Suite("captures/ through CaptureReader and PacketParser")
struct ParseTests {
    @Test("the manifest names existing files, policies and expected files")
    func manifest() throws {
        let entries = try Manifest.load()
        #expect(entries.count >= 10)
        for e in entries {
            #expect(FileManager.default.fileExists(atPath: Repo.path(e.file)), "\(e.file)")
            #expect(FileManager.default.fileExists(atPath: Repo.path(e.expected)), "\(e.expected)")
            #expect(e.expected == "captures/\(e.name).expected.jsonl")
            #expect(!e.policies.isEmpty && !e.summary.isEmpty, "\(e.file)")
            for p in e.policies { #expect(FileManager.default.fileExists(atPath: Repo.path(p)), "\(e.file): policy path \(p)") }
            #expect((e.expectErrorExitCode == nil) == (e.expectErrorMessage == nil), "\(e.file)")
        }
        #expect(Set(entries.map(\.file)).count == entries.count)
    }

    @Test("packet counts and unparsed packets", arguments: Manifest.entries)
    func parse(_ entry: ManifestEntry) throws {
        let expected = try ExpectedFile.load(entry.expected)
        #expect(expected.map(\.packet) == Array(1..<(expected.count + 1)), "\(entry.expected): packets must be numbered 1, 2, … in order")
        let (packets, _, error) = try CaptureFile.read(entry.file)
        if let message = entry.expectErrorMessage {
            // The reader delivers the packets before the offending interface, then stops with the message replay prints.
            let e = try #require(error, "\(entry.file): expected the reader to fail")
            #expect(e.description.contains(message), "\(e)")
            #expect(packets.count == entry.packetsBeforeError)
            #expect(entry.expectErrorExitCode == 2)
            #expect(packets.count < entry.packets)
        } else {
            #expect(error == nil, "\(entry.file): \(String(describing: error))")
            #expect(packets.count == entry.packets)
        }
        #expect(packets.count == expected.count, "\(entry.file): \(packets.count) packets read, \(expected.count) expected lines")
        for (p, line) in zip(packets, expected) {
            #expect(p.number == line.packet)
            if line.verdict == "unparsed" {
                #expect(p.unparsedReason == line.reason, "\(entry.file) packet \(p.number): expected unparsed (\(line.reason ?? "?")), parser gives \(p.unparsedReason ?? "a classifiable packet")")
                #expect(line.keys == ["packet", "verdict", "reason"], "\(entry.file) packet \(p.number)")
            } else {
                #expect(p.unparsedReason == nil, "\(entry.file) packet \(p.number): expected \(line.verdict), but the parser fails: \(p.unparsedReason ?? "")")
                #expect(line.keys == ["packet", "verdict", "conntrack", "policyVerdict"], "\(entry.file) packet \(p.number)")
            }
        }
    }

    @Test("expected lines are consistent with the conntrack model", arguments: Manifest.entries)
    func consistent(_ entry: ManifestEntry) throws {
        for line in try ExpectedFile.load(entry.expected) {
            let at = "\(entry.expected) packet \(line.packet)"
            switch line.conntrack {
            case "new": #expect(line.verdict == line.policyVerdict, "\(at): a new packet gets the policy verdict")
            case "established", "related": #expect(line.verdict == "allow", "\(at)")
            case "invalid": #expect(line.verdict == "deny", "\(at)")
            case "fragment": #expect(["allow", "deny"].contains(line.verdict), "\(at)")
            case nil: #expect(line.verdict == "unparsed", "\(at)")
            default: Issue.record("\(at): unknown conntrack state \(line.conntrack!)")
            }
            if line.verdict != "unparsed" { #expect(["allow", "deny"].contains(line.policyVerdict ?? ""), "\(at)") }
        }
    }
}

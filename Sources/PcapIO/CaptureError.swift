// What can go wrong reading or writing a capture, each with a one-line message that names the
// file and, where known, the packet.

import Packets

/// A capture could not be opened, read, filtered or written.
///
/// `description` is one line: `<file>: packet <n>: <what happened> (pcap: <libpcap's text>)`.
public enum CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No file at that path.
    case fileNotFound(path: String)
    /// The file exists but cannot be opened (permissions, a directory, …).
    case cannotOpen(path: String, message: String)
    /// libpcap does not recognize the file as pcap or pcapng (or its file header is cut short).
    case notACapture(path: String, pcapMessage: String)
    /// The file ends in the middle of packet `packetNumber` (its record header or its data).
    case truncated(path: String, packetNumber: Int, pcapMessage: String)
    /// A read error other than truncation (a corrupt pcapng block, …) at packet `packetNumber`.
    case readFailed(path: String, packetNumber: Int, pcapMessage: String)
    /// The capture's link type is not one ``Packets/LinkType`` covers.
    /// `dlt` is libpcap's `DLT_` value and `name` libpcap's name for it, if it has one.
    case unknownLinkType(path: String, dlt: Int32, name: String?)
    /// A pcapng file whose interfaces have different link types, which libpcap cannot read as
    /// one capture. `linkTypes` lists the `LINKTYPE_` value of each interface found up to the one
    /// libpcap rejected (empty when the file could not be scanned, e.g. stdin); packets before
    /// `packetNumber` were delivered.
    case mixedLinkTypes(path: String, packetNumber: Int, linkTypes: [UInt32], pcapMessage: String)
    /// A pcapng file whose interfaces have different snapshot lengths, which libpcap also rejects.
    case mixedSnapshotLengths(path: String, packetNumber: Int, snapshotLengths: [UInt32], pcapMessage: String)
    /// A capture filter that libpcap could not compile.
    case filter(expression: String, message: String)
    /// The output file could not be created, written, or moved into place.
    case cannotWrite(path: String, message: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .cannotOpen(path, message):
            return "\(path): cannot open: \(message)"
        case let .notACapture(path, pcapMessage):
            return "\(path): not a pcap or pcapng capture (pcap: \(pcapMessage))"
        case let .truncated(path, packetNumber, pcapMessage):
            return "\(path): packet \(packetNumber): capture is truncated, the file ends inside this packet (pcap: \(pcapMessage))"
        case let .readFailed(path, packetNumber, pcapMessage):
            return "\(path): packet \(packetNumber): read error (pcap: \(pcapMessage))"
        case let .unknownLinkType(path, dlt, name):
            return "\(path): unsupported link type \(name.map { "\($0) " } ?? "")(DLT \(dlt)); supported: "
                + LinkType.allCases.map(\.description).joined(separator: ", ")
        case let .mixedLinkTypes(path, packetNumber, linkTypes, pcapMessage):
            let detail = linkTypes.isEmpty
                ? ""
                : ": " + linkTypes.enumerated().map { "interface \($0.offset) is \(CaptureError.linkTypeName($0.element))" }
                    .joined(separator: ", ")
            return "\(path): before packet \(packetNumber): pcapng interfaces have different link types\(detail);"
                + " libpcap reads one link type per file, so split it per interface (e.g. `editcap`/`tshark -r … -w`)"
                + " (pcap: \(pcapMessage))"
        case let .mixedSnapshotLengths(path, packetNumber, snapshotLengths, pcapMessage):
            let detail = snapshotLengths.isEmpty
                ? ""
                : ": " + snapshotLengths.enumerated().map { "interface \($0.offset) has \($0.element)" }
                    .joined(separator: ", ")
            return "\(path): before packet \(packetNumber): pcapng interfaces have different snapshot lengths\(detail)"
                + " (pcap: \(pcapMessage))"
        case let .filter(expression, message):
            return "bad capture filter '\(expression)': \(message)"
        case let .cannotWrite(path, message):
            return "\(path): cannot write capture: \(message)"
        }
    }

    /// `EN10MB (1)`, `RAW (101)`, or `LINKTYPE 147` for values libpcap does not name.
    static func linkTypeName(_ linkType: UInt32) -> String {
        if let known = LinkType(rawValue: linkType) { return "\(known) (\(linkType))" }
        if let name = PcapNames.datalinkName(Int32(truncatingIfNeeded: linkType)) { return "\(name) (\(linkType))" }
        return "LINKTYPE \(linkType)"
    }
}

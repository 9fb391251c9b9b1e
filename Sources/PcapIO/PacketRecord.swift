// One packet as a capture file stores it, borrowed from the reader for the length of a callback.

/// A capture timestamp with nanosecond resolution (files with microsecond stamps are scaled).
public struct CaptureTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since the Unix epoch.
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: CaptureTimestamp, b: CaptureTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// `1700000000.000000123`.
    public var description: String {
        let ns = String(nanoseconds)
        return "\(seconds)." + String(repeating: "0", count: max(0, 9 - ns.count)) + ns
    }
}

/// One packet read from a capture.
///
/// `bytes` points into libpcap's buffer and is valid **only during the callback** that received
/// the record: copy what you need to keep. Nothing is copied or allocated per packet.
public struct PacketRecord {
    /// Position in the file, counting from 1, including packets a filter skipped (the number
    /// Wireshark and `tcpdump -r … -#` show).
    public let number: Int
    public let timestamp: CaptureTimestamp
    /// Bytes captured (`bytes.count`), at most the snapshot length.
    public let capturedLength: Int
    /// Length of the packet on the wire.
    public let originalLength: Int
    /// The captured bytes, starting with the link-layer header.
    public let bytes: UnsafeRawBufferPointer

    public init(number: Int, timestamp: CaptureTimestamp, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.number = number
        self.timestamp = timestamp
        self.capturedLength = bytes.count
        self.originalLength = originalLength
        self.bytes = bytes
    }

    /// True when the snapshot length cut the packet.
    public var isTruncated: Bool { capturedLength < originalLength }
}

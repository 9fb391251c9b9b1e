// A batch of packets on its way through sharded replay: the reader copies records and their
// parsed headers in, each worker fills the results of its own packets, the merge reads them out
// in capture order. Storage is allocated once per batch and reused for the whole capture.
//
// Who touches what, and when, is ordered by ShardedReplay's semaphores (reader → workers →
// merge → reader), which is why the class can claim Sendable without locks of its own.

import Classifier
import Packets
import PcapIO

final class ReplayBatch: @unchecked Sendable {
    enum End {
        /// More batches follow.
        case more
        /// The capture (or the packet limit) ended in this batch.
        case finished
        /// Reading failed after this batch's packets.
        case failed(CaptureError)
        /// The merge asked the reader to stop (its consumer threw).
        case stopped
    }

    let capacity: Int
    private(set) var count = 0
    var end = End.more

    private var arena: UnsafeMutableRawPointer
    private var arenaCapacity: Int
    private var arenaUsed = 0
    private let offsets: UnsafeMutablePointer<Int>
    private let lengths: UnsafeMutablePointer<Int>
    private let numbers: UnsafeMutablePointer<Int>
    private let timestamps: UnsafeMutablePointer<CaptureTimestamp>
    private let originalLengths: UnsafeMutablePointer<Int>
    let headers: UnsafeMutablePointer<PacketHeaders>
    let outcomes: UnsafeMutablePointer<ParseOutcome>
    /// The worker that judges each packet.
    let shards: UnsafeMutablePointer<UInt16>
    let results: UnsafeMutablePointer<PacketResult>

    init(capacity: Int, arenaBytes: Int) {
        self.capacity = capacity
        arenaCapacity = arenaBytes
        arena = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 16)
        offsets = .allocate(capacity: capacity)
        lengths = .allocate(capacity: capacity)
        numbers = .allocate(capacity: capacity)
        timestamps = .allocate(capacity: capacity)
        timestamps.initialize(repeating: CaptureTimestamp(seconds: 0), count: capacity)
        originalLengths = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        headers.initialize(repeating: PacketHeaders(), count: capacity)
        outcomes = .allocate(capacity: capacity)
        outcomes.initialize(repeating: .ok, count: capacity)
        shards = .allocate(capacity: capacity)
        shards.initialize(repeating: 0, count: capacity)
        results = .allocate(capacity: capacity)
        results.initialize(repeating: PacketResult(allow: nil, state: .unparsed, policy: nil, flowID: -1, note: nil), count: capacity)
    }

    deinit {
        arena.deallocate()
        offsets.deallocate()
        lengths.deallocate()
        numbers.deallocate()
        timestamps.deinitialize(count: capacity)
        timestamps.deallocate()
        originalLengths.deallocate()
        headers.deinitialize(count: capacity)
        headers.deallocate()
        outcomes.deallocate()
        shards.deallocate()
        results.deinitialize(count: capacity)
        results.deallocate()
    }

    var isFull: Bool { count == capacity }

    /// Empties the batch for the reader.
    func reset() {
        count = 0
        arenaUsed = 0
        end = .more
    }

    /// True when a record of `length` bytes fits (an empty batch always takes one, growing).
    func fits(_ length: Int) -> Bool { count < capacity && (count == 0 || arenaUsed + length <= arenaCapacity) }

    /// Copies a record in; returns its index.
    func append(_ r: PacketRecord) -> Int {
        let n = r.bytes.count
        if arenaUsed + n > arenaCapacity {
            // Only an empty batch grows (fits(_:) said so): nothing in the arena to keep.
            arena.deallocate()
            arenaCapacity = max(arenaCapacity * 2, n)
            arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 16)
        }
        if n > 0 { (arena + arenaUsed).copyMemory(from: r.bytes.baseAddress!, byteCount: n) }
        let i = count
        offsets[i] = arenaUsed
        lengths[i] = n
        numbers[i] = r.number
        timestamps[i] = r.timestamp
        originalLengths[i] = r.originalLength
        arenaUsed += n
        count += 1
        return i
    }

    /// Packet `i` as the reader delivered it; the bytes live as long as the batch is not reset.
    func record(_ i: Int) -> PacketRecord {
        PacketRecord(number: numbers[i], timestamp: timestamps[i], originalLength: originalLengths[i],
                     bytes: UnsafeRawBufferPointer(start: arena + offsets[i], count: lengths[i]))
    }

    func timestamp(_ i: Int) -> CaptureTimestamp { timestamps[i] }
}

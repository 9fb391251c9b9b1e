// `--jobs N|auto`: how many worker threads a command may use.

import ArgumentParser
import Foundation

struct Jobs: ExpressibleByArgument, Equatable {
    /// Worker threads to run, at least 1.
    let count: Int

    /// More threads than this only add batches in flight and contention, never speed.
    static let maximum = 256

    init?(argument: String) {
        if argument == "auto" || argument == "0" {
            count = max(1, ProcessInfo.processInfo.activeProcessorCount)
        } else if let n = Int(argument), n >= 1, n <= Self.maximum {
            count = n
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .list(["auto", "1", "2", "4"]) }
}

// Writing generated workloads to disk: always atomically (a temporary file in the same directory,
// then rename), so a reader never sees half a rule file or trace.

import Foundation

public enum WorkloadFiles {
    /// Writes `text` to `path` atomically; the error names the path.
    public static func write(_ text: String, to path: String) throws(WorkloadFileError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WorkloadFileError(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}

public struct WorkloadFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write: \(reason)" }
}

extension ClassBenchWorkload {
    /// Writes the rules as a ClassBench `.rules` file and the trace (8 columns, plain text).
    public func write(rulesTo rulesPath: String, traceTo tracePath: String) throws(WorkloadFileError) {
        try WorkloadFiles.write(rulesText, to: rulesPath)
        try WorkloadFiles.write(traceText, to: tracePath)
    }
}

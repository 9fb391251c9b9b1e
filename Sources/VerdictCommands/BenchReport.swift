// `verdict bench`'s report: a text table, a Markdown table (for the README) or JSON, from the rows.

import Foundation

enum BenchReport {
    static let columns = ["workload", "rules", "calico rules", "engine", "packets", "mismatches", "Mpps", "ns/packet", "build s", "table bytes", "index bytes"]

    static func cells(_ r: BenchRow) -> [String] {
        [r.workload, "\(r.rules)", "\(r.calicoRules)", r.engine, "\(r.packets)", "\(r.mismatches)", mpps(r.mpps),
         String(format: "%.1f", r.nsPerPacket), String(format: "%.3f", r.buildSeconds), "\(r.tableBytes)", "\(r.indexBytes)"]
    }

    /// Three significant digits, never in exponent form (the reference engine runs at 0.00004 Mpps).
    static func mpps(_ x: Double) -> String {
        guard x > 0 else { return "0" }
        let decimals = max(0, 2 - Int(floor(log10(x))))
        return String(format: "%.\(decimals)f", x)
    }

    static func table(_ rows: [BenchRow]) -> String {
        renderTable([columns] + rows.map(cells))
    }

    static func markdown(_ rows: [BenchRow]) -> String {
        var out = "| " + columns.joined(separator: " | ") + " |\n"
        out += "|" + String(repeating: "---|", count: columns.count) + "\n"
        for r in rows { out += "| " + cells(r).joined(separator: " | ") + " |\n" }
        return String(out.dropLast())
    }

    /// `{"kind": "BenchReport", "schemaVersion": 1, "seed", "workloads", "engines", "results": [...]}`.
    static func json(_ rows: [BenchRow], workloads: [BenchWorkload], seed: UInt64, engines: [BenchEngine]) -> JSONValue {
        .object([
            ("kind", .string("BenchReport")),
            ("schemaVersion", .int(1)),
            ("seed", .string(String(seed))),
            ("workloads", .array(workloads.map { .string($0.rawValue) })),
            ("engines", .array(engines.map { .string($0.rawValue) })),
            ("results", .array(rows.map { r in
                .object([
                    ("workload", .string(r.workload)),
                    ("rules", .int(r.rules)),
                    ("calicoRules", .int(r.calicoRules)),
                    ("engine", .string(r.engine)),
                    ("packets", .int(r.packets)),
                    ("mismatches", .int(r.mismatches)),
                    ("mpps", .double(BenchClassBench.round(r.mpps, 6))),
                    ("nsPerPacket", .double(BenchClassBench.round(r.nsPerPacket, 3))),
                    ("buildSeconds", .double(BenchClassBench.round(r.buildSeconds, 6))),
                    ("tableBytes", .int(r.tableBytes)),
                    ("indexBytes", .int(r.indexBytes)),
                    ("passes", .int(r.passes)),
                    ("classifySeconds", .double(BenchClassBench.round(r.classifySeconds, 6))),
                    ("generateSeconds", .double(BenchClassBench.round(r.generateSeconds, 6))),
                ])
            })),
        ])
    }
}

// `verdict bench --plot`: Mpps against rule count as a self-contained SVG (no script, no external
// fonts or styles): log-scale x over the decades of the rule counts, linear y from 0,
// one line with markers per workload/engine, axes with ticks and labels, and a legend.

import Foundation

enum BenchPlot {
    static let width = 760.0, height = 460.0
    static let left = 70.0, right = 200.0, top = 40.0, bottom = 60.0
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    static func svg(_ rows: [BenchRow], title: String) -> String {
        // Series in first-appearance order.
        var names: [String] = []
        var points: [String: [(Double, Double)]] = [:]
        for r in rows {
            let name = "\(r.workload) / \(r.engine)"
            if points[name] == nil { names.append(name) }
            points[name, default: []].append((Double(r.rules), r.mpps))
        }
        let xs = rows.map { Double($0.rules) }
        let lo = floor(log10(xs.min() ?? 10)), hi = max(lo + 1, ceil(log10(xs.max() ?? 100_000)))
        let top = niceCeiling(rows.map(\.mpps).max() ?? 1)
        let plotW = width - left - right, plotH = height - Self.top - bottom
        func x(_ v: Double) -> Double { left + (log10(v) - lo) / (hi - lo) * plotW }
        func y(_ v: Double) -> Double { Self.top + plotH - v / top * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="22" text-anchor="middle" font-size="14">\(escape(title))</text>

        """
        // Grid and ticks.
        for e in Int(lo)...Int(hi) {
            let v = pow(10, Double(e))
            s += "<line x1=\"\(f(x(v)))\" y1=\"\(f(Self.top))\" x2=\"\(f(x(v)))\" y2=\"\(f(Self.top + plotH))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(x(v)))\" y=\"\(f(Self.top + plotH + 18))\" text-anchor=\"middle\">\(Int(v))</text>\n"
        }
        for k in 0...5 {
            let v = top * Double(k) / 5
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y(v)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(v)))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(String(format: "%g", v))</text>\n"
        }
        // Axes and labels.
        s += "<line x1=\"\(f(left))\" y1=\"\(f(Self.top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(Self.top + plotH))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(Self.top))\" x2=\"\(f(left))\" y2=\"\(f(Self.top + plotH))\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 18))\" text-anchor=\"middle\">rules (log scale)</text>\n"
        s += "<text x=\"18\" y=\"\(f(Self.top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(Self.top + plotH / 2)))\">Mpps (one core)</text>\n"
        // Series and legend.
        for (i, name) in names.enumerated() {
            let color = colors[i % colors.count]
            let ps = (points[name] ?? []).sorted { $0.0 < $1.0 }
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(ps.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " "))\"/>\n"
            for p in ps {
                s += "<circle cx=\"\(f(x(p.0)))\" cy=\"\(f(y(p.1)))\" r=\"3.5\" fill=\"\(color)\"><title>\(escape(name)): \(Int(p.0)) rules, \(BenchReport.mpps(p.1)) Mpps</title></circle>\n"
            }
            let ly = Self.top + 10 + Double(i) * 20
            s += "<line x1=\"\(f(width - right + 20))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 44))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(f(width - right + 50))\" y=\"\(f(ly + 4))\">\(escape(name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 or 10 × 10^k at or above `v`: five grid steps
    /// that stay round numbers, with the highest line at most a third above the top figure.
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

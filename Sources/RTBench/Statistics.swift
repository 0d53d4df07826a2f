import Foundation

/// Order statistics of a sample.
struct Summary: Codable, Equatable, Sendable {
    var count: Int
    var p50: Double
    var p90: Double
    var p95: Double
    var p99: Double
    var max: Double

    /// nil for an empty sample.
    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        count = sorted.count
        p50 = Self.percentile(sorted, 0.50)
        p90 = Self.percentile(sorted, 0.90)
        p95 = Self.percentile(sorted, 0.95)
        p99 = Self.percentile(sorted, 0.99)
        max = sorted[sorted.count - 1]
    }

    /// Linear interpolation between closest ranks (numpy's default).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}

/// Whether two samples differ beyond noise: Mann–Whitney U with the normal approximation
/// (ties averaged), two-sided.
enum MannWhitney {
    static func pValue(_ a: [Double], _ b: [Double]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 1 }
        let all = (a.map { ($0, 0) } + b.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: all.count)
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count, all[j + 1].0 == all[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[k] = rank }
            i = j + 1
        }
        let rankSumA = zip(all, ranks).filter { $0.0.1 == 0 }.reduce(0) { $0 + $1.1 }
        let n1 = Double(a.count), n2 = Double(b.count)
        let u = rankSumA - n1 * (n1 + 1) / 2
        let mean = n1 * n2 / 2
        let sd = (n1 * n2 * (n1 + n2 + 1) / 12).squareRoot()
        guard sd > 0 else { return 1 }
        let z = (abs(u - mean) - 0.5) / sd
        return max(0, min(1, erfc(z / 2.0.squareRoot())))
    }
}

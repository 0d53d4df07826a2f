/// Sizes computed from numbers read out of a model file, which may be anything: each returns
/// nil where plain arithmetic would trap on overflow, so readers can refuse the file instead.
enum CheckedArithmetic {
    /// The product of `factors`, or nil if any is negative or the product overflows.
    static func product<S: Sequence>(_ factors: S) -> Int? where S.Element == Int {
        var total = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = total.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            total = next
        }
        return total
    }

    static func sum(_ a: Int, _ b: Int) -> Int? {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : total
    }
}

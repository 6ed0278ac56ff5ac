// Rows of a table as the trainer consumes them: features and targets in contiguous float32 buffers.

public struct TabularRows: Sendable, Equatable {
    public let featureCount: Int
    public let targetWidth: Int
    /// count x featureCount, row-major.
    public internal(set) var features: [Float]
    /// count x targetWidth, row-major.
    public internal(set) var targets: [Float]

    public init(featureCount: Int, targetWidth: Int, features: [Float], targets: [Float]) {
        precondition(featureCount > 0 && targetWidth > 0)
        precondition(features.count / featureCount == targets.count / targetWidth)
        self.featureCount = featureCount
        self.targetWidth = targetWidth
        self.features = features
        self.targets = targets
    }

    public var count: Int { features.count / featureCount }

    /// The rows in `range`, as a table of their own.
    public func slice(_ range: Range<Int>) -> TabularRows {
        TabularRows(
            featureCount: featureCount, targetWidth: targetWidth,
            features: Array(features[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)]),
            targets: Array(targets[(range.lowerBound * targetWidth)..<(range.upperBound * targetWidth)]))
    }

    /// The rows at `indices`, in that order, as a table of their own.
    public func select(_ indices: [Int32]) -> TabularRows {
        var features = [Float](), targets = [Float]()
        features.reserveCapacity(indices.count * featureCount)
        targets.reserveCapacity(indices.count * targetWidth)
        for index in indices.map(Int.init) {
            features.append(contentsOf: self.features[(index * featureCount)..<((index + 1) * featureCount)])
            targets.append(contentsOf: self.targets[(index * targetWidth)..<((index + 1) * targetWidth)])
        }
        return TabularRows(featureCount: featureCount, targetWidth: targetWidth, features: features, targets: targets)
    }

    /// Copies the rows at `indices` into contiguous batch buffers, without allocating.
    public func gather(
        _ indices: ArraySlice<Int32>, features out: UnsafeMutablePointer<Float>,
        targets targetsOut: UnsafeMutablePointer<Float>
    ) {
        features.withUnsafeBufferPointer { source in
            for (offset, index) in indices.enumerated() {
                (out + offset * featureCount).update(
                    from: source.baseAddress! + Int(index) * featureCount, count: featureCount)
            }
        }
        targets.withUnsafeBufferPointer { source in
            for (offset, index) in indices.enumerated() {
                (targetsOut + offset * targetWidth).update(
                    from: source.baseAddress! + Int(index) * targetWidth, count: targetWidth)
            }
        }
    }
}

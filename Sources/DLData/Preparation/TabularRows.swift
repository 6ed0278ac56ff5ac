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

    /// `count` rows of zeros, to be filled in place by `place`.
    public init(zeroRows count: Int, featureCount: Int, targetWidth: Int) {
        self.init(
            featureCount: featureCount, targetWidth: targetWidth,
            features: [Float](repeating: 0, count: count * featureCount),
            targets: [Float](repeating: 0, count: count * targetWidth))
    }

    /// Writes rows given row-major (`features` and `targets`, one row per place) at rows `places`,
    /// which the caller has checked are below `count`.
    public mutating func place(features rowFeatures: [Float], targets rowTargets: [Float], at places: [UInt32]) {
        precondition(rowFeatures.count == places.count * featureCount && rowTargets.count == places.count * targetWidth)
        let featureCount = featureCount, targetWidth = targetWidth
        features.withUnsafeMutableBufferPointer { features in
            rowFeatures.withUnsafeBufferPointer { source in
                for (row, place) in places.enumerated() {
                    (features.baseAddress! + Int(place) * featureCount).update(
                        from: source.baseAddress! + row * featureCount, count: featureCount)
                }
            }
        }
        targets.withUnsafeMutableBufferPointer { targets in
            rowTargets.withUnsafeBufferPointer { source in
                for (row, place) in places.enumerated() {
                    (targets.baseAddress! + Int(place) * targetWidth).update(
                        from: source.baseAddress! + row * targetWidth, count: targetWidth)
                }
            }
        }
    }

    /// The rows in `range`, as a table of their own.
    public func slice(_ range: Range<Int>) -> TabularRows {
        TabularRows(
            featureCount: featureCount, targetWidth: targetWidth,
            features: Array(features[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)]),
            targets: Array(targets[(range.lowerBound * targetWidth)..<(range.upperBound * targetWidth)]))
    }

    /// Drops the rows from `row` on, in place.
    mutating func removeRows(from row: Int) {
        features.removeSubrange((row * featureCount)...)
        targets.removeSubrange((row * targetWidth)...)
    }

    /// Copies the rows at `indices` into contiguous batch buffers, without allocating. With
    /// `weights`, the table's targets end with each row's sample weight (SampleWeights): the targets
    /// before it go to `targets` (targetWidth - 1 per row) and the weights to `weights`.
    public func gather(
        _ indices: ArraySlice<Int32>, features out: UnsafeMutablePointer<Float>,
        targets targetsOut: UnsafeMutablePointer<Float>, weights weightsOut: UnsafeMutablePointer<Float>? = nil
    ) {
        features.withUnsafeBufferPointer { source in
            for (offset, index) in indices.enumerated() {
                (out + offset * featureCount).update(
                    from: source.baseAddress! + Int(index) * featureCount, count: featureCount)
            }
        }
        targets.withUnsafeBufferPointer { source in
            for (offset, index) in indices.enumerated() {
                copyTargets(of: source.baseAddress! + Int(index) * targetWidth, to: targetsOut, weights: weightsOut, at: offset)
            }
        }
    }

    /// Copies the targets of the rows `range` into contiguous buffers, split as `gather` splits them.
    public func copyTargets(
        rows range: Range<Int>, to targetsOut: UnsafeMutablePointer<Float>, weights weightsOut: UnsafeMutablePointer<Float>? = nil
    ) {
        targets.withUnsafeBufferPointer { source in
            for (offset, row) in range.enumerated() {
                copyTargets(of: source.baseAddress! + row * targetWidth, to: targetsOut, weights: weightsOut, at: offset)
            }
        }
    }

    @inline(__always)
    private func copyTargets(
        of row: UnsafePointer<Float>, to targetsOut: UnsafeMutablePointer<Float>, weights weightsOut: UnsafeMutablePointer<Float>?,
        at offset: Int
    ) {
        guard let weightsOut else {
            (targetsOut + offset * targetWidth).update(from: row, count: targetWidth)
            return
        }
        (targetsOut + offset * (targetWidth - 1)).update(from: row, count: targetWidth - 1)
        weightsOut[offset] = row[targetWidth - 1]
    }
}

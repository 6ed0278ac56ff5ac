// Keras's quantile summary (keras/src/layers/preprocessing/discretization.py: `summarize`,
// `merge_summaries`, `compress_summary`, `get_bin_boundaries`), step for step in the same float32
// and float64 arithmetic, so that float_discretized's bins and --fill median are Keras's numbers.
// Values arrive one at a time in file order and are summarized in batches of 32, as Keras's
// Discretization.adapt sees a dataset batched by 32 (what FeatureSpace.adapt makes of one).
// The summary stays at most ~132 entries whatever the row count.
//
// One deliberate difference: Keras orders the merged entries with numpy's default argsort, which
// is not stable (its order among equal values depends on the CPU's sort kernel), and on columns
// with many equal values that order moves the boundaries. dltrain merges stably (the new batch's
// entries before the summary's among equal values), so its bins never depend on the machine;
// where no two values are equal the results are Keras's exactly.

struct QuantileSummary: Sendable, Equatable {
    /// Keras Discretization's default `epsilon`.
    static let epsilon = 0.01
    /// The batch FeatureSpace.adapt gives the layer.
    static let batchSize = 32

    private(set) var values: [Float] = []
    private(set) var weights: [Float] = []
    private var batch: [Float] = []

    mutating func add(_ value: Float) {
        batch.append(value)
        if batch.count == Self.batchSize { mergeBatch() }
    }

    /// Keras's `update_state` on one batch: `summarize` (every value, weight 1, for a batch of at
    /// most 100 values), then `merge_summaries(batch, summary)`.
    private mutating func mergeBatch() {
        guard !batch.isEmpty else { return }
        batch.sort()
        var mergedValues: [Float] = []
        var mergedWeights: [Float] = []
        mergedValues.reserveCapacity(batch.count + values.count)
        mergedWeights.reserveCapacity(batch.count + values.count)
        var b = 0
        var s = 0
        while b < batch.count || s < values.count {
            if s == values.count || (b < batch.count && batch[b] <= values[s]) {
                mergedValues.append(batch[b])
                mergedWeights.append(1)
                b += 1
            } else {
                mergedValues.append(values[s])
                mergedWeights.append(weights[s])
                s += 1
            }
        }
        batch.removeAll(keepingCapacity: true)
        (values, weights) = Self.compress(mergedValues, mergedWeights, epsilon: Self.epsilon)
    }

    /// Keras's `get_bin_boundaries(summary, num_bins)`: at most `bins - 1` boundaries, fewer when
    /// the summary holds fewer than `bins` entries (then its values but the last).
    func boundaries(bins: Int) -> [Float] {
        var summary = self
        summary.mergeBatch()
        let compressed = Self.compress(summary.values, summary.weights, epsilon: 1.0 / Double(bins))
        return Array(compressed.values.dropLast())
    }

    /// The median of the summary: its 50 % point (`compress_summary(summary, 0.5)`'s first value);
    /// nil when nothing was added.
    var median: Float? {
        var summary = self
        summary.mergeBatch()
        guard !summary.values.isEmpty else { return nil }
        return Self.compress(summary.values, summary.weights, epsilon: 0.5).values[0]
    }

    /// Keras's `compress_summary`: the values and weights at the cumulative-weight fractions
    /// epsilon, 2·epsilon, …, by linear interpolation.
    static func compress(_ values: [Float], _ weights: [Float], epsilon: Double) -> (values: [Float], weights: [Float]) {
        guard !values.isEmpty, Double(values.count) * epsilon >= 1 else { return (values, weights) }
        // np.arange(0.0, 1.0, epsilon): ceil(1 / epsilon) points i·epsilon; the percents add epsilon.
        let count = Int((1.0 / epsilon).rounded(.up))
        var cumulative = [Float](repeating: 0, count: weights.count)
        var sum: Float = 0
        for i in weights.indices {
            sum += weights[i]
            cumulative[i] = sum
        }
        let fractions = cumulative.map { Double($0 / sum) }
        let cumulativeDoubles = cumulative.map(Double.init)
        let valueDoubles = values.map(Double.init)
        var newValues = [Float](repeating: 0, count: count)
        var newWeights = [Float](repeating: 0, count: count)
        var previous = 0.0
        for i in 0..<count {
            let percent = epsilon + Double(i) * epsilon
            newValues[i] = Float(interpolate(percent, fractions, valueDoubles))
            let weight = interpolate(percent, fractions, cumulativeDoubles)
            newWeights[i] = Float(weight - previous)
            previous = weight
        }
        return (newValues, newWeights)
    }

    /// numpy's `interp(x, xp, fp)` for increasing `xp` (equal neighbours allowed), as
    /// numpy/_core/src/multiarray/compiled_base.c computes it.
    static func interpolate(_ x: Double, _ xp: [Double], _ fp: [Double]) -> Double {
        let last = xp.count - 1
        if x > xp[last] { return fp[last] }
        if x < xp[0] { return fp[0] }
        // The last j with xp[j] <= x.
        var low = 0
        var high = xp.count
        while low < high {
            let middle = low + (high - low) / 2
            if x >= xp[middle] { low = middle + 1 } else { high = middle }
        }
        let j = low - 1
        if j == last || xp[j] == x { return fp[j] }
        let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        return slope * (x - xp[j]) + fp[j]
    }
}

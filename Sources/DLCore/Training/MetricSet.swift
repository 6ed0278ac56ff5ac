// Training metrics as Keras computes them, kept as exact sums that can be added across shards.
//
// A metric's value over an epoch is a ratio of sums (correct predictions over rows, summed absolute
// error over rows, AUC from confusion counts), so each shard reports sums and the epoch value is
// computed once from their total: no average of averages, and the same number however the rows
// were split. The sums live in one flat Double buffer: slot 0 the loss sum, slot 1 the row count,
// then each metric's slots.

/// A metric as `compile(metrics=[...])` names it, resolved for the model's output layer and loss.
public enum Metric: Sendable, Equatable {
    /// One sigmoid-style output per target: correct when `output > 0.5` equals the target.
    case binaryAccuracy
    /// One-hot targets: correct when the largest output is at the target's largest entry.
    case categoricalAccuracy
    /// Class-index targets: correct when the largest output is at the target index.
    case sparseCategoricalAccuracy
    case meanAbsoluteError
    case meanSquaredError
    /// Area under the ROC curve from 200 thresholds with trapezoidal interpolation (Keras's `AUC()`).
    case auc

    public static let names = ["accuracy", "acc", "mae", "mean_absolute_error", "mse", "mean_squared_error", "auc"]

    /// Resolves a name the way Keras does: "accuracy" becomes binary for one output or a binary
    /// cross-entropy loss, sparse for class-index targets, categorical otherwise.
    public init(name: String, loss: Loss, outputs: Int) throws(ModelSpecError) {
        switch name.lowercased() {
        case "accuracy", "acc":
            if loss == .binaryCrossentropy || outputs == 1 {
                self = .binaryAccuracy
            } else if loss == .sparseCategoricalCrossentropy {
                self = .sparseCategoricalAccuracy
            } else {
                self = .categoricalAccuracy
            }
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        case "mse", "mean_squared_error": self = .meanSquaredError
        case "auc":
            guard loss != .sparseCategoricalCrossentropy, loss != .categoricalCrossentropy else {
                throw .metricDoesNotFitOutput(
                    metric: name, outputs: outputs, reason: "AUC is computed for binary (0/1) targets")
            }
            self = .auc
        default:
            throw .unknownMetric(name, known: Self.names)
        }
        if self == .meanAbsoluteError || self == .meanSquaredError, loss == .sparseCategoricalCrossentropy {
            throw .metricDoesNotFitOutput(
                metric: name, outputs: outputs, reason: "the targets are class indices, not one value per output")
        }
    }

    /// The name Keras's `History` uses for it.
    public var historyName: String {
        switch self {
        case .binaryAccuracy, .categoricalAccuracy, .sparseCategoricalAccuracy: "accuracy"
        case .meanAbsoluteError: "mae"
        case .meanSquaredError: "mse"
        case .auc: "auc"
        }
    }

    static let aucThresholdCount = 200

    var slotCount: Int { self == .auc ? 2 * (Self.aucThresholdCount + 1) : 1 }
}

/// The loss and metrics of a model, and the layout of their sums.
public struct MetricSet: Sendable, Equatable {
    public let metrics: [Metric]
    private let offsets: [Int]
    /// The length of a sums buffer: loss sum, row count, then the metrics' slots.
    public let slotCount: Int

    static let lossSlot = 0
    static let rowSlot = 1

    public init(_ metrics: [Metric]) {
        var offsets: [Int] = []
        var next = 2
        for metric in metrics {
            offsets.append(next)
            next += metric.slotCount
        }
        self.metrics = metrics
        self.offsets = offsets
        slotCount = next
    }

    /// A zeroed sums buffer.
    public func makeSums() -> [Double] { [Double](repeating: 0, count: slotCount) }

    /// Adds one batch: its loss sum (from `Loss.evaluate`, weighted when the rows are) and its
    /// outputs A and targets Y. The metrics are not weighted: Keras weighs only `weighted_metrics`
    /// by the sample (or class) weights, never those `compile(metrics=...)` names, and the loss
    /// divides by the rows (`sum_over_batch_size`), so no sum of the weights is needed.
    public func accumulate(
        lossSum: Double, a: UnsafePointer<Float>, y: UnsafePointer<Float>, rows: Int, width: Int,
        targetWidth: Int, into sums: UnsafeMutablePointer<Double>
    ) {
        sums[Self.lossSlot] += lossSum
        sums[Self.rowSlot] += Double(rows)
        for (metric, offset) in zip(metrics, offsets) {
            let slots = sums + offset
            for row in 0..<rows {
                let a = a + row * width, y = y + row * targetWidth
                switch metric {
                case .binaryAccuracy:
                    var correct = 0
                    for j in 0..<width where (a[j] > 0.5 ? 1 : 0) == y[j] { correct += 1 }
                    slots[0] += Double(correct) / Double(width)
                case .categoricalAccuracy:
                    if Self.argmax(a, width) == Self.argmax(y, width) { slots[0] += 1 }
                case .sparseCategoricalAccuracy:
                    if Float(Self.argmax(a, width)) == y[0] { slots[0] += 1 }
                case .meanAbsoluteError, .meanSquaredError:
                    var sum: Float = 0
                    for j in 0..<width {
                        let d = a[j] - y[j]
                        sum += metric == .meanAbsoluteError ? abs(d) : d * d
                    }
                    slots[0] += Double(sum / Float(width))
                case .auc:
                    // Histogram of how many thresholds each prediction exceeds, per true class;
                    // the confusion counts at every threshold are its suffix sums.
                    for j in 0..<width {
                        let bucket = Self.thresholdsBelow(a[j])
                        slots[(y[j] != 0 ? 0 : Metric.aucThresholdCount + 1) + bucket] += 1
                    }
                }
            }
        }
    }

    /// The epoch values: `loss` first, then each metric under its History name.
    public func results(_ sums: [Double]) -> [(name: String, value: Double)] {
        let rows = max(sums[Self.rowSlot], 1)
        var results = [(name: "loss", value: sums[Self.lossSlot] / rows)]
        for (metric, offset) in zip(metrics, offsets) {
            let value = metric == .auc ? Self.auc(Array(sums[offset..<(offset + metric.slotCount)])) : sums[offset] / rows
            results.append((metric.historyName, value))
        }
        return results
    }

    /// Keras's thresholds: just below 0, i/199 for i in 1...198, just above 1.
    private static let aucThresholds: [Float] = {
        let n = Metric.aucThresholdCount
        var thresholds: [Float] = [-1e-7]
        for i in 1..<(n - 1) { thresholds.append(Float(Double(i) / Double(n - 1))) }
        thresholds.append(1 + 1e-7)
        return thresholds
    }()

    /// How many thresholds lie strictly below `p` (a prediction counts as positive when p > threshold).
    private static func thresholdsBelow(_ p: Float) -> Int {
        var low = 0, high = aucThresholds.count
        while low < high {
            let mid = (low + high) / 2
            if aucThresholds[mid] < p { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private static func auc(_ histogram: [Double]) -> Double {
        let n = Metric.aucThresholdCount
        let positives = histogram[0...n], negatives = histogram[(n + 1)...]
        let totalPositives = positives.reduce(0, +), totalNegatives = negatives.reduce(0, +)
        // Rows above threshold i are those in buckets i+1 and up.
        var truePositives = [Double](repeating: 0, count: n)
        var falsePositives = [Double](repeating: 0, count: n)
        var tp = 0.0, fp = 0.0
        for i in stride(from: n - 1, through: 0, by: -1) {
            tp += positives[positives.startIndex + i + 1]
            fp += negatives[negatives.startIndex + i + 1]
            truePositives[i] = tp
            falsePositives[i] = fp
        }
        func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
        var area = 0.0
        for i in 0..<(n - 1) {
            let x0 = ratio(falsePositives[i], totalNegatives), x1 = ratio(falsePositives[i + 1], totalNegatives)
            let y0 = ratio(truePositives[i], totalPositives), y1 = ratio(truePositives[i + 1], totalPositives)
            area += (x0 - x1) * (y0 + y1) / 2
        }
        return area
    }

    private static func argmax(_ values: UnsafePointer<Float>, _ count: Int) -> Int {
        var best = 0
        for j in 1..<count where values[j] > values[best] { best = j }
        return best
    }
}

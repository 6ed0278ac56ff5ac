// Keras's `fit(class_weight=...)`: a weight per class of the label, which each training row's loss
// is multiplied by (data_adapter_utils.class_weight_to_sample_weights). A row's class is its target
// rounded for one target (a 0/1 label, or a class index), or the largest entry of a one-hot row;
// a class without a weight weighs 1, as Keras's `class_weight.get(class, 1.0)`.
//
// `balanced` is scikit-learn's compute_class_weight("balanced", classes=np.unique(y_train), y_train),
// which Keras users pass: rows / (classes x rows of the class), over the TRAINING rows, with the
// classes those rows hold; computed in Double and used as float32, as Keras converts it.
//
// `CLASS:W,...` names classes as the model file lists them: a text label's class names (or their
// 0-based indices), a numeric label's values. Validation rows are never class-weighted (Keras
// applies class_weight to the training data only).

import DLCore
import DLData

public struct ClassWeights: Sendable, Equatable {
    /// The weight of each class, by class index; classes past the end weigh 1.
    public let weights: [Float]

    public init(weights: [Float]) {
        self.weights = weights
    }

    /// What `--class-weight` says, before the rows are seen.
    enum Request: Equatable {
        case balanced
        /// (class as written, weight) in the order written.
        case given([(name: String, weight: Float)])

        static func == (lhs: Request, rhs: Request) -> Bool {
            switch (lhs, rhs) {
            case (.balanced, .balanced): true
            case let (.given(a), .given(b)): a.map(\.name) == b.map(\.name) && a.map(\.weight) == b.map(\.weight)
            default: false
            }
        }
    }

    static let key = "class_weight"

    /// Parses `balanced` or `CLASS:W,...` (W a finite number >= 0).
    static func parse(_ text: String) throws(JobError) -> Request {
        let trimmed = Substring(text).trimmingCharacters(in: " \t")
        if trimmed.lowercased() == "balanced" { return .balanced }
        var given: [(name: String, weight: Float)] = []
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            guard let colon = item.lastIndex(of: ":") else {
                throw .badSetting(Self.key, text, "write balanced, or CLASS:WEIGHT pairs such as 0:1,1:5.5 (\"\(item)\" has no colon)")
            }
            let name = item[..<colon].trimmingCharacters(in: " \t")
            let value = item[item.index(after: colon)...].trimmingCharacters(in: " \t")
            guard !name.isEmpty else { throw .badSetting(Self.key, text, "\"\(item)\" names no class") }
            guard let weight = Float(value), weight.isFinite, weight >= 0 else {
                throw .badSetting(Self.key, text, "the weight of class \(name), \"\(value)\", must be a finite number, 0 or more")
            }
            guard !given.contains(where: { $0.name == name }) else {
                throw .badSetting(Self.key, text, "class \(name) is given twice")
            }
            given.append((name, weight))
        }
        return .given(given)
    }

    /// The class index of one row's targets (`width` values), as Keras finds it: the largest entry of
    /// a one-hot row, else the value rounded; nil when that is no class (not a whole number >= 0 below
    /// `limit`), which only a label of quantities has.
    public static func classIndex(of targets: UnsafePointer<Float>, width: Int, limit: Int = .max) -> Int? {
        if width > 1 {
            var best = 0
            for j in 1..<width where targets[j] > targets[best] { best = j }
            return best
        }
        let value = targets[0]
        guard value.isFinite, value >= 0, value < Float(min(limit, 1 << 24)), value.rounded() == value else { return nil }
        return Int(value)
    }

    /// The weight of the row whose targets are at `targets`.
    @inline(__always)
    public func weight(of targets: UnsafePointer<Float>, width: Int) -> Float {
        guard let index = Self.classIndex(of: targets, width: width), index < weights.count else { return 1 }
        return weights[index]
    }
}

extension ClassWeights {
    /// Resolves `text` for a label encoded as `labels`, whose training rows' classes are counted in
    /// `counts` (by class index; from `count(targets:width:)`). Throws, under the job-file key, for a
    /// class the label does not have (naming those it has) and for a label that is no classes.
    static func resolve(_ text: String, labels: LabelEncoding, counts: [Int]?) throws(JobError) -> ClassWeights {
        let request = try parse(text)
        guard let counts else {
            throw .badSetting(
                key, text,
                "class weights need a label of classes (text classes, 0/1, or class indices); the label "
                    + "\(labels.columns.joined(separator: ", ")) holds quantities: weigh rows with --sample-weight-column instead")
        }
        switch request {
        case .balanced:
            let present = counts.filter { $0 > 0 }
            let rows = Double(present.reduce(0, +)), classes = Double(present.count)
            return ClassWeights(weights: counts.map { $0 > 0 ? Float(rows / (classes * Double($0))) : 1 })
        case let .given(pairs):
            let names = labels.classes ?? counts.indices.filter { counts[$0] > 0 }.map(String.init)
            var weights = [Float](repeating: 1, count: counts.count)
            for (name, weight) in pairs {
                let index = labels.classes?.firstIndex(of: name)
                    ?? Int(name).flatMap { counts.indices.contains($0) && (labels.classes != nil || counts[$0] > 0) ? $0 : nil }
                guard let index else {
                    // A near name helps for text classes; for numbers it would only name another class.
                    let meant = labels.classes.flatMap { EditDistance.nearest(to: name, among: $0) }.map { "; did you mean \($0)?" } ?? ""
                    throw .badSetting(
                        key, text,
                        "the label \(labels.columns.joined(separator: ", ")) has no class \(name): its classes are "
                            + "\(names.joined(separator: ", "))\(meant)")
                }
                weights[index] = weight
            }
            return ClassWeights(weights: weights)
        }
    }

    /// The rows of each class among `targets` (rows of `width` values), by class index, up to the
    /// largest present (and at least `classes`); nil when a row holds no class below `limit` (a label
    /// of quantities).
    static func count(targets: UnsafeBufferPointer<Float>, width: Int, classes: Int, limit: Int) -> [Int]? {
        var counts = [Int](repeating: 0, count: classes)
        guard let base = targets.baseAddress else { return counts }
        for row in 0..<(targets.count / width) {
            guard let index = classIndex(of: base + row * width, width: width, limit: limit) else { return nil }
            if index >= counts.count { counts += [Int](repeating: 0, count: index + 1 - counts.count) }
            counts[index] += 1
        }
        return counts
    }
}

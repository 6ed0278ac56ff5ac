// The job file's keys for the rest of Keras's `fit` (regularizers, initializers, class and sample
// weights, learning-rate schedules, ReduceLROnPlateau), read and written. Each is kept in the text
// form its dlcoord flag takes (`l2:0.001`, `cosine_decay:decay_steps=1000`, `factor=0.5,patience=3`),
// so a flag and a job file mean the same thing and are checked by the same parser; a job file may
// also write `class_weight` and `reduce_lr_on_plateau` as JSON objects, which become that text.
// A key that is absent is left out when written, so a job that uses none of them is written as
// before they existed.

public struct FitSettings: Sendable, Equatable {
    /// `l1:V`, `l2:V` or `l1_l2:l1=V,l2=V`, for every Dense layer without its own (Keras's `kernel_regularizer`).
    public var kernelRegularizer: String?
    /// The same for the biases (Keras's `bias_regularizer`).
    public var biasRegularizer: String?
    /// A Keras initializer name for every Dense layer's kernel without its own (default glorot_uniform).
    public var kernelInitializer: String?
    /// The same for the biases (default zeros).
    public var biasInitializer: String?
    /// `balanced`, or `CLASS:W,...` (Keras's `fit(class_weight=...)`).
    public var classWeight: String?
    /// The column whose numbers weight each row's loss (Keras's `fit(sample_weight=...)`).
    public var sampleWeightColumn: String?
    /// `NAME:ARG=VALUE,...`, a Keras LearningRateSchedule in snake_case.
    public var lrSchedule: String?
    /// `ARG=VALUE,...` of Keras's ReduceLROnPlateau (`defaults` for all of Keras's defaults).
    public var reduceLROnPlateau: String?

    public init() {}

    typealias Keys = JobSettings.CodingKeys

    init(jobFile c: KeyedDecodingContainer<Keys>) throws {
        kernelRegularizer = try c.decodeIfPresent(String.self, forKey: .kernelRegularizer)
        biasRegularizer = try c.decodeIfPresent(String.self, forKey: .biasRegularizer)
        kernelInitializer = try c.decodeIfPresent(String.self, forKey: .kernelInitializer)
        biasInitializer = try c.decodeIfPresent(String.self, forKey: .biasInitializer)
        classWeight = try Self.textOrObject(c, .classWeight, separator: ":")
        sampleWeightColumn = try c.decodeIfPresent(String.self, forKey: .sampleWeightColumn)
        lrSchedule = try c.decodeIfPresent(String.self, forKey: .lrSchedule)
        reduceLROnPlateau = try Self.textOrObject(c, .reduceLROnPlateau, separator: "=")
    }

    func encode(jobFile c: inout KeyedEncodingContainer<Keys>) throws {
        try c.encodeIfPresent(kernelRegularizer, forKey: .kernelRegularizer)
        try c.encodeIfPresent(biasRegularizer, forKey: .biasRegularizer)
        try c.encodeIfPresent(kernelInitializer, forKey: .kernelInitializer)
        try c.encodeIfPresent(biasInitializer, forKey: .biasInitializer)
        try c.encodeIfPresent(classWeight, forKey: .classWeight)
        try c.encodeIfPresent(sampleWeightColumn, forKey: .sampleWeightColumn)
        try c.encodeIfPresent(lrSchedule, forKey: .lrSchedule)
        try c.encodeIfPresent(reduceLROnPlateau, forKey: .reduceLROnPlateau)
    }

    /// A key written as the flag's text, or as a JSON object of numbers and words
    /// (`{"0": 1, "1": 5.5}`, `{"monitor": "loss", "factor": 0.5}`), which becomes
    /// `KEY<separator>VALUE,...` in key order.
    private static func textOrObject(_ c: KeyedDecodingContainer<Keys>, _ key: Keys, separator: String) throws -> String? {
        guard c.contains(key) else { return nil }
        if let text = try? c.decode(String.self, forKey: key) { return text }
        let object = try c.number([String: ObjectValue].self, key) ?? [:]
        return object.sorted { $0.key < $1.key }.map { "\($0.key)\(separator)\($0.value.text)" }.joined(separator: ",")
    }

    /// A value of such an object: a number, written as a person writes it, or a word as it is.
    private enum ObjectValue: Decodable {
        case number(Double), word(String)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let word = try? container.decode(String.self) { self = .word(word) } else { self = .number(try container.decode(Double.self)) }
        }

        var text: String {
            switch self {
            case let .number(value): FitSettings.number(value)
            case let .word(word): word
            }
        }
    }

    /// A number as a person writes it: 5 rather than 5.0.
    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

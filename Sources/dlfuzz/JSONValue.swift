// A JSON document as a tree the structure-aware mutator can change one node of: the header of a
// safetensors file, each of dltrain's metadata values (themselves JSON text), a job file. Decoded
// and encoded with Foundation's JSONDecoder and JSONEncoder, whose strict types (a Bool is not a
// number) keep the kinds of the nodes apart.

import DLCore
import Foundation

indirect enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .integer(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    /// The document in `bytes`, or nil when they are no JSON.
    static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The document as JSON text: keys sorted, slashes as they are; nil if a number is not finite
    /// (the mutator writes those as dltrain does, as the strings "nan" and "inf").
    var text: [UInt8]? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map(Array.init)
    }

    // MARK: Mutation

    /// Numbers that find the edges: signs, zero, the bounds dltrain checks against and just past
    /// them, powers of two whose products overflow, and the dimensions of the reported crashes.
    static let edgeIntegers: [Int] = [
        0, 1, -1, 2, -5, 3, 17, 255, 256, 20_000, 30_000, 65_535, 1 << 20, (1 << 20) + 1, 1 << 30, 1 << 31, (1 << 31) - 1,
        1 << 32, 1 << 50, 1 << 53, Int.max, Int.min, -(1 << 31),
    ]
    static let edgeNumbers: [Double] = [0.5, -0.5, 1e-45, 1e-7, 3.4e38, 1e308, -1e308, 0.999, 1.0000001]
    /// Strings dltrain's files hold: the non-finite numbers as its metadata writes them, names of
    /// activations, losses, optimizers, metrics, label kinds, and a few odd ones.
    static let vocabulary: [String] = [
        "nan", "inf", "-inf", "", "auto", "relu", "sigmoid", "softmax", "linear", "tanh", "leaky_relu", "elu",
        "mean_squared_error", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
        "adam", "sgd", "rmsprop", "adagrad", "accuracy", "auc", "mae", "mse", "val_loss", "loss", "values", "class_index",
        "one_hot", "F32", "F16", "I64", "30:relu,1:sigmoid", "1:softmax", "yes", "no", "x1", "dense/kernel", "best/dense/kernel",
        "glorot_uniform", "zeros",
    ]

    /// Every node's path from the root (indices and keys), the root first.
    var paths: [[PathStep]] {
        var found: [[PathStep]] = [[]]
        switch self {
        case let .array(items):
            for (index, item) in items.enumerated() { found += item.paths.map { [.index(index)] + $0 } }
        case let .object(fields):
            for key in fields.keys.sorted() { found += (fields[key] ?? .null).paths.map { [.key(key)] + $0 } }
        default:
            break
        }
        return found
    }

    enum PathStep: Equatable {
        case index(Int)
        case key(String)
    }

    /// The node at `path` replaced by `transform` of it.
    func replacing(_ path: ArraySlice<PathStep>, with transform: (JSONValue) -> JSONValue) -> JSONValue {
        guard let step = path.first else { return transform(self) }
        switch (self, step) {
        case let (.array(items), .index(index)) where items.indices.contains(index):
            var items = items
            items[index] = items[index].replacing(path.dropFirst(), with: transform)
            return .array(items)
        case let (.object(fields), .key(key)):
            var fields = fields
            fields[key] = (fields[key] ?? .null).replacing(path.dropFirst(), with: transform)
            return .object(fields)
        default:
            return self
        }
    }

    /// One node, chosen by `random`, changed the way a hand that edits the file might: a number
    /// to an edge or a neighbour, a string to another name, an array shortened or lengthened, a
    /// key removed, a value of another kind.
    func mutated(using random: inout SeededGenerator) -> JSONValue {
        let all = paths
        let path = all[Int.random(in: 0..<all.count, using: &random)]
        return replacing(path[...]) { $0.changed(using: &random) }
    }

    private func changed(using random: inout SeededGenerator) -> JSONValue {
        let choice = Int.random(in: 0..<10, using: &random)
        let edge = JSONValue.integer(Self.edgeIntegers.randomElement(using: &random) ?? 0)
        let word = JSONValue.string(Self.vocabulary.randomElement(using: &random) ?? "")
        switch self {
        case let .integer(value):
            switch choice {
            case 0..<4: return edge
            case 4: return .integer(value.addingReportingOverflow(1).partialValue)
            case 5: return .integer(value.subtractingReportingOverflow(1).partialValue)
            case 6: return .integer(value.multipliedReportingOverflow(by: -1).partialValue)
            case 7: return .integer(value.multipliedReportingOverflow(by: 1000).partialValue)
            case 8: return .number(Self.edgeNumbers.randomElement(using: &random) ?? 0)
            default: return [word, .null, .bool(true)].randomElement(using: &random) ?? word
            }
        case let .number(value):
            switch choice {
            case 0..<3: return .number(Self.edgeNumbers.randomElement(using: &random) ?? 0)
            case 3..<5: return .string(["nan", "inf", "-inf"].randomElement(using: &random) ?? "nan")
            case 5: return .number(-value)
            case 6: return .number(0)
            case 7: return .number(value * 1e30)
            case 8: return edge
            default: return [word, .null].randomElement(using: &random) ?? word
            }
        case let .string(value):
            switch choice {
            case 0..<5: return word
            case 5: return .string(String(value.prefix(value.count / 2)))
            case 6: return .string(value + value)
            case 7: return edge
            case 8: return .number(Self.edgeNumbers.randomElement(using: &random) ?? 0)
            default: return .null
            }
        case let .bool(value):
            return choice < 6 ? .bool(!value) : choice < 8 ? .integer(2) : .null
        case .null:
            return choice < 5 ? edge : word
        case let .array(items):
            guard !items.isEmpty else { return choice < 5 ? .array([edge]) : .null }
            let index = Int.random(in: 0..<items.count, using: &random)
            var changed = items
            switch choice {
            case 0..<3: changed.remove(at: index)
            case 3..<5: changed.insert(items[index], at: index)
            case 5: changed += items
            case 6: changed = []
            case 7: changed = [items[index]]
            case 8: changed.reverse()
            default: return .object([:])
            }
            return .array(changed)
        case let .object(fields):
            var changed = fields
            let key = fields.keys.sorted().randomElement(using: &random)
            switch choice {
            case 0..<4: if let key { changed.removeValue(forKey: key) }
            case 4..<6: changed[Self.vocabulary.randomElement(using: &random) ?? ""] = edge
            case 6: if let key, let other = fields.keys.sorted().randomElement(using: &random) { changed[other] = fields[key] }
            case 7: changed = [:]
            default: return .array(fields.keys.sorted().compactMap { fields[$0] })
            }
            return .object(changed)
        }
    }
}

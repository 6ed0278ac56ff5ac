// The front of an ONNX export of a preprocessed model: one named input per source column ([N, 1]:
// float32 for the numeric kinds, NaN where a cell is missing; int64 for integer_categorical;
// strings for string_categorical) turned into the model's inputs exactly as
// `Preprocessing.expand` turns the columns' codes into them:
//   fill        IsNaN and Where put the fill in a missing number;
//   normalized  Sub the mean, Div by max(sqrt(variance), 1e-7) (Keras's Normalization);
//   rescaled    Mul by the scale, Add the offset (Keras's Rescaling);
//   discretized the number of boundaries at or below the value: GreaterOrEqual, Cast, ReduceSum
//               (Keras's Discretization);
//   categorical ai.onnx.ml LabelEncoder from the vocabulary to its index, anything else (a missing
//               cell's text, an unseen value) to the out-of-vocabulary index 0 (with several OOV
//               indices, an integer goes to its value modulo their count: Mod, as IntegerLookup);
//   crosses     Keras's HashedCrossing buckets of every combination of the crossed columns'
//               indices, computed at export into a table that Gather reads;
//   one_hot     Equal against 0..<K, Cast to float32; int: Cast of the index;
//   indicator   Cast of IsNaN,
// then one Concat in Keras FeatureSpace's order (ExpansionOrder). Hashed kinds and string lookups
// with several out-of-vocabulary indices need FarmHash, which no ONNX operator computes: refused.

import DLPreprocessing
import ONNXFormat

extension ONNXExport {
    /// The ai.onnx.ml opset the lookups use (LabelEncoder, unchanged in it from 2 to 3).
    static let mlOpsetVersion: Int64 = 2
    static let mlDomain = "ai.onnx.ml"
    /// The most entries a cross's table of buckets may have (8 bytes each).
    public static let largestCrossTable = 1 << 21

    struct Front {
        var inputs: [Onnx_ValueInfoProto] = []
        var initializers: [Onnx_TensorProto] = []
        var nodes: [Onnx_NodeProto] = []
        /// The name of the model's inputs, rows x `Preprocessing.outputWidth`.
        var output = ""
    }

    /// The preprocessing's inputs, nodes and constants, or the first feature ONNX cannot compute.
    static func front(_ preprocessing: Preprocessing) throws(ExportError) -> Front {
        var front = Front()
        let columns = preprocessing.columns
        // Each column's index (lookups, bins), built once: its encoding and the crosses read it.
        var indices: [Int: String] = [:]
        var parts: [String] = []
        for column in columns {
            switch column.type.kind {
            case .float, .floatNormalized, .floatRescaled, .floatDiscretized:
                front.inputs.append(tensorInfo(column.name, width: 1, element: .float))
            case .integerCategorical, .integerHashed:
                front.inputs.append(tensorInfo(column.name, width: 1, element: .int64))
            case .stringCategorical, .stringHashed:
                front.inputs.append(tensorInfo(column.name, width: 1, element: .string))
            }
            if column.type.kind == .integerHashed || column.type.kind == .stringHashed {
                throw .onnxCannotHash(feature: "the column \(column.name)", why: "\(column.type.kind.rawValue) buckets its values")
            }
            if column.type.kind == .stringCategorical, column.type.oovIndexCount > 1 {
                throw .onnxCannotHash(
                    feature: "the column \(column.name)",
                    why: "num_oov_indices=\(column.type.oovIndexCount) spreads strings outside the vocabulary over its indices")
            }
        }
        for (position, column) in columns.enumerated() {
            let prefix = "preprocessing/\(position)"
            var value = column.name
            if column.type.kind.isNumeric, let fill = column.fill {
                front.initializers.append(tensor("\(prefix)/fill", shape: [1], values: [fill]))
                front.nodes += [
                    node("IsNaN", inputs: [column.name], output: "\(prefix)/missing"),
                    node("Where", inputs: ["\(prefix)/missing", "\(prefix)/fill", column.name], output: "\(prefix)/filled"),
                ]
                value = "\(prefix)/filled"
            }
            switch column.type.kind {
            case .float:
                parts.append(value)
            case .floatNormalized:
                let variance = column.variance ?? 1
                // Keras's Normalization: (x - mean) / max(sqrt(variance), epsilon), in float32.
                let divisor = max(variance.squareRoot(), Float(1e-7))
                front.initializers += [
                    tensor("\(prefix)/mean", shape: [1], values: [column.mean ?? 0]),
                    tensor("\(prefix)/divisor", shape: [1], values: [divisor]),
                ]
                front.nodes += [
                    node("Sub", inputs: [value, "\(prefix)/mean"], output: "\(prefix)/centered"),
                    node("Div", inputs: ["\(prefix)/centered", "\(prefix)/divisor"], output: "\(prefix)/normalized"),
                ]
                parts.append("\(prefix)/normalized")
            case .floatRescaled:
                front.initializers += [
                    tensor("\(prefix)/scale", shape: [1], values: [Float(column.type.scale ?? 1)]),
                    tensor("\(prefix)/offset", shape: [1], values: [Float(column.type.offset ?? 0)]),
                ]
                front.nodes += [
                    node("Mul", inputs: [value, "\(prefix)/scale"], output: "\(prefix)/scaled"),
                    node("Add", inputs: ["\(prefix)/scaled", "\(prefix)/offset"], output: "\(prefix)/rescaled"),
                ]
                parts.append("\(prefix)/rescaled")
            case .floatDiscretized:
                let boundaries = column.boundaries ?? []
                front.initializers += [
                    tensor("\(prefix)/boundaries", shape: [1, boundaries.count], values: boundaries),
                    tensor("\(prefix)/axes", shape: [1], values: [Int64(1)]),
                ]
                front.nodes += [
                    node("GreaterOrEqual", inputs: [value, "\(prefix)/boundaries"], output: "\(prefix)/above"),
                    node("Cast", inputs: ["\(prefix)/above"], output: "\(prefix)/counted", attributes: [intAttribute("to", 7)]),
                    node(
                        "ReduceSum", inputs: ["\(prefix)/counted", "\(prefix)/axes"], output: "\(prefix)/index",
                        attributes: [intAttribute("keepdims", 1)]),
                ]
                indices[position] = "\(prefix)/index"
            case .integerCategorical, .stringCategorical:
                var attributes = [
                    intsAttribute("values_int64s", (0..<Int64(column.indexCount ?? 0)).dropFirst(column.type.oovIndexCount).map { $0 }),
                    intAttribute("default_int64", column.singleOOVIndex),
                ]
                if column.type.kind == .stringCategorical {
                    attributes.append(stringsAttribute("keys_strings", column.vocabulary ?? []))
                } else {
                    attributes.append(intsAttribute("keys_int64s", column.integerVocabulary ?? []))
                }
                if column.type.oovIndexCount > 1 {
                    // IntegerLookup's several OOV indices: the value modulo their count, never
                    // negative (ONNX's integer Mod takes the divisor's sign), where the vocabulary
                    // has no index (-1).
                    attributes[1] = intAttribute("default_int64", -1)
                    front.initializers += [
                        tensor("\(prefix)/oov_count", shape: [1], values: [Int64(column.type.oovIndexCount)]),
                        tensor("\(prefix)/zero", shape: [1], values: [Int64(0)]),
                    ]
                    front.nodes += [
                        node("LabelEncoder", inputs: [column.name], output: "\(prefix)/known", domain: mlDomain, attributes: attributes),
                        node("Less", inputs: ["\(prefix)/known", "\(prefix)/zero"], output: "\(prefix)/unknown"),
                        node("Mod", inputs: [column.name, "\(prefix)/oov_count"], output: "\(prefix)/oov"),
                        node("Where", inputs: ["\(prefix)/unknown", "\(prefix)/oov", "\(prefix)/known"], output: "\(prefix)/index"),
                    ]
                } else {
                    front.nodes.append(node("LabelEncoder", inputs: [column.name], output: "\(prefix)/index", domain: mlDomain, attributes: attributes))
                }
                indices[position] = "\(prefix)/index"
            case .integerHashed, .stringHashed:
                break  // refused above
            }
            if let index = indices[position] {
                parts.append(encoded(index, count: column.indexCount ?? 0, mode: column.type.mode, prefix: prefix, into: &front))
            }
        }
        var crossParts: [String] = []
        for (position, fitted) in preprocessing.crosses.enumerated() {
            crossParts.append(try cross(fitted, position: position, columns: columns, indices: indices, into: &front))
        }
        var ordered: [String] = []
        for part in ExpansionPart.order(preprocessing) {
            switch part {
            case let .column(position):
                ordered.append(parts[position])
            case let .cross(position):
                ordered.append(crossParts[position])
            case let .indicator(position):
                // A column with an indicator has a fill, whose IsNaN this reads.
                let prefix = "preprocessing/\(position)"
                if !front.nodes.contains(where: { $0.output == ["\(prefix)/missing"] }) {
                    front.nodes.append(node("IsNaN", inputs: [columns[position].name], output: "\(prefix)/missing"))
                }
                front.nodes.append(node("Cast", inputs: ["\(prefix)/missing"], output: "\(prefix)/indicator", attributes: [intAttribute("to", 1)]))
                ordered.append("\(prefix)/indicator")
            }
        }
        front.output = "preprocessing/inputs"
        front.nodes.append(node("Concat", inputs: ordered, output: front.output, attributes: [intAttribute("axis", 1)]))
        return front
    }

    /// The one-hot (Equal against 0..<count, as float32) or int (the index as float32) encoding of
    /// an int64 index column.
    private static func encoded(_ index: String, count: Int, mode: EncodingMode, prefix: String, into front: inout Front) -> String {
        switch mode {
        case .int:
            front.nodes.append(node("Cast", inputs: [index], output: "\(prefix)/encoded", attributes: [intAttribute("to", 1)]))
        case .oneHot:
            front.initializers.append(tensor("\(prefix)/range", shape: [1, count], values: (0..<Int64(count)).map { $0 }))
            front.nodes += [
                node("Equal", inputs: [index, "\(prefix)/range"], output: "\(prefix)/hot"),
                node("Cast", inputs: ["\(prefix)/hot"], output: "\(prefix)/encoded", attributes: [intAttribute("to", 1)]),
            ]
        }
        return "\(prefix)/encoded"
    }

    /// A cross's bucket, read from the table of every combination of its columns' indices
    /// (row-major, the first column slowest), then encoded.
    private static func cross(
        _ fitted: FittedCross, position: Int, columns: [FittedColumn], indices: [Int: String], into front: inout Front
    ) throws(ExportError) -> String {
        let prefix = "preprocessing/cross/\(position)"
        let name = fitted.cross.name, bins = fitted.cross.crossingDim
        var counts: [Int] = []
        for column in fitted.columnIndices {
            guard columns.indices.contains(column), indices[column] != nil, let count = columns[column].indexCount, count > 0 else {
                throw .onnxCannotHash(feature: "the cross \(name)", why: "crossing a column that has no index")
            }
            counts.append(count)
        }
        var combinations = 1
        for count in counts {
            let (product, overflow) = combinations.multipliedReportingOverflow(by: count)
            guard !overflow, product <= largestCrossTable else {
                throw .crossTooLarge(cross: name, combinations: overflow ? Int.max : product, bound: largestCrossTable)
            }
            combinations = product
        }
        var table = [Int64](repeating: 0, count: combinations)
        var values = [Int64](repeating: 0, count: counts.count)
        for entry in 0..<combinations {
            var rest = entry
            for slot in counts.indices.reversed() {
                values[slot] = Int64(rest % counts[slot])
                rest /= counts[slot]
            }
            table[entry] = Int64(KerasHashing.crossBucket(values, bins: bins))
        }
        front.initializers.append(tensor("\(prefix)/table", shape: [combinations], values: table))
        // flat = ((i0 * c1) + i1) * c2 + i2 ...
        var flat = indices[fitted.columnIndices[0]] ?? ""
        for (slot, column) in fitted.columnIndices.enumerated().dropFirst() {
            front.initializers.append(tensor("\(prefix)/count/\(slot)", shape: [1], values: [Int64(counts[slot])]))
            front.nodes += [
                node("Mul", inputs: [flat, "\(prefix)/count/\(slot)"], output: "\(prefix)/scaled/\(slot)"),
                node("Add", inputs: ["\(prefix)/scaled/\(slot)", indices[column] ?? ""], output: "\(prefix)/flat/\(slot)"),
            ]
            flat = "\(prefix)/flat/\(slot)"
        }
        front.nodes.append(node("Gather", inputs: ["\(prefix)/table", flat], output: "\(prefix)/bucket", attributes: [intAttribute("axis", 0)]))
        return encoded("\(prefix)/bucket", count: bins, mode: fitted.cross.outputMode, prefix: prefix, into: &front)
    }
}

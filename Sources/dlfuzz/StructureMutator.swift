// The structure-aware half of the fuzzing: libFuzzer's byte mutations rarely get past a JSON
// parser, and never past a checkpoint's checksum, so most of what reaches the readers is refused
// at the door. This mutator decodes an input as what it should be (a safetensors file with
// dltrain's metadata, or a JSON job file), changes one decoded field (a dimension, a count, a byte
// range, a number to a huge, negative or non-finite one, a metadata value, a tensor's values),
// encodes it again, and for a checkpoint computes the checksum again, as anyone editing one can.
// Inputs it cannot decode are left to libFuzzer's own mutations.

import DLCore
import DLRun

enum StructureMutator {
    /// A mutation of `input` for `target` chosen by `random`, or nil to let libFuzzer mutate the bytes.
    static func mutate(_ input: [UInt8], for target: FuzzTarget, using random: inout SeededGenerator) -> [UInt8]? {
        switch target {
        case .model, .checkpoint:
            guard var file = SafeTensorsLayout(input) else { return nil }
            file.mutate(using: &random)
            return target == .checkpoint ? resealed(file.bytes) : file.bytes
        case .job:
            return JSONValue.parse(input)?.mutated(using: &random).text
        case .message:
            var mutator = MessageMutator(seed: random.next())
            return mutator.mutate(input)
        case .csv:
            return nil
        }
    }

    /// A checkpoint with its checksum computed again for its content; the input as it is when it
    /// has no checksum to compute.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        guard var file = SafeTensorsLayout(bytes), case var .object(metadata) = file.header["__metadata__"] ?? .null,
            metadata["checksum"] != nil
        else { return bytes }
        metadata["checksum"] = .string(Checkpoint.checksumPlaceholder)
        file.header["__metadata__"] = .object(metadata)
        return Checkpoint.sealed(file.bytes) ?? bytes
    }
}

/// A safetensors file taken apart as a mutator needs it: its header as a JSON tree, exactly as
/// stored (byte ranges that may be wrong included), and its data bytes.
struct SafeTensorsLayout {
    var header: [String: JSONValue]
    var data: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(bytes.count - 8), case let .object(header)? = JSONValue.parse(bytes[8..<(8 + Int(length))]) else {
            return nil
        }
        self.header = header
        data = Array(bytes[(8 + Int(length))...])
    }

    /// The file: the header padded with spaces to a multiple of 8 bytes, as dltrain writes it.
    var bytes: [UInt8] {
        var text = JSONValue.object(header).text ?? Array("{}".utf8)
        while text.count % 8 != 0 { text.append(UInt8(ascii: " ")) }
        var length = UInt64(text.count).littleEndian
        return withUnsafeBytes(of: &length, Array.init) + text + data
    }

    private var tensorNames: [String] { header.keys.filter { $0 != "__metadata__" }.sorted() }

    mutating func mutate(using random: inout SeededGenerator) {
        switch Int.random(in: 0..<20, using: &random) {
        case 0..<11: mutateMetadata(using: &random)
        case 11..<16: mutateTensorEntry(using: &random)
        case 16..<19: mutateValue(using: &random)
        default: mutateLayerWidth(using: &random)
        }
    }

    /// One metadata value (JSON text in a string) changed in one node; `format` and `checksum`
    /// rarely, as the readers stop at them.
    private mutating func mutateMetadata(using random: inout SeededGenerator) {
        guard case var .object(metadata) = header["__metadata__"] ?? .null, !metadata.isEmpty else { return }
        let keys = metadata.keys.sorted()
        let preferred = keys.filter { $0 != "format" && $0 != "checksum" }
        let key = (Int.random(in: 0..<20, using: &random) == 0 ? keys : preferred).randomElement(using: &random) ?? keys[0]
        guard case let .string(text) = metadata[key] ?? .null else { return }
        if let value = JSONValue.parse(Array(text.utf8)), let changed = value.mutated(using: &random).text {
            metadata[key] = .string(String(decoding: changed, as: UTF8.self))
        } else {
            metadata[key] = JSONValue.string(text).mutated(using: &random)
        }
        header["__metadata__"] = .object(metadata)
    }

    /// A tensor's dtype, shape or byte range changed, or the tensor removed, renamed or copied.
    private mutating func mutateTensorEntry(using random: inout SeededGenerator) {
        let names = tensorNames
        guard let name = names.randomElement(using: &random), let entry = header[name] else { return }
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<6:
            header[name] = entry.mutated(using: &random)
        case 6:
            // Overlapping the range of another tensor.
            if case var .object(fields) = entry, let other = names.randomElement(using: &random),
                case let .object(otherFields) = header[other] ?? .null
            {
                fields["data_offsets"] = otherFields["data_offsets"]
                header[name] = .object(fields)
            }
        case 7:
            header.removeValue(forKey: name)
        case 8:
            header["best/" + name] = entry
        default:
            header[JSONValue.vocabulary.randomElement(using: &random) ?? name] = header.removeValue(forKey: name)
        }
    }

    /// A stored float (a weight, a moment) set to a value no training leaves: NaN, an infinity,
    /// a negative second moment, the largest float.
    private mutating func mutateValue(using random: inout SeededGenerator) {
        guard data.count >= 4 else { return }
        let values: [Float] = [.nan, .infinity, -.infinity, -1, 0, .greatestFiniteMagnitude, -0.0, .leastNonzeroMagnitude]
        let bits = (values.randomElement(using: &random) ?? .nan).bitPattern.littleEndian
        let offset = Int.random(in: 0..<(data.count / 4), using: &random) * 4
        withUnsafeBytes(of: bits) { data.replaceSubrange(offset..<(offset + 4), with: $0) }
    }

    /// A layer's width (or the input width) changed in the model and in every tensor, the file
    /// otherwise whole: a model that is consistent in itself but not with its features, labels,
    /// standardization, metrics or optimizer state.
    private mutating func mutateLayerWidth(using random: inout SeededGenerator) {
        guard case var .object(metadata) = header["__metadata__"] ?? .null, case let .string(text) = metadata["model"] ?? .null,
            case var .object(model)? = JSONValue.parse(Array(text.utf8)), case let .integer(inputs) = model["input_dim"] ?? .null,
            case var .array(layers) = model["layers"] ?? .null, !layers.isEmpty
        else { return }
        var widths = [inputs] + layers.map { layer -> Int in
            if case let .object(fields) = layer, case let .integer(units) = fields["units"] ?? .null { return units }
            return 1
        }
        let changed = Int.random(in: 0..<widths.count, using: &random)
        widths[changed] = Int.random(in: 1...40, using: &random)
        guard widths.allSatisfy({ $0 > 0 && $0 <= 256 }) else { return }
        model["input_dim"] = .integer(widths[0])
        for index in layers.indices {
            if case var .object(fields) = layers[index] {
                fields["units"] = .integer(widths[index + 1])
                layers[index] = .object(fields)
            }
        }
        model["layers"] = .array(layers)
        guard let modelText = JSONValue.object(model).text else { return }
        metadata["model"] = .string(String(decoding: modelText, as: UTF8.self))
        header["__metadata__"] = .object(metadata)
        // Every PREFIXdense_K/kernel and /bias, laid out again in name order, filled with 0.1.
        var offset = 0
        var layout: [(name: String, shape: [Int])] = []
        for name in tensorNames {
            let parts = name.split(separator: "/")
            guard parts.count >= 2, let last = parts.last, let layerName = parts.dropLast().last else { continue }
            let index = layerName == "dense" ? 0 : Int(layerName.dropFirst("dense_".count)) ?? -1
            guard widths.indices.contains(index + 1), index >= 0 else { continue }
            layout.append((name, last == "kernel" ? [widths[index], widths[index + 1]] : [widths[index + 1]]))
        }
        var values: [UInt8] = []
        for (name, shape) in layout {
            let count = shape.reduce(1, *)
            header[name] = .object([
                "dtype": .string("F32"), "shape": .array(shape.map(JSONValue.integer)),
                "data_offsets": .array([.integer(offset), .integer(offset + 4 * count)]),
            ])
            let tenth = Float(0.1).bitPattern.littleEndian
            for _ in 0..<count { withUnsafeBytes(of: tenth) { values += $0 } }
            offset += 4 * count
        }
        data = values
    }
}

// Reading a model's flat buffers back from the named tensors of a file (the inverse of
// ModelFile.layerTensors), for model files and checkpoints alike. The file's tensors are not
// trusted: each one the model needs must be there with the model's shape, which is checked for
// every tensor before the buffer is allocated (so the buffer is never larger than the file's
// tensors, whatever dimensions the metadata claims); each value must be one dltrain could have
// written; and a tensor left over at the end is one dltrain did not write.

import DLCore

struct LayerTensorReader {
    private var unread: [String: SafeTensors.Tensor]
    private let bad: (String) -> RunError

    /// `bad` makes the file's error from what is wrong with it.
    init(_ file: SafeTensors, bad: @escaping (String) -> RunError) {
        unread = Dictionary(file.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.bad = bad
    }

    /// Whether the file holds `PREFIXdense/kernel`, a buffer's first tensor.
    func holds(prefix: String) -> Bool { unread["\(prefix)\(ModelFile.layerName(0))/kernel"] != nil }

    /// The buffer stored as `PREFIXdense/kernel`, `PREFIXdense/bias`, ...; every value must satisfy
    /// `allowed`, which `requirement` describes ("finite").
    mutating func read(
        prefix: String = "", model: ModelSpec, requirement: String = "finite", allowed: (Float) -> Bool = { $0.isFinite }
    ) throws -> [Float] {
        let layout = model.layout
        var parts: [(tensor: SafeTensors.Tensor, range: Range<Int>)] = []
        for index in model.layers.indices {
            let shape = layout.shapes[index]
            for (suffix, range, expectedShape) in [
                ("kernel", layout.kernelRange(index), [shape.inputs, shape.units]),
                ("bias", layout.biasRange(index), [shape.units]),
            ] {
                let name = "\(prefix)\(ModelFile.layerName(index))/\(suffix)"
                guard let tensor = unread.removeValue(forKey: name) else { throw bad("tensor \(name) is missing") }
                guard tensor.shape == expectedShape else {
                    throw bad("tensor \(name) has shape \(tensor.shape), the architecture says \(expectedShape)")
                }
                if let index = tensor.values.firstIndex(where: { !allowed($0) }) {
                    throw bad("tensor \(name) holds \(tensor.values[index]) at index \(index); its values are \(requirement)")
                }
                parts.append((tensor, range))
            }
        }
        var values = [Float](repeating: 0, count: layout.count)
        for part in parts { values.replaceSubrange(part.range, with: part.tensor.values) }
        return values
    }

    /// Refuses a tensor that no buffer read: dltrain writes none beside them.
    func finish() throws {
        if let name = unread.keys.min() { throw bad("tensor \(name) is not one dltrain writes in this file") }
    }
}

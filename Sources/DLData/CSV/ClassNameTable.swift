// Turns a text label column's cells into class codes while parsing, and into the
// byte-sorted class list the caller sees once parsing is done.

struct ClassNameTable {
    /// One code per row, indexing names in the order they were first seen.
    private var codes: [Int32] = []
    private var names = TextTable()

    mutating func append(_ field: ScannedField, from tokenizer: CSVTokenizer) {
        codes.append(names.code(of: field, from: tokenizer))
    }

    mutating func reserveRows(_ rows: Int) {
        codes.reserveCapacity(rows)
    }

    /// Appends the rows of a table parsed from the next part of the file.
    mutating func append(contentsOf other: ClassNameTable) {
        let remap = names.merge(other.names)
        codes.reserveCapacity(codes.count + other.codes.count)
        for code in other.codes { codes.append(remap[Int(code)]) }
    }

    /// The column with names sorted by their bytes and codes renumbered to match.
    func sortedColumn() -> LabelColumn {
        let namesInFirstSeenOrder = names.textsInFirstSeenOrder
        let order = namesInFirstSeenOrder.indices.sorted {
            namesInFirstSeenOrder[$0].lexicographicallyPrecedes(namesInFirstSeenOrder[$1])
        }
        var sortedCode = [Int32](repeating: 0, count: order.count)
        for (rank, firstSeen) in order.enumerated() { sortedCode[firstSeen] = Int32(rank) }
        return .classes(
            codes: codes.map { sortedCode[Int($0)] },
            names: order.map { String(decoding: namesInFirstSeenOrder[$0], as: UTF8.self) })
    }
}

// The distinct texts of a column's cells while parsing: each text gets a code in the order it was
// first seen, a text seen before costs a lookup and no allocation, and the table of a later part
// of the file merges into this one with its codes renumbered. Class labels (ClassNameTable) and
// raw feature cells (RawColumnReader) keep their texts here.

struct TextTable {
    private(set) var textsInFirstSeenOrder: [[UInt8]] = []
    private var codeOfText: [[UInt8]: Int32] = [:]
    /// Reused for every cell.
    private var cellText: [UInt8] = []

    var count: Int { textsInFirstSeenOrder.count }

    /// The code of the field's text (unquoted), added if it is new.
    mutating func code(of field: ScannedField, from tokenizer: CSVTokenizer) -> Int32 {
        cellText.removeAll(keepingCapacity: true)
        tokenizer.appendContent(of: field, to: &cellText)
        if let code = codeOfText[cellText] { return code }
        let code = Int32(textsInFirstSeenOrder.count)
        textsInFirstSeenOrder.append(cellText)
        codeOfText[cellText] = code
        return code
    }

    /// Adds the texts of `other` (a later part of the file) that are new; returns, for each of
    /// `other`'s codes, its code here.
    mutating func merge(_ other: TextTable) -> [Int32] {
        other.textsInFirstSeenOrder.map { text in
            if let existing = codeOfText[text] { return existing }
            let new = Int32(textsInFirstSeenOrder.count)
            textsInFirstSeenOrder.append(text)
            codeOfText[text] = new
            return new
        }
    }

    /// The texts as strings (invalid UTF-8 replaced), in code order.
    var strings: [String] {
        textsInFirstSeenOrder.map { String(decoding: $0, as: UTF8.self) }
    }
}

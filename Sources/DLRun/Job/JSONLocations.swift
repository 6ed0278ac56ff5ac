// Where things are in a JSON text, for errors that point at them: every object key's line and
// column, and its value's, by key path (`epochs`, `optimizer_arguments.beta_1`), and every list
// element's (`feature_crosses.1`); or where the text
// stops being JSON, and what was expected there. Foundation's JSONDecoder says only "not valid
// JSON", with neither line nor column, and for a number that does not fit (`"epochs": 1.5`) not
// even the key; so a job file is scanned here first (a strict RFC 8259 scan: it checks the syntax
// and records positions, and decodes nothing but the keys).

struct JSONLocations {
    struct Position: Equatable, Sendable {
        let line: Int
        let column: Int
    }

    struct Entry {
        let key: Position
        let value: Position
    }

    struct SyntaxError: Error {
        let position: Position
        let expected: String
    }

    /// The deepest nesting scanned: far beyond a job file's, and a bound on the scan's recursion.
    static let deepestNesting = 64

    /// Each key's first occurrence, by path (keys joined by `.`; array elements by their index).
    private(set) var entries: [String: Entry] = [:]
    /// The top-level object's keys in order, repeats included; empty when the top level is no object.
    private(set) var topLevelKeys: [(name: String, position: Position)] = []
    private(set) var topLevelIsObject = false

    private let bytes: [UInt8]
    private var offset = 0

    /// UTF-8's byte-order mark, which an editor may write first (and Foundation's decoder skips).
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    init(scanning bytes: [UInt8]) throws(SyntaxError) {
        self.bytes = bytes
        if bytes.starts(with: Self.byteOrderMark) { offset = Self.byteOrderMark.count }
        skipSpace()
        topLevelIsObject = peek == UInt8(ascii: "{")
        try value(path: [], depth: 0)
        skipSpace()
        guard offset == bytes.count else { throw error("the end of the text after the top-level value") }
    }

    func entry(_ path: [String]) -> Entry? { entries[path.joined(separator: ".")] }

    /// The line and column (1-based, in characters) of byte `offset`.
    func position(of offset: Int) -> Position {
        var line = 1, column = 1
        let start = bytes.starts(with: Self.byteOrderMark) ? Self.byteOrderMark.count : 0
        for byte in bytes[start..<max(start, min(offset, bytes.count))] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // not a UTF-8 continuation byte
                column += 1
            }
        }
        return Position(line: line, column: column)
    }

    private var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private func error(_ expected: String) -> SyntaxError { SyntaxError(position: position(of: offset), expected: expected) }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    private mutating func value(path: [String], depth: Int) throws(SyntaxError) {
        guard depth < Self.deepestNesting else { throw error("at most \(Self.deepestNesting) levels of nesting") }
        switch peek {
        case UInt8(ascii: "{"): try object(path: path, depth: depth)
        case UInt8(ascii: "["): try array(path: path, depth: depth)
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): try number()
        default: throw error("a value (an object, array, string, number, true, false or null)")
        }
    }

    private mutating func object(path: [String], depth: Int) throws(SyntaxError) {
        offset += 1
        skipSpace()
        if peek == UInt8(ascii: "}") {
            offset += 1
            return
        }
        while true {
            skipSpace()
            let keyStart = offset
            guard peek == UInt8(ascii: "\"") else { throw error("a key in double quotes") }
            let key = try string()
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw error("':' after the key") }
            offset += 1
            skipSpace()
            let keyPath = path + [key], entry = Entry(key: position(of: keyStart), value: position(of: offset))
            if entries[keyPath.joined(separator: ".")] == nil { entries[keyPath.joined(separator: ".")] = entry }
            if depth == 0 && topLevelIsObject { topLevelKeys.append((key, entry.key)) }
            try value(path: keyPath, depth: depth + 1)
            skipSpace()
            switch peek {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return
            default: throw error("',' or '}' after the value")
            }
        }
    }

    private mutating func array(path: [String], depth: Int) throws(SyntaxError) {
        offset += 1
        skipSpace()
        if peek == UInt8(ascii: "]") {
            offset += 1
            return
        }
        var index = 0
        while true {
            skipSpace()
            let elementPath = (path + [String(index)]).joined(separator: ".")
            if entries[elementPath] == nil { entries[elementPath] = Entry(key: position(of: offset), value: position(of: offset)) }
            try value(path: path + [String(index)], depth: depth + 1)
            index += 1
            skipSpace()
            switch peek {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return
            default: throw error("',' or ']' after the value")
            }
        }
    }

    /// A string's text, its escapes resolved; the scan goes on after its closing quote.
    private mutating func string() throws(SyntaxError) -> String {
        offset += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek else { throw error("the closing '\"' of the string") }
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                offset += 1
                guard let escaped = peek else { throw error("an escape after '\\'") }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    let hex = bytes[(offset + 1)..<min(offset + 5, bytes.count)]
                    guard hex.count == 4, hex.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                        let code = UInt32(String(decoding: hex, as: UTF8.self), radix: 16)
                    else { throw error("four hexadecimal digits after '\\u'") }
                    // A surrogate half stands for no character on its own: shown as U+FFFD in a key.
                    text += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                    offset += 4
                default:
                    throw error("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
                }
                offset += 1
            case 0..<0x20:
                throw error("no control character inside a string (write \\n, \\t, ...)")
            default:
                text.append(byte)
                offset += 1
            }
        }
    }

    private mutating func literal(_ word: String) throws(SyntaxError) {
        for expected in word.utf8 {
            guard peek == expected else { throw error(word) }
            offset += 1
        }
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() throws(SyntaxError) {
        func digits(_ scanner: inout JSONLocations) -> Int {
            let start = scanner.offset
            while let byte = scanner.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { scanner.offset += 1 }
            return scanner.offset - start
        }
        if peek == UInt8(ascii: "-") { offset += 1 }
        if peek == UInt8(ascii: "0") {
            offset += 1
        } else if digits(&self) == 0 {
            throw error("a digit")
        }
        if peek == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw error("a digit after the decimal point") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            offset += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { offset += 1 }
            guard digits(&self) > 0 else { throw error("a digit in the exponent") }
        }
    }
}

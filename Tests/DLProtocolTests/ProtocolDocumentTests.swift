// docs/protocol.md checked against the codec, so the document cannot drift from the wire: its
// version, its message table (codes, names, kind of payload), its header layout, every JSON key it
// lists with its JSON type, and every binary layout (offsets and widths, evaluated for each golden
// message) must agree with the golden fixtures, which GoldenBytesTests ties to the codec.

import DLProtocol
import DLTestSupport
import Foundation
import XCTest

final class ProtocolDocumentTests: XCTestCase {
    private static let document: ProtocolDocument = {
        let path = Repository.root + "/docs/protocol.md"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fatalError("cannot read \(path)") }
        return ProtocolDocument(text)
    }()

    private var document: ProtocolDocument { Self.document }

    func testTheVersionIsTheCodecs() throws {
        XCTAssertTrue(document.text.hasPrefix("# The coordinator-worker protocol\n\nVersion \(MessageCodec.version)."))
        let version = try XCTUnwrap(document.tables(headed: ["offset", "width", "field", "value"]).first?.rows.first { $0[2] == "version" })
        XCTAssertEqual(version[3], "\(MessageCodec.version)")
    }

    func testTheMessageTableListsEveryTypeWithItsCode() throws {
        let table = try XCTUnwrap(document.tables(headed: ["code", "type", "direction", "payload"]).first)
        let documented = table.rows.map { "\($0[0]) \($0[1])" }
        let coded = MessageType.allCases.map { "\(ProtocolDocument.code($0)) \($0)" }
        XCTAssertEqual(documented, coded)
    }

    /// "JSON object", "JSON array", "binary", "UTF-8 text" or "none", as the fixtures' payloads are.
    func testTheMessageTableNamesEachPayloadsKind() throws {
        let table = try XCTUnwrap(document.tables(headed: ["code", "type", "direction", "payload"]).first)
        for row in table.rows {
            let type = try XCTUnwrap(MessageType.allCases.first { $0.description == row[1] })
            for golden in GoldenMessages.examples(of: type) {
                try checkPayload(golden, isOfKind: row[3])
            }
        }
    }

    /// Whether a golden message's payload is of the kind the message table names.
    private func checkPayload(_ golden: GoldenMessages.Golden, isOfKind kind: String) throws {
        let name = golden.name
        let payload = Array(try GoldenMessages.bytes(of: golden).dropFirst(MessageCodec.headerSize))
        let json = try? JSONDecoder().decode(JSONValue.self, from: Data(payload))
        switch kind {
        case let kind where kind.hasPrefix("JSON object"):
            guard case .object = json else { return XCTFail("\(name): not a JSON object") }
        case let kind where kind.hasPrefix("JSON array"):
            guard case .array = json else { return XCTFail("\(name): not a JSON array") }
        case let kind where kind.hasPrefix("binary"):
            XCTAssertFalse(payload.isEmpty, name)
            XCTAssertNil(json, name)
        case let kind where kind.hasPrefix("UTF-8 text"):
            XCTAssertNotNil(String(validating: payload, as: UTF8.self), name)
        case let kind where kind.hasPrefix("none"):
            XCTAssertEqual(payload, [], name)
        default:
            XCTFail("\(name): unknown payload kind \(kind)")
        }
    }

    func testTheHeaderLayoutIsTheFixturesOne() throws {
        let table = try XCTUnwrap(document.tables(headed: ["offset", "width", "field", "value"]).first)
        let fields = try document.layout(of: table, symbols: [:], startingAt: 0)
        XCTAssertEqual(fields.last.map { $0.range.upperBound }, MessageCodec.headerSize)
        for golden in GoldenMessages.all {
            let envelope = golden.envelope, bytes = try GoldenMessages.bytes(of: golden)
            func value(_ name: String) throws -> UInt64 {
                let range = try XCTUnwrap(fields.first { $0.name == name }?.range, "no header field \(name)")
                return bytes[range].reversed().reduce(0) { $0 << 8 | UInt64($1) }
            }
            XCTAssertEqual(Array(bytes[try XCTUnwrap(fields.first { $0.name == "magic" }?.range)]), Array("DLTR".utf8))
            XCTAssertEqual(try value("version"), UInt64(MessageCodec.version))
            XCTAssertEqual(try value("type"), UInt64(envelope.message.type.rawValue))
            XCTAssertEqual(try value("job id"), envelope.jobId)
            XCTAssertEqual(try value("round"), envelope.round)
        }
    }

    func testEveryTypeHasAPayloadSection() {
        let documented = Set(document.sections.flatMap(\.types))
        XCTAssertEqual(MessageType.allCases.filter { !documented.contains($0) }, [])
    }

    /// The keys (as paths: `model.layers[].units`) and JSON types listed for each message are
    /// exactly those of its golden message on the wire; a message without a key table has none. A
    /// key named `<name>` in the document (`optimizer_arguments.<name>`) stands for any key of that
    /// object, so it matches every such key on the wire, and the golden message has at least one.
    /// A key documented as "present only" in some jobs (the welcome's `preprocessing`, whose
    /// contents model-file.md lists) may be absent from the golden message.
    func testTheJSONKeysAreThoseOnTheWire() throws {
        for type in MessageType.allCases {
            let keyTables = document.sections.filter { $0.types.contains(type) }.flatMap(\.tables)
                .filter { $0.header == ["key", "JSON type", "meaning"] }
            let documented = keyTables.flatMap(\.rows).map { (key: $0[0].trimmingCharacters(in: ["`"]), type: $0[1]) }
            let optional = Set(keyTables.flatMap(\.rows).filter { $0[2].hasPrefix("present only") }.map { $0[0].trimmingCharacters(in: ["`"]) })
            XCTAssertEqual(Set(documented.map(\.key)).count, documented.count, "\(type): a key listed twice")
            var wire: [String: String] = [:]
            for golden in GoldenMessages.examples(of: type) {
                let payload = Data(try GoldenMessages.bytes(of: golden).dropFirst(MessageCodec.headerSize))
                wire.merge((try? JSONDecoder().decode(JSONValue.self, from: payload))?.keyTypes() ?? [:]) { $1 }
            }
            var matched: Set<String> = []
            for (path, wireType) in wire.sorted(by: { $0.key < $1.key }) {
                let rows = documented.filter { ProtocolDocument.key($0.key, matches: path) }
                guard rows.count == 1, let row = rows.first else {
                    XCTFail("\(type): \(path) is \(rows.isEmpty ? "not documented" : "documented \(rows.count) times")")
                    continue
                }
                XCTAssertTrue(JSONValue.type(wireType, fits: row.type), "\(type): \(path) is \(wireType), documented as \(row.type)")
                matched.insert(row.key)
            }
            XCTAssertEqual(
                Set(documented.map(\.key)).subtracting(matched).subtracting(optional), [], "\(type): documented keys not on the wire")
        }
    }

    /// Each binary layout, evaluated with each golden message's counts (a star's too), runs from the
    /// end of the header to the end of the message without a gap or an overlap.
    func testTheBinaryLayoutsAreTheFixturesOnes() throws {
        var checked: [String] = []
        for section in document.sections {
            for table in section.tables where table.header == ["offset", "width", "field"] {
                for golden in section.types.flatMap(GoldenMessages.examples(of:)) {
                    let fields = try document.layout(
                        of: table, symbols: ProtocolDocument.symbols(of: golden.envelope.message), startingAt: MessageCodec.headerSize)
                    XCTAssertEqual(fields.last?.range.upperBound, try GoldenMessages.bytes(of: golden).count, golden.name)
                    checked.append(golden.name)
                }
            }
        }
        XCTAssertEqual(checked.sorted(), [
            "audit", "audit-digests", "compute-step", "compute-step-star", "evaluate", "partial", "shard-rows", "standardization", "state",
            "step-done", "step-done-star", "total", "validation-sums",
        ])
    }
}

/// The parts of docs/protocol.md the tests read: its tables, and the message types each section's
/// heading names ("#### compute-step (5) and evaluate (7)").
struct ProtocolDocument {
    struct Table {
        var header: [String]
        var rows: [[String]]
    }

    struct Section {
        var types: [MessageType]
        var tables: [Table] = []
    }

    let text: String
    private(set) var sections: [Section] = []

    init(_ text: String) {
        self.text = text
        var section = Section(types: [])
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") {
                sections.append(section)
                section = Section(types: line.matches(of: #/([a-z-]+) \((0x[0-9A-F]+|[0-9]+)\)/#).compactMap { match in
                    MessageType.allCases.first { "\($0)" == match.output.1 && Self.code($0) == match.output.2 }
                })
            }
            guard line.hasPrefix("|") else {
                inTable = false
                continue
            }
            let cells = line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if !inTable {
                section.tables.append(Table(header: cells, rows: []))
                inTable = true
            } else if !cells.allSatisfy({ $0.allSatisfy { $0 == "-" } }) {
                section.tables[section.tables.count - 1].rows.append(cells)
            }
        }
        sections.append(section)
    }

    func tables(headed header: [String]) -> [Table] {
        sections.flatMap(\.tables).filter { $0.header == header }
    }

    static func code(_ type: MessageType) -> String {
        type.rawValue > 0xFF ? "0x" + String(type.rawValue, radix: 16, uppercase: true) : "\(type.rawValue)"
    }

    /// Whether a documented key path matches a path on the wire: equal, or equal but for the parts
    /// written `<name>`, each of which matches any one key.
    static func key(_ documented: String, matches wire: String) -> Bool {
        let documented = documented.split(separator: "."), wire = wire.split(separator: ".")
        return documented.count == wire.count
            && zip(documented, wire).allSatisfy { $0 == $1 || ($0.hasPrefix("<") && $0.hasSuffix(">")) }
    }

    /// The counts the binary layouts are written in, for a message.
    static func symbols(of message: Message) -> [Character: Int] {
        switch message {
        case let .shardRows(rows):
            return ["R": rows.places.count, "F": rows.featureCount, "W": rows.targetWidth]
        case let .evaluate(shards), let .audit(shards):
            return ["K": shards.count]
        case let .auditDigests(audited):
            return ["K": audited.shards.count]
        case let .stepDone(done):
            return ["K": done.shards.count, "M": done.sums.first?.count ?? 0, "G": done.gradients.first?.count ?? 0]
        case let .computeStep(_, _, total):
            return ["T": total.count]
        case let .partial(chunk), let .total(chunk):
            return ["C": chunk.values.count]
        case let .state(state):
            return ["P": state.parameters.count, "Q": state.optimizerState.count]
        case let .validationSums(result):
            return ["M": result.sums.count]
        case let .standardization(mean, _):
            return ["F": mean.count]
        default:
            return [:]
        }
    }

    /// A layout table's fields as byte ranges, its offsets and widths evaluated with `symbols`;
    /// fails unless each field starts where the one before it ends, the first at `start`.
    func layout(of table: Table, symbols: [Character: Int], startingAt start: Int) throws -> [(name: String, range: Range<Int>)] {
        var fields: [(name: String, range: Range<Int>)] = []
        var next = start
        for row in table.rows {
            let offset = try Expression.evaluate(row[0], symbols), width = try Expression.evaluate(row[1], symbols)
            XCTAssertEqual(offset, next, "field \(row[2]) at \(row[0])")
            fields.append((row[2], offset..<(offset + width)))
            next = offset + width
        }
        return fields
    }

    /// The arithmetic of the layout tables: integers, one-letter counts, `+`, `x` (times) and
    /// parentheses, as in `44 + 4 x T x (F + W)`.
    enum Expression {
        struct Unreadable: Error {
            let text: String
        }

        static func evaluate(_ text: String, _ symbols: [Character: Int]) throws -> Int {
            var tokens = self.tokens(text)[...]
            let value = try sum(&tokens, symbols)
            guard tokens.isEmpty else { throw Unreadable(text: text) }
            return value
        }

        /// Numbers, and every other character but a space on its own.
        private static func tokens(_ text: String) -> [String] {
            var tokens: [String] = []
            var inNumber = false
            for character in text where character != " " {
                if character.isNumber && inNumber {
                    tokens[tokens.count - 1].append(character)
                } else {
                    tokens.append(String(character))
                }
                inNumber = character.isNumber
            }
            return tokens
        }

        private static func sum(_ tokens: inout ArraySlice<String>, _ symbols: [Character: Int]) throws -> Int {
            var value = try product(&tokens, symbols)
            while tokens.first == "+" {
                tokens.removeFirst()
                value += try product(&tokens, symbols)
            }
            return value
        }

        private static func product(_ tokens: inout ArraySlice<String>, _ symbols: [Character: Int]) throws -> Int {
            var value = try factor(&tokens, symbols)
            while tokens.first == "x" {
                tokens.removeFirst()
                value *= try factor(&tokens, symbols)
            }
            return value
        }

        private static func factor(_ tokens: inout ArraySlice<String>, _ symbols: [Character: Int]) throws -> Int {
            guard let token = tokens.popFirst() else { throw Unreadable(text: "") }
            if token == "(" {
                let value = try sum(&tokens, symbols)
                guard tokens.popFirst() == ")" else { throw Unreadable(text: token) }
                return value
            }
            if let number = Int(token) { return number }
            guard token.count == 1, let value = symbols[token.first!] else { throw Unreadable(text: token) }
            return value
        }
    }
}

/// A JSON text's structure, to compare its keys and value types with the document's.
indirect enum JSONValue: Decodable {
    case boolean
    case integer
    /// A number with a fraction or an exponent.
    case number
    case string
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if (try? container.decode(Bool.self)) != nil {
            self = .boolean
        } else if (try? container.decode(Int64.self)) != nil || (try? container.decode(UInt64.self)) != nil {
            self = .integer
        } else if (try? container.decode(Double.self)) != nil {
            self = .number
        } else if (try? container.decode(String.self)) != nil {
            self = .string
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// As the document names it: "string", "array of integers", ...
    var typeName: String {
        switch self {
        case .boolean: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .object: "object"
        case let .array(elements): "array of " + (elements.first.map { $0.typeName + "s" } ?? "nothing")
        }
    }

    /// Whether a value of the type named `wire` fits the type the document names: the same, or an
    /// integer where the document says number (a float64 whose value is whole is written as one).
    static func type(_ wire: String, fits documented: String) -> Bool {
        wire == documented || (wire == "integer" && documented == "number")
    }

    /// Every key, by its path from the top (`model.layers[].units`), with its value's type name;
    /// an array's objects are described by its first.
    func keyTypes(under path: String = "") -> [String: String] {
        switch self {
        case let .object(members):
            var result: [String: String] = [:]
            for (key, value) in members {
                let keyPath = path.isEmpty ? key : path + "." + key
                result[keyPath] = value.typeName
                result.merge(value.keyTypes(under: keyPath)) { $1 }
            }
            return result
        case let .array(elements):
            return elements.first?.keyTypes(under: path + "[]") ?? [:]
        default:
            return [:]
        }
    }
}

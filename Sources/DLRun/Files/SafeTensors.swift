// The safetensors format (as read by the Python `safetensors` package and PyTorch): an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, with
// string metadata under `__metadata__`, then the raw little-endian tensor bytes.
//
// dltrain writes float32 tensors only, the header with keys in a fixed order and padded with spaces
// to a multiple of 8 bytes, so the same tensors and metadata always give the same bytes.

import DLTraining
import Foundation

public struct SafeTensors: Equatable, Sendable {
    public struct Tensor: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count)
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var tensors: [Tensor]
    public var metadata: [String: String]

    public init(tensors: [Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Largest header accepted when reading, as the reference implementation limits it.
    static let maximumHeaderSize = 100_000_000

    public func encoded() -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let end = offset + tensor.values.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(Self.quoted(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        // float32 in memory is the file's little-endian form on the hosts dltrain runs on.
        precondition(1.littleEndian == 1, "safetensors files are little-endian")
        for tensor in tensors {
            tensor.values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Parses and validates a file's bytes; `path` names the file in errors.
    public init(decoding bytes: [UInt8], path: String) throws {
        func bad(_ reason: String) -> RunError { .badModelFile(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw bad("the file is \(bytes.count) bytes, shorter than a safetensors header") }
        // Unsigned: a length with its top bit set is huge, not negative.
        var claimed: UInt64 = 0
        for i in (0..<8).reversed() { claimed = claimed << 8 | UInt64(bytes[i]) }
        guard claimed <= UInt64(Self.maximumHeaderSize), claimed <= UInt64(bytes.count - 8) else {
            throw bad("the header claims \(claimed) bytes but the file has \(bytes.count - 8) after the length")
        }
        let dataStart = 8 + Int(claimed)
        let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        guard let header = json as? [String: Any] else { throw bad("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let fields = raw as? [String: Any] else { throw bad("__metadata__ is not an object") }
            for (key, value) in fields {
                guard let text = value as? String else { throw bad("__metadata__ value \(key) is not a string") }
                metadata[key] = text
            }
        }
        let dataLength = bytes.count - dataStart
        var tensors: [(begin: Int, end: Int, name: String, shape: [Int], count: Int)] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let entry = raw as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("tensor \(name) lacks a dtype, shape or data_offsets") }
            guard dtype == "F32" else { throw bad("tensor \(name) is \(dtype); dltrain reads F32 tensors") }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw bad("tensor \(name) has shape \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            // A product that overflows cannot fit the file either.
            let count = shape.reduce(Optional(1)) { product, dimension in
                product.flatMap { product in
                    let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
                    return overflow || next > dataLength / 4 ? nil : next
                }
            }
            guard let count, begin >= 0, begin <= end, end <= dataLength, end - begin == count * 4 else {
                throw bad("tensor \(name) has byte range \(offsets), which does not fit shape \(shape) in \(dataLength) data bytes")
            }
            tensors.append((begin, end, name, shape, count))
        }
        // As the reference reader requires: the ranges, in order, follow each other and fill the data
        // exactly, so no byte is read twice (or left out) and the tensors together take no more
        // memory than the file.
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var next = 0
        for tensor in tensors {
            guard tensor.begin == next else {
                throw bad("tensor \(tensor.name) starts at byte \(tensor.begin) of the data, where \(next) was expected: "
                    + "the tensors' byte ranges overlap or leave a gap (the file is damaged, or was edited)")
            }
            next = tensor.end
        }
        guard next == dataLength else {
            throw bad("the tensors take \(next) bytes of data but the file holds \(dataLength)")
        }
        self.tensors = tensors.map { entry in
            var values = [Float](repeating: 0, count: entry.count)
            values.withUnsafeMutableBytes { target in
                bytes.withUnsafeBytes { source in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(dataStart + entry.begin)..<(dataStart + entry.end)]))
                }
            }
            return Tensor(name: entry.name, shape: entry.shape, values: values.map { Float(bitPattern: $0.bitPattern.littleEndian) })
        }
        self.metadata = metadata
    }

    public func tensor(named name: String) -> Tensor? { tensors.first { $0.name == name } }

    /// A JSON string literal. Metadata values are themselves JSON, full of quotes, so the escaping
    /// works on UTF-8 bytes rather than on Unicode scalars.
    static func quoted(_ text: String) -> String {
        let backslash = UInt8(ascii: "\\"), hexDigits = Array("0123456789abcdef".utf8)
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + text.utf8.count / 4 + 2)
        escaped.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            let shortEscape: UInt8? = switch byte {
            case UInt8(ascii: "\""), backslash: byte
            case UInt8(ascii: "\n"): UInt8(ascii: "n")
            case UInt8(ascii: "\r"): UInt8(ascii: "r")
            case UInt8(ascii: "\t"): UInt8(ascii: "t")
            default: nil
            }
            if let shortEscape {
                escaped.append(backslash)
                escaped.append(shortEscape)
            } else if byte < 0x20 {
                escaped.append(contentsOf: "\\u00".utf8)
                escaped.append(hexDigits[Int(byte >> 4)])
                escaped.append(hexDigits[Int(byte & 15)])
            } else {
                escaped.append(byte)
            }
        }
        escaped.append(UInt8(ascii: "\""))
        return String(decoding: escaped, as: UTF8.self)
    }
}

// The wire's primitives: little-endian integers, float buffers and JSON, written (or measured) by
// ByteWriter and read by ByteReader, which checks every size against what is left before it reads,
// so that a short or lying message is refused with the field it lacked rather than misread.

import Foundation

/// Writes little-endian values into a buffer, or only counts them (no buffer): a message is measured
/// and written by the same code.
struct ByteWriter {
    private let buffer: UnsafeMutableRawBufferPointer?
    private(set) var count = 0

    init(into buffer: UnsafeMutableRawBufferPointer?) {
        self.buffer = buffer
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        buffer?.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    mutating func append(raw bytes: UnsafeRawBufferPointer) {
        if let buffer, let source = bytes.baseAddress {
            (buffer.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    // Float buffers go in with one copy: their in-memory form is the wire form on the
    // little-endian hosts dltrain runs on (checked here).
    mutating func append(_ values: [Float]) {
        precondition(1.littleEndian == 1, "dltrain's wire format is little-endian")
        values.withUnsafeBytes { append(raw: $0) }
    }

    mutating func append(_ values: [Double]) {
        precondition(1.littleEndian == 1, "dltrain's wire format is little-endian")
        values.withUnsafeBytes { append(raw: $0) }
    }
}

/// Reads little-endian values from a message, refusing to read past its end.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private let type: MessageType?

    init(_ bytes: UnsafeRawBufferPointer, type: MessageType? = nil) {
        self.bytes = bytes
        self.type = type
    }

    /// For errors only: making it for every message would cost more than decoding a small one.
    private var typeName: String { type?.description ?? "header" }

    var remaining: UnsafeRawBufferPointer.SubSequence { bytes[offset...] }

    private func tooShort(_ needed: Int) -> ProtocolError {
        .badSize(type: typeName, size: bytes.count, expected: "at least \(offset + needed) bytes")
    }

    mutating func skip(_ count: Int) throws(ProtocolError) {
        guard bytes.count - offset >= count else { throw tooShort(count) }
        offset += count
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(ProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - offset >= size else { throw tooShort(size) }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])) }
        offset += size
        return T(littleEndian: value)
    }

    mutating func uint16() throws(ProtocolError) -> UInt16 { try integer(UInt16.self) }
    mutating func uint32() throws(ProtocolError) -> UInt32 { try integer(UInt32.self) }
    mutating func uint64() throws(ProtocolError) -> UInt64 { try integer(UInt64.self) }

    /// A UInt32 count, as an Int.
    mutating func count() throws(ProtocolError) -> Int { Int(try uint32()) }

    /// `count` UInt32 counts (shard numbers), checked against the bytes left before any is read.
    mutating func counts(_ count: Int) throws(ProtocolError) -> [Int] {
        guard count <= remaining.count / 4 else { throw tooShort(count * 4) }
        var values: [Int] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try self.count()) }
        return values
    }

    /// a * b, refusing products that could not fit in the message anyway.
    func product(_ a: Int, _ b: Int) throws(ProtocolError) -> Int {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, result <= bytes.count else { throw tooShort(Int.max / 2) }
        return result
    }

    mutating func floats(count: Int) throws(ProtocolError) -> [Float] { try values(count: count) }

    /// An optimizer's learning rate: one float32, refused unless finite and above 0 (as every rate a
    /// job trains with), so that no replica trains with a NaN rate.
    mutating func learningRate() throws(ProtocolError) -> Float {
        let rate = Float(bitPattern: try uint32())
        guard rate.isFinite, rate > 0 else { throw .badContent(type: typeName, reason: "learning rate \(rate) is not a finite number above 0") }
        return rate
    }

    /// `count` UInt32 values, checked against the bytes left before any is read.
    mutating func uint32s(count: Int) throws(ProtocolError) -> [UInt32] {
        guard count <= remaining.count / 4 else { throw tooShort(count * 4) }
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count * 4)]))
            for index in 0..<count { buffer[index] = UInt32(littleEndian: buffer[index]) }
            initialized = count
            offset += count * 4
        }
    }

    mutating func bytes(count: Int) throws(ProtocolError) -> [UInt8] {
        guard count <= bytes.count - offset else { throw tooShort(count) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func doubles(count: Int) throws(ProtocolError) -> [Double] { try values(count: count) }

    /// `count` raw values copied out in one piece: messages are little-endian, as are the hosts
    /// dltrain runs on (ByteWriter checks).
    private mutating func values<Value: BinaryFloatingPoint>(count: Int) throws(ProtocolError) -> [Value] {
        let size = MemoryLayout<Value>.size
        guard count >= 0, count <= (bytes.count - offset) / size else { throw tooShort(count * size) }
        let values = [Value](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count * size)]))
            initialized = count
        }
        offset += count * size
        return values
    }

    mutating func json<T: Decodable>(_ type: T.Type, limit: Int = MessageCodec.maximumControlPayload) throws(ProtocolError) -> T {
        guard remaining.count <= limit else {
            throw .badSize(type: typeName, size: bytes.count, expected: "at most \(limit) bytes of JSON")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(remaining))
        } catch let error as DecodingError {
            throw .badContent(type: typeName, reason: Self.describe(error))
        } catch {
            throw .badContent(type: typeName, reason: "not valid JSON")
        }
    }

    /// A decoding error as the key it is about and what is wrong there.
    private static func describe(_ error: DecodingError) -> String {
        func key(_ path: [CodingKey]) -> String {
            path.isEmpty ? "the payload" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return "\(key(context.codingPath)) is not \(type)"
        case let .keyNotFound(missing, context):
            return "\(key(context.codingPath + [missing])) is missing"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(key(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    func expectEnd() throws(ProtocolError) {
        guard offset == bytes.count else {
            throw .badSize(type: typeName, size: bytes.count, expected: "\(offset) bytes")
        }
    }
}

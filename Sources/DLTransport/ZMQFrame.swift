// ZMQFrame.swift
// One part of a ZeroMQ multipart message, as an immutable value. Building a frame
// copies the bytes once; after that, reading never copies and sending or
// forwarding copies only tiny frames (see FrameStorage).

import Glibc

/// One part of a multipart message. Immutable and `Sendable`; copies of a frame
/// share the same bytes.
public struct ZMQFrame: Sendable, Equatable {
    let storage: FrameStorage

    init(storage: FrameStorage) {
        self.storage = storage
    }

    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { ZMQFrame(copying: $0) }
    }

    /// A frame holding a copy of `bytes`, e.g. `floats.withUnsafeBytes { ZMQFrame(copying: $0) }`.
    public init(copying bytes: UnsafeRawBufferPointer) {
        storage = FrameStorage(copying: bytes)
    }

    public var count: Int { storage.count }

    /// The frame's bytes, copied into an array. Prefer `withUnsafeBytes` for
    /// large frames, which reads them in place.
    public var bytes: [UInt8] { Array(storage.bytes) }

    /// Calls `body` with the frame's bytes in place. The pointer is only valid
    /// inside `body`.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(storage.bytes)
    }

    /// Frames are equal when their bytes are.
    public static func == (lhs: ZMQFrame, rhs: ZMQFrame) -> Bool {
        if lhs.storage === rhs.storage { return true }
        let left = lhs.storage.bytes, right = rhs.storage.bytes
        guard left.count == right.count else { return false }
        return left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
    }
}

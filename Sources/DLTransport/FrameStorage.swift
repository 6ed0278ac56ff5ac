// FrameStorage.swift
// The memory behind a ZMQFrame: one libzmq message (zmq_msg_t) at a fixed heap
// address, never modified once a frame wraps it. Received frames are read in
// place, and large frames are lent to libzmq when sent instead of being copied.

import CZeroMQ

final class FrameStorage: @unchecked Sendable {
    // @unchecked Sendable: after initialisation the message is only read
    // (zmq_msg_data / zmq_msg_size do not modify it) and finally closed in deinit,
    // so sharing it between threads is safe.

    /// Frames up to this size are copied into each outgoing message rather than
    /// lent: libzmq keeps messages of at most 33 bytes inline without allocating,
    /// which is cheaper than sharing a buffer through a refcount and a callback.
    static let copyLimit = 32

    let message: UnsafeMutablePointer<zmq_msg_t>

    /// An empty message, ready for libzmq to receive into.
    init() {
        message = .allocate(capacity: 1)
        zmq_msg_init(message)
    }

    init(copying bytes: UnsafeRawBufferPointer) {
        message = .allocate(capacity: 1)
        // Only fails when malloc does; Swift treats running out of memory as fatal too.
        guard zmq_msg_init_size(message, bytes.count) == 0 else {
            fatalError("DLTransport: cannot allocate a \(bytes.count)-byte frame")
        }
        if let source = bytes.baseAddress {
            zmq_msg_data(message).copyMemory(from: source, byteCount: bytes.count)
        }
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }

    var count: Int { zmq_msg_size(message) }

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(message), count: count)
    }

    /// Whether libzmq reported further parts after this one when it was received.
    var hasMore: Bool { zmq_msg_more(message) == 1 }

    /// Initialises `outgoing` to carry these bytes. Large frames are lent: libzmq
    /// points at this storage and keeps it alive (retained through the hint) until
    /// it has finished with the data, in whichever thread that happens. So sending
    /// one frame to many peers, or forwarding a received one, copies nothing.
    func initializeOutgoing(_ outgoing: UnsafeMutablePointer<zmq_msg_t>) {
        let count = self.count
        if count <= Self.copyLimit {
            // Sizes this small are stored inline, so this cannot fail.
            zmq_msg_init_size(outgoing, count)
            zmq_msg_data(outgoing).copyMemory(from: zmq_msg_data(message), byteCount: count)
            return
        }
        let retained = Unmanaged.passRetained(self).toOpaque()
        // libzmq only reads lent data, never writes it, so lending this
        // storage's bytes leaves the frame immutable as promised.
        guard zmq_msg_init_data(outgoing, zmq_msg_data(message), count, releaseLentStorage, retained) == 0 else {
            Unmanaged<FrameStorage>.fromOpaque(retained).release()
            fatalError("DLTransport: cannot allocate a message header")
        }
    }
}

/// libzmq's free callback for lent frames: drops the reference taken when lending.
private func releaseLentStorage(_ data: UnsafeMutableRawPointer?, _ hint: UnsafeMutableRawPointer?) {
    guard let hint else { return }
    Unmanaged<FrameStorage>.fromOpaque(hint).release()
}

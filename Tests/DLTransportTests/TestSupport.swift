// TestSupport.swift
// Shared helpers for the DLTransport tests: text messages through the in-place send and receive,
// connected sockets, plain TCP connections to loopback, unique ipc endpoints, and the bounds every wait uses.

import DLTransport
import Foundation
import XCTest

/// How long a message that should arrive may take. Generous because CI machines stall; tests only
/// wait this long when they are about to fail.
let arrivalTimeout = Duration.seconds(5)

/// How long a message that must not arrive is given before concluding it did not.
let absenceTimeout = Duration.milliseconds(300)

/// A received message as the tests look at it: the last part as text, the part before it (from a
/// ROUTER: the sender's routing id) and the number of parts.
struct ReceivedText: Equatable {
    var text: String
    var beforeLast: [UInt8]?
    var parts: Int
}

extension ZMQSocket {
    /// Sends `text` as a message's last part, after `prefix` if there is one; false if it could not
    /// be queued within `timeout`.
    func send(_ text: String, prefix: [UInt8]? = nil, timeout: Duration = arrivalTimeout) throws -> Bool {
        let bytes = Array(text.utf8)
        return try send(prefix: prefix, count: bytes.count, timeout: timeout) { $0.copyBytes(from: bytes) }
    }

    /// The next message, or nil if none arrived within `timeout`.
    func receiveText(timeout: Duration = arrivalTimeout) throws -> ReceivedText? {
        var received: ReceivedText?
        try receive(timeout: timeout) { last, beforeLast, parts in
            received = ReceivedText(text: String(decoding: last, as: UTF8.self), beforeLast: beforeLast.map(Array.init), parts: parts)
        }
        return received
    }
}

/// A DEALER with `options`, connected to `endpoint`, in `context` (an inproc endpoint needs its
/// binder's) or in a context of its own.
func dealer(connectedTo endpoint: String, in context: ZMQContext? = nil, options: [ZMQSocketOption] = []) throws -> ZMQSocket {
    let dealer = try ZMQSocket(.dealer, context: context ?? ZMQContext())
    try dealer.set(options)
    try dealer.connect(endpoint)
    return dealer
}

/// A ROUTER with `routerOptions` bound to `endpoint`, a DEALER with `dealerOptions` connected to it,
/// and the endpoint bound.
func routerAndDealer(
    bindingTo endpoint: String = "tcp://127.0.0.1:*", routerOptions: [ZMQSocketOption] = [],
    dealerOptions: [ZMQSocketOption] = []
) throws -> (router: ZMQSocket, dealer: ZMQSocket, endpoint: String) {
    let context = try ZMQContext()
    let router = try ZMQSocket(.router, context: context)
    try router.set(routerOptions)
    let bound = try router.bind(endpoint)
    return (router, try dealer(connectedTo: bound, in: context, options: dealerOptions), bound)
}

/// An ipc endpoint no other test run uses. libzmq 4.3 leaves the socket file behind when a named
/// ipc endpoint is closed, so the test removes it.
func uniqueIPCEndpoint(removedAfter test: XCTestCase) -> String {
    let path = "/tmp/dltransport-\(UUID().uuidString).ipc"
    test.addTeardownBlock { unlink(path) }
    return "ipc://\(path)"
}

/// A plain TCP connection to 127.0.0.1 at the port of `endpoint` (tcp://127.0.0.1:PORT), as a
/// stranger who is not ZeroMQ would make one: its descriptor, for the caller to close.
func connectPlainTCP(to endpoint: String) throws -> Int32 {
    let port = try XCTUnwrap(UInt16(endpoint.split(separator: ":").last ?? ""))
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    XCTAssertGreaterThanOrEqual(descriptor, 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    XCTAssertEqual(connected, 0)
    return descriptor
}

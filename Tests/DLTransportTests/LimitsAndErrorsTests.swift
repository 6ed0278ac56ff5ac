// LimitsAndErrorsTests.swift
// Waits are bounded and failures are reported precisely: receive timeouts, sends that cannot be
// queued, occupied ports, unknown peers, invalid option values, closed sockets and a shut-down
// context.

import DLTransport
import Foundation
import XCTest

final class LimitsAndErrorsTests: XCTestCase {
    func testReceiveTimesOutWithFalse() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:*")

        XCTAssertFalse(try router.receive(timeout: .milliseconds(50)) { _, _, _ in XCTFail("nothing was sent") })
        XCTAssertFalse(try router.receive(timeout: .zero) { _, _, _ in XCTFail("nothing was sent") })
    }

    func testSendsThatCannotBeQueuedReportWouldBlock() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        // A DEALER with no peer has nowhere to queue a message.
        XCTAssertFalse(try dealer.send("b", prefix: Array("a".utf8), timeout: .zero))
        XCTAssertFalse(try dealer.send("b", prefix: Array("a".utf8), timeout: .milliseconds(50)))

        // Nothing of those attempts must leak into the first message a peer gets.
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try dealer.connect(try router.bind("tcp://127.0.0.1:*"))
        XCTAssertTrue(try dealer.send("c"))
        let message = try XCTUnwrap(router.receiveText())
        XCTAssertEqual(message.text, "c")
        XCTAssertEqual(message.parts, 2)
    }

    func testBindingAnOccupiedPortThrowsADescriptiveError() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(.router, context: context)
        defer { first.close() }
        let second = try ZMQSocket(.router, context: context)
        defer { second.close() }
        let endpoint = try first.bind("tcp://127.0.0.1:*")

        XCTAssertThrowsError(try second.bind(endpoint)) { error in
            guard case let .failed(operation, failedEndpoint, code, _) = error as? TransportError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(operation, "bind")
            XCTAssertEqual(failedEndpoint, endpoint)
            XCTAssertEqual(code, EADDRINUSE)
            XCTAssertEqual("\(error)", "bind \(endpoint) failed: Address already in use")
        }
    }

    /// With routerMandatory a message for a peer the ROUTER does not know is an error; without it
    /// the message is dropped and counts as sent.
    func testRouterMandatoryRejectsUnknownPeers() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        XCTAssertTrue(try router.send("hello", prefix: Array("nobody".utf8), timeout: .zero))

        try router.set([.routerMandatory(true)])
        XCTAssertThrowsError(try router.send("hello", prefix: Array("nobody".utf8), timeout: .zero)) { error in
            guard case let .failed(operation, _, code, _) = error as? TransportError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(operation, "send")
            XCTAssertEqual(code, EHOSTUNREACH)
        }
    }

    func testInvalidOptionValuesAreRejected() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }

        XCTAssertThrowsError(try socket.set([.routingId([])])) { error in
            XCTAssertEqual("\(error)", "set ZMQ_ROUTING_ID failed: Invalid argument")
        }
        XCTAssertThrowsError(try socket.set([.routingId([UInt8](repeating: 1, count: 256))]))
    }

    func testClosedSocketReportsNotASocket() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        socket.close()
        socket.close()

        XCTAssertThrowsError(try socket.receive(timeout: .zero) { _, _, _ in }) { error in
            XCTAssertEqual(error as? TransportError, .failed(
                operation: "receive", endpoint: nil, errno: ENOTSOCK, reason: "Socket operation on non-socket"))
        }
        XCTAssertThrowsError(try socket.send("late", timeout: .zero))
        XCTAssertThrowsError(try socket.connect("tcp://127.0.0.1:1"))
    }

    func testContextShutdownEndsABlockedReceive() async throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }
        try socket.connect("tcp://127.0.0.1:1")

        // The receiver runs on another thread, as a worker's would; if shutdown did not reach it,
        // it would return false after its (bounded) timeout.
        let receiver = Task.detached { try socket.receive(timeout: .seconds(10)) { _, _, _ in } }
        context.shutdown()
        let result = await receiver.result
        XCTAssertThrowsError(try result.get()) { error in
            XCTAssertEqual(error as? TransportError, .contextTerminated(operation: "receive"))
        }
        XCTAssertThrowsError(try socket.send("late", timeout: .zero)) { error in
            XCTAssertEqual("\(error)", "send failed: the ZeroMQ context was terminated")
        }
    }
}

// LimitsAndErrorsTests.swift
// Waits are bounded and failures are reported precisely: receive timeouts,
// would-block sends, oversized messages, occupied ports, unknown peers, closed
// sockets and a shut-down context.

import DLTransport
import Glibc
import XCTest

final class LimitsAndErrorsTests: XCTestCase {
    func testReceiveTimesOutWithNil() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:*")

        XCTAssertNil(try router.receive(timeout: .milliseconds(50)))
        XCTAssertNil(try router.receive(timeout: .zero))
    }

    func testSendsThatCannotBeQueuedReportWouldBlock() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        // A DEALER with no peer has nowhere to queue a message.
        XCTAssertFalse(try dealer.trySend(textFrames("a", "b")))
        XCTAssertFalse(try dealer.send(textFrames("a", "b"), timeout: .milliseconds(50)))

        // Nothing of those attempts must leak into the first message a peer gets.
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try dealer.connect(try router.bind("tcp://127.0.0.1:*"))
        XCTAssertTrue(try dealer.send(textFrames("c"), timeout: arrivalTimeout))
        let message = try XCTUnwrap(router.receive(timeout: arrivalTimeout))
        XCTAssertEqual(texts(Array(message.dropFirst())), ["c"])
    }

    func testOversizedMessageIsDroppedAndTheReceiverCarriesOn() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.set(.maxMessageSize(1024))
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        try dealer.set(.reconnectInterval(.milliseconds(10)))
        try dealer.connect(try router.bind("tcp://127.0.0.1:*"))

        try dealer.send([ZMQFrame([UInt8](repeating: 7, count: 4096))])
        XCTAssertNil(try router.receive(timeout: absenceTimeout), "a message over maxMessageSize must not arrive")

        // The router dropped that connection; the dealer reconnects and small
        // messages flow again. Ones written together with the oversized message
        // died with the connection, so keep sending until one lands.
        var received: [ZMQFrame]?
        for _ in 0..<50 where received == nil {
            try dealer.send(textFrames("small"))
            received = try router.receive(timeout: .milliseconds(100))
        }
        XCTAssertEqual(texts(received.map { Array($0.dropFirst()) }), ["small"])
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

    func testUnbindFreesTheEndpoint() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(.router, context: context)
        defer { first.close() }
        let endpoint = try first.bind(uniqueIPCEndpoint(removedAfter: self))
        try first.unbind(endpoint)

        let second = try ZMQSocket(.router, context: context)
        defer { second.close() }
        XCTAssertEqual(try second.bind(endpoint), endpoint)
    }

    func testRouterMandatoryRejectsUnknownPeers() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.set(.routerMandatory(true))

        XCTAssertThrowsError(try router.send(textFrames("nobody", "hello"))) { error in
            guard case let .failed(operation, _, code, _) = error as? TransportError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(operation, "send")
            XCTAssertEqual(code, EHOSTUNREACH)
        }
    }

    func testClosedSocketReportsNotASocket() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        socket.close()
        socket.close()

        XCTAssertThrowsError(try socket.receive(timeout: .zero)) { error in
            XCTAssertEqual(error as? TransportError, .failed(
                operation: "receive", endpoint: nil, errno: ENOTSOCK, reason: "Socket operation on non-socket"))
        }
        XCTAssertThrowsError(try ZMQPoller([socket]).poll(timeout: .zero))
    }

    func testInvalidOptionValuesAreRejected() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }

        XCTAssertThrowsError(try socket.set(.sendHighWaterMark(Int(Int32.max) + 1))) { error in
            XCTAssertEqual("\(error)", "set ZMQ_SNDHWM failed: Invalid argument")
        }
        XCTAssertThrowsError(try socket.set(.routingId([])))
    }

    func testContextShutdownEndsABlockedReceive() async throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }
        try socket.connect("tcp://127.0.0.1:1")

        // The receiver runs on another thread, as a worker's would; if shutdown
        // did not reach it, it would return nil after its (bounded) timeout.
        let receiver = Task.detached { try socket.receive(timeout: .seconds(10)) }
        context.shutdown()
        let result = await receiver.result
        XCTAssertThrowsError(try result.get()) { error in
            XCTAssertEqual(error as? TransportError, .contextTerminated(operation: "receive"))
        }
        XCTAssertThrowsError(try socket.send(textFrames("late"))) { error in
            XCTAssertEqual("\(error)", "send failed: the ZeroMQ context was terminated")
        }
    }

    func testOptionsThatATrainerSetsAreAccepted() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }

        try socket.set([
            .linger(.milliseconds(100)),
            .sendHighWaterMark(100), .receiveHighWaterMark(100),
            .routingId([1, 2, 3]),
            .maxMessageSize(1 << 20),
            .immediate(true),
            .reconnectInterval(.milliseconds(50)), .reconnectIntervalMax(.seconds(2)),
            .handshakeInterval(.seconds(5)),
            .heartbeatInterval(.seconds(1)), .heartbeatTimeout(.seconds(3)), .heartbeatTTL(.seconds(10)),
            .tcpKeepalive(idle: .seconds(30), interval: .seconds(5), probes: 3),
        ])
    }
}

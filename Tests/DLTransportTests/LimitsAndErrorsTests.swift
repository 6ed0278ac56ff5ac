// LimitsAndErrorsTests.swift
// Waits are bounded and failures are reported precisely: receive timeouts, sends that cannot be
// queued, occupied ports, unknown peers, invalid option values, closed sockets, and a receive
// blocked in another thread when the context shuts down.

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
            XCTAssertEqual(
                "\(error)", "bind \(endpoint) failed: Address already in use (another process listens there already: choose another port)")
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

    /// A receive waiting in another thread, as a worker's would, ends with contextTerminated when
    /// the context shuts down, long before its own timeout.
    func testContextShutdownEndsAReceiveBlockedInAnotherThread() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }
        try socket.connect("tcp://127.0.0.1:1")  // nothing listens there, so nothing arrives

        let receiver = BlockedReceive(socket, timeout: .seconds(60))
        XCTAssertEqual(receiver.started.wait(timeout: .now() + 5), .success, "the receiving thread did not start")
        // Seen asleep in the kernel after it started, and not returned: it waits in libzmq for a
        // message (had the receive been called after the shutdown, it would have failed at once).
        XCTAssertTrue(receiver.fallsAsleep(within: .seconds(5)), "the receiving thread never waited in the kernel")
        XCTAssertEqual(receiver.returned.wait(timeout: .now()), .timedOut, "the receive returned before the shutdown")

        context.shutdown()
        // Half its timeout: the shutdown ended the receive, not the clock.
        XCTAssertEqual(receiver.returned.wait(timeout: .now() + 30), .success, "the shutdown did not end the receive")
        XCTAssertEqual(receiver.outcome, .failure(.contextTerminated(operation: "receive")))
        XCTAssertThrowsError(try socket.send("late", timeout: .zero)) { error in
            XCTAssertEqual("\(error)", "send failed: the ZeroMQ context was terminated")
        }
    }
}

/// A receive with a long timeout on a thread of its own, and what it returned.
private final class BlockedReceive: @unchecked Sendable {
    // @unchecked Sendable: `result` and `threadPath` are written by the thread before it signals
    // `returned` or `started`, and read only after those signals.
    let started = DispatchSemaphore(value: 0)
    let returned = DispatchSemaphore(value: 0)
    private var result: Result<Bool, TransportError>?
    /// /proc's directory for the receiving thread (Linux).
    private var threadPath = ""

    init(_ socket: ZMQSocket, timeout: Duration) {
        let thread = Thread { [self] in
            threadPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
            started.signal()
            result = Result { () throws(TransportError) in try socket.receive(timeout: timeout) { _, _, _ in } }
            returned.signal()
        }
        thread.start()
    }

    var outcome: Result<Bool, TransportError>? { result }

    /// Whether the thread is seen asleep in the kernel (state S in /proc) within `limit`: in libzmq's
    /// wait, since nothing else it does after `started` sleeps.
    func fallsAsleep(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            // The state follows the command name, which is in parentheses and may contain spaces.
            if let stat = try? String(contentsOfFile: "/proc/\(threadPath)/stat", encoding: .utf8),
                let nameEnd = stat.lastIndex(of: ")"),
                stat[nameEnd...].dropFirst().trimmingCharacters(in: .whitespaces).first == "S"
            {
                return true
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}

// OptionsTests.swift
// Each option dltrain sets has its effect. Where only libzmq can see a setting (linger, reconnect
// intervals) it is read back in libzmq's units; where a peer can, the effect is observed: a
// message over maxMessageSize is dropped and one at the limit arrives, immediate queues nothing
// without a connection, and handover gives a routing id to the newer connection. The routing id a
// peer sees and routerMandatory are tested in MessagingTests and LimitsAndErrorsTests.

@testable import DLTransport
import Foundation
import XCTest

final class OptionsTests: XCTestCase {
    func testSettingsReachLibzmqInItsUnits() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }
        XCTAssertEqual(try socket.libzmqValue(of: .linger(.zero)), 0, "a new socket must not linger")

        // None of these is libzmq's default.
        try socket.set([
            .linger(.milliseconds(1500)), .reconnectInterval(.milliseconds(250)), .reconnectIntervalMax(.seconds(2)),
            .maxMessageSize(1 << 20), .immediate(true),
        ])
        XCTAssertEqual(try socket.libzmqValue(of: .linger(.zero)), 1500)
        XCTAssertEqual(try socket.libzmqValue(of: .reconnectInterval(.zero)), 250)
        XCTAssertEqual(try socket.libzmqValue(of: .reconnectIntervalMax(.zero)), 2000)
        XCTAssertEqual(try socket.libzmqValue(of: .maxMessageSize(0)), 1 << 20)
        XCTAssertEqual(try socket.libzmqValue(of: .immediate(false)), 1)
    }

    func testMessageOverTheSizeLimitIsDroppedAndOneAtTheLimitArrives() throws {
        let (router, dealer, _) = try routerAndDealer(
            routerOptions: [.maxMessageSize(1024)], dealerOptions: [.reconnectInterval(.milliseconds(10))])
        defer { router.close(); dealer.close() }

        XCTAssertTrue(try dealer.send(String(repeating: "x", count: 1025)))
        XCTAssertNil(try router.receiveText(timeout: absenceTimeout), "a message over maxMessageSize must not arrive")

        // The router dropped that connection; the dealer reconnects and messages flow again. Ones
        // written together with the oversized message died with the connection, so keep sending
        // until one lands.
        var received: ReceivedText?
        for _ in 0..<50 where received == nil {
            XCTAssertTrue(try dealer.send(String(repeating: "y", count: 1024)))
            received = try router.receiveText(timeout: .milliseconds(100))
        }
        XCTAssertEqual(received?.text, String(repeating: "y", count: 1024))
    }

    func testImmediateQueuesNothingWithoutAConnection() throws {
        let context = try ZMQContext()
        let endpoint = uniqueIPCEndpoint(removedAfter: self)
        let immediate = try dealer(connectedTo: endpoint, in: context, options: [.immediate(true), .routingId(Array("immediate".utf8))])
        defer { immediate.close() }
        let queueing = try dealer(connectedTo: endpoint, in: context, options: [.routingId(Array("queueing".utf8))])
        defer { queueing.close() }

        XCTAssertFalse(try immediate.send("early", timeout: .milliseconds(50)))
        XCTAssertTrue(try queueing.send("early", timeout: .zero))

        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.bind(endpoint)
        // This send waits until its connection is made.
        XCTAssertTrue(try immediate.send("late"))
        var received: [String: [String]] = [:]
        while let message = try router.receiveText(timeout: absenceTimeout) {
            received[String(decoding: message.beforeLast ?? [], as: UTF8.self), default: []].append(message.text)
        }
        XCTAssertEqual(received, ["immediate": ["late"], "queueing": ["early"]])
    }

    func testHandoverGivesTheRoutingIdToTheNewerConnection() throws {
        let id = Array("worker".utf8)
        let (router, first, endpoint) = try routerAndDealer(
            routerOptions: [.routerHandover(true), .routerMandatory(true)], dealerOptions: [.routingId(id)])
        defer { router.close(); first.close() }
        XCTAssertTrue(try first.send("from the first"))
        XCTAssertEqual(try router.receiveText(), ReceivedText(text: "from the first", beforeLast: id, parts: 2))

        // Without handover the router would refuse this connection, and the message would not arrive.
        let second = try dealer(connectedTo: endpoint, options: [.routingId(id)])
        defer { second.close() }
        XCTAssertTrue(try second.send("from the second"))
        XCTAssertEqual(try router.receiveText(), ReceivedText(text: "from the second", beforeLast: id, parts: 2))

        XCTAssertTrue(try router.send("reply", prefix: id, timeout: .zero))
        XCTAssertEqual(try second.receiveText()?.text, "reply")
        XCTAssertNil(try first.receiveText(timeout: absenceTimeout))
    }
}

// MessagingTests.swift
// Messages get where they should through the in-place send and receive: ROUTER/DEALER round trips
// over tcp, ipc and inproc, a large payload whole, the last two parts and the count of a message,
// empty parts, routing by id, and a DEALER that connects before the ROUTER binds.

import DLTransport
import Foundation
import XCTest

final class MessagingTests: XCTestCase {
    func testRouterDealerRoundTripOverTCP() throws {
        try assertRoundTrip(bindingTo: "tcp://127.0.0.1:*")
    }

    func testRouterDealerRoundTripOverIPC() throws {
        try assertRoundTrip(bindingTo: uniqueIPCEndpoint(removedAfter: self))
    }

    func testRouterDealerRoundTripOverInproc() throws {
        try assertRoundTrip(bindingTo: "inproc://round-trip-\(UUID().uuidString)")
    }

    private func assertRoundTrip(bindingTo endpoint: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (router, dealer, bound) = try routerAndDealer(bindingTo: endpoint)
        defer { router.close(); dealer.close() }
        XCTAssertFalse(bound.hasSuffix("*"), "bind should report the concrete endpoint", file: file, line: line)

        XCTAssertTrue(try dealer.send("ping"), file: file, line: line)
        let request = try XCTUnwrap(router.receiveText(), file: file, line: line)
        XCTAssertEqual(request.text, "ping", file: file, line: line)
        XCTAssertEqual(request.parts, 2, "ROUTER prefixes the sender's routing id", file: file, line: line)
        let peer = try XCTUnwrap(request.beforeLast, file: file, line: line)

        XCTAssertTrue(try router.send("pong", prefix: peer, timeout: .zero), file: file, line: line)
        XCTAssertEqual(try dealer.receiveText(), ReceivedText(text: "pong", beforeLast: nil, parts: 1), file: file, line: line)
    }

    func testLargePayloadWrittenInPlaceArrivesWholeOverTCP() throws {
        let (router, dealer, _) = try routerAndDealer()
        defer { router.close(); dealer.close() }

        let weights = (0..<1_000_000).map { Float($0).squareRoot() }
        let sent = try weights.withUnsafeBytes { values in
            try dealer.send(prefix: nil, count: values.count, timeout: arrivalTimeout) { $0.copyMemory(from: values) }
        }
        XCTAssertTrue(sent)
        var received: (bytes: [UInt8], parts: Int)?
        XCTAssertTrue(try router.receive(timeout: arrivalTimeout) { last, _, parts in received = (Array(last), parts) })
        XCTAssertEqual(received?.parts, 2)
        XCTAssertEqual(received?.bytes, weights.withUnsafeBytes(Array.init))
    }

    /// A receiver is handed the last part and the one before it, in order, with the number of
    /// parts; empty parts count as parts.
    func testReceiveHandsOverTheLastTwoPartsAndCountsThem() throws {
        let (router, dealer, _) = try routerAndDealer(bindingTo: "inproc://last-two-parts-\(UUID().uuidString)")
        defer { router.close(); dealer.close() }

        XCTAssertTrue(try dealer.send("three", prefix: Array("two".utf8)))
        XCTAssertEqual(try router.receiveText(), ReceivedText(text: "three", beforeLast: Array("two".utf8), parts: 3))
        XCTAssertTrue(try dealer.send("", prefix: []))
        XCTAssertEqual(try router.receiveText(), ReceivedText(text: "", beforeLast: [], parts: 3))
        XCTAssertTrue(try dealer.send("", prefix: nil))
        XCTAssertEqual(try router.receiveText()?.parts, 2)
        XCTAssertFalse(try router.receive(timeout: .zero) { _, _, _ in XCTFail("nothing else was sent") })
    }

    /// The routing id a DEALER sets is the one its ROUTER sees, and replies addressed to it reach
    /// that DEALER only.
    func testRoutingIdsRouteRepliesToTheRightDealer() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.set([.routerMandatory(true)])
        let endpoint = try router.bind("tcp://127.0.0.1:*")

        let names = ["worker-0", "worker-1", "worker-2"]
        var dealers: [ZMQSocket] = []
        defer { dealers.forEach { $0.close() } }
        for name in names {
            dealers.append(try dealer(connectedTo: endpoint, options: [.routingId(Array(name.utf8))]))
            XCTAssertTrue(try dealers.last!.send("hello from \(name)"))
        }

        var seen: Set<String> = []
        for _ in names {
            let message = try XCTUnwrap(router.receiveText())
            let name = String(decoding: try XCTUnwrap(message.beforeLast), as: UTF8.self)
            XCTAssertEqual(message.text, "hello from \(name)")
            seen.insert(name)
            XCTAssertTrue(try router.send("reply to \(name)", prefix: Array(name.utf8), timeout: .zero))
        }
        XCTAssertEqual(seen, Set(names))

        for (name, dealer) in zip(names, dealers) {
            XCTAssertEqual(try dealer.receiveText()?.text, "reply to \(name)")
        }
    }

    /// Without ZMQ_IMMEDIATE a DEALER queues for a peer that is not there yet (see OptionsTests
    /// for the other way).
    func testDealerThatConnectsBeforeTheRouterBindsGetsThrough() throws {
        let context = try ZMQContext()
        let endpoint = uniqueIPCEndpoint(removedAfter: self)
        let early = try dealer(connectedTo: endpoint, in: context, options: [.reconnectInterval(.milliseconds(10))])
        defer { early.close() }
        XCTAssertTrue(try early.send("early", timeout: .zero))

        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.bind(endpoint)
        XCTAssertEqual(try router.receiveText()?.text, "early")
    }
}

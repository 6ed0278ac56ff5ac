// MessagingTests.swift
// Messages get where they should: ROUTER/DEALER round trips over tcp and ipc,
// multipart with empty frames, routing by id, connecting before the peer binds,
// and the poller.

import DLTransport
import XCTest

final class MessagingTests: XCTestCase {
    func testRouterDealerRoundTripOverTCP() throws {
        try assertRoundTrip(bindingTo: "tcp://127.0.0.1:*")
    }

    func testRouterDealerRoundTripOverIPC() throws {
        try assertRoundTrip(bindingTo: uniqueIPCEndpoint(removedAfter: self))
    }

    private func assertRoundTrip(bindingTo endpoint: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }

        let bound = try router.bind(endpoint)
        XCTAssertFalse(bound.hasSuffix("*"), "bind should report the concrete endpoint", file: file, line: line)
        try dealer.connect(bound)

        try dealer.send(textFrames("ping"))
        let request = try XCTUnwrap(router.receive(timeout: arrivalTimeout), file: file, line: line)
        XCTAssertEqual(request.count, 2, "ROUTER prefixes the sender's routing id", file: file, line: line)
        XCTAssertEqual(texts(Array(request.dropFirst())), ["ping"], file: file, line: line)

        try router.send([request[0]] + textFrames("pong"))
        XCTAssertEqual(texts(try dealer.receive(timeout: arrivalTimeout)), ["pong"], file: file, line: line)
    }

    func testMultipartMessageKeepsEmptyFramesAndOrder() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        try dealer.connect(try router.bind("tcp://127.0.0.1:*"))

        try dealer.send([ZMQFrame([]), ZMQFrame([1, 2, 3]), ZMQFrame([]), ZMQFrame([])])
        let message = try XCTUnwrap(router.receive(timeout: arrivalTimeout))
        XCTAssertEqual(message.dropFirst().map(\.bytes), [[], [1, 2, 3], [], []])
        XCTAssertEqual(message.dropFirst().map(\.count), [0, 3, 0, 0])
    }

    func testRoutingIdsRouteRepliesToTheRightDealer() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.set(.routerMandatory(true))
        let endpoint = try router.bind("tcp://127.0.0.1:*")

        let names = ["worker-0", "worker-1", "worker-2"]
        var dealers: [ZMQSocket] = []
        defer { dealers.forEach { $0.close() } }
        for name in names {
            let dealer = try ZMQSocket(.dealer, context: context)
            dealers.append(dealer)
            try dealer.set(.routingId(Array(name.utf8)))
            try dealer.connect(endpoint)
            try dealer.send(textFrames("hello from \(name)"))
        }

        var seen: Set<String> = []
        for _ in names {
            let message = try XCTUnwrap(texts(try router.receive(timeout: arrivalTimeout)))
            XCTAssertEqual(message, [message[0], "hello from \(message[0])"])
            seen.insert(message[0])
            try router.send(textFrames(message[0], "reply to \(message[0])"))
        }
        XCTAssertEqual(seen, Set(names))

        for (name, dealer) in zip(names, dealers) {
            XCTAssertEqual(texts(try dealer.receive(timeout: arrivalTimeout)), ["reply to \(name)"])
        }
    }

    func testDealerThatConnectsBeforeTheRouterBindsGetsThrough() throws {
        let context = try ZMQContext()
        let endpoint = uniqueIPCEndpoint(removedAfter: self)
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        try dealer.set(.reconnectInterval(.milliseconds(10)))
        try dealer.connect(endpoint)
        try dealer.send(textFrames("early"))

        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        try router.bind(endpoint)
        let message = try XCTUnwrap(router.receive(timeout: arrivalTimeout))
        XCTAssertEqual(texts(Array(message.dropFirst())), ["early"])
    }

    func testPollerReportsOnlyTheReadableSocket() throws {
        let context = try ZMQContext()
        let quiet = try ZMQSocket(.pull, context: context)
        defer { quiet.close() }
        let busy = try ZMQSocket(.pull, context: context)
        defer { busy.close() }
        let pusher = try ZMQSocket(.push, context: context)
        defer { pusher.close() }
        try quiet.bind("tcp://127.0.0.1:*")
        try pusher.connect(try busy.bind("tcp://127.0.0.1:*"))

        let poller = ZMQPoller([quiet, busy])
        XCTAssertTrue(try poller.poll(timeout: .zero).isEmpty)

        try pusher.send(textFrames("work"))
        let ready = try poller.poll(timeout: arrivalTimeout)
        XCTAssertEqual(ready.count, 1)
        XCTAssertTrue(ready.first === busy)
        XCTAssertEqual(texts(try busy.receive(timeout: .zero)), ["work"])
    }

    func testPubSubDeliversOnlySubscribedPrefixes() throws {
        let context = try ZMQContext()
        let publisher = try ZMQSocket(.pub, context: context)
        defer { publisher.close() }
        let subscriber = try ZMQSocket(.sub, context: context)
        defer { subscriber.close() }
        try subscriber.set(.subscribe(Array("epoch".utf8)))
        try subscriber.connect(try publisher.bind("tcp://127.0.0.1:*"))

        // A subscription reaches the publisher asynchronously and PUB drops what
        // nobody has subscribed to yet, so publish until the first one lands.
        var received: [String]?
        for _ in 0..<100 where received == nil {
            try publisher.send(textFrames("noise"))
            try publisher.send(textFrames("epoch", "1"))
            received = texts(try subscriber.receive(timeout: .milliseconds(50)))
        }
        XCTAssertEqual(received, ["epoch", "1"])
    }
}

// ZeroCopyTests.swift
// Large frames are lent to libzmq instead of copied: what arrives over inproc is
// the very memory that was sent, and the lent memory is released exactly when
// libzmq is done with it, including when a send fails.

@testable import DLTransport
import XCTest

final class ZeroCopyTests: XCTestCase {
    func testLargeFramesAreLentAndForwardedWithoutCopies() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(.pair, context: context)
        defer { first.close() }
        let middle = try ZMQSocket(.pair, context: context)
        defer { middle.close() }
        let forward = try ZMQSocket(.pair, context: context)
        defer { forward.close() }
        let last = try ZMQSocket(.pair, context: context)
        defer { last.close() }
        let id = UUID().uuidString
        try first.bind("inproc://first-\(id)")
        try middle.connect("inproc://first-\(id)")
        try forward.bind("inproc://last-\(id)")
        try last.connect("inproc://last-\(id)")

        weak var lent: FrameStorage?
        do {
            let gradient = (0..<262_144).map { Float($0) * 0.5 }
            let frame = gradient.withUnsafeBytes { ZMQFrame(copying: $0) }
            lent = frame.storage
            let sentAddress = frame.withUnsafeBytes { $0.baseAddress }

            try first.send([frame])
            let received = try XCTUnwrap(middle.receive(timeout: arrivalTimeout))
            try forward.send(received)
            let forwarded = try XCTUnwrap(last.receive(timeout: arrivalTimeout))

            XCTAssertEqual(forwarded[0].withUnsafeBytes { $0.baseAddress }, sentAddress)
            XCTAssertEqual(forwarded[0].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, gradient)
        }
        XCTAssertNil(lent, "libzmq's free callback must release the lent frame")
    }

    /// A message written in place by its sender arrives whole, routed by its prefix; one that
    /// cannot be queued at once is refused and sends nothing.
    func testMessagesWrittenInPlaceArriveWholeOrNotAtAll() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        let endpoint = "inproc://in-place-\(UUID().uuidString)"
        try router.bind(endpoint)
        try dealer.connect(endpoint)

        let payload = (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }
        XCTAssertTrue(try dealer.send(prefix: nil, count: payload.count, timeout: arrivalTimeout) { $0.copyBytes(from: payload) })
        let request = try XCTUnwrap(router.receive(timeout: arrivalTimeout))
        XCTAssertEqual(request.count, 2)
        XCTAssertEqual(request[1].bytes, payload)
        XCTAssertTrue(try router.send(prefix: request[0].bytes, count: 3, timeout: .zero) { $0.copyBytes(from: [1, 2, 3]) })
        XCTAssertEqual(try XCTUnwrap(dealer.receive(timeout: arrivalTimeout)).map(\.bytes), [[1, 2, 3]])

        let unconnected = try ZMQSocket(.dealer, context: context)
        defer { unconnected.close() }
        XCTAssertFalse(try unconnected.send(prefix: nil, count: 64, timeout: .zero) { $0.initializeMemory(as: UInt8.self, repeating: 0) })
    }

    /// Receiving in place hands over the last part and the one before it, and counts the parts.
    func testMessagesAreReadInPlace() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        let endpoint = "inproc://read-in-place-\(UUID().uuidString)"
        try router.bind(endpoint)
        try dealer.connect(endpoint)

        try dealer.send(textFrames("one", "two", "three"))
        var read: (last: [UInt8], beforeLast: [UInt8]?, parts: Int)?
        XCTAssertTrue(try router.receive(timeout: arrivalTimeout) { read = (Array($0), $1.map(Array.init), $2) })
        XCTAssertEqual(read?.last, Array("three".utf8))
        XCTAssertEqual(read?.beforeLast, Array("two".utf8))
        XCTAssertEqual(read?.parts, 4)  // the peer's routing id first
        try dealer.send(textFrames("alone"))
        XCTAssertTrue(try router.receive(timeout: arrivalTimeout) { read = (Array($0), $1.map(Array.init), $2) })
        XCTAssertEqual(read?.last, Array("alone".utf8))
        XCTAssertEqual(read?.parts, 2)
        XCTAssertFalse(try router.receive(timeout: .zero) { _, _, _ in XCTFail("nothing was sent") })
    }

    func testFailedSendReleasesTheLentFrame() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }

        weak var lent: FrameStorage?
        do {
            let frame = ZMQFrame([UInt8](repeating: 1, count: 4096))
            lent = frame.storage
            XCTAssertFalse(try dealer.trySend([frame, frame]))
        }
        XCTAssertNil(lent)
    }

    func testLargeFloatPayloadSurvivesTCP() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        defer { router.close() }
        let dealer = try ZMQSocket(.dealer, context: context)
        defer { dealer.close() }
        try dealer.connect(try router.bind("tcp://127.0.0.1:*"))

        let weights = (0..<1_000_000).map { Float($0).squareRoot() }
        try dealer.send(textFrames("weights") + [weights.withUnsafeBytes { ZMQFrame(copying: $0) }])
        let message = try XCTUnwrap(router.receive(timeout: arrivalTimeout))
        XCTAssertEqual(message.count, 3)
        XCTAssertEqual(message[2].count, weights.count * MemoryLayout<Float>.size)
        XCTAssertEqual(message[2].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, weights)
    }
}

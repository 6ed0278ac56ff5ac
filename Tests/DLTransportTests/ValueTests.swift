// ValueTests.swift
// The plain values: frames, errors' wording, time conversion and the version.

@testable import DLTransport
import Glibc
import XCTest

final class ValueTests: XCTestCase {
    func testFramesExposeTheirBytesAndCompareByContent() {
        let frame = ZMQFrame([1, 2, 3])
        XCTAssertEqual(frame.count, 3)
        XCTAssertEqual(frame.bytes, [1, 2, 3])
        XCTAssertEqual(frame.withUnsafeBytes { $0.reduce(0, +) }, 6)
        XCTAssertEqual(frame, ZMQFrame([1, 2, 3]))
        XCTAssertNotEqual(frame, ZMQFrame([1, 2]))
        XCTAssertEqual(ZMQFrame([]), ZMQFrame(copying: UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    func testErrorDescriptionsNameTheOperationAndEndpoint() {
        XCTAssertEqual(
            "\(TransportError.from(errno: EADDRINUSE, operation: "bind", endpoint: "tcp://*:5555"))",
            "bind tcp://*:5555 failed: Address already in use")
        XCTAssertTrue("\(TransportError.curveUnavailable)".contains("CURVE"))
    }

    func testDurationsBecomeLibzmqMilliseconds() {
        XCTAssertEqual(Duration.milliseconds(-5).zmqMilliseconds, 0)
        XCTAssertEqual(Duration.zero.zmqMilliseconds, 0)
        XCTAssertEqual(Duration.microseconds(1).zmqMilliseconds, 1)
        XCTAssertEqual(Duration.milliseconds(1500).zmqMilliseconds, 1500)
        XCTAssertEqual(Duration.seconds(Int64.max).zmqMilliseconds, Int32.max)
    }

    func testVersionIsTheLoadedLibzmq() {
        XCTAssertGreaterThanOrEqual(ZMQ.version.major, 4)
        XCTAssertEqual("\(ZMQ.version)".split(separator: ".").count, 3)
    }
}

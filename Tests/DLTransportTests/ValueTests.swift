// ValueTests.swift
// The plain values: errors' wording and the conversion of durations to libzmq's milliseconds.

@testable import DLTransport
import Foundation
import XCTest

final class ValueTests: XCTestCase {
    func testErrorDescriptionsNameTheOperationAndEndpoint() {
        XCTAssertEqual(
            "\(TransportError.from(errno: EADDRINUSE, operation: "bind", endpoint: "tcp://*:5555"))",
            "bind tcp://*:5555 failed: Address already in use (another process listens there already: choose another port)")
        XCTAssertEqual(
            "\(TransportError.contextTerminated(operation: "receive"))",
            "receive failed: the ZeroMQ context was terminated")
    }

    func testDurationsBecomeLibzmqMilliseconds() {
        XCTAssertEqual(Duration.milliseconds(-5).zmqMilliseconds, 0)
        XCTAssertEqual(Duration.zero.zmqMilliseconds, 0)
        XCTAssertEqual(Duration.microseconds(1).zmqMilliseconds, 1)
        XCTAssertEqual(Duration.milliseconds(1500).zmqMilliseconds, 1500)
        XCTAssertEqual(Duration.seconds(Int64.max).zmqMilliseconds, Int32.max)
    }
}

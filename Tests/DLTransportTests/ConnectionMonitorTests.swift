// What a connecting socket's monitor reports, against real libzmq sockets: nothing listening, a
// server of another secret, a server that encrypts against a client that does not, and a server
// of the same secret. These are the events a waiting worker explains itself from.

import DLTransport
import Foundation
import XCTest

final class ConnectionMonitorTests: XCTestCase {
    private let keys = JobKeys(secret: Array("the secret of the job under test, 36 b".utf8))
    private let otherKeys = JobKeys(secret: Array("the secret of some other job, as long".utf8))

    /// A DEALER as a worker's, monitored, connected to `endpoint`; the events until `enough` holds
    /// or `arrivalTimeout` passes.
    private func events(
        connectingTo endpoint: String, options: [ZMQSocketOption] = [], until enough: ([ConnectionEvent]) -> Bool
    ) throws -> [ConnectionEvent] {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        try socket.set([.immediate(true), .reconnectInterval(.milliseconds(100)), .reconnectIntervalMax(.seconds(1))] + options)
        let monitor = try ConnectionMonitor(socket: socket, context: context)
        defer {
            socket.close()
            monitor.stop()
        }
        try socket.connect(endpoint)
        let clock = ContinuousClock(), deadline = clock.now + arrivalTimeout
        var seen: [ConnectionEvent] = []
        while !enough(seen) && clock.now < deadline {
            seen += monitor.take(waitingUpTo: deadline - clock.now)
        }
        return seen
    }

    private func server(keys: JobKeys?) throws -> (socket: ZMQSocket, endpoint: String) {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.router, context: context)
        if let keys { try socket.set(keys.serverOptions) }
        return (socket, try socket.bind("tcp://127.0.0.1:*"))
    }

    func testNothingListeningIsAttemptsClosedAndRetried() throws {
        // The port was free a moment ago; closing the context waits until its listener is gone.
        let endpoint = try { () throws -> String in try server(keys: nil).endpoint }()
        let seen = try events(connectingTo: endpoint) { $0.filter { $0 == .retryScheduled }.count >= 2 }
        XCTAssertTrue(seen.contains(.attemptClosed), "\(seen)")
        XCTAssertGreaterThanOrEqual(seen.filter { $0 == .retryScheduled }.count, 2, "\(seen)")
        XCTAssertFalse(seen.contains(.connected), "\(seen)")
    }

    func testAServerOfAnotherSecretHangsUpInTheHandshake() throws {
        let (socket, endpoint) = try server(keys: otherKeys)
        defer { socket.close() }
        let seen = try events(connectingTo: endpoint, options: keys.clientOptions) { $0.contains(.handshakeFailed(.noDetail)) }
        XCTAssertEqual(seen.prefix(while: { $0 != .connected }).last, .attemptStarted, "\(seen)")
        XCTAssertTrue(seen.contains(.handshakeFailed(.noDetail)), "\(seen)")
        XCTAssertFalse(seen.contains(.handshakeSucceeded), "\(seen)")
    }

    /// Each side reads the mismatch in the other's greeting, but the server may hang up before the
    /// client has read it: then the client sees a handshake ended without detail, and tries again.
    func testOneSecretAgainstNoneIsAMechanismMismatchOrAHangUp() throws {
        let (socket, endpoint) = try server(keys: keys)
        defer { socket.close() }
        let seen = try events(connectingTo: endpoint) { $0.contains(.handshakeFailed(.mechanismMismatch)) }
        let failures = seen.filter { if case .handshakeFailed = $0 { true } else { false } }
        XCTAssertFalse(failures.isEmpty, "\(seen)")
        XCTAssertTrue(failures.allSatisfy { [.handshakeFailed(.mechanismMismatch), .handshakeFailed(.noDetail)].contains($0) }, "\(seen)")
        XCTAssertFalse(seen.contains(.handshakeSucceeded), "\(seen)")
    }

    func testTheSameSecretShakesHands() throws {
        let (socket, endpoint) = try server(keys: keys)
        defer { socket.close() }
        let seen = try events(connectingTo: endpoint, options: keys.clientOptions) { $0.contains(.handshakeSucceeded) }
        XCTAssertEqual(Array(seen.suffix(2)), [.connected, .handshakeSucceeded], "\(seen)")
    }
}

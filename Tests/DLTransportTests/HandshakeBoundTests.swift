// Strangers who start a handshake and say no more cannot hold a CURVE server socket's descriptors:
// past the bound on handshakes in progress the oldest are ended (PendingHandshakes), the handshake
// timeout ends the rest, a worker connected before them keeps its connection, and a worker that
// connects while they are held gets in. Each stranger sends the first 20 bytes of a ZeroMQ greeting
// asking for CURVE, as `dlbench hold-handshakes` does.

@testable import DLTransport
import Foundation
import XCTest

final class HandshakeBoundTests: XCTestCase {
    private let keys = JobKeys(secret: Array("the secret of the handshake bound tests".utf8))

    /// A CURVE server with the job's keys, its ZAP handler watching it with `pendingLimit`, and the
    /// reasons it refused peers for.
    private final class Server {
        let router: ZMQSocket
        let endpoint: String
        private let handler: ZAPHandler
        private let refused = Refused()

        private final class Refused: @unchecked Sendable {
            private let condition = NSCondition()
            private var reasons: [RefusalReason] = []
            func append(_ reason: RefusalReason) {
                condition.withLock {
                    reasons.append(reason)
                    condition.broadcast()
                }
            }
            /// The reasons so far, once there are `count` (waiting at most 10 s).
            func all(count: Int) -> [RefusalReason] {
                let deadline = Date().addingTimeInterval(10)
                return condition.withLock {
                    while reasons.count < count && condition.wait(until: deadline) {}
                    return reasons
                }
            }
        }

        init(keys: JobKeys, pendingLimit: Int, handshakeTimeout: Duration) throws {
            let context = try ZMQContext()
            handler = try ZAPHandler(context: context, admittedKey: keys.worker.publicKey) { [refused] _, reason in
                refused.append(reason)
            }
            router = try ZMQSocket(.router, context: context)
            try router.set([.linger(.zero), .handshakeInterval(handshakeTimeout)] + keys.serverOptions)
            try handler.watch(router, pendingLimit: pendingLimit)
            endpoint = try router.bind("tcp://127.0.0.1:*")
        }

        /// The reasons of the refusals so far, once there are `count` (the monitor reports a connection
        /// after the peer sees it closed; waiting at most 10 s).
        func refusals(count: Int) -> [RefusalReason] { refused.all(count: count) }

        func stop() {
            router.close()
            handler.stop()
        }
    }

    func testOnlyTheBoundOfStalledHandshakesIsHeldAndWorkersGetIn() throws {
        let server = try Server(keys: keys, pendingLimit: 8, handshakeTimeout: .seconds(30))
        defer { server.stop() }
        let early = try dealer(connectedTo: server.endpoint, options: keys.clientOptions)
        defer { early.close() }
        XCTAssertTrue(try early.send("before"))
        XCTAssertEqual(try server.router.receiveText()?.text, "before")

        let strangers = try StalledConnections(count: 40, to: server.endpoint)
        defer { strangers.closeAll() }
        // The worker's connection is past its greeting: it is not among those ended.
        XCTAssertEqual(strangers.waitUntilClosedByServer(32, within: 10), 32, "all but the newest 8 are ended")
        XCTAssertEqual(strangers.closedByServer(waiting: absenceTimeout), 32, "and no more, long before the handshake timeout")
        XCTAssertEqual(server.refusals(count: 32), Array(repeating: .stalledHandshake, count: 32))

        XCTAssertTrue(try early.send("after"))
        XCTAssertEqual(try server.router.receiveText()?.text, "after", "the worker's connection is undisturbed")
        let late = try dealer(connectedTo: server.endpoint, options: keys.clientOptions)
        defer { late.close() }
        XCTAssertTrue(try late.send("late"))
        XCTAssertEqual(try server.router.receiveText()?.text, "late", "a worker gets in while strangers hold handshakes")
    }

    func testTheHandshakeTimeoutEndsAStalledConnection() throws {
        let server = try Server(keys: keys, pendingLimit: 8, handshakeTimeout: .milliseconds(300))
        defer { server.stop() }
        XCTAssertEqual(try server.router.libzmqValue(of: .handshakeInterval(.zero)), 300)
        let strangers = try StalledConnections(count: 2, to: server.endpoint)
        defer { strangers.closeAll() }
        XCTAssertEqual(strangers.waitUntilClosedByServer(2, within: 10), 2)
        XCTAssertEqual(server.refusals(count: 2), [.stalledHandshake, .stalledHandshake])
    }

    func testServerSocketsFinishHandshakesWithinFiveSeconds() throws {
        let socket = try ZMQSocket(.router, context: ZMQContext())
        defer { socket.close() }
        XCTAssertEqual(try socket.libzmqValue(of: .handshakeInterval(.zero)), 30_000, "libzmq's default")
        try socket.set([.serverHandshakeTimeout])
        XCTAssertEqual(try socket.libzmqValue(of: .handshakeInterval(.zero)), 5_000)
    }
}

/// TCP connections that each sent the first 20 bytes of a ZeroMQ greeting asking for CURVE, and
/// wait; those the server closes are counted.
private final class StalledConnections {
    private var open: [pollfd] = []
    private var closed = 0

    init(count: Int, to endpoint: String) throws {
        var greeting: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0] + Array("CURVE".utf8)
        greeting += [UInt8](repeating: 0, count: 20 - greeting.count)
        for _ in 0..<count {
            let descriptor = try connectPlainTCP(to: endpoint)
            XCTAssertEqual(send(descriptor, greeting, greeting.count, Int32(MSG_NOSIGNAL)), greeting.count)
            open.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
        }
    }

    /// Waits at most `seconds` until the server closed `count` of them; returns how many it closed.
    func waitUntilClosedByServer(_ count: Int, within seconds: Double) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while closed < count && Date() < deadline { _ = closedByServer(waiting: .milliseconds(100)) }
        return closed
    }

    /// How many the server closed so far, after watching for `waiting` more.
    func closedByServer(waiting: Duration) -> Int {
        let milliseconds = Int32(waiting.components.seconds * 1000 + waiting.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&open, nfds_t(open.count), milliseconds) > 0 else { return closed }
        var buffer = [UInt8](repeating: 0, count: 256)
        for index in open.indices.reversed() where open[index].revents != 0 {
            let read = recv(open[index].fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            open[index].revents = 0
            guard read == 0 || (read < 0 && errno != EAGAIN) else { continue }  // the server's greeting
            close(open[index].fd)
            open.remove(at: index)
            closed += 1
        }
        return closed
    }

    func closeAll() {
        for connection in open { close(connection.fd) }
        open.removeAll()
    }
}

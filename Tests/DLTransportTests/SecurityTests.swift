// The job's secret and what it guards: the keys derived from it, the secret file's checks, and CURVE
// sockets with the ZAP handler: a worker holding the secret gets through; a plain socket, a client of
// another secret and a CURVE client with a key of its own get nothing through, and the refusal that
// reaches the handler is reported; the size limit of an encrypted socket lets its largest legal
// message through. Which endpoints need a secret: LocalRulesTests.

import DLTransport
import Foundation
import XCTest

final class SecurityTests: XCTestCase {
    private let secret = Array("correct horse battery staple, 32 bytes".utf8)

    func testKeysFollowFromTheSecretAlone() {
        XCTAssertEqual(JobKeys(secret: secret), JobKeys(secret: secret))
        let other = JobKeys(secret: Array("another secret, just as long as it".utf8))
        XCTAssertNotEqual(JobKeys(secret: secret).server, other.server)
        XCTAssertNotEqual(JobKeys(secret: secret).worker, other.worker)
        let keys = JobKeys(secret: secret)
        XCTAssertNotEqual(keys.server, keys.worker)
        for key in [keys.server.publicKey, keys.server.secretKey, keys.worker.publicKey, keys.worker.secretKey] {
            XCTAssertEqual(key.count, 32)
        }
    }

    private func secretFile(_ contents: String, mode: mode_t) throws -> String {
        let path = try temporaryDirectory() + "/secret"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)))
        XCTAssertEqual(chmod(path, mode), 0)
        return path
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testASecretFileOthersCanReadIsRefusedWithTheFix() throws {
        let path = try secretFile("0123456789abcdef0123456789abcdef\n", mode: 0o644)
        XCTAssertThrowsError(try JobSecret.read(path: path)) {
            XCTAssertEqual($0 as? JobSecret.Problem, .readableByOthers(path: path, mode: "644"))
            XCTAssertTrue("\($0)".hasSuffix("make it private with: chmod 600 \(path)"), "\($0)")
        }
        XCTAssertEqual(chmod(path, 0o640), 0)
        XCTAssertThrowsError(try JobSecret.read(path: path))
        XCTAssertEqual(chmod(path, 0o600), 0)
        XCTAssertEqual(try JobSecret.read(path: path), Array("0123456789abcdef0123456789abcdef".utf8), "the newline is not part of it")
    }

    func testAShortOrMissingSecretIsRefused() throws {
        let path = try secretFile("  short \n", mode: 0o600)
        XCTAssertThrowsError(try JobSecret.read(path: path)) {
            XCTAssertEqual($0 as? JobSecret.Problem, .tooShort(path: path, length: 5))
            XCTAssertTrue("\($0)".contains(JobSecret.makeCommand))
        }
        XCTAssertThrowsError(try JobSecret.read(path: path + ".missing")) {
            guard case .unreadable = $0 as? JobSecret.Problem else { return XCTFail("\($0)") }
        }
    }

    func testARunsSecretIsWrittenPrivateAndReadBackUnchanged() throws {
        let path = try temporaryDirectory() + "/run-secret"
        let secret = JobSecret.generate()
        try JobSecret.writePrivateFile(secret, to: path)
        XCTAssertEqual(try JobSecret.read(path: path), secret)
        XCTAssertNotEqual(JobSecret.generate(), secret)
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
    }

    /// An ipc socket file only its owner may connect to (connecting needs write permission), whatever
    /// the umask, so an ipc endpoint needs no secret.
    func testABoundIpcSocketFileIsPrivateToItsOwner() throws {
        let path = try temporaryDirectory() + "/private.ipc"
        let socket = try ZMQSocket(.router, context: ZMQContext())
        let previous = umask(0)
        defer { umask(previous) }
        XCTAssertEqual(try socket.bind("ipc://" + path), "ipc://" + path)
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
        XCTAssertEqual(EndpointSecurity.host(ofTCP: "tcp://[::1]:5555"), "::1")
        XCTAssertNil(EndpointSecurity.host(ofTCP: "ipc://" + path))
    }

    /// Bytes that are not ZeroMQ, over a plain TCP connection to `endpoint` (tcp://127.0.0.1:PORT);
    /// returns once the server has closed the connection (waiting at most 5 s).
    private func sendJunk(to endpoint: String) throws {
        let descriptor = try connectPlainTCP(to: endpoint)
        defer { close(descriptor) }
        let junk = Array("GET / HTTP/1.1\r\nHost: dltrain\r\n\r\n".utf8) + [UInt8](repeating: 0xAB, count: 200)
        XCTAssertEqual(junk.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }, junk.count)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var reply = [UInt8](repeating: 0, count: 256)
        var received = 0
        repeat {
            received = reply.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        } while received > 0  // the server's greeting, until it hangs up or the wait ends
        // Closed with our junk unread, the connection is reset rather than ended; a timeout is neither.
        let reset = received < 0 && errno == ECONNRESET
        XCTAssertTrue(received == 0 || reset, "the server closes a connection that does not speak ZeroMQ (errno \(errno))")
    }

    /// What a ZAP handler refused, collected from its thread.
    private final class RefusalBox: @unchecked Sendable {
        private let condition = NSCondition()
        private var items: [String] = []
        func append(_ item: String) {
            condition.withLock {
                items.append(item)
                condition.broadcast()
            }
        }
        var all: [String] { condition.withLock { items } }

        /// Waits (at most `timeout` seconds) until `count` refusals have arrived.
        func wait(for count: Int, timeout: Double) {
            let deadline = Date().addingTimeInterval(timeout)
            condition.withLock {
                while items.count < count { if !condition.wait(until: deadline) { break } }
            }
        }
    }

    /// A CURVE server with the job's keys and its context's ZAP handler, and what the handler refused.
    private final class SecuredServer {
        let router: ZMQSocket
        let endpoint: String
        let refusals = RefusalBox()
        private let handler: ZAPHandler

        init(keys: JobKeys, options: [ZMQSocketOption] = []) throws {
            let context = try ZMQContext()
            let refusals = self.refusals
            handler = try ZAPHandler(context: context, admittedKey: keys.worker.publicKey) { address, reason in
                refusals.append(address + " " + reason.description)
            }
            router = try ZMQSocket(.router, context: context)
            try router.set(options + keys.serverOptions)
            try handler.watch(router)
            endpoint = try router.bind("tcp://127.0.0.1:*")
        }

        func stop() {
            router.close()
            handler.stop()
        }
    }

    func testOnlyAWorkerHoldingTheSecretGetsThrough() throws {
        let keys = JobKeys(secret: secret)
        let server = try SecuredServer(keys: keys)
        defer { server.stop() }

        let worker = try dealer(connectedTo: server.endpoint, options: keys.clientOptions)
        XCTAssertTrue(try worker.send("hello from a worker"))
        XCTAssertEqual(try server.router.receiveText()?.text, "hello from a worker")

        let otherKeys = JobKeys(secret: Array("a secret of another job entirely".utf8))
        let stranger = try dealer(connectedTo: server.endpoint, options: otherKeys.clientOptions)
        let plain = try dealer(connectedTo: server.endpoint)
        // Knows the server's key (as only a holder of the secret could) but proves a key of its own.
        let impostor = try dealer(connectedTo: server.endpoint, options: [
            .curveServerKey(keys.server.publicKey), .curvePublicKey(otherKeys.worker.publicKey),
            .curveSecretKey(otherKeys.worker.secretKey),
        ])
        for (socket, text) in [(stranger, "from another job"), (plain, "in the clear"), (impostor, "with my own key")] {
            _ = try socket.send(text, timeout: .milliseconds(200))
        }
        try sendJunk(to: server.endpoint)
        XCTAssertNil(try server.router.receiveText(timeout: .seconds(1)), "nothing but the worker's message arrives")
        // The handler is asked about the impostor only; the others fail the handshake before it,
        // and the socket's monitor reports them with why, and with the peer's address unless the
        // connection was gone before the monitor could ask for it.
        let refusals = server.refusals.all
        let addresses = ["127.0.0.1 ", "an unknown address "]
        XCTAssertTrue(refusals.allSatisfy { line in addresses.contains { line.hasPrefix($0) } }, "\(refusals)")
        XCTAssertTrue(refusals.contains { $0.hasPrefix("127.0.0.1 ") }, "\(refusals)")
        for expected in [
            "a CURVE key that is not this job's (another secret)",
            "its handshake cannot be decrypted with this job's keys (another secret)",
        ] {
            XCTAssertTrue(refusals.contains { $0.hasSuffix(expected) }, "\(expected) among \(Set(refusals))")
        }
        // The plain socket's refusal comes with libzmq's reason or without one, as its I/O thread
        // happens to notice.
        XCTAssertTrue(refusals.contains {
            $0.hasSuffix("not encrypted (no secret, or --insecure)")
                || $0.hasSuffix("the connection failed before its handshake finished (not ZeroMQ, or not this job's encryption)")
        }, "\(Set(refusals))")

        XCTAssertTrue(try worker.send("still here"))
        XCTAssertEqual(try server.router.receiveText()?.text, "still here", "the worker's connection is undisturbed")
    }

    /// Junk ends without any handshake event; the monitor still reports it, and does not report a
    /// worker that got in and then left.
    func testJunkIsReportedAndAWorkerThatLeavesIsNot() throws {
        let keys = JobKeys(secret: secret)
        let server = try SecuredServer(keys: keys)
        defer { server.stop() }
        let worker = try dealer(connectedTo: server.endpoint, options: keys.clientOptions)
        XCTAssertTrue(try worker.send("hello"))
        XCTAssertEqual(try server.router.receiveText()?.text, "hello")
        worker.close()

        // Twice, so that the worker's disconnect, which its close starts, has long been seen.
        for count in 1...2 {
            try sendJunk(to: server.endpoint)
            server.refusals.wait(for: count, timeout: 5)
        }
        let lines = server.refusals.all
        XCTAssertEqual(lines.count, 2, "\(lines)")
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix(RefusalReason.notZeroMQ.description) }, "\(lines)")
    }

    /// A limit on messages of 1,000 bytes lets an encrypted message of 1,000 bytes through, though
    /// its frame on the wire is larger, and still stops one of 1,001 (by dropping its connection).
    func testTheMessageSizeLimitCountsWhatEncryptionAdds() throws {
        let keys = JobKeys(secret: secret)
        let server = try SecuredServer(keys: keys, options: [.maxMessageSize(payload: 1000, encrypted: true)])
        defer { server.stop() }
        let worker = try dealer(connectedTo: server.endpoint, options: keys.clientOptions)
        let largest = String(repeating: "x", count: 1000)
        XCTAssertTrue(try worker.send(largest))
        XCTAssertEqual(try server.router.receiveText()?.text, largest)

        let oversized = try dealer(connectedTo: server.endpoint, options: keys.clientOptions)
        _ = try oversized.send(largest + "y", timeout: .milliseconds(200))
        XCTAssertNil(try server.router.receiveText(timeout: .seconds(1)), "a message over the limit does not arrive")
    }
}

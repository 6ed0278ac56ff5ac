// MetricsServer over real sockets on 127.0.0.1: GET /metrics gets the exposition and anything else
// 404; clients that send nothing, or a request head past 8 KiB, neither block a scrape nor get an
// answer; stop closes the port. (EndToEndTests.MetricsTests scrapes a real run with Prometheus's
// own parser.)

import DLMetrics
import Foundation
import XCTest

final class MetricsServerTests: XCTestCase {
    private var server: MetricsServer!
    private var port: UInt16 = 0

    override func setUpWithError() throws {
        port = try Self.freePort()
        server = try MetricsServer(address: "127.0.0.1:\(port)", metrics: RunMetrics())
        try server.start()
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    func testGetMetricsAnswersWithTheExpositionAndAnythingElseWith404() throws {
        let scrape = try exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(scrape.hasPrefix("HTTP/1.1 200 OK\r\n"), scrape)
        XCTAssertTrue(scrape.contains("Content-Type: text/plain; version=0.0.4"), scrape)
        XCTAssertTrue(scrape.contains("# TYPE dltrain_epochs gauge"), scrape)
        let body = try XCTUnwrap(scrape.range(of: "\r\n\r\n")).upperBound
        XCTAssertTrue(scrape.contains("Content-Length: \(scrape[body...].utf8.count)\r\n"), scrape)
        XCTAssertTrue(try exchange("GET /metrics?name=x HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"))
        for request in ["GET / HTTP/1.1\r\n\r\n", "POST /metrics HTTP/1.1\r\n\r\n", "GET /metricsx HTTP/1.1\r\n\r\n"] {
            XCTAssertTrue(try exchange(request).hasPrefix("HTTP/1.1 404 Not Found\r\n"), request)
        }
    }

    func testIdleAndOversizedClientsDoNotBlockAScrape() throws {
        // Seven clients that say nothing hold seven of the eight places for up to 5 s each.
        let idle = try (1...7).map { _ in try connect() }
        defer { for socket in idle { close(socket) } }
        XCTAssertTrue(try exchange("GET /metrics HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"))
        // A head that never ends within 8 KiB is closed unanswered.
        let oversized = try exchange("GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: 9000))
        XCTAssertFalse(oversized.contains("HTTP/1.1"), oversized)
    }

    func testStopClosesThePort() throws {
        server.stop()
        let socket = try makeSocket()
        defer { close(socket) }
        var address = Self.loopback(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, -1, "nothing listens once stopped")
    }

    func testATakenPortIsRefusedWithTheURL() throws {
        let second = try MetricsServer(address: "127.0.0.1:\(port)", metrics: RunMetrics())
        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertEqual(
                (error as? MetricsError).map { if case .cannotListen(let url, _) = $0 { url } else { "" } },
                "http://127.0.0.1:\(port)/metrics")
        }
        XCTAssertThrowsError(try MetricsServer(address: "localhost:80", metrics: RunMetrics()))
        XCTAssertThrowsError(try MetricsServer(address: "9090", metrics: RunMetrics()))
    }

    /// Sends `request` and reads until the server closes (at most 10 s).
    private func exchange(_ request: String) throws -> String {
        let socket = try connect()
        defer { close(socket) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            answer += chunk[..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    private func connect() throws -> Int32 {
        let socket = try makeSocket()
        var address = Self.loopback(port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw SocketFailure(description: "cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        return socket
    }

    private func makeSocket() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw SocketFailure(description: "no socket: \(String(cString: strerror(errno)))") }
        return socket
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A port nobody listens on right now (bound to 0, read, closed).
    private static func freePort() throws -> UInt16 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = loopback(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard found else { throw SocketFailure(description: "cannot find a free port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

private struct SocketFailure: Error, CustomStringConvertible {
    let description: String
}

// The HTTP side of `dlcoord --metrics-address HOST:PORT`: GET /metrics answers with RunMetrics in
// the Prometheus text format, anything else with 404. start binds and listens at once (or says why
// it cannot); a thread of its own then accepts connections and answers each on a short-lived thread
// of its own, at most `maxClients` at once (more are closed at once), reading at most 8 KiB of
// request head for at most 5 s: a scrape is one small request, and a client that sends nothing, or
// too much, holds nothing for long. On the C library's sockets rather than an HTTP package: the
// one used before (FlyingFox) links Foundation's networking, and with it libcurl and thirty more
// libraries, into dlcoord (docs/design.md, "What is hand-written").

import DLCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class MetricsServer: @unchecked Sendable {
    /// What the address names: where it listens, and the URL to give users.
    public let host: String
    public let port: UInt16
    private let address: sockaddr_in
    private let metrics: RunMetrics
    /// Connections answered at once; one more is closed unanswered.
    static let maxClients = 8
    static let headLimit = 8192
    static let clientTimeout = 5.0

    private let lock = NSLock()
    private var listener: Int32 = -1
    private var stopping = false
    private var clients = 0
    private let acceptorDone = DispatchSemaphore(value: 0)

    /// `address` is HOST:PORT: an IPv4 address (0.0.0.0 or * for every interface) and a port.
    public init(address: String, metrics: RunMetrics) throws(MetricsError) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw .badAddress(address, reason: "expected HOST:PORT, e.g. 0.0.0.0:9090")
        }
        let host = String(address[..<colon])
        let listenHost = host == "*" || host.isEmpty ? "0.0.0.0" : host
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, listenHost, &socketAddress.sin_addr) == 1 else {
            throw .badAddress(address, reason: "\(host) is not an IPv4 address")
        }
        self.host = listenHost
        self.port = port
        self.address = socketAddress
        self.metrics = metrics
    }

    /// The URL Prometheus scrapes.
    public var url: String { "http://\(host):\(port)/metrics" }

    /// Listens, and answers scrapes from a thread of its own until `stop`; throws why it cannot listen.
    public func start() throws(MetricsError) {
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listening >= 0 else { throw .cannotListen(url, reason: String(cString: strerror(errno))) }
        var on: Int32 = 1
        setsockopt(listening, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = self.address
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listening, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listening, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(listening)
            throw .cannotListen(url, reason: reason)
        }
        lock.withLock { listener = listening }
        let thread = Thread { [self] in
            acceptConnections(on: listening)
            acceptorDone.signal()
        }
        thread.name = "dlcoord metrics"
        thread.start()
    }

    /// Stops accepting (within 0.1 s) and closes the listening socket; answers under way finish on their own.
    public func stop() {
        let started = lock.withLock { () -> Bool in
            stopping = true
            return listener >= 0
        }
        if started { _ = acceptorDone.wait(timeout: .now() + 2) }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func acceptConnections(on listening: Int32) {
        defer {
            close(listening)
            lock.withLock { listener = -1 }
        }
        while !isStopping {
            var ready = pollfd(fd: listening, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0 else { continue }
            let client = accept(listening, nil, nil)
            guard client >= 0 else { continue }
            // Not inherited by the workers dlcoord --spawn starts.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let admitted = lock.withLock { () -> Bool in
                guard clients < Self.maxClients else { return false }
                clients += 1
                return true
            }
            guard admitted else {
                close(client)
                continue
            }
            let answered = DetachedThread.start { [self] in
                answer(client)
                close(client)
                lock.withLock { clients -= 1 }
            }
            // No thread to be had (the process at its limit): the client is turned away, not kept.
            if !answered {
                close(client)
                lock.withLock { clients -= 1 }
            }
        }
    }

    /// Reads the request's head within the bounds, and writes the response.
    private func answer(_ client: Int32) {
        guard let head = readHead(client) else { return }
        let requestLine = head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        let method = parts.first.map { String(decoding: $0, as: UTF8.self) }
        let path = parts.count > 1 ? String(decoding: parts[1].prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self) : nil
        let response: [UInt8]
        if method == "GET", path == "/metrics" {
            response = Self.response("200 OK", type: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
        } else {
            response = Self.response("404 Not Found", type: "text/plain; charset=utf-8", body: Array("not found: dlcoord serves GET /metrics\n".utf8))
        }
        var timeout = timeval(tv_sec: Int(Self.clientTimeout), tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < response.count {
            let count = response[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// The bytes up to the blank line that ends a request's head, or nil if they do not come within
    /// the time and size bounds (the client is then closed unanswered).
    private func readHead(_ client: Int32) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(Self.clientTimeout)
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while head.count < Self.headLimit {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var ready = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, min($0.count, Self.headLimit - head.count), 0) }
            guard count > 0 else { return nil }
            head += chunk[..<count]
            if head.firstRange(of: Self.blankLine) != nil { return head }
        }
        return nil
    }

    private static let blankLine: [UInt8] = Array("\r\n\r\n".utf8)

    private static func response(_ status: String, type: String, body: [UInt8]) -> [UInt8] {
        Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    }
}

public enum MetricsError: Error, CustomStringConvertible, Equatable {
    /// --metrics-address is not HOST:PORT with an IPv4 host.
    case badAddress(String, reason: String)
    /// The server could not listen there (the address is in use, or not this machine's).
    case cannotListen(String, reason: String)

    public var description: String {
        switch self {
        case let .badAddress(address, reason): "--metrics-address \(address): \(reason)"
        case let .cannotListen(url, reason): "cannot serve metrics at \(url): \(reason)"
        }
    }
}

// The HTTP side of `dlcoord --metrics-address HOST:PORT`: GET /metrics answers with RunMetrics in
// the Prometheus text format, anything else with 404. FlyingFox serves it on Swift concurrency's
// threads, beside the coordinator's own; start returns once the port listens (or says why it
// cannot), and stop closes it.

import FlyingFox
import FlyingSocks
import Foundation

public final class MetricsServer: @unchecked Sendable {
    /// What the address names: where it listens, and the URL to give users.
    public let host: String
    public let port: UInt16
    private let server: HTTPServer
    private var task: Task<Void, any Error>?

    /// `address` is HOST:PORT: an IPv4 address (0.0.0.0 or * for every interface) and a port.
    public init(address: String, metrics: RunMetrics) throws(MetricsError) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw .badAddress(address, reason: "expected HOST:PORT, e.g. 0.0.0.0:9090")
        }
        let host = String(address[..<colon])
        let listenHost = host == "*" || host.isEmpty ? "0.0.0.0" : host
        let socketAddress: sockaddr_in
        do {
            socketAddress = try sockaddr_in.inet(ip4: listenHost, port: port)
        } catch {
            throw .badAddress(address, reason: "\(host) is not an IPv4 address")
        }
        self.host = listenHost
        self.port = port
        server = HTTPServer(address: socketAddress, logger: .disabled, handler: ClosureHTTPHandler { request in
            guard request.method == .GET, request.path == "/metrics" else { return HTTPResponse(statusCode: .notFound) }
            return HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: Data(metrics.exposition()))
        })
    }

    /// The URL Prometheus scrapes.
    public var url: String { "http://\(host):\(port)/metrics" }

    /// Starts listening; returns once it does, or throws why not within `timeout`.
    public func start(timeout: Duration = .seconds(10)) throws(MetricsError) {
        let server = self.server
        let outcome = Outcome()
        // Whichever comes first: the server failing (an address in use) or listening.
        task = Task {
            do {
                try await server.run()
            } catch {
                outcome.finish("\(error)")
            }
        }
        Task {
            do {
                try await server.waitUntilListening(timeout: Double(timeout.components.seconds))
                outcome.finish(nil)
            } catch {
                outcome.finish("\(error)")
            }
        }
        guard let result = outcome.wait(timeout: timeout + .seconds(1)) else {
            throw .cannotListen(url, reason: "it did not listen within \(timeout)")
        }
        if let reason = result { throw .cannotListen(url, reason: reason) }
    }

    public func stop() {
        task?.cancel()
        task = nil
    }

    /// A result handed from a task to the thread waiting for it, with a bound.
    private final class Outcome: @unchecked Sendable {
        private let condition = NSCondition()
        private var value: String??

        /// The first result counts.
        func finish(_ reason: String?) {
            condition.withLock {
                guard value == nil else { return }
                value = .some(reason)
                condition.broadcast()
            }
        }

        /// nil: nothing within `timeout`; .some(nil): listening; .some(reason): failed.
        func wait(timeout: Duration) -> String?? {
            let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
            return condition.withLock {
                while value == nil { if !condition.wait(until: deadline) { break } }
                return value
            }
        }
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

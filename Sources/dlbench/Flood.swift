// flood: a hostile neighbour for a running job. It opens many TCP connections to an endpoint and
// writes junk into them: half of them random bytes, half a valid ZeroMQ greeting asking for CURVE
// followed by random bytes (so the junk reaches the handshake, past the greeting check). A few
// threads keep connecting until the connections and the bytes are spent, each connection closed
// after its share; they wait for the endpoint to listen, and stop when it is gone. Tests and the benchmarks run it beside a secured run to check that the weights,
// the memory and the log hold.

import ArgumentParser
import Foundation

struct Flood: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood", abstract: "Open many TCP connections to an endpoint and write junk into them.")

    @Option(help: "The endpoint to flood, tcp://HOST:PORT (an IPv4 address).") var target: String
    @Option(help: "Connections to open in all.") var connections: Int = 10_000
    @Option(name: .customLong("junk-bytes"), help: "Bytes of junk to write in all, spread over the connections.")
    var junkBytes: Int = 100_000_000
    @Option(help: "Threads connecting at once.") var threads: Int = 8
    @Option(help: "Give up after this many seconds.") var timeout: Double = 120

    func validate() throws {
        guard connections >= 1, junkBytes >= 0, threads >= 1, timeout > 0 else {
            throw ValidationError("--connections and --threads must be at least 1, --junk-bytes at least 0")
        }
        _ = try Self.address(of: target)
    }

    /// The IPv4 address and port of `target`, tcp://HOST:PORT.
    static func address(of target: String) throws -> sockaddr_in {
        guard target.hasPrefix("tcp://"), let colon = target.lastIndex(of: ":"),
            let port = UInt16(target[target.index(after: colon)...])
        else { throw ValidationError("--target must be tcp://HOST:PORT, got \(target)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let host = String(target["tcp://".endIndex..<colon])
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ValidationError("--target needs an IPv4 address, got \(host)")
        }
        return address
    }

    func run() throws {
        let address = try Self.address(of: target)
        let perConnection = junkBytes / connections
        let counters = Counters()
        let deadline = Date().addingTimeInterval(timeout)
        let started = Clock.now()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            // Random once per thread, so that the flood's own CPU goes into connecting and writing.
            var generator = SystemRandomNumberGenerator()
            let random = (0..<max(perConnection, 64)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let greeted = Self.curveGreeting + random.dropFirst(64)
            var index = thread
            while index < connections && Date() < deadline {
                let junk = index % 2 == 1 ? greeted[...] : random[0..<perConnection]
                let written = Self.send(junk, to: address)
                counters.add(written)
                if written == nil {
                    // Not listening yet: wait for it. Gone after it was reached: the flood is over.
                    if counters.reachedTarget { break }
                    usleep(10_000)
                    continue
                }
                index += threads
            }
        }
        Report.result([
            "connections": counters.connected, "refused": counters.refused, "bytes_written": counters.written,
            "seconds": Clock.now() - started,
        ])
    }

    /// ZMTP 3.0's greeting: signature, version 3.0, mechanism "CURVE", as-server 0, filler.
    static let curveGreeting: [UInt8] = {
        var greeting: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0] + Array("CURVE".utf8)
        greeting += [UInt8](repeating: 0, count: 64 - greeting.count)
        return greeting
    }()

    /// Connects, writes `bytes` (as much as the peer takes before it closes), closes. The bytes
    /// written, or nil when the connection was refused.
    private static func send(_ bytes: ArraySlice<UInt8>, to address: sockaddr_in) -> Int? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = address
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var written = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = Glibc.send(descriptor, buffer.baseAddress! + written, buffer.count - written, Int32(MSG_NOSIGNAL))
                if count <= 0 { break }
                written += count
            }
        }
        return written
    }

    private final class Counters: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var connected = 0, refused = 0, written = 0

        /// Whether any connection got through yet (read while the other threads count).
        var reachedTarget: Bool { lock.withLock { connected > 0 } }

        func add(_ bytes: Int?) {
            lock.withLock {
                if let bytes {
                    connected += 1
                    written += bytes
                } else {
                    refused += 1
                }
            }
        }
    }
}

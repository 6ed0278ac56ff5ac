// hold-handshakes: strangers who start a ZeroMQ handshake and never finish it. Each connection sends
// the first bytes of a ZMTP greeting (20 by default: the signature, the version and the start of the
// mechanism's name, CURVE) and then says nothing more, holding the connection until the server
// closes it. New connections are opened at a steady rate until all are made, or until the target
// stops listening after it was reached (the run is over). A server that bounds nothing in the
// handshake holds one descriptor per such connection for its whole handshake timeout (libzmq's
// default: 30 s), so rate × timeout of them: the attacker of EndToEndTests.HeldHandshakeTests.
//
// Once a second it prints `PROGRESS {json}` (connections made so far, open now), and at the end
// `RESULT {json}`: connections made, those not accepted within a second, the most it held open at
// once, how many the server closed, and how long the server held them (median and longest).

import ArgumentParser
import DLCore
import Foundation

struct HoldHandshakes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-handshakes",
        abstract: "Open connections to an endpoint at a steady rate, send each a few bytes of a ZeroMQ greeting, and hold them.")

    @Option(help: "The endpoint to attack, tcp://HOST:PORT (an IPv4 address).") var target: String
    @Option(help: "Connections to open in all.") var connections: Int = 5_000
    @Option(help: "New connections per second.") var rate: Double = 100
    @Option(name: .customLong("greeting-bytes"), help: "Bytes of the greeting each connection sends (1 to 64).")
    var greetingBytes: Int = 20
    @Option(help: "Give up after this many seconds.") var timeout: Double = 120

    func validate() throws {
        guard connections >= 1, rate > 0, (1...64).contains(greetingBytes), timeout > 0 else {
            throw ValidationError("--connections must be at least 1, --rate above 0, --greeting-bytes from 1 to 64")
        }
        _ = try Flood.address(of: target)
    }

    func run() throws {
        let address = try Flood.address(of: target)
        OpenFileLimit.raise()
        let greeting = Array(Flood.curveGreeting.prefix(greetingBytes))
        var held = HeldConnections()
        var made = 0, failed = 0, peakOpen = 0
        var started = Clock.now()
        let deadline = started + timeout
        var nextProgress = started + 1
        while made + failed < connections && Clock.now() < deadline {
            let due = started + Double(made + failed) / rate
            let now = Clock.now()
            guard now >= due else {
                held.closeThoseTheServerClosed(waitingUpTo: due - now)
                continue
            }
            if let descriptor = Self.connect(to: address, sending: greeting) {
                if made == 0 { started = Clock.now() }  // the rate counts from the first connection made
                held.add(descriptor, at: Clock.now())
                made += 1
                peakOpen = max(peakOpen, held.count)
            } else if made == 0 {
                usleep(10_000)  // not listening yet
            } else if errno == ECONNREFUSED {
                break  // reached before, gone now: the run is over
            } else {
                failed += 1  // not accepted within a second: the listener's queue is full
            }
            if Clock.now() >= nextProgress {
                Report.progress(["made": made, "open": held.count, "closed_by_server": held.closedByServer.count])
                nextProgress = Clock.now() + 1
            }
        }
        held.closeThoseTheServerClosed(waitingUpTo: 0)
        let lifetimes = held.closedByServer
        Report.result([
            "connections": made, "failed": failed, "peak_open": peakOpen, "closed_by_server": lifetimes.count,
            "held_seconds_median": lifetimes.isEmpty ? 0 : Report.rounded(Report.median(lifetimes), 2),
            "held_seconds_max": Report.rounded(lifetimes.max() ?? 0, 2), "seconds": Report.rounded(Clock.now() - started, 2),
        ])
        held.closeAll()
    }

    /// A connection that sent `greeting`; nil when it was refused or not accepted within a second (the
    /// listener's queue full), with errno saying which.
    private static func connect(to address: sockaddr_in, sending greeting: [UInt8]) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var limit = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = address
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0, send(descriptor, greeting, greeting.count, Int32(MSG_NOSIGNAL)) == greeting.count else {
            let error = errno
            close(descriptor)
            errno = error
            return nil
        }
        return descriptor
    }
}

/// The connections held open, and how long the server held those it closed.
private struct HeldConnections {
    private var polled: [pollfd] = []
    private var openedAt: [Double] = []
    private(set) var closedByServer: [Double] = []

    var count: Int { polled.count }

    mutating func add(_ descriptor: Int32, at time: Double) {
        polled.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
        openedAt.append(time)
    }

    /// Waits up to `seconds` for the server to close some, and closes those on this side too (what
    /// the server sends, its greeting, is read and dropped).
    mutating func closeThoseTheServerClosed(waitingUpTo seconds: Double) {
        guard !polled.isEmpty else {
            usleep(UInt32(max(0, min(seconds, 1)) * 1e6))
            return
        }
        guard poll(&polled, nfds_t(polled.count), Int32(max(0, min(seconds, 1)) * 1000)) > 0 else { return }
        let now = Clock.now()
        var buffer = [UInt8](repeating: 0, count: 256)
        var index = 0
        while index < polled.count {
            if polled[index].revents != 0 {
                let read = recv(polled[index].fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if read == 0 || (read < 0 && errno != EAGAIN && errno != EINTR) {
                    close(polled[index].fd)
                    closedByServer.append(now - openedAt[index])
                    polled.swapAt(index, polled.count - 1)
                    openedAt.swapAt(index, openedAt.count - 1)
                    polled.removeLast()
                    openedAt.removeLast()
                    continue
                }
                polled[index].revents = 0
            }
            index += 1
        }
    }

    mutating func closeAll() {
        for connection in polled { close(connection.fd) }
        polled.removeAll()
    }
}

// Where a worker's peer socket listens, and the address the other workers reach it at.
//
// By default it follows the coordinator's endpoint: beside an `ipc://` coordinator it binds an ipc
// path of its own (a TCP peer socket asked for beside one is advertised on loopback: the workers of
// an ipc coordinator are all on its machine); for `tcp://` it binds an ephemeral port on every
// interface (on loopback beside a loopback coordinator) and advertises the
// address of the interface it reaches the coordinator through (the other workers reach the
// coordinator's network too). That address is what the kernel would use for the route to the
// coordinator's host: a UDP socket connected there (which sends nothing) tells it.

import DLCore
import DLTransport
import Foundation

enum PeerEndpoint {
    /// The endpoint to bind, from `--peer-bind` or derived from the coordinator's endpoint.
    static func bindEndpoint(requested: Endpoint?, coordinator: String) -> Endpoint {
        if let requested { return requested }
        if coordinator.hasPrefix("ipc://") {
            return Endpoint(.ipc(path: String(coordinator.dropFirst("ipc://".count)) + ".peer-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"))
        }
        // Beside a coordinator on loopback the workers are on this machine too: the peer socket
        // stays off the network, as the coordinator's does.
        let local = EndpointSecurity.reach(of: coordinator, role: .connect) == .thisMachine
        return Endpoint(.tcp(host: local ? "127.0.0.1" : "*", ports: .any))
    }

    /// `advertised`, waiting (up to `timeout`) while the coordinator's host does not resolve yet: a
    /// worker's container or pod may start before the coordinator's name exists, and a worker that
    /// starts first is expected to wait for it anyway. `waiting` is told at the first failure and
    /// then every `interval` how long it has waited and how many times it tried; the error after
    /// the timeout says how many.
    static func advertised(
        bound: String, coordinator: String, host: String?, waitingUpTo timeout: Duration, every interval: Duration,
        waiting: (_ waited: Duration, _ attempts: Int) -> Void
    ) throws -> String {
        let clock = ContinuousClock()
        let start = clock.now
        var attempts = 0, lastSaid = start - interval  // said at once, then every `interval`
        while true {
            do {
                return try advertised(bound: bound, coordinator: coordinator, host: host)
            } catch var error as PeerEndpointError where error.unresolved {
                attempts += 1
                error.attempts = attempts
                guard clock.now - start < timeout, !Interrupt.requested else { throw error }
                if clock.now - lastSaid >= interval {
                    lastSaid = clock.now
                    waiting(clock.now - start, attempts)
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// The endpoint other workers connect to, for the one `bound` (as libzmq reports it).
    static func advertised(bound: String, coordinator: String, host: String?) throws -> String {
        guard bound.hasPrefix("tcp://"), let colon = bound.lastIndex(of: ":") else { return bound }
        let port = bound[bound.index(after: colon)...]
        // Beside an ipc coordinator every worker is on this machine: loopback reaches them all.
        let address = try host ?? EndpointSecurity.host(ofTCP: coordinator).map(localAddress(towards:)) ?? "127.0.0.1"
        return "tcp://\(address.contains(":") ? "[\(address)]" : address):\(port)"
    }

    /// The local address the system would send from to reach `host`.
    static func localAddress(towards host: String) throws -> String {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, "9", &hints, &found) == 0, let info = found else {
            throw PeerEndpointError(reason: "cannot resolve the coordinator's host \(host)", unresolved: true)
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw PeerEndpointError(reason: "cannot open a socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw PeerEndpointError(reason: "no route to \(host): \(String(cString: strerror(errno)))")
        }
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw PeerEndpointError(reason: "cannot read the local address: \(String(cString: strerror(errno)))") }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let printed = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
            }
        }
        guard printed == 0 else { throw PeerEndpointError(reason: "cannot print the local address") }
        return String(cString: text)
    }
}

public struct PeerEndpointError: Error, CustomStringConvertible {
    public let reason: String
    /// The coordinator's host name did not resolve (it may yet), after this many tries.
    var unresolved = false
    var attempts = 1
    public var description: String { "cannot choose where other workers reach this one: \(reason); set --advertise HOST" }
}

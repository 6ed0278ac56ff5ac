// Where a worker's peer socket listens, and the address the other workers reach it at.
//
// By default it follows the coordinator's endpoint: beside an `ipc://` coordinator it binds an ipc
// path of its own; for `tcp://` it binds an ephemeral port on every interface (on loopback beside a
// loopback coordinator) and advertises the
// address of the interface it reaches the coordinator through (the other workers reach the
// coordinator's network too). That address is what the kernel would use for the route to the
// coordinator's host: a UDP socket connected there (which sends nothing) tells it.

import DLCore
import DLTransport
import Foundation

enum PeerEndpoint {
    /// The endpoint to bind, from `--peer-bind` or derived from the coordinator's endpoint.
    static func bindEndpoint(requested: String?, coordinator: String) -> String {
        if let requested { return requested }
        if coordinator.hasPrefix("ipc://") {
            return coordinator + ".peer-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        }
        // Beside a coordinator on loopback the workers are on this machine too: the peer socket
        // stays off the network, as the coordinator's does.
        return EndpointSecurity.isLocal(coordinator) ? "tcp://127.0.0.1:*" : "tcp://*:*"
    }

    /// `advertised`, waiting (up to `timeout`) while the coordinator's host does not resolve yet: a
    /// worker's container or pod may start before the coordinator's name exists, and a worker that
    /// starts first is expected to wait for it anyway.
    static func advertised(
        bound: String, coordinator: String, host: String?, waitingUpTo timeout: Duration, log: (String) -> Void
    ) throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var waiting = false
        while true {
            do {
                return try advertised(bound: bound, coordinator: coordinator, host: host)
            } catch let error as PeerEndpointError where error.unresolved && clock.now < deadline && !Interrupt.requested {
                if !waiting {
                    log("\(error.reason); trying again for up to \(Int(timeout / .seconds(1))) s")
                    waiting = true
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// The endpoint other workers connect to, for the one `bound` (as libzmq reports it).
    static func advertised(bound: String, coordinator: String, host: String?) throws -> String {
        guard bound.hasPrefix("tcp://"), let colon = bound.lastIndex(of: ":") else { return bound }
        let port = bound[bound.index(after: colon)...]
        let address = try host ?? localAddress(towards: EndpointSecurity.host(ofTCP: coordinator) ?? coordinator)
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
    /// The coordinator's host name did not resolve (it may yet).
    var unresolved = false
    public var description: String { "cannot choose where other workers reach this one: \(reason); set --advertise HOST" }
}

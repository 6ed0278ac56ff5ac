// A bound on the connections a CURVE server socket holds in their handshake. libzmq accepts every
// connection that arrives and keeps it until its handshake succeeds, fails or times out
// (ZMQ_HANDSHAKE_IVL); no option bounds how many it holds at once (ZMQ_BACKLOG bounds only those not
// yet accepted, ZMQ_MAX_SOCKETS counts sockets, not connections), and each is a descriptor. A
// stranger who connects and sends part of a greeting would hold one for the whole timeout. So this
// keeps a server socket's accepted connections in the order they came, and while more than `limit`
// of them are still in their handshake it ends the oldest such: it shuts the connection down, and
// libzmq, reading its end, closes it as it closes any connection whose peer left.
//
// "Still in its handshake": the server has written no more than its greeting (64 bytes). A CURVE
// server writes its next command, WELCOME, only in answer to a HELLO encrypted to its public key,
// which only a holder of the job's secret can write; so a worker's connection leaves the set one
// round trip after it is accepted, and a stranger's never does. The kernel counts what was written:
// the bytes the peer acknowledged (TCP_INFO) and those still queued (SIOCOUTQ), so a peer that does
// not acknowledge cannot make the greeting count twice, as retransmissions would.
//
// The descriptor is libzmq's: it may close it, and the number may be reused, at any moment (the
// monitor's events arrive after the fact). So nothing here closes it; the connection is examined
// and shut down through a duplicate of the descriptor, and only when the duplicate is the very
// connection accepted (the same local and peer addresses and ports, recorded when it was accepted,
// on the listener's port): a number that now belongs to another connection or file is left alone.
// A connection from the same address and port again is the same stranger's.

import CZeroMQ
import Foundation

public struct PendingHandshakes {
    /// What a ZMTP 3 server writes before its security mechanism's first command: the greeting.
    static let greetingSize = 64
    /// The connections in their handshake a socket holds at most, by default: a thousand workers
    /// (re)connecting at once finish in a few round trips and a worker that loses its place connects
    /// again, while a process at the usual soft limit of 1,024 descriptors keeps most of them free.
    public static let defaultLimit = 256

    let limit: Int
    /// The connections accepted and not yet seen to be past their greeting, closed or ended, by descriptor.
    private var connections: [Int32: Accepted] = [:]
    /// The same, in the order they were accepted (entries of connections since gone are skipped).
    private var arrivals: [(descriptor: Int32, number: UInt64)] = []
    private var oldest = 0
    private var accepted: UInt64 = 0

    private struct Accepted {
        let number: UInt64
        let identity: ConnectionIdentity
    }

    init(limit: Int = defaultLimit) {
        self.limit = limit
    }

    /// How many accepted connections may still be in their handshake.
    var count: Int { connections.count }

    /// libzmq accepted `descriptor` on the listener at `listenerPort`; returns the descriptors of the
    /// connections this shut down to stay within the limit (their disconnects follow).
    mutating func accepted(_ descriptor: Int32, listenerPort: UInt16?) -> [Int32] {
        guard let identity = ConnectionIdentity(of: descriptor), identity.localPort == listenerPort else { return [] }
        accepted += 1
        connections[descriptor] = Accepted(number: accepted, identity: identity)
        arrivals.append((descriptor, accepted))
        var ended: [Int32] = []
        while connections.count > limit && oldest < arrivals.count {
            let (descriptor, number) = arrivals[oldest]
            oldest += 1
            guard let connection = connections[descriptor], connection.number == number else { continue }
            connections[descriptor] = nil
            if Self.endIfInHandshake(descriptor, identity: connection.identity) { ended.append(descriptor) }
        }
        if oldest > 1024 && oldest * 2 > arrivals.count {
            arrivals.removeFirst(oldest)
            oldest = 0
        }
        return ended
    }

    /// libzmq closed `descriptor`.
    mutating func closed(_ descriptor: Int32) {
        connections[descriptor] = nil
    }

    /// Shuts the connection at `descriptor` down if it is still `identity` and still in its handshake.
    private static func endIfInHandshake(_ descriptor: Int32, identity: ConnectionIdentity) -> Bool {
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return false }  // no descriptor free to examine it with: the timeout ends it
        defer { close(copy) }
        guard ConnectionIdentity(of: copy) == identity, let written = bytesWritten(copy), written <= greetingSize else {
            return false
        }
        return shutdown(copy, Int32(SHUT_RDWR)) == 0
    }

    /// What this side wrote into the TCP connection at `descriptor`: acknowledged and still queued.
    private static func bytesWritten(_ descriptor: Int32) -> Int? {
        // struct tcp_info of <linux/tcp.h>, which Glibc's declaration stops short of: tcpi_bytes_acked
        // (Linux 4.1) is at byte 120.
        var info = [UInt8](repeating: 0, count: 232)
        var length = socklen_t(info.count)
        guard getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0, length >= 128 else { return nil }
        let acknowledged = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 120, as: UInt64.self) }
        // SIOCOUTQ, the bytes not yet acknowledged, is TIOCOUTQ's number for a socket.
        var queued: Int32 = 0
        guard ioctl(descriptor, UInt(TIOCOUTQ), &queued) == 0 else { return nil }
        return Int(clamping: acknowledged) + Int(queued)
    }
}

/// A TCP connection as the kernel names it: both ends' addresses and ports.
struct ConnectionIdentity: Equatable {
    let local: [UInt8]
    let peer: [UInt8]
    let localPort: UInt16

    /// The identity of the TCP connection at `descriptor`; nil for anything else.
    init?(of descriptor: Int32) {
        guard let (local, family) = Self.address(descriptor, getsockname), family == AF_INET || family == AF_INET6,
            let (peer, _) = Self.address(descriptor, getpeername)
        else { return nil }
        self.local = local
        self.peer = peer
        // sin_port and sin6_port are both the two bytes after the family, in network order.
        localPort = UInt16(local[2]) << 8 | UInt16(local[3])
    }

    private static func address(
        _ descriptor: Int32, _ name: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> ([UInt8], Int32)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { name(descriptor, $0, &length) }
        }
        guard named == 0, length >= 4 else { return nil }
        let bytes = withUnsafeBytes(of: &storage) { Array($0.prefix(Int(length))) }
        return (bytes, Int32(storage.ss_family))
    }
}

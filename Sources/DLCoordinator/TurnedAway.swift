// The peers a coordinator refused or lost while it gathered its workers, and why: a handshake
// refused (another secret, not ZeroMQ), another protocol version, bytes that are not dltrain's, a
// worker lost before the job began, a spawned worker that exited before it registered. When too
// few workers registered, the run's last message names them, so "only 1 of 2 workers registered"
// says where the second one went.

import DLProtocol
import DLTransport

/// One peer turned away for one reason, and how often.
public struct TurnedAwayPeer: Equatable, Sendable, CustomStringConvertible {
    public enum Peer: Hashable, Sendable {
        /// Its network address, as the transport saw it (the handshake failed before any message).
        case address(String)
        /// A worker by the name and host it gave.
        case worker(name: String, host: String)
        /// A peer that gave no name (an ipc peer has no address either).
        case unnamed
    }

    public enum Reason: Hashable, Sendable {
        /// Refused in the handshake or by the authentication handler.
        case refused(RefusalReason)
        /// It speaks another protocol version (sent a reject).
        case protocolVersion(UInt16)
        /// Its bytes are not a dltrain message of this version.
        case undecodable(String)
        /// It registered, then was lost before the job began.
        case lost(String)
        /// A worker process this coordinator spawned exited before it registered.
        case exitedBeforeRegistering(String)
    }

    public let peer: Peer
    public let reason: Reason
    public internal(set) var times: Int

    public var description: String {
        let who = switch peer {
        case let .address(address): "a peer at \(address)"
        case let .worker(name, host): "\(name) (\(host))"
        case .unnamed: "a peer"
        }
        let why = switch reason {
        case let .refused(refusal): "\(refusal)"
        case let .protocolVersion(version):
            "it speaks protocol version \(version), this coordinator \(MessageCodec.version) (another dltrain release)"
        case let .undecodable(problem): problem
        case let .lost(reason): "registered, then lost: \(reason)"
        case let .exitedBeforeRegistering(description): description
        }
        return "\(who)\(times > 1 ? " (\(times) times)" : ""): \(why)"
    }
}

struct TurnedAway {
    private(set) var peers: [TurnedAwayPeer] = []
    /// Distinct peer-reason pairs kept at most: a flood from many addresses must not grow it.
    static let limit = 100
    /// Shown in the run's last message at most; the rest are counted.
    static let shown = 5

    mutating func record(_ peer: TurnedAwayPeer.Peer, _ reason: TurnedAwayPeer.Reason) {
        if let index = peers.firstIndex(where: { $0.peer == peer && $0.reason == reason }) {
            peers[index].times += 1
        } else if peers.count < Self.limit {
            peers.append(TurnedAwayPeer(peer: peer, reason: reason, times: 1))
        }
    }

    /// "; turned away: ..." for the run's last message, or nothing.
    var summary: String { Self.summary(of: peers) }

    static func summary(of peers: [TurnedAwayPeer]) -> String {
        guard !peers.isEmpty else { return "" }
        let listed = peers.prefix(shown).map(\.description).joined(separator: "; ")
        let more = peers.count > shown ? "; and \(peers.count - shown) more" : ""
        return "; turned away: \(listed)\(more)"
    }
}

// The coordinator session's dealings with peers that are not (or no longer) its workers: a peer of
// another protocol version (a reject), bytes that are not dltrain's, a refusal the transport
// reports (a handshake of another secret), a goodbye to acknowledge. While it gathers its workers,
// each is remembered (TurnedAway) for the message that ends a gathering in vain.

import DLProtocol
import DLTransport

extension CoordinatorSession {
    /// A peer the transport refused before any message (the handshake, or the authentication
    /// handler): the coordinator process reports each one here, from its socket's monitor.
    public func peerRefused(address: String, reason: RefusalReason) {
        if isGathering { turnedAway.record(.address(address), .refused(reason)) }
    }

    /// The peers refused or lost so far while gathering the workers, in the order first seen.
    public var peersTurnedAway: [TurnedAwayPeer] { turnedAway.peers }

    /// A message that could not be decoded: a peer of another version is told so once (a reject it
    /// can read), anything else is dropped and reported.
    func refuse(_ peer: PeerID, _ error: ProtocolError, bytes: UnsafeRawBufferPointer) {
        let known = workers.worker(for: peer)
        if case let .versionMismatch(theirs, _) = error {
            if rejectedPeers.insert(peer).inserted {
                send(peer, Envelope(jobId: jobId, round: 0, message: .reject(
                    reason: "this coordinator speaks dltrain protocol version \(MessageCodec.version); \(error)")))
                report(.peerRejected(theirVersion: theirs))
                if isGathering {
                    let name = MessageCodec.identity(ofForeignHello: bytes)
                    turnedAway.record(name.map { .worker(name: $0.name, host: $0.host) } ?? .unnamed, .protocolVersion(theirs))
                }
            }
            return
        }
        if isGathering && known == nil { turnedAway.record(.unnamed, .undecodable("\(error)")) }
        report(.messageDropped(from: known?.record, type: nil, reason: .undecodable(error)))
    }

    /// Tells a worker that said goodbye (a failure message: it was stopped, or cannot go on) that it
    /// was heard: it waits for this, bounded, and otherwise says the coordinator may not know.
    func acknowledgeGoodbye(of peer: PeerID) {
        send(peer, Envelope(jobId: jobId, round: 0, message: .stop(StopNotice(
            finished: false, reason: "the coordinator took this worker's goodbye; its shards go to the other workers"))))
    }

    var isGathering: Bool {
        if case .gathering = phase { return true }
        return false
    }
}

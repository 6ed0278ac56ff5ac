// Refusals in the log, bounded: the first refusal of a peer is logged at once, and
// after it at most one line per interval, counting the refusals it stands for, so a client retrying
// with a wrong key every 100 ms, or 2,000 junk messages, make a line or two rather than thousands.
// A line stands for the refusals since the peer's previous line: its count is logged with the first
// refusal after the interval, at a `tick` after it, or at `flush` (when the socket closes), so no
// refusal goes uncounted. Peers beyond `limit` share one line the same way, so that a flood from
// many addresses cannot fill the log or the memory either.

import Foundation

public final class RefusalLog: @unchecked Sendable {
    /// One line of the log: what was refused, and how many refusals it stands for.
    public struct Line: Equatable, Sendable, CustomStringConvertible {
        /// The first refusal of the peer, in words; nil for the peers beyond the limit.
        public let text: String?
        /// The refusals this line stands for.
        public let times: Int
        /// The time since the peer's previous line; nil for its first.
        public let over: Duration?

        public var description: String {
            guard let over else { return text ?? "refused more peers than are named one by one; the others are counted together" }
            let seconds = Int((over / .seconds(1)).rounded(.up))
            guard let text else { return "refused the other peers \(times) more time\(times == 1 ? "" : "s") in the last \(seconds) s" }
            return "\(text) (\(times) more from this peer in the last \(seconds) s)"
        }
    }

    /// Distinct peers given a line of their own at most.
    public static let limit = 100
    /// The least time between two lines of one peer.
    public static let interval = Duration.seconds(30)

    private struct Peer {
        let text: String?
        var lastLine: ContinuousClock.Instant
        /// Refusals since the last line.
        var pending = 0
    }

    private let emit: @Sendable (Line) -> Void
    private let interval: Duration
    private let limit: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let lock = NSLock()
    private var peers: [String: Peer] = [:]
    /// The peers beyond the limit, together.
    private var others: Peer?

    /// `emit` writes one line to the process's log (as a warning); `now` is the clock (a test's own).
    public init(
        interval: Duration = RefusalLog.interval, limit: Int = RefusalLog.limit,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        emit: @escaping @Sendable (Line) -> Void
    ) {
        self.interval = interval
        self.limit = limit
        self.now = now
        self.emit = emit
    }

    /// A refusal of the peer at `address` by the transport (the handshake, the ZAP handler).
    /// Its line names the first reason; the count after it, every refusal of the address since.
    public func report(address: String, reason: RefusalReason) {
        record(peer: address, "refused a peer at \(address): \(reason); it is not admitted to the job")
    }

    /// A refusal of `peer` (a key: one line per interval for each), in words as `text` says it.
    public func record(peer: String, _ text: @autoclosure () -> String) {
        let line: Line? = lock.withLock {
            let now = now()
            if peers[peer] == nil && peers.count < limit {
                let text = text()
                peers[peer] = Peer(text: text, lastLine: now)
                return Line(text: text, times: 1, over: nil)
            }
            if peers[peer] != nil {
                peers[peer]!.pending += 1
                return take(&peers[peer]!, now: now, due: true)
            }
            guard others != nil else {
                others = Peer(text: nil, lastLine: now)
                return Line(text: nil, times: 1, over: nil)
            }
            others!.pending += 1
            return take(&others!, now: now, due: true)
        }
        if let line { emit(line) }
    }

    /// Logs the counts of the peers whose interval has passed since their last line.
    public func tick() { emitPending(all: false) }

    /// Logs every count not logged yet (when the socket closes).
    public func flush() { emitPending(all: true) }

    private func emitPending(all: Bool) {
        let lines: [Line] = lock.withLock {
            let now = now()
            var lines = peers.keys.sorted().compactMap { take(&peers[$0]!, now: now, due: !all) }
            if others != nil, let line = take(&others!, now: now, due: !all) { lines.append(line) }
            return lines
        }
        for line in lines { emit(line) }
    }

    /// The line for `peer`'s pending refusals, if it has any and (when `due`) its interval has passed.
    private func take(_ peer: inout Peer, now: ContinuousClock.Instant, due: Bool) -> Line? {
        guard peer.pending > 0, !due || now - peer.lastLine >= interval else { return nil }
        defer {
            peer.pending = 0
            peer.lastLine = now
        }
        return Line(text: peer.text, times: peer.pending, over: now - peer.lastLine)
    }
}

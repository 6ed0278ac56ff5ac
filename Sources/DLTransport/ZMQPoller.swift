// ZMQPoller.swift
// Waits, with a bounded timeout, until any of several sockets has a message to
// receive, so one thread can serve e.g. a ROUTER and a control socket.

import CZeroMQ
import Glibc

/// Polls a fixed set of sockets for readability. Like the sockets themselves,
/// use it from the thread that owns them.
public struct ZMQPoller {
    public let sockets: [ZMQSocket]

    public init(_ sockets: [ZMQSocket]) {
        self.sockets = sockets
    }

    /// Waits at most `timeout` (zero: just check) until at least one socket has a
    /// message, and returns the readable sockets in the order given (empty on
    /// timeout). Compare them with `===`.
    public func poll(timeout: Duration) throws(TransportError) -> [ZMQSocket] {
        var items = [zmq_pollitem_t]()
        items.reserveCapacity(sockets.count)
        for socket in sockets {
            // Handles are read on every poll because a socket may have been closed
            // since the poller was made; polling a closed one fails with ENOTSOCK.
            let handle = try socket.liveHandle("poll")
            items.append(zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        }
        let deadline = ContinuousClock.Instant.deadline(after: timeout)
        try retryingInterrupts("poll") {
            zmq_poll(&items, Int32(items.count), Int((deadline - .now).zmqMilliseconds))
        }
        return zip(sockets, items).filter { $0.1.revents & Int16(ZMQ_POLLIN) != 0 }.map(\.0)
    }
}

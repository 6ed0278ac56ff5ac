// Waiting on several sockets at once, for a process that listens on more than one (a worker hears
// the coordinator on one socket and the other workers on another). Bounded like every wait here.

import CZeroMQ

extension ZMQSocket {
    /// Waits at most `timeout` until at least one of `sockets` has a message to receive; returns,
    /// for each, whether it has one (all false when the time ran out).
    public static func waitForMessages(on sockets: [ZMQSocket], timeout: Duration) throws(TransportError) -> [Bool] {
        var items: [zmq_pollitem_t] = []
        for socket in sockets {
            items.append(zmq_pollitem_t(socket: try socket.liveHandle("poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        }
        let deadline = ContinuousClock.Instant.deadline(after: timeout)
        while true {
            let ready = zmq_poll(&items, Int32(items.count), Int((deadline - .now).zmqMilliseconds))
            if ready >= 0 { break }
            let code = zmq_errno()
            if code != EINTR { throw TransportError.from(errno: code, operation: "poll") }
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

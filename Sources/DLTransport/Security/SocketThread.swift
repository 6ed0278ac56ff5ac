// A thread of its own that serves one raw libzmq socket until stopped: it waits for the socket to be
// readable (at most 0.1 s at a time, so that a stop is noticed), calls `serve` for each readiness,
// and closes the socket when it ends. The ZAP handler and the handshake monitors run on one each:
// both must answer while the process's own thread is busy, and both own a socket no other thread
// touches.

import CZeroMQ
import Foundation

final class SocketThread: @unchecked Sendable {
    private let socket: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)

    /// Starts serving `socket`, which it owns from now on; `serve` returns false to end early.
    init(name: String, socket: UnsafeMutableRawPointer, serve: @escaping @Sendable (UnsafeMutableRawPointer) -> Bool) {
        self.socket = socket
        let thread = Thread { [self] in
            let socket = self.socket
            defer {
                zmq_close(socket)
                finished.signal()
            }
            var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            while !lock.withLock({ stopRequested }) {
                let ready = zmq_poll(&item, 1, 100)
                if ready < 0 && zmq_errno() != EINTR { return }  // the context was terminated
                if ready > 0 && !serve(socket) { return }
            }
        }
        thread.name = name
        thread.start()
    }

    /// Stops serving; returns once the thread has closed the socket and finished (within about 0.1 s).
    func stop() {
        lock.withLock { stopRequested = true }
        finished.wait()
    }
}

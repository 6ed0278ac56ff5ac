// A thread of its own that serves one raw libzmq socket until stopped: it waits for the socket to be
// readable, calls `serve` for each readiness, and closes the socket when it ends. The ZAP handler and
// the handshake monitors run on one each: both must answer while the process's own thread is busy,
// and both own a socket no other thread touches. A stop wakes the wait through a pipe, so that a
// process with these threads ends as soon as one without them.

import CZeroMQ
import Foundation

final class SocketThread: @unchecked Sendable {
    private let socket: UnsafeMutableRawPointer
    /// The stop's wake-up: `stop` writes a byte to [1], the thread's wait watches [0].
    private var wake: [Int32] = [-1, -1]
    private let finished = DispatchSemaphore(value: 0)

    /// Starts serving `socket`, which it owns from now on; `serve` returns false to end early.
    init(name: String, socket: UnsafeMutableRawPointer, serve: @escaping @Sendable (UnsafeMutableRawPointer) -> Bool)
        throws(TransportError)
    {
        self.socket = socket
        guard pipe(&wake) == 0 else {
            zmq_close(socket)
            throw TransportError.from(errno: errno, operation: "create the \(name)'s wake-up pipe")
        }
        let thread = Thread { [self] in
            defer {
                zmq_close(self.socket)
                finished.signal()
            }
            var items = [
                zmq_pollitem_t(socket: self.socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                zmq_pollitem_t(socket: nil, fd: wake[0], events: Int16(ZMQ_POLLIN), revents: 0),
            ]
            while true {
                let ready = zmq_poll(&items, 2, -1)
                if ready < 0 && zmq_errno() != EINTR { return }  // the context was terminated
                if items[1].revents != 0 { return }
                if items[0].revents != 0 && !serve(self.socket) { return }
            }
        }
        thread.name = name
        thread.start()
    }

    /// Stops serving; returns once the thread has closed the socket and finished.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wake[1], &byte, 1)
        finished.wait()
        close(wake[0])
        close(wake[1])
    }
}

// A few descriptors held back for the run's own files. Every connection libzmq accepts is a
// descriptor, and a process whose descriptors are all taken cannot open a checkpoint (EMFILE):
// strangers' connections would end a run they cannot otherwise touch. The connections are bounded
// where they are accepted (the handshake timeout, and DLTransport's PendingHandshakes); this is the
// line behind that bound. Each command holds `size` descriptors (of /dev/null) from its start
// (CommandMain), and a file that cannot be opened for lack of descriptors is opened again at once
// after they are released. Released descriptors are free for any thread, libzmq's I/O thread
// accepting connections too, so when that still fails the open waits and tries again, with
// back-off, for a bounded time: long enough for the handshake timeout to end strangers' connections.
// Once a file is open, the reserve is taken again, as far as descriptors are free.
//
// ENFILE (the whole system is out of descriptors) is treated alike: the reserve frees system-wide
// descriptors too, and waiting gives the other processes time to close theirs.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

public enum DescriptorReserve {
    /// Descriptors held back.
    public static let size = 8
    /// How long an open waits in all for a descriptor before it fails: twice the handshake timeout of
    /// the sockets others connect to (5 s), after which no stranger's connection is left open.
    public static let patience = Duration.seconds(10)

    private static let held = Mutex<[Int32]>([])

    /// The descriptors held back now.
    public static var count: Int { held.withLock { $0.count } }

    /// Takes descriptors until `size` are held, as many as are free.
    public static func hold() {
        held.withLock { held in
            while held.count < size {
                let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { return }
                held.append(descriptor)
            }
        }
    }

    /// Closes the descriptors held back; true if there were any.
    static func release() -> Bool {
        held.withLock { held in
            for descriptor in held { close(descriptor) }
            defer { held.removeAll() }
            return !held.isEmpty
        }
    }

    /// Whether an open failed for lack of descriptors, the process's (EMFILE) or the system's (ENFILE).
    public static func isExhaustion(_ error: Int32) -> Bool { error == EMFILE || error == ENFILE }

    /// Calls `open` (a call that returns a descriptor, or -1 with errno set) until it returns a
    /// descriptor or fails for another reason than a lack of descriptors: again at once after
    /// releasing the reserve, then after waits of 10 ms doubling up to 1 s, for `patience` in all.
    /// Returns what the last call returned, with errno as it left it.
    public static func opening(patience: Duration = patience, _ open: () -> Int32) -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        var wait = Duration.milliseconds(10)
        while true {
            let descriptor = open()
            if descriptor >= 0 {
                hold()
                return descriptor
            }
            let error = errno
            guard isExhaustion(error) else { return descriptor }
            if release() { continue }
            let now = clock.now
            guard now < deadline else {
                errno = error
                return descriptor
            }
            sleep(for: min(wait, deadline - now))
            wait = min(wait * 2, .seconds(1))
        }
    }

    private static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&time, &left) != 0 && errno == EINTR { time = left }
    }
}

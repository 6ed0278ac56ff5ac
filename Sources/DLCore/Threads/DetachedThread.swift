// A thread started for one piece of background work, or a clear "no": Foundation's
// Thread.detachNewThread gives no sign when the system refuses a thread (a process at its limit of
// threads or of memory), and work handed to it would then wait for ever. The caller does the work
// itself when `start` returns false.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum DetachedThread {
    /// Runs `body` on a new detached thread; false, with `body` not run, if no thread could be started.
    public static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
            body.run()
            return nil
        }, box)
        guard started == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}

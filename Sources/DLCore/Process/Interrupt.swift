// Ctrl-C (SIGINT) and SIGTERM become a flag the coordinator's loop checks at least ten times a
// second, so the run ends cleanly and the workers are told instead of the process dying mid-step.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum Interrupt {
    /// Written only by the signal handler, read by the loop; a sig_atomic_t is safe for exactly that.
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func install() {
        signal(SIGINT) { _ in Interrupt.flag = 1 }
        signal(SIGTERM) { _ in Interrupt.flag = 1 }
    }
}

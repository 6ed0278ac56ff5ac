// Ctrl-C (SIGINT) and SIGTERM become a flag that the coordinator's and the worker's loops check at
// least ten times a second, so a process told to stop ends cleanly and tells the other side,
// instead of dying mid-step. SIGTERM is what Kubernetes, Slurm and podman send; a process that is
// its container's PID 1 would not even die of it without a handler (the kernel ignores it then).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum Interrupt {
    /// The signal received, 0 for none. Written only by the signal handler, read by the loop; a
    /// sig_atomic_t is safe for exactly that.
    nonisolated(unsafe) private static var received: sig_atomic_t = 0

    public static var requested: Bool { received != 0 }

    /// How the stop was asked for, for a log line: "Ctrl-C" or "SIGTERM".
    public static var cause: String { received == SIGTERM ? "SIGTERM" : "Ctrl-C" }

    /// The signal received (SIGINT or SIGTERM), 0 for none.
    public static var signalNumber: Int32 { Int32(received) }

    public static func install() {
        signal(SIGINT) { number in Interrupt.received = sig_atomic_t(number) }
        signal(SIGTERM) { number in Interrupt.received = sig_atomic_t(number) }
    }
}

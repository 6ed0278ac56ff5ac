// Milliseconds.swift
// libzmq takes every time value as a C int of milliseconds; this is the single
// place where a Swift Duration is turned into one.

extension Duration {
    /// The longest wait libzmq can express (about 24.8 days). Longer requests are
    /// clamped to it, which keeps deadline arithmetic from overflowing.
    static let longestZMQWait = Duration.milliseconds(Int32.max)

    /// This duration in whole milliseconds for libzmq: negative becomes 0, a
    /// fraction rounds up (so a short positive wait never turns into "don't
    /// wait"), and anything beyond `longestZMQWait` is clamped.
    var zmqMilliseconds: Int32 {
        if self <= .zero { return 0 }
        if self >= Self.longestZMQWait { return Int32.max }
        let (seconds, attoseconds) = components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let milliseconds = seconds * 1000 + (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        return Int32(milliseconds)
    }
}

extension ContinuousClock.Instant {
    /// The deadline `timeout` from now, with the timeout clamped to what libzmq can wait.
    static func deadline(after timeout: Duration) -> ContinuousClock.Instant {
        .now.advanced(by: Swift.min(timeout, .longestZMQWait))
    }
}

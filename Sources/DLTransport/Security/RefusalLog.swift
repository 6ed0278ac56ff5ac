// One log line per peer the authentication refused, not one per attempt: a client retrying with a
// wrong key every 100 ms must not fill the log. The lines stop after a bound, with a last one that
// says so, so a flood from many addresses cannot either.

import Foundation

public final class RefusalLog: @unchecked Sendable {
    private let emit: @Sendable (String) -> Void
    private let lock = NSLock()
    private var reported: Set<String> = []
    /// Distinct addresses logged at most; after it, one line says further refusals go unlogged.
    public static let limit = 100

    /// `emit` writes one line to the process's log (as a warning).
    public init(emit: @escaping @Sendable (String) -> Void) {
        self.emit = emit
    }

    /// Logs a refusal of `address` the first time it is seen.
    public func report(address: String, reason: RefusalReason) {
        let line: String? = lock.withLock {
            guard reported.count <= Self.limit, reported.insert(address).inserted else { return nil }
            return reported.count > Self.limit
                ? "refused more than \(Self.limit) peers; further refusals are not logged"
                : "refused a peer at \(address): \(reason); it is not admitted to the job"
        }
        if let line { emit(line) }
    }
}

// A timeout as every dltrain command line takes it: seconds, checked where the flag enters, so that no
// value (nan, inf, 1e300, a negative number) reaches the Duration arithmetic that would trap on it.

import ArgumentParser

public struct Seconds: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    /// The longest timeout a flag may set: a week, far beyond any wait dltrain makes, and far below
    /// what a Duration or a millisecond count can hold.
    public static let longest: Double = 7 * 24 * 3600

    public let value: Double

    public init(_ value: Double) {
        self.value = value
    }

    public init?(argument: String) {
        guard let value = Double(argument), value.isFinite, value > 0, value <= Self.longest else { return nil }
        self.value = value
    }

    /// A flag's value, or the usage error that says which values it takes (a flag's `transform`).
    public static func parse(_ argument: String) throws -> Seconds {
        guard let seconds = Seconds(argument: argument) else {
            throw ValidationError("a number of seconds above 0 and at most a week (\(Int(longest))), such as 30 or 0.5")
        }
        return seconds
    }

    public var duration: Duration { .milliseconds(Int64((value * 1000).rounded(.up))) }

    public var description: String { value == value.rounded() ? String(Int(value)) : String(value) }

    public static var defaultCompletionKind: CompletionKind { .default }
}

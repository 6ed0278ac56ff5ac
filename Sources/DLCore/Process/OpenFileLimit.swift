// How many descriptors the process may hold open, raised as far as it may go when a command starts.
// Every connection a socket accepts is a descriptor, and so is every file a run writes. The soft
// limit most systems start a process with (1,024) is a few hundred connections beyond a run's own
// needs, while the hard limit, which a process may raise its soft limit to without privileges, is
// usually far higher (524,288 under systemd; containers often give 1,048,576). So dlcoord, dlworker
// and dlmodel raise the soft limit to the hard one first thing, as servers (nginx, PostgreSQL) and
// the JVM do.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public struct OpenFileLimit: Equatable, Sendable, CustomStringConvertible {
    /// The limit the process runs with now.
    public let soft: Int
    /// The highest the process may raise `soft` to.
    public let hard: Int
    /// The soft limit the process started with, when it was raised.
    public let raisedFrom: Int?

    public init(soft: Int, hard: Int, raisedFrom: Int? = nil) {
        self.soft = soft
        self.hard = hard
        self.raisedFrom = raisedFrom
    }

    /// The process's limits now; nil when the system does not say.
    public static func current() -> OpenFileLimit? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        return OpenFileLimit(soft: count(limit.rlim_cur), hard: count(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (to the kernel's ceiling, fs.nr_open, where the hard
    /// limit is unlimited) and returns the limits then in force; nil when the system does not say.
    /// A raise the system refuses leaves the limit as it was.
    @discardableResult
    public static func raise() -> OpenFileLimit? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let before = limit.rlim_cur
        var target = limit.rlim_max
        if target == unlimited { target = kernelCeiling() ?? before }
        guard target > before else { return OpenFileLimit(soft: count(before), hard: count(limit.rlim_max)) }
        limit.rlim_cur = target
        guard setrlimit(resource, &limit) == 0 else { return OpenFileLimit(soft: count(before), hard: count(limit.rlim_max)) }
        return OpenFileLimit(soft: count(target), hard: count(limit.rlim_max), raisedFrom: count(before))
    }

    /// "up to 1048576 open descriptors (soft limit raised from 1024)", for a log line.
    public var description: String {
        "up to \(soft) open descriptors" + (raisedFrom.map { " (soft limit raised from \($0))" } ?? "")
    }

    /// RLIMIT_NOFILE as getrlimit takes it; RLIM_INFINITY (all bits set), which Swift does not import.
    private static let resource = Int32(RLIMIT_NOFILE.rawValue)
    private static let unlimited = rlim_t.max

    private static func count(_ value: rlim_t) -> Int {
        value == unlimited || value > rlim_t(Int.max) ? Int.max : Int(value)
    }

    /// /proc/sys/fs/nr_open: the most descriptors the kernel lets one process hold.
    private static func kernelCeiling() -> rlim_t? {
        guard let file = fopen("/proc/sys/fs/nr_open", "r") else { return nil }
        defer { fclose(file) }
        var text = [UInt8](repeating: 0, count: 32)
        let length = fread(&text, 1, text.count, file)
        return UInt64(String(decoding: text[..<length].prefix { (48...57).contains($0) }, as: UTF8.self)).map { rlim_t($0) }
    }
}

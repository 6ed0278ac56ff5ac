// How much memory a job may take, checked before anything is allocated for it: what a trainer
// needs (MemoryNeed, from the model's parameter count, the rows it holds, ...) against what this
// process can have, which is the system's available memory (MemAvailable) lowered by the
// process's cgroup memory limit less what the cgroup already uses (a container's --memory,
// systemd's MemoryMax), in cgroup v2 (`memory.max`, `memory.current`) and v1
// (`memory.limit_in_bytes`, `memory.usage_in_bytes`), and by what `ulimit -v` leaves of the address
// space. A job that does not fit is refused with
// what it would need, instead of trapping inside an allocation hours later or being killed.
//
// The sizes are counted with overflow-checked arithmetic: a need past Int.max bytes is "more than
// can be counted", never a wrapped small number.

import Glibc
import Synchronization

/// What something needs in memory: its parts, each named, in bytes (nil: more than can be counted).
public struct MemoryNeed: Sendable, Equatable, CustomStringConvertible {
    public struct Part: Sendable, Equatable {
        public let what: String
        public let bytes: Int?

        public init(_ what: String, bytes: Int?) {
            self.what = what
            self.bytes = bytes
        }
    }

    public var parts: [Part]

    public init(_ parts: [Part]) {
        self.parts = parts
    }

    /// The sum of the parts; nil when it is more than can be counted.
    public var total: Int? {
        var sum = 0
        for part in parts {
            guard let bytes = part.bytes else { return nil }
            let (next, overflow) = sum.addingReportingOverflow(bytes)
            if overflow { return nil }
            sum = next
        }
        return sum
    }

    /// `count` values of `size` bytes each; nil when the product overflows or a factor is negative.
    public static func bytes(_ count: Int, of size: Int) -> Int? { product([count, size]) }

    /// The product of `factors`, nil when it overflows or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// The total and its largest parts: "17.6 TB (the parameters and their gradients: 17.6 TB, ...)".
    public var description: String {
        let shown = parts.filter { ($0.bytes ?? 1) > 0 }.map { "\($0.what): \(MemoryBudget.format($0.bytes))" }
        return MemoryBudget.format(total) + (shown.isEmpty ? "" : " (\(shown.joined(separator: "; ")))")
    }
}

/// A need that does not fit: what needs how much, what is available, and what to change.
public struct MemoryShortage: Error, Sendable, Equatable, CustomStringConvertible {
    /// What needs the memory: "training this model", "the coordinator's job".
    public let what: String
    public let need: MemoryNeed
    /// The bytes this process may still take.
    public let available: Int
    /// What to change, naming the flags.
    public let hint: String

    public var description: String {
        "\(what) needs \(need), but \(MemoryBudget.format(available)) of memory is available; \(hint)"
    }
}

public enum MemoryBudget {
    /// A smaller budget than the machine's, for code that must not take much (the fuzzer, tests);
    /// nil in every real run, which has what the system and its cgroup allow.
    public static var cap: Int? {
        get {
            let value = capValue.load(ordering: .relaxed)
            return value < 0 ? nil : value
        }
        set { capValue.store(newValue ?? -1, ordering: .relaxed) }
    }

    private static let capValue = Atomic<Int>(-1)

    /// The bytes this process may still allocate: MemAvailable, lowered by the cgroup's limit less
    /// its usage and by `cap`; the physical memory when MemAvailable cannot be read.
    public static func available() -> Int {
        let system = meminfo(field: "MemAvailable") ?? physicalMemory()
        let cgroup = AvailableCPUs.smallestCgroupLimit(controller: "memory") { directory, version -> Int? in
            let (limitFile, usageFile) = version == 2
                ? ("memory.max", "memory.current") : ("memory.limit_in_bytes", "memory.usage_in_bytes")
            // "max" (v2) or a page-rounded Int64.max (v1) is no limit; either reads as no number or a huge one.
            guard let limit = AvailableCPUs.readSmallFile(directory + "/" + limitFile).flatMap(number), limit < system else {
                return nil
            }
            let usage = AvailableCPUs.readSmallFile(directory + "/" + usageFile).flatMap(number) ?? 0
            return max(0, limit - usage)
        }
        return min(system, cgroup ?? Int.max, addressSpaceLeft() ?? Int.max, cap ?? Int.max)
    }

    /// What `ulimit -v` (RLIMIT_AS) leaves of the address space; nil without a limit.
    private static func addressSpaceLeft() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,  // RLIM_INFINITY
            let statm = AvailableCPUs.readSmallFile("/proc/self/statm"),
            let pages = statm.split(separator: " ").first.flatMap({ Int($0) }),
            let used = MemoryNeed.product([pages, max(sysconf(Int32(_SC_PAGESIZE)), 0)])
        else { return nil }
        return max(0, Int(clamping: limit.rlim_cur) - used)
    }

    /// Refuses `need` when it is more than is available.
    public static func check(_ need: MemoryNeed, for what: String, hint: String) throws(MemoryShortage) {
        let available = available()
        if let total = need.total, total <= available { return }
        throw MemoryShortage(what: what, need: need, available: available, hint: hint)
    }

    /// "1.5 GB", "812 MB", "17.6 TB" (powers of 1000, as `free -h --si` and the kernel's log do not,
    /// but as a disk's size is written); nil as "more than can be counted".
    public static func format(_ bytes: Int?) -> String {
        guard let bytes else { return "more bytes than can be counted" }
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : (value >= 100 ? "\(Int(value.rounded())) " : "\((value * 10).rounded() / 10) ") + units[unit]
    }

    /// A field of /proc/meminfo, in bytes.
    private static func meminfo(field: String) -> Int? {
        guard let text = AvailableCPUs.readSmallFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let words = line.dropFirst(field.count + 1).split(separator: " ")
            guard let kilobytes = words.first.flatMap({ Int($0) }) else { return nil }
            return MemoryNeed.bytes(kilobytes, of: 1024)
        }
        return nil
    }

    private static func physicalMemory() -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return MemoryNeed.product([max(pages, 0), max(size, 0)]) ?? Int.max
    }

    private static func number(_ text: String) -> Int? { Int(text.filter { !$0.isWhitespace }) }
}

// What the subcommands share: order statistics, a monotonic clock in seconds, and the one JSON
// line each prints for bench/run.py.

import Foundation

enum Report {
    /// The `RESULT {json}` line: keys sorted, so runs compare line by line.
    static func result(_ values: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        print("RESULT " + String(decoding: data, as: UTF8.self))
        fflush(nil)  // every stream: the driver reads the line as soon as it is printed
    }

    /// A `PROGRESS {json}` line, for a test that waits for a command's progress while it runs.
    static func progress(_ values: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        print("PROGRESS " + String(decoding: data, as: UTF8.self))
        fflush(nil)
    }

    /// The median of `values` (the mean of the two middle ones for an even count).
    static func median(_ values: [Double]) -> Double {
        percentile(values, 50)
    }

    /// The `p`-th percentile with linear interpolation between closest ranks (numpy's default).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        precondition(!values.isEmpty)
        let sorted = values.sorted()
        let position = p / 100 * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = Int(position.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}

/// Seconds on the monotonic clock, and the process's CPU time.
enum Clock {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func processCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// A failure a subcommand reports as one line and exit status 1.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

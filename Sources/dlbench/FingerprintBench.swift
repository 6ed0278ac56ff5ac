// fingerprint: how fast dltrain names a data file's content (DataFingerprint: its size and SHA-256),
// which every run computes over the whole CSV before training, and the coordinator and workers
// compare. The file is read into memory first, so the repetitions time the hashing alone.

import ArgumentParser
import DLData
import Foundation

struct FingerprintBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint", abstract: "MB/s of DataFingerprint (SHA-256) over a file already in memory.")

    @Option(help: "The file to fingerprint.") var path: String
    @Option(help: "Timed repetitions.") var reps: Int = 5

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { throw BenchError("cannot read \(path)") }
        var seconds: [Double] = []
        var fingerprint = DataFingerprint(size: 0, sha256: "")
        for _ in 0..<reps {
            let started = Clock.now()
            fingerprint = data.withUnsafeBytes { DataFingerprint(bytes: $0) }
            seconds.append(Clock.now() - started)
        }
        let megabytes = Double(data.count) / 1e6, median = Report.median(seconds)
        print("\(path): \(fingerprint); median \(String(format: "%.4f", median)) s (\(String(format: "%.0f", megabytes / median)) MB/s), "
            + "best \(String(format: "%.4f", seconds.min()!)) s")
        Report.result([
            "case": "fingerprint", "file_bytes": data.count, "sha256": fingerprint.sha256,
            "times_s": seconds.map { Report.rounded($0, 5) }, "median_s": Report.rounded(median, 5),
            "MB_per_s_median": Report.rounded(megabytes / median, 1),
        ])
    }
}

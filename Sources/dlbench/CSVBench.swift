// csv: how fast dltrain reads a numeric CSV file into float32 features and labels, the way a job
// reads its data: CSVDocument.open (the whole file into memory, the header decision) and
// read(features:labels:) (tokenize, parse, check every field). The file is read once first, so
// every timed repetition reads it from the page cache, as the anchors' load_bench.py does.

import ArgumentParser
import DLData
import Foundation

struct CSVBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv", abstract: "MB/s of CSVDocument.open + read(features:labels:) on a file (last column the label).")

    @Option(help: "The CSV file (no header; the last column is the label).") var path: String
    @Option(help: "Timed repetitions.") var reps: Int = 5

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
    }

    func run() throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int, size > 0 else {
            throw BenchError("cannot read \(path)")
        }
        _ = try CSVDocument.open(path: path, options: CSVOptions(header: .absent))  // warms the page cache

        var seconds: [Double] = [], openSeconds: [Double] = [], cpuSeconds: [Double] = []
        var rows = 0, columns = 0
        for _ in 0..<reps {
            let cpu = Clock.processCPU(), started = Clock.now()
            let document = try CSVDocument.open(path: path, options: CSVOptions(header: .absent))
            let opened = Clock.now()
            let n = document.columnCount
            let parsed = try document.read(features: Array(0..<(n - 1)), labels: [n - 1])
            let finished = Clock.now()
            seconds.append(finished - started)
            openSeconds.append(opened - started)
            cpuSeconds.append(Clock.processCPU() - cpu)
            rows = parsed.rowCount
            columns = n
        }
        let megabytes = Double(size) / 1e6
        let best = seconds.min()!, median = Report.median(seconds)
        print("\(path): \(rows) rows x \(columns) columns, \(size) bytes; best \(String(format: "%.3f", best)) s "
            + "(\(String(format: "%.1f", megabytes / best)) MB/s), median \(String(format: "%.3f", median)) s "
            + "(\(String(format: "%.1f", megabytes / median)) MB/s)")
        Report.result([
            "case": "csv", "impl": "dltrain CSVDocument", "file_bytes": size, "rows": rows, "columns": columns,
            "times_s": seconds.map { Report.rounded($0, 4) }, "open_s": openSeconds.map { Report.rounded($0, 4) },
            "cpu_s": cpuSeconds.map { Report.rounded($0, 4) },
            "best_s": Report.rounded(best, 4), "median_s": Report.rounded(median, 4),
            "MB_per_s_best": Report.rounded(megabytes / best, 1), "MB_per_s_median": Report.rounded(megabytes / median, 1),
        ])
    }
}

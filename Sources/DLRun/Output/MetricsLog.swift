// metrics.jsonl: one JSON object per epoch with `epoch`, `seconds` and every value under the name
// Keras's History uses (`loss`, `accuracy`, `val_loss`, ...). Each line is flushed as the epoch ends,
// so a run that stops early keeps every finished epoch.

import DLTraining
import Foundation

public final class MetricsLog: TrainingObserver {
    public let path: String
    private let handle: FileHandle

    /// Creates the file at `path` holding the epochs of `history` (those before a resumed run's
    /// checkpoint), replacing what was there.
    public init(path: String, history: [EpochReport] = []) throws {
        self.path = path
        let lines = history.map { Self.line($0) + "\n" }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(lines.utf8)) else {
            throw RunError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
        } catch {
            throw RunError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }

    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {
        do {
            try handle.write(contentsOf: Data((Self.line(report) + "\n").utf8))
        } catch {
            throw RunError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// The JSON object for one epoch, keys in a fixed order. Values use the shortest text that
    /// reads back as the same double; a value that is not finite is written as null.
    static func line(_ report: EpochReport) -> String {
        var fields = ["\"epoch\": \(report.epoch)", "\"seconds\": \(number(report.seconds))"]
        fields += report.values.map { "\"\($0.name)\": \(number($0.value))" }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

    /// The epochs the metrics.jsonl of `runDirectory` records; a path that is no run directory is
    /// named as such.
    public static func read(runDirectory: String) throws -> [EpochReport] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory) else {
            throw RunError.notARunDirectory(path: runDirectory, reason: "no such directory")
        }
        guard isDirectory.boolValue else {
            throw RunError.notARunDirectory(path: runDirectory, reason: "it is a file; give the directory a run wrote")
        }
        let path = runDirectory + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError.notARunDirectory(
                path: runDirectory, reason: "it holds no metrics.jsonl, which dlcoord writes in a run directory as each epoch ends")
        }
        return try read(path: path)
    }

    /// The largest metrics.jsonl read: a million epochs of lines of about 500 bytes.
    static let maximumSize = 512 << 20

    /// The epochs a metrics.jsonl records, its values in the order written (a null is left out).
    public static func read(path: String) throws -> [EpochReport] {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, maximum: maximumSize, bound: "a metrics log of a million epochs takes")
        } catch {
            throw RunError.badMetricsLog(path: path, line: 0, reason: "\(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw RunError.badMetricsLog(path: path, line: 0, reason: "it is not UTF-8 text")
        }
        return try text.split(separator: "\n").enumerated().map { index, line in
            func bad(_ reason: String) -> RunError { .badMetricsLog(path: path, line: index + 1, reason: reason) }
            var epoch: Int?, seconds = 0.0, values: [EpochReport.NamedValue] = []
            for field in line.matches(of: /"([^"]+)":\s*([^,}\s]+)/) {
                let name = String(field.1), text = String(field.2)
                if text == "null" { continue }
                guard let value = Double(text) else { throw bad("\(name) is \(text), not a number") }
                // dltrain writes a value that is not finite as null: "inf" or "nan" was written by hand.
                guard value.isFinite else { throw bad("\(name) is \(text), not a finite number or null") }
                switch name {
                case "epoch": epoch = Int(text)
                case "seconds": seconds = value
                default: values.append(.init(name: name, value: value))
                }
            }
            guard let epoch, epoch > 0 else { throw bad("no epoch number") }
            return EpochReport(epoch: epoch, seconds: seconds, steps: 0, values: values)
        }
    }
}

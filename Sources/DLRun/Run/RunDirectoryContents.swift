// What a run directory holds, sorted by what it means: the files that make a run (checkpoints after
// at least one step, a model file, epochs in metrics.jsonl, the chart), dltrain's files that hold
// nothing of a run by themselves (an empty metrics.jsonl, TensorBoard's files, spawned workers'
// logs, a stale temporary file, run.json), and everything else, which dltrain never removes.
//
// A directory that holds a run is refused to a new run (unless --overwrite); the rest of dltrain's
// files are what a run that ended before its first epoch leaves, and a new run clears them.

import Foundation

public struct RunDirectoryContents: Sendable, Equatable {
    public let path: String
    /// Whether the path exists (as a directory: a file there is an error when it is read).
    public let exists: Bool
    /// Checkpoint files after at least one applied step, newest first, and the newest's step count.
    public private(set) var checkpoints: [String] = []
    public private(set) var newestCheckpointSteps = 0
    /// model.safetensors and model-best.safetensors, those present.
    public private(set) var models: [String] = []
    /// Epoch lines in metrics.jsonl.
    public private(set) var loggedEpochs = 0
    /// curves.svg, drawn after a run's first epoch.
    public private(set) var hasCurves = false
    /// dltrain's other files and folders, relative to the directory; folders after their files.
    public private(set) var leftovers: [String] = []
    /// Entries dltrain did not write, relative to the directory.
    public private(set) var others: [String] = []

    /// A run's files by their names: what every run writes, and what a run may add.
    static let runFiles = ["model.safetensors", "model-best.safetensors", "metrics.jsonl", "curves.svg"]
    static let eventFolders = ["train", "validation"]

    /// Reads the directory at `path` (a missing one holds nothing).
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        guard exists else { return }
        guard isDirectory.boolValue else {
            throw RunError.cannotWrite(path: path, reason: "it is a file, and a run directory must be a directory")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw RunError.cannotWrite(path: path, reason: "cannot read the run directory: \(error.localizedDescription)")
        }
        for name in names { sort(name) }
        checkpoints.sort(by: >)
    }

    private mutating func sort(_ name: String) {
        let full = path + "/" + name
        if let steps = Self.checkpointSteps(name) {
            if steps > 0 {
                checkpoints.append(name)
                newestCheckpointSteps = max(newestCheckpointSteps, steps)
            } else {
                leftovers.append(name)  // taken before any step: nothing was trained
            }
        } else if name == "model.safetensors" || name == "model-best.safetensors" {
            models.append(name)
        } else if name == "metrics.jsonl" {
            let text = (try? String(contentsOfFile: full, encoding: .utf8)) ?? ""
            loggedEpochs = text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.count
            if loggedEpochs == 0 { leftovers.append(name) }
        } else if name == "curves.svg" {
            hasCurves = true
        } else if name == RunLock.fileName || name == ".job-secret" || Self.isWorkerLog(name) || Self.isStaleTemporary(name) {
            leftovers.append(name)
        } else if Self.eventFolders.contains(name), Self.isFolder(full) {
            let inside = ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted()
            for entry in inside {
                if entry.hasPrefix("events.out.tfevents.") { leftovers.append(name + "/" + entry) } else { others.append(name + "/" + entry) }
            }
            if inside.allSatisfy({ $0.hasPrefix("events.out.tfevents.") }) { leftovers.append(name) }
        } else {
            others.append(name)
        }
    }

    /// Whether a run trained anything here: what a new run would lose or mix with.
    public var holdsRun: Bool { !checkpoints.isEmpty || !models.isEmpty || loggedEpochs > 0 || hasCurves }

    /// Every file and folder of dltrain's here, run or leftover, except run.json (the lock).
    public var dltrainEntries: [String] {
        checkpoints + models + (loggedEpochs > 0 ? ["metrics.jsonl"] : []) + (hasCurves ? ["curves.svg"] : [])
            + leftovers.filter { $0 != RunLock.fileName }
    }

    /// What the run here left, for a message: "2 checkpoints (the newest after 94 steps),
    /// model.safetensors, metrics.jsonl with 2 epochs".
    public var runSummary: String {
        var parts: [String] = []
        if !checkpoints.isEmpty {
            let count = checkpoints.count == 1 ? "1 checkpoint" : "\(checkpoints.count) checkpoints"
            parts.append("\(count) (the newest after \(newestCheckpointSteps) steps)")
        }
        parts += models
        if loggedEpochs > 0 { parts.append("metrics.jsonl with \(loggedEpochs) epoch\(loggedEpochs == 1 ? "" : "s")") }
        if hasCurves { parts.append("curves.svg") }
        return parts.joined(separator: ", ")
    }

    /// Removes the files and folders `dltrainEntries` names (those `selected`; folders only once
    /// empty); returns those removed. Entries dltrain did not write stay.
    func clear(_ selected: (String) -> Bool = { _ in true }) throws -> [String] {
        var removed: [String] = []
        for entry in dltrainEntries where selected(entry) {
            let full = path + "/" + entry
            if Self.eventFolders.contains(entry) {
                if rmdir(full) == 0 { removed.append(entry + "/") }
                continue
            }
            do {
                try FileManager.default.removeItem(atPath: full)
                removed.append(entry)
            } catch {
                throw RunError.cannotWrite(path: full, reason: "cannot remove the earlier run's file: \(error.localizedDescription)")
            }
        }
        return removed
    }

    /// checkpoint-0000000470.safetensors -> 470.
    static func checkpointSteps(_ name: String) -> Int? {
        guard name.hasPrefix("checkpoint-"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst("checkpoint-".count).dropLast(".safetensors".count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// worker-3.log, what a spawned worker writes.
    static func isWorkerLog(_ name: String) -> Bool {
        guard name.hasPrefix("worker-"), name.hasSuffix(".log") else { return false }
        let digits = name.dropFirst("worker-".count).dropLast(".log".count)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// NAME.tmp-PID, what AtomicFile leaves of one of dltrain's files when its writer is killed.
    /// (Only read under the run's lock, so no other run is writing it.)
    static func isStaleTemporary(_ name: String) -> Bool {
        guard let marker = name.range(of: ".tmp-", options: .backwards) else { return false }
        let target = String(name[..<marker.lowerBound]), pid = name[marker.upperBound...]
        guard !pid.isEmpty, pid.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return runFiles.contains(target) || checkpointSteps(target) != nil
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

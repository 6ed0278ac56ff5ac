// The run directory's rules, in one process: default names unique per run however many start in one
// second; what counts as a run, a leftover, or someone else's file; a new run refused where a run is,
// --overwrite removing only dltrain's files, a resume clearing only what a killed process left
// half-written; the lock refusing a second holder and naming the first; and the resume command
// quoted so that a shell gives back every word.

@testable import DLRun
import DLTestSupport
import Foundation
import XCTest

final class RunDirectoryTests: XCTestCase {
    func testDefaultDirectoriesStartedInOneSecondAreDistinct() throws {
        let parent = try temporaryDirectory(self) + "/runs"
        let now = Date(timeIntervalSince1970: 1_796_645_000)
        let first = try RunDirectory.makeDefault(parent: parent, now: now)
        XCTAssertTrue(first.madeParent)
        let stamp = (first.path as NSString).lastPathComponent
        XCTAssertNotNil(stamp.wholeMatch(of: /\d{8}-\d{6}/), stamp)
        XCTAssertEqual(try RunDirectory.makeDefault(parent: parent, now: now).path, "\(parent)/\(stamp)-2")
        // Many at once, as a sweep started with & does: each gets a directory of its own.
        let lock = NSLock()
        nonisolated(unsafe) var paths: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let path = try? RunDirectory.makeDefault(parent: parent, now: now).path
            lock.withLock { if let path { paths.append(path) } }
        }
        XCTAssertEqual(paths.count, 8)
        XCTAssertEqual(Set(paths).count, 8)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent).count, 10)
        // Sorted by name, the second's runs come after the ones of the second before.
        let earlier = try RunDirectory.makeDefault(parent: parent, now: now - 1).path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent).sorted().first, (earlier as NSString).lastPathComponent)

        // A run that failed its checks leaves neither its directory nor a runs/ it made.
        let alone = try temporaryDirectory(self) + "/runs"
        RunDirectory.removeIfEmpty(try RunDirectory.makeDefault(parent: alone, now: now))
        XCTAssertFalse(FileManager.default.fileExists(atPath: alone))
    }

    func testContentsTellARunFromLeftoversAndOthersFiles() throws {
        let directory = try temporaryDirectory(self)
        func file(_ name: String, _ text: String = "x") throws {
            try FileManager.default.createDirectory(
                atPath: ((directory + "/" + name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        // What a distributed run that never reached its first epoch leaves: nothing of a run.
        try file("metrics.jsonl", "")
        try file("train/events.out.tfevents.1796645000.host.12.0.v2")
        try file("worker-1.log")
        try file("checkpoint-0000000000.safetensors")
        try file("model.safetensors.tmp-4242")
        try file("run.json", "{}")
        try file("data.csv")
        try file("validation/notes.txt")
        var contents = try RunDirectoryContents(path: directory)
        XCTAssertFalse(contents.holdsRun)
        XCTAssertEqual(contents.others, ["data.csv", "validation/notes.txt"])
        XCTAssertEqual(contents.dltrainEntries.sorted(), [
            "checkpoint-0000000000.safetensors", "metrics.jsonl", "model.safetensors.tmp-4242", "train",
            "train/events.out.tfevents.1796645000.host.12.0.v2", "worker-1.log",
        ])
        // Each of these makes it a run.
        for name in ["checkpoint-0000000047.safetensors", "model.safetensors", "model-best.safetensors", "curves.svg"] {
            try file(name)
            XCTAssertTrue(try RunDirectoryContents(path: directory).holdsRun, name)
            try FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        try file("metrics.jsonl", "{\"epoch\": 1}\n{\"epoch\": 2}\n")
        try file("checkpoint-0000000094.safetensors")
        try file("checkpoint-0000000047.safetensors")
        try file("model.safetensors")
        contents = try RunDirectoryContents(path: directory)
        XCTAssertTrue(contents.holdsRun)
        XCTAssertEqual(contents.runSummary, "2 checkpoints (the newest after 94 steps), model.safetensors, metrics.jsonl with 2 epochs")
        XCTAssertEqual(contents.checkpoints, ["checkpoint-0000000094.safetensors", "checkpoint-0000000047.safetensors"])

        try Data().write(to: URL(fileURLWithPath: directory + "/plain-file"))
        XCTAssertThrowsError(try RunDirectoryContents(path: directory + "/plain-file"))
        XCTAssertFalse(try RunDirectoryContents(path: directory + "/missing").exists)
    }

    func testANewRunIsRefusedWhereARunIsAndOverwriteRemovesOnlyDltrainsFiles() throws {
        let directory = try temporaryDirectory(self)
        let files = ["checkpoint-0000000047.safetensors", "model.safetensors", "curves.svg", "notes.txt", "train/events.out.tfevents.1.h.1.0.v2"]
        try FileManager.default.createDirectory(atPath: directory + "/train", withIntermediateDirectories: true)
        for name in files { try Data(name.utf8).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        try Data("{\"epoch\": 1}\n".utf8).write(to: URL(fileURLWithPath: directory + "/metrics.jsonl"))
        let record = RunRecord(command: ["dlcoord", "--local"])

        for attempt in [{ try RunDirectory.check(directory, for: .start) }, { _ = try RunDirectory.claim(directory, for: .start, record: record) }] {
            XCTAssertThrowsError(try attempt()) { error in
                guard case let .runDirectoryHoldsRun(path, contents, _, resumable) = error as? RunError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, directory)
                XCTAssertEqual(contents, "1 checkpoint (the newest after 47 steps), model.safetensors, metrics.jsonl with 1 epoch, curves.svg")
                XCTAssertTrue(resumable)
                XCTAssertTrue("\(error)".contains("--resume \(directory)"), "\(error)")
                XCTAssertTrue("\(error)".contains("--overwrite"), "\(error)")
            }
        }
        for name in files { XCTAssertEqual(try String(contentsOfFile: directory + "/" + name, encoding: .utf8), name, "refused, untouched") }

        // A resume goes on with the run, clearing only a killed writer's half-written file and the
        // secret a killed `--spawn` made for its workers.
        try Data().write(to: URL(fileURLWithPath: directory + "/checkpoint-0000000094.safetensors.tmp-77"))
        try Data().write(to: URL(fileURLWithPath: directory + "/.job-secret"))
        var claim = try RunDirectory.claim(directory, for: .resume, record: record)
        XCTAssertEqual(Set(claim.removed), ["checkpoint-0000000094.safetensors.tmp-77", ".job-secret"])
        claim.lock.release()
        XCTAssertEqual(RunRecord.read(directory: directory), record)

        claim = try RunDirectory.claim(directory, for: .overwrite, record: record)
        claim.lock.release()
        XCTAssertEqual(claim.kept, ["notes.txt"])
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["notes.txt", "run.json"],
            "the run's files, its event files and their folder are gone; the user's file stays")
    }

    func testTheLockRefusesASecondRunAndNamesTheFirst() throws {
        let directory = try temporaryDirectory(self)
        let record = RunRecord(command: ["dlcoord", "--workers", "2", "--run-dir", directory], workers: 2, bind: "tcp://*:5555")
        let claim = try RunDirectory.claim(directory, for: .start, record: record)
        // flock belongs to the open file, so a second open in this process is refused like another process.
        for attempt in [{ try RunDirectory.check(directory, for: .resume) }, { _ = try RunDirectory.claim(directory, for: .overwrite, record: record) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertEqual(error as? RunError, .runDirectoryInUse(directory: directory, holder: record.holderDescription))
                XCTAssertTrue("\(error)".contains("pid \(getpid()) on \(ProcessInfo.processInfo.hostName), started "), "\(error)")
                XCTAssertTrue("\(error)".contains(": dlcoord --workers 2 --run-dir \(directory)"), "\(error)")
            }
        }
        claim.lock.release()
        XCTAssertNil(RunLock.holder(of: directory))

        // A run.json that something else wrote is never rewritten.
        let foreign = try temporaryDirectory(self)
        let theirs = Data("{\"name\": \"their own run.json\"}".utf8)
        try theirs.write(to: URL(fileURLWithPath: foreign + "/run.json"))
        XCTAssertThrowsError(try RunDirectory.check(foreign, for: .start)) { XCTAssertTrue("\($0)".contains("not a dltrain run record"), "\($0)") }
        XCTAssertThrowsError(try RunDirectory.claim(foreign, for: .overwrite, record: record))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: foreign + "/run.json")), theirs)
        XCTAssertNoThrow(try RunDirectory.check(directory, for: .start))
        XCTAssertEqual(RunRecord.read(directory: directory)?.bind, "tcp://*:5555", "the record stays for a resume")
    }

    func testTheResumeCommandReplacesTheRunDirectoryAndAddsWhatCameFromDefaults() throws {
        let started = ["dlcoord", "--workers", "4", "--run-dir", "runs/a", "--resume=auto", "--overwrite", "--layers", "8:relu,1:sigmoid"]
        XCTAssertEqual(
            ResumeCommand.make(arguments: started, runDirectory: "runs/a", resumable: true, bind: "tcp://*:5555", secretFile: "/s"),
            ["dlcoord", "--resume", "runs/a", "--workers", "4", "--layers", "8:relu,1:sigmoid", "--bind", "tcp://*:5555", "--secret-file", "/s"])
        XCTAssertEqual(
            ResumeCommand.make(arguments: ["dlcoord", "--bind=ipc:///x", "--workers", "1"], runDirectory: "runs/b", resumable: false, bind: "ipc:///x"),
            ["dlcoord", "--run-dir", "runs/b", "--bind=ipc:///x", "--workers", "1"], "nothing trained: the same run starts again there")

        let words = ["/opt/dl train/dlcoord", "--bind", "tcp://*:5555", "--run-dir", "it's here", "--data", "a;b $HOME `x` \"q\"", ""]
        let line = ResumeCommand.shellLine(words)
        XCTAssertTrue(line.hasPrefix("'/opt/dl train/dlcoord' --bind 'tcp://*:5555' --run-dir"), line)
        let echoed = try runProcess("/bin/sh", ["-c", "for word in \(line); do printf '%s\\n' \"$word\"; done"], timeout: 10)
        XCTAssertEqual(echoed.outputText, words.map { $0 + "\n" }.joined())
    }
}

// Running the real executables from the tests: a bounded wait (a hung process is killed and the
// test fails), output captured through files (no pipe can fill and block), and no process left
// behind.

import Foundation
import XCTest

struct Executable {
    struct Result {
        let status: Int32
        let output: String
        let errors: String
        let timedOut: Bool
    }

    /// The folder `swift build` put the executables in, beside the test bundle.
    static let productsDirectory = Bundle.main.bundleURL

    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    let name: String

    /// Runs the executable with `arguments` in `directory` and waits at most `timeout` seconds.
    func run(_ arguments: [String], in directory: String = Executable.repositoryRoot, timeout: Double = 120) throws -> Result {
        try start(arguments, in: directory).wait(timeout: timeout)
    }

    /// Starts the executable without waiting for it.
    func start(_ arguments: [String], in directory: String = Executable.repositoryRoot) throws -> RunningProcess {
        try RunningProcess(executable: Self.productsDirectory.appendingPathComponent(name), arguments: arguments, directory: directory)
    }
}

/// A started process whose output goes to files; waiting for it is always bounded.
final class RunningProcess {
    let process = Process()
    private let scratch: URL
    private let finished = DispatchSemaphore(value: 0)
    private var result: Executable.Result?

    init(executable: URL, arguments: [String], directory: String) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        for url in [outputURL, errorURL] {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        }
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [finished] _ in finished.signal() }
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: scratch)
    }

    private var outputURL: URL { scratch.appendingPathComponent("stdout") }
    private var errorURL: URL { scratch.appendingPathComponent("stderr") }

    var pid: Int32 { process.processIdentifier }

    /// What the process wrote to standard error so far.
    var errorsSoFar: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits at most `timeout` seconds; a process still running then is killed and reported as timed out.
    func wait(timeout: Double) -> Executable.Result {
        if let result { return result }
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        let result = Executable.Result(
            status: process.terminationStatus,
            output: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "",
            timedOut: timedOut)
        self.result = result
        return result
    }

    /// Waits (bounded) until standard error contains `text`; returns whether it did.
    func waitForError(containing text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if errorsSoFar.contains(text) { return true }
            if !process.isRunning { return errorsSoFar.contains(text) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-e2e-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

extension XCTestCase {
    /// A private ipc endpoint for one test.
    func ipcEndpoint() throws -> String {
        "ipc://" + (try temporaryDirectory(self)) + "/coordinator.ipc"
    }

    /// The model file of `dlcoord --local` with `flags`: what every distributed variant must equal.
    func localModel(_ flags: [String]) throws -> Data {
        let directory = try temporaryDirectory(self)
        let result = try Executable(name: "dlcoord").run(["--local", "--verbose", "0", "--run-dir", directory] + flags)
        XCTAssertEqual(result.status, 0, result.errors)
        return try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
    }

    func model(in directory: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
    }

    /// Waits (bounded; polling the file) until `directory/metrics.jsonl` has `count` lines.
    func waitForEpochs(_ count: Int, in directory: String, timeout: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count >= count { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}

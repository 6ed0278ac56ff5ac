// Running the real executables from the tests: a bounded wait (a hung process is killed and the
// test fails), both output streams read as they come (no pipe can fill and block the process), and
// no process left behind.

import DLTestSupport
import DLTransport
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

    let name: String
    /// nil: the build's executable, started by its path. Otherwise a PATH through which `name` is
    /// found as a shell finds it: its argv[0] is then the bare name, as when a user types it.
    var searchPath: String? = nil

    /// Runs the executable with `arguments` in `directory` and waits at most `timeout` seconds.
    func run(_ arguments: [String], in directory: String = Repository.root, timeout: Double = 120) throws -> Result {
        try start(arguments, in: directory).wait(timeout: timeout)
    }

    /// Starts the executable without waiting for it, with `environment` added to this process's.
    func start(_ arguments: [String], in directory: String = Repository.root, environment: [String: String] = [:]) throws -> RunningProcess {
        guard let searchPath else {
            return try RunningProcess(
                executable: Self.productsDirectory.appendingPathComponent(name), arguments: arguments, directory: directory,
                environment: environment)
        }
        // env looks `name` up through PATH and executes it under that name (execvp), as a shell does.
        return try RunningProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: [name] + arguments, directory: directory,
            environment: environment.merging(["PATH": searchPath]) { $1 })
    }
}

/// A started process whose output the test collects as it comes (through pipes, read by handlers,
/// so no pipe fills and blocks the process). Every wait is for an event (output, exit) with a bound.
final class RunningProcess: @unchecked Sendable {
    let process = Process()
    // Shared with the pipes' handlers and the termination handler, under `condition`.
    private let condition = NSCondition()
    private var output = Data(), errors = Data()
    private var openStreams = 2
    private var exited = false
    private var result: Executable.Result?

    init(executable: URL, arguments: [String], directory: String, environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        for isError in [false, true] {
            let pipe = Pipe()
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                if data.isEmpty { handle.readabilityHandler = nil }
                self?.received(data, isError: isError)
            }
            if isError { process.standardError = pipe } else { process.standardOutput = pipe }
        }
        process.terminationHandler = { [weak self] _ in self?.changed { $0.exited = true } }
        try process.run()
    }

    /// Kills a process still running, without waiting: Foundation reaps it. (`waitUntilExit` would
    /// never return for a child whose daemon kept the descriptor Foundation watches for its exit.)
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func received(_ data: Data, isError: Bool) {
        changed { this in
            if data.isEmpty {
                this.openStreams -= 1
            } else if isError {
                this.errors.append(data)
            } else {
                this.output.append(data)
            }
        }
    }

    private func changed(_ update: (RunningProcess) -> Void) {
        condition.lock()
        update(self)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `ready` holds or `timeout` seconds pass; returns whether it held.
    private func wait(timeout: Double, until ready: (RunningProcess) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !ready(self) {
            if !condition.wait(until: deadline) { return ready(self) }
        }
        return true
    }

    var pid: Int32 { process.processIdentifier }

    /// What the process wrote to standard error so far.
    var errorsSoFar: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: errors, as: UTF8.self)
    }

    /// Sends `signal` to the process.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits at most `timeout` seconds for the process to exit; one still running then is killed
    /// and reported as timed out. Its output is complete once both pipes are closed.
    func wait(timeout: Double) -> Executable.Result {
        if let result { return result }
        var timedOut = false
        if !wait(timeout: timeout, until: { $0.exited }) {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            _ = wait(timeout: 30, until: { $0.exited })
        }
        // Children that inherited the pipes could hold them open: a bound keeps that from hanging.
        _ = wait(timeout: 30, until: { $0.openStreams == 0 })
        condition.lock()
        // A process that outlived even SIGKILL's bound has no status to read (reading it would trap).
        let result = Executable.Result(
            status: exited ? process.terminationStatus : -1, output: String(decoding: output, as: UTF8.self),
            errors: String(decoding: errors, as: UTF8.self), timedOut: timedOut)
        condition.unlock()
        self.result = result
        return result
    }

    /// Waits (bounded) until standard error contains `text`; returns whether it did.
    func waitForError(containing text: String, timeout: Double) -> Bool {
        wait(timeout: timeout) { String(decoding: $0.errors, as: UTF8.self).contains(text) || $0.exited }
            && errorsSoFar.contains(text)
    }

    /// Waits (bounded) until standard output so far satisfies `ready`; returns whether it did.
    func waitForOutput(timeout: Double, until ready: (String) -> Bool) -> Bool {
        var satisfied = false
        _ = wait(timeout: timeout) { process in
            satisfied = ready(String(decoding: process.output, as: UTF8.self))
            return satisfied || process.exited
        }
        return satisfied
    }

    /// Waits (bounded) until standard output contains `text`; returns whether it did.
    func waitForOutput(containing text: String, timeout: Double) -> Bool {
        wait(timeout: timeout) { String(decoding: $0.output, as: UTF8.self).contains(text) || $0.exited }
    }
}

extension XCTestCase {
    /// A private ipc endpoint for one test.
    func ipcEndpoint() throws -> String {
        "ipc://" + (try temporaryDirectory(self)) + "/coordinator.ipc"
    }

    /// A TCP port nobody listens on right now.
    func freePort() throws -> Int {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.router, context: context)
        let endpoint = try socket.bind("tcp://127.0.0.1:*")
        socket.close()
        return Int(endpoint.split(separator: ":").last!)!
    }

    /// A secret file only its owner can read, in a temporary folder of the test.
    func secretFile(_ secret: String = "a secret only this test's processes hold, 44b") throws -> String {
        let path = try temporaryDirectory(self) + "/job.secret"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]))
        return path
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
}

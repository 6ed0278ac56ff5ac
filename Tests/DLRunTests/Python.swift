// Running a Python script of the test environment from the file tests, which read dltrain's files
// with the Python `safetensors` package.

import DLTestSupport
import Foundation

/// The Python of the test environment (.build/python, made by deploy/install-deps.sh --test).
enum Python {
    static var executable: String {
        let venv = Repository.root + "/.build/python/bin/python3"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    /// Runs `script` and returns its standard output; a failure carries its standard error. The
    /// child writes both streams to files, so neither can fill a pipe and stop it whatever it
    /// prints; one still running after `timeout` seconds is killed and reported.
    static func run(_ script: String, arguments: [String], timeout: Double = 120) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout"), errorFile = directory.appendingPathComponent("stderr")
        for file in [outputFile, errorFile] {
            // One that cannot be made fails below, in FileHandle(forWritingTo:), naming the file.
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", script] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 10)
            throw PythonError(message: "\(executable) did not finish within \(Int(timeout)) s; killed")
        }
        guard process.terminationStatus == 0 else {
            throw PythonError(
                message: "\(executable) failed (run deploy/install-deps.sh --test for its packages): "
                    + String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
        }
        return String(decoding: try Data(contentsOf: outputFile), as: UTF8.self)
    }

    struct PythonError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

// Running a Python script of the test environment from the tests that check dltrain against real
// Python clients (the `safetensors` package reading its files, `prometheus-client` its metrics).

import Foundation

/// The Python of the test environment (.build/python, made by deploy/install-deps.sh --test).
public enum Python {
    public static var executable: String {
        let venv = Repository.root + "/.build/python/bin/python3"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    /// Runs `script` and returns its standard output; a failure carries its standard error. It is
    /// killed, and reported, when still running after `timeout` seconds.
    public static func run(_ script: String, arguments: [String], timeout: Double = 120) throws -> String {
        let result = try runProcess(executable, ["-c", script] + arguments, timeout: timeout)
        guard result.status == 0 else {
            throw PythonError(
                message: "\(executable) failed (run deploy/install-deps.sh --test for its packages): "
                    + String(decoding: result.errors, as: UTF8.self))
        }
        return String(decoding: result.output, as: UTF8.self)
    }

    public struct PythonError: Error, CustomStringConvertible {
        let message: String
        public var description: String { message }
    }
}

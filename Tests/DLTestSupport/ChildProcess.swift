// Running a command from a test and waiting for it, bounded. Not through Foundation's Process:
// that gives the child a descriptor whose closing tells Foundation the child exited, and a daemon
// the command starts (munged, podman's container monitor) inherits it and keeps it open, so
// Foundation never sees the exit and `waitUntilExit` never returns. Here the child inherits its
// three streams and nothing else, and its exit is seen by `waitpid` on its own process id.

import Foundation

/// What a child process printed, and how it ended.
public struct ProcessResult {
    /// Its exit status, or 128 + the signal that ended it.
    public let status: Int32
    public let output: Data
    public let errors: Data

    public var outputText: String { String(decoding: output, as: UTF8.self) }
    public var errorText: String { String(decoding: errors, as: UTF8.self) }
}

/// A child that could not be started, or was killed for running past its bound.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs `executable` with `arguments`, and `environment` added to this process's, and waits at
/// most `timeout` seconds for it. The child writes both streams to files, so neither can fill a
/// pipe and stop it whatever it prints; one still running after `timeout` is killed and reported.
public func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120
) throws -> ProcessResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-child-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let outputFile = directory + "/stdout", errorFile = directory + "/stderr"

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // glibc ignores a close of a descriptor that is no longer open by the time the child starts.
    let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    for descriptor in open where descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for variable in variables { free(variable) } }

    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, variables)
    guard spawned == 0 else {
        throw ChildProcessError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
    }
    let exit = ChildExit(pid)
    guard let status = exit.wait(timeout: timeout) else {
        kill(pid, SIGKILL)
        _ = exit.wait(timeout: 10)
        throw ChildProcessError(description: "\(executable) did not finish within \(Int(timeout)) s; killed")
    }
    return ProcessResult(
        status: status, output: try Data(contentsOf: URL(fileURLWithPath: outputFile)),
        errors: try Data(contentsOf: URL(fileURLWithPath: errorFile)))
}

/// A child's exit, reaped by a thread of its own blocked in `waitpid` on that child alone, and
/// handed to whoever waits for it.
private final class ChildExit: @unchecked Sendable {
    private let reaped = DispatchSemaphore(value: 0)
    private var status: Int32 = 0

    init(_ pid: pid_t) {
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            // WIFEXITED, WEXITSTATUS and WTERMSIG, which Swift does not import from the C macros.
            status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            reaped.signal()
        }
    }

    /// The exit status, or nil if the child is still running after `timeout` seconds.
    func wait(timeout: Double) -> Int32? {
        guard reaped.wait(timeout: .now() + timeout) == .success else { return nil }
        reaped.signal()  // a later wait returns at once
        return status
    }
}

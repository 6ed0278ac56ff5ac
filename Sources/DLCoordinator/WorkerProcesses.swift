// `dlcoord --spawn`: the workers as child processes on this machine, as torchrun's --nproc-per-node
// starts them. Each child's output goes to RUN_DIR/worker-K.log; a child that exits during the run
// ends it with a message naming it; at the end every child is stopped within a bounded time. The
// workers' executable is the dlworker beside dlcoord's real file (InstalledFiles).

import DLCore
import Foundation

struct WorkerProcesses {
    private var processes: [(process: Process, log: String, reported: Bool)] = []

    static func spawn(count: Int, endpoint: String, logDirectory: String, secretFile: String?) throws -> WorkerProcesses {
        // Beside dlcoord's own file, wherever it was started from (PATH, a symlink, another directory).
        let executable: URL
        do {
            executable = URL(fileURLWithPath: try InstalledFiles.sibling("dlworker"))
        } catch {
            throw ClusterError.cannotSpawn(reason: "\(error)")
        }
        try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var workers = WorkerProcesses()
        for index in 1...count {
            let process = Process()
            process.executableURL = executable
            // A spawned worker belongs to this run: it gives up soon once this process is gone. The
            // workers share this machine's CPUs (as torchrun gives each process one OpenMP thread).
            process.arguments = ["--connect", endpoint, "--name", "worker-\(index)", "--reconnect-timeout", "10",
                                 "--threads", "\(max(1, AvailableCPUs.count() / count))"]
                + (secretFile.map { ["--secret-file", $0] } ?? [])
            let log = "\(logDirectory)/worker-\(index).log"
            guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else {
                throw ClusterError.cannotSpawn(reason: "cannot create \(log)")
            }
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                workers.stop(within: .seconds(1))
                throw ClusterError.cannotSpawn(reason: "\(executable.path): \(error.localizedDescription)")
            }
            workers.processes.append((process, log, false))
        }
        return workers
    }

    /// A child that has exited since the last call, with a description of how, if any has.
    mutating func takeExited() -> (pid: Int32, description: String)? {
        guard let index = processes.firstIndex(where: { !$0.process.isRunning && !$0.reported }) else { return nil }
        processes[index].reported = true
        let child = processes[index]
        let last = (try? String(contentsOfFile: child.log, encoding: .utf8))?
            .split(separator: "\n").last.map { "; its last words: \($0)" } ?? ""
        let how = child.process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(child.process.terminationStatus)" : "exited with status \(child.process.terminationStatus)"
        return (child.process.processIdentifier, "its process (pid \(child.process.processIdentifier)) \(how)\(last) (log: \(child.log))")
    }

    /// Waits for the children to exit, then terminates those still running, then kills.
    mutating func stop(within limit: Duration) {
        let clock = ContinuousClock(), deadline = clock.now + limit
        while processes.contains(where: { $0.process.isRunning }) && clock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        for child in processes where child.process.isRunning { child.process.terminate() }
        let killDeadline = clock.now + .seconds(1)
        while processes.contains(where: { $0.process.isRunning }) && clock.now < killDeadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        for child in processes where child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
        for child in processes { child.process.waitUntilExit() }
        processes.removeAll()
    }
}

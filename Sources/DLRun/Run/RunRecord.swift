// run.json: which process runs (or last ran) the run in a directory, and how it was started: its pid,
// host, start time and command line, and the settings a resume needs that are not the job's (the
// checkpoints hold those): whether it trained on workers, spawned them, and where they connect.
// The process that holds the directory's lock writes it; a run refused because the directory is in
// use names its holder from it, and `--resume` without `--bind` listens where the run listened.

import Foundation

public struct RunRecord: Codable, Equatable, Sendable {
    /// The most a run.json of dltrain's takes (a command line and a few names); more is not one.
    static let maximumSize = 1 << 20
    public static let format = "dltrain.run.v1"

    public var format: String
    public var pid: Int32
    public var host: String
    /// ISO 8601, with the local offset.
    public var started: String
    /// The command line, as it was given (argv, the program's name first).
    public var command: [String]
    /// The number of workers; nil for a run in one process (--local).
    public var workers: Int?
    /// Whether the workers were started by the coordinator (--spawn).
    public var spawn: Bool
    /// Where the workers connect, for workers started by hand (not for --spawn's private endpoint).
    public var bind: String?

    public init(
        command: [String], workers: Int? = nil, spawn: Bool = false, bind: String? = nil, pid: Int32 = getpid(),
        host: String = ProcessInfo.processInfo.hostName, started: Date = Date()
    ) {
        format = Self.format
        self.pid = pid
        self.host = host
        self.started = Self.timestamp(started)
        self.command = command
        self.workers = workers
        self.spawn = spawn
        self.bind = bind
    }

    /// This process's record, for a run in it.
    public static func local(command: [String] = CommandLine.arguments) -> RunRecord { RunRecord(command: command) }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8))
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(RunRecord.self, from: Data(bytes))
    }

    /// The record in `directory`'s run.json, if it reads as one (none for a run of an older dltrain).
    public static func read(directory: String) -> RunRecord? {
        // A record is a few hundred bytes; a larger file is none, and is not read whole.
        let bytes = try? FileBytes.read(directory + "/" + RunLock.fileName, maximum: maximumSize, bound: "a run record takes")
        return bytes.flatMap { try? RunRecord(decoding: $0) }
    }

    /// Whether a run.json holding `bytes` is dltrain's to rewrite: empty (made by a lock that wrote
    /// nothing yet), a record, or the start of one (a write cut short); not a file of the same name
    /// that something else wrote.
    static func isRecord(_ bytes: [UInt8]) -> Bool {
        bytes.isEmpty || (try? RunRecord(decoding: bytes)) != nil || bytes.starts(with: Array("{\"command\":[".utf8))
    }

    /// "pid 4242 on node-a, started 2026-12-07T12:21:05+01:00: dlcoord --workers 4 --run-dir runs/x".
    public var holderDescription: String {
        "pid \(pid) on \(host), started \(started): \(ResumeCommand.shellLine(command))"
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .current
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

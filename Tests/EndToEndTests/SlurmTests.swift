// deploy/slurm/dltrain.sbatch under a real Slurm: a single-node cluster of Debian's slurmctld and
// slurmd (with munge) made for the test in a temporary folder, as ../shared/notes/cluster-engines.md
// describes. The seed job is submitted with four workers (five tasks), and the model must be
// byte-identical to `dlcoord --local --shards 4`; a job requeued mid-run continues from its
// checkpoint to the same bytes. The job's output is read, not only its state: srun can end 0 while
// its tasks failed. Needs root and the slurm-wlm and munge packages (deploy/install-deps.sh --test).

import DLTestSupport
import Foundation
import XCTest

final class SlurmTests: XCTestCase {
    private static let tools = ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"]
    private var cluster: SlurmCluster?

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run Slurm's daemons") }
        for tool in Self.tools where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("needs \(tool): apt-get install slurm-wlm munge (deploy/install-deps.sh --test)")
        }
        var ports = [try freePort()]
        while ports.count < 2 { if let port = try? freePort(), !ports.contains(port) { ports.append(port) } }
        cluster = try SlurmCluster(directory: try temporaryDirectory(self), ports: ports)
    }

    override func tearDown() {
        cluster?.stop()
        cluster = nil
    }

    func testTheSeedJobOnFourWorkersIsTheLocalModel() throws {
        let cluster = try XCTUnwrap(cluster)
        let flags = ["--shards", "4", "--epochs", "5"]
        let job = try cluster.submit(tasks: 5, dlcoordFlags: flags)
        let ended = try cluster.waitForEnd(of: job.id, timeout: 240)
        let output = job.output
        XCTAssertEqual(ended, "COMPLETED", output)
        XCTAssertTrue(output.contains("dltrain: job \(job.id) (start 1), coordinator on"), output)
        XCTAssertTrue(output.contains("4 worker(s)"), output)
        XCTAssertEqual(output.components(separatedBy: "joined job").count - 1, 4, "four workers joined: \(output)")
        XCTAssertTrue(output.contains("Saved \(job.runDirectory)/model.safetensors"), output)
        XCTAssertTrue(output.contains("only workers holding the job's secret are admitted"), "the job makes its secret: \(output)")
        XCTAssertEqual(try model(in: job.runDirectory), try localModel(flags))
    }

    func testARequeuedJobContinuesFromItsCheckpoint() throws {
        let cluster = try XCTUnwrap(cluster)
        let flags = ["--shards", "4", "--epochs", "300"]
        let job = try cluster.submit(tasks: 5, dlcoordFlags: flags)
        // Requeued once its first epochs are in a checkpoint, well before its last (the run takes
        // about ten seconds).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, Self.checkpoints(in: job.runDirectory) < 2 { usleep(100_000) }
        XCTAssertGreaterThanOrEqual(Self.checkpoints(in: job.runDirectory), 2, job.output)
        XCTAssertEqual(try cluster.slurm("scontrol", ["requeue", job.id]).status, 0)
        // Slurm lets a requeued job start again only two minutes later; the test moves that forward.
        XCTAssertEqual(try cluster.waitForState("PENDING", of: job.id, timeout: 60), "PENDING", job.output)
        XCTAssertEqual(try cluster.slurm("scontrol", ["update", "JobId=\(job.id)", "StartTime=now"]).status, 0)
        let ended = try cluster.waitForEnd(of: job.id, timeout: 300)
        let output = job.output
        XCTAssertEqual(ended, "COMPLETED", output)
        XCTAssertTrue(output.contains("(start 2)"), "the job ran again: \(output)")
        XCTAssertTrue(output.contains("Resuming from \(job.runDirectory)/checkpoint-"), output)
        XCTAssertEqual(try model(in: job.runDirectory), try localModel(flags))
    }

    private static func checkpoints(in directory: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("checkpoint-") }.count
    }
}

/// A one-node Slurm cluster of its own: munge (started unless it runs), slurmctld and slurmd with a
/// configuration in `directory`, on free ports; `stop` ends the daemons it started. They run as
/// daemons, not as children, started by runProcess, which hands them no descriptor but their
/// streams: munged keeps whatever it inherits, and Foundation's Process would then wait for ever.
private final class SlurmCluster {
    struct Job {
        let id: String
        let runDirectory: String
        let outputPath: String
        var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    }

    let directory: String
    private let configuration: String
    private var daemons: [pid_t] = []
    private var mungeStarted = false

    /// `ports`: slurmctld's and slurmd's.
    init(directory: String, ports: [Int]) throws {
        self.directory = directory
        configuration = directory + "/slurm.conf"
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        for folder in ["state", "spool"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        try """
            ClusterName=dltraintest
            SlurmctldHost=\(host)
            SlurmctldPort=\(ports[0])
            SlurmdPort=\(ports[1])
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            CredType=cred/munge
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            SlurmdParameters=config_overrides
            MailProg=/bin/true
            ReturnToService=2
            SlurmctldPidFile=\(directory)/slurmctld.pid
            SlurmdPidFile=\(directory)/slurmd.pid
            StateSaveLocation=\(directory)/state
            SlurmdSpoolDir=\(directory)/spool
            SlurmctldLogFile=\(directory)/slurmctld.log
            SlurmdLogFile=\(directory)/slurmd.log
            NodeName=\(host) CPUs=8 State=UNKNOWN
            PartitionName=debug Nodes=ALL Default=YES OverSubscribe=FORCE:2 MaxTime=INFINITE State=UP

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        do {
            try startMunge()
            for daemon in ["slurmctld", "slurmd"] {
                let result = try runProcess("/usr/sbin/" + daemon, ["-f", configuration], environment: environment, timeout: 60)
                guard result.status == 0 else { throw SlurmError("\(daemon) did not start: \(result.errorText)\(log(daemon))") }
                daemons.append(try pid(of: daemon))
            }
            try waitForIdleNode()
        } catch {
            stop()
            throw error
        }
    }

    private var environment: [String: String] { ["SLURM_CONF": configuration] }

    /// Runs a Slurm client (sbatch, scontrol, ...) against this cluster.
    func slurm(_ tool: String, _ arguments: [String]) throws -> ProcessResult {
        try runProcess("/usr/bin/" + tool, arguments, environment: environment, timeout: 60)
    }

    /// Submits deploy/slurm/dltrain.sbatch with the test build's executables.
    func submit(tasks: Int, dlcoordFlags: [String]) throws -> Job {
        let runDirectory = directory + "/run", output = directory + "/job.out"
        let result = try slurm("sbatch", [
            "--parsable", "--ntasks=\(tasks)", "--output=\(output)", "--chdir=\(Repository.root)",
            "--export=ALL,DLTRAIN_BIN=\(Executable.productsDirectory.path),DLTRAIN_RUN_DIR=\(runDirectory)",
            Repository.root + "/deploy/slurm/dltrain.sbatch", "--verbose", "2",
        ] + dlcoordFlags)
        guard result.status == 0 else { throw SlurmError("sbatch failed: \(result.errorText)") }
        let id = result.outputText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        return Job(id: id, runDirectory: runDirectory, outputPath: output)
    }

    /// Waits (bounded) until the job has ended; its final state (COMPLETED, FAILED, ...).
    func waitForEnd(of job: String, timeout: Double) throws -> String {
        try waitForState("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", of: job, timeout: timeout)
    }

    /// Waits (bounded) until the job is in one of `states`; the one it is in. Slurm tells no one, so it is asked
    /// five times a second.
    func waitForState(_ states: String..., of job: String, timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var state = ""
        while Date() < deadline {
            state = try slurm("scontrol", ["show", "job", job]).outputText
                .firstMatch(of: /JobState=([A-Z_]+)/).map { String($0.output.1) } ?? ""
            if states.contains(state) { return state }
            usleep(200_000)
        }
        _ = try? slurm("scancel", [job])
        throw SlurmError("job \(job) still \(state) after \(Int(timeout)) s\(log("slurmctld"))")
    }

    func stop() {
        for pid in daemons.reversed() {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, Self.isRunning(pid) { usleep(50_000) }
        }
        daemons.removeAll()
        if mungeStarted, let text = try? String(contentsOfFile: "/run/munge/munged.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
        }
    }

    private func startMunge() throws {
        if (try? runProcess("/bin/sh", ["-c", "munge -n | unmunge"], timeout: 60))?.status == 0 { return }
        let result = try runProcess(
            "/bin/sh", ["-c", "mkdir -p /run/munge && chown munge:munge /run/munge && runuser -u munge -- /usr/sbin/munged"], timeout: 60)
        guard result.status == 0 else { throw SlurmError("munged did not start: \(result.errorText)") }
        mungeStarted = true
    }

    /// Whether `pid` runs: it exists and is not a zombie (a daemon's parent is init, which may be
    /// slow to reap it, or never reap it where init is not a real one).
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// The daemon's process id, from the pid file it writes once it runs (read now: the test's
    /// temporary folder is gone by the time `stop` runs).
    private func pid(of daemon: String) throws -> pid_t {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: "\(directory)/\(daemon).pid", encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            usleep(50_000)
        }
        throw SlurmError("\(daemon) wrote no pid file within 30 s\(log(daemon))")
    }

    private func waitForIdleNode() throws {
        let deadline = Date().addingTimeInterval(60)
        var state = ""
        while Date() < deadline {
            state = (try? slurm("sinfo", ["--noheader", "--format=%T"]).outputText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
            if state == "idle" { return }
            usleep(200_000)
        }
        throw SlurmError("the node is \(state.isEmpty ? "unknown" : state), not idle, after 60 s\(log("slurmd"))")
    }

    private func log(_ daemon: String) -> String {
        let text = (try? String(contentsOfFile: "\(directory)/\(daemon).log", encoding: .utf8)) ?? ""
        return text.isEmpty ? "" : "\n\(daemon).log ends:\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }
}

private struct SlurmError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

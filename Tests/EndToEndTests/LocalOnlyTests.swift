// The local-only rules with the real executables. In a private network namespace (root), where an
// interface other than loopback and names in its own hosts file are real: a bind with a source
// before `*`, an interface with another address, a connection whose source is loopback but whose
// destination is not, and names that begin with "127." but resolve elsewhere or nowhere are all
// refused without a secret; the loopback interface listens on loopback alone; a name that resolves
// to loopback is this machine's. Another user of the machine (root runs it as nobody) gets no row
// of a loopback or ipc job. Junk from one peer is logged once with its count. A secret made for
// spawned workers is gone when the run is interrupted.

import DLTestSupport
import DLTransport
import Foundation
import XCTest

final class LocalOnlyTests: XCTestCase {
    let dlcoord = Executable(name: "dlcoord")
    let dlworker = Executable(name: "dlworker")

    func testEndpointsThatOnlyLookLocalAreRefusedInAPrivateNetwork() throws {
        let network = try PrivateNetwork(test: self, hosts: [
            "127.0.0.1 localhost", "::1 localhost", "10.213.0.1 127.0.0.1.elsewhere.test", "127.0.0.5 alias.test",
        ])
        let home = try privateHome(), port = try freePort()

        let sourced = try network.run("dlcoord", ["--workers", "1", "--bind", "tcp://127.0.0.1:\(port);*:\(port + 1)"], home: home)
        XCTAssertEqual(sourced.status, CommandLineStatus.usage, sourced.errors)
        XCTAssertTrue(sourced.errors.contains("--bind"), sourced.errors)
        XCTAssertTrue(sourced.errors.contains("source"), sourced.errors)

        let interface = try network.run("dlcoord", ["--workers", "1", "--bind", "tcp://\(network.interface):\(port)", "--wait-timeout", "1"], home: home)
        XCTAssertEqual(interface.status, 1, interface.errors)
        XCTAssertTrue(interface.errors.contains("is reachable from other machines"), interface.errors)
        XCTAssertTrue(interface.errors.contains(PrivateNetwork.address), interface.errors)

        for (destination, named) in [
            ("tcp://127.0.0.1:0;\(PrivateNetwork.address):\(port)", PrivateNetwork.address),
            ("tcp://127.0.0.1.elsewhere.test:\(port)", PrivateNetwork.address),
            ("tcp://127.0.0.1.nowhere.invalid:\(port)", "does not resolve"),
        ] {
            let worker = try network.run("dlworker", ["--connect", destination, "--reconnect-timeout", "1"], home: home)
            XCTAssertEqual(worker.status, 1, worker.errors)
            XCTAssertTrue(worker.errors.contains("is reachable from other machines"), worker.errors)
            XCTAssertTrue(worker.errors.contains(named), worker.errors)
        }
        // A name for a loopback address is this machine's: the worker starts, and waits in vain.
        let alias = try network.run("dlworker", ["--connect", "tcp://alias.test:\(port)", "--reconnect-timeout", "1"], home: home)
        XCTAssertEqual(alias.status, 1, alias.errors)
        XCTAssertTrue(alias.errors.contains("no coordinator answered"), alias.errors)

        // The loopback interface by name: bound on loopback alone, with this user's local secret.
        let directory = try temporaryDirectory(self)
        let coordinator = try network.start(
            "dlcoord", ["--workers", "1", "--bind", "tcp://lo:\(port)", "--wait-timeout", "4", "--run-dir", directory], home: home)
        XCTAssertTrue(coordinator.waitForError(containing: "listening on tcp://127.0.0.1:\(port)", timeout: 30), coordinator.errorsSoFar)
        XCTAssertEqual(try network.run("/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"], home: home).status, 0)
        XCTAssertNotEqual(
            try network.run("/bin/bash", ["-c", "exec 3<>/dev/tcp/\(PrivateNetwork.address)/\(port)"], home: home).status, 0,
            "nothing listens on the other interface")
        XCTAssertEqual(coordinator.wait(timeout: 30).status, 1, "no worker came")
        XCTAssertTrue(FileManager.default.fileExists(atPath: home + "/.dltrain/local-secret"))
    }

    /// Root runs a worker as nobody, the way another user of the machine would: it reaches the
    /// loopback port and the ipc path, and is never registered, so no row is sent to it.
    func testAnotherUserOfTheMachineGetsNoRow() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to run a process as another user (setpriv)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs setpriv (util-linux) to run a process as another user")
        }
        let home = try privateHome(), port = try freePort()
        let socketFolder = try temporaryDirectory(self)
        XCTAssertEqual(chmod(socketFolder, 0o755), 0, "only the socket's own mode keeps others out")
        let open = try temporaryDirectory(self)
        XCTAssertEqual(chmod(open, 0o777), 0)
        for endpoint in ["tcp://127.0.0.1:\(port)", "ipc://\(socketFolder)/coordinator.ipc"] {
            let directory = try temporaryDirectory(self)
            let coordinator = try dlcoord.start(
                ["--workers", "1", "--bind", endpoint, "--epochs", "2", "--verbose", "2", "--wait-timeout", "60", "--run-dir", directory],
                environment: ["HOME": home])
            XCTAssertTrue(coordinator.waitForError(containing: "listening on", timeout: 30), coordinator.errorsSoFar)
            // Its own peer socket where nobody may make one, so that it fails at the coordinator's door.
            let peerBind = endpoint.hasPrefix("ipc://") ? ["--peer-bind", "ipc://\(open)/intruder.peer"] : []
            let intruder = try asNobody(
                Executable.productsDirectory.appendingPathComponent("dlworker").path,
                ["--connect", endpoint, "--insecure", "--name", "intruder", "--reconnect-timeout", "4"] + peerBind)
            XCTAssertEqual(intruder.status, 1, "\(endpoint): \(intruder.errors)")
            let last = intruder.errors.split(separator: "\n").last ?? ""
            XCTAssertTrue(last.contains(endpoint), "it failed at the coordinator's endpoint: \(intruder.errors)")
            XCTAssertNotEqual(try asNobody("/bin/cat", [home + "/.dltrain/local-secret"]).status, 0, "the local secret is private")
            let member = try dlworker.start(["--connect", endpoint, "--name", "member"], environment: ["HOME": home])
            let result = coordinator.wait(timeout: 120)
            XCTAssertEqual(result.status, 0, result.errors)
            XCTAssertEqual(member.wait(timeout: 30).status, 0)
            XCTAssertTrue(result.errors.contains("joined: member"), result.errors)
            XCTAssertFalse(result.errors.contains("intruder"), "\(endpoint): never registered: \(result.errors)")
        }
    }

    /// 2,000 junk messages from one peer: one line when the first arrives, one with the count of
    /// the others when the coordinator stops, and the run's last message counts them all.
    func testJunkFromOnePeerIsLoggedOnceWithItsCount() throws {
        let endpoint = try ipcEndpoint(), directory = try temporaryDirectory(self)
        let coordinator = try dlcoord.start(
            ["--workers", "1", "--bind", endpoint, "--wait-timeout", "3", "--verbose", "2", "--run-dir", directory])
        XCTAssertTrue(coordinator.waitForError(containing: "listening on", timeout: 30), coordinator.errorsSoFar)
        let context = try ZMQContext()
        let junk = try ZMQSocket(.dealer, context: context)
        try junk.connect(endpoint)
        for _ in 0..<2000 {
            XCTAssertTrue(try junk.send(prefix: nil, count: 24, timeout: .seconds(5)) { bytes in
                for index in bytes.indices { bytes[index] = 0xAB }
            })
        }
        let result = coordinator.wait(timeout: 60)
        junk.close()
        XCTAssertEqual(result.status, 1, "no worker came: \(result.errors)")
        let dropped = result.errors.split(separator: "\n").filter { $0.contains("dropped a message") }
        XCTAssertEqual(dropped.count, 2, dropped.joined(separator: "\n"))
        XCTAssertTrue(dropped.last?.contains("1999 more") == true, dropped.joined(separator: "\n"))
        XCTAssertTrue(result.errors.contains("(2000 times)"), result.errors)
    }

    /// `--spawn` on TCP makes a secret for the run in its directory; an interrupted run removes it.
    func testASpawnedRunsSecretIsRemovedWhenTheRunIsInterrupted() throws {
        let directory = try temporaryDirectory(self), port = try freePort()
        let run = try dlcoord.start(
            ["--workers", "2", "--spawn", "--bind", "tcp://127.0.0.1:\(port)", "--epochs", "100", "--verbose", "2", "--run-dir", directory])
        XCTAssertTrue(run.waitForOutput(containing: "Epoch 2/", timeout: 120), run.errorsSoFar)
        var status = stat()
        XCTAssertEqual(stat(directory + "/.job-secret", &status), 0, "made for the run")
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
        run.signal(SIGTERM)
        let stopped = run.wait(timeout: 60)
        XCTAssertEqual(stopped.status, 1, stopped.errors)
        XCTAssertTrue(stopped.errors.contains("interrupted (SIGTERM)"), stopped.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/.job-secret"))
    }

    /// A home folder for the processes' local secret, which other users cannot enter.
    private func privateHome() throws -> String {
        let home = try temporaryDirectory(self)
        XCTAssertEqual(chmod(home, 0o700), 0)
        return home
    }

    /// `command` run as user and group nobody (65534), without root's groups; waits at most 60 s.
    private func asNobody(_ command: String, _ arguments: [String]) throws -> Executable.Result {
        try RunningProcess(
            executable: URL(fileURLWithPath: "/usr/bin/setpriv"),
            arguments: ["--reuid=65534", "--regid=65534", "--clear-groups", command] + arguments, directory: "/",
            environment: ["HOME": "/nonexistent"]
        ).wait(timeout: 60)
    }
}

/// The exit statuses the commands use.
private enum CommandLineStatus {
    static let usage: Int32 = 64
}

/// A network namespace of one test: loopback, and a veth pair whose one end has `address`, so
/// that an interface other than loopback is real; its own hosts file (/etc/netns/NAME/hosts,
/// which `ip netns exec` puts in place of /etc/hosts). Removed when the test ends.
private struct PrivateNetwork {
    static let address = "10.213.0.1"
    let name: String
    let interface: String

    init(test: XCTestCase, hosts: [String]) throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to make a network namespace (ip netns)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/env"), let ip = Self.ip else {
            throw XCTSkip("needs iproute2's ip (apt-get install iproute2)")
        }
        name = "dlt-local-\(getpid())"
        interface = "dltv\(getpid() % 10000)"
        let name = name, folder = "/etc/netns/\(name)"
        guard Self.run(ip, ["netns", "add", name]).status == 0 else {
            throw XCTSkip("this kernel or container cannot make network namespaces (ip netns add failed)")
        }
        test.addTeardownBlock {
            _ = Self.run(ip, ["netns", "del", name])
            try? FileManager.default.removeItem(atPath: folder)
        }
        for command in [
            ["-n", name, "link", "set", "lo", "up"],
            ["-n", name, "link", "add", interface, "type", "veth", "peer", "name", interface + "p"],
            ["-n", name, "addr", "add", Self.address + "/24", "dev", interface],
            ["-n", name, "link", "set", interface, "up"], ["-n", name, "link", "set", interface + "p", "up"],
        ] {
            let made = Self.run(ip, command)
            guard made.status == 0 else { throw XCTSkip("ip \(command.joined(separator: " ")) failed: \(made.errors)") }
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (hosts.joined(separator: "\n") + "\n").write(toFile: folder + "/hosts", atomically: true, encoding: .utf8)
    }

    /// Starts `program` (a product's name, or a path) in the namespace with HOME `home`.
    func start(_ program: String, _ arguments: [String], home: String) throws -> RunningProcess {
        let path = program.hasPrefix("/") ? program : Executable.productsDirectory.appendingPathComponent(program).path
        return try RunningProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["ip", "netns", "exec", name, path] + arguments,
            directory: Repository.root, environment: ["HOME": home])
    }

    /// Runs `program` in the namespace and waits for it (at most 60 s).
    func run(_ program: String, _ arguments: [String], home: String) throws -> Executable.Result {
        try start(program, arguments, home: home).wait(timeout: 60)
    }

    private static var ip: String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first(where: FileManager.default.isExecutableFile)
    }

    private static func run(_ path: String, _ arguments: [String]) -> Executable.Result {
        guard let process = try? RunningProcess(executable: URL(fileURLWithPath: path), arguments: arguments, directory: "/") else {
            return Executable.Result(status: -1, output: "", errors: "cannot start \(path)", timedOut: false)
        }
        return process.wait(timeout: 60)
    }
}

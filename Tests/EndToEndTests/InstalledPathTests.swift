// dltrain as a user runs it once installed: deploy/install.sh --prefix puts this build's executables
// into a temporary prefix, a folder of symlinks to them comes first on PATH (as /usr/local/bin may
// link to an installation elsewhere), and every command starts in an empty directory outside the
// checkout, by its bare name. dlcoord --spawn finds dlworker beside its real file, not beside the
// symlink nor in the current directory; dlcoord with no --data finds the seed data in the prefix's
// share folder; where either is missing, the error says where it looked and what to do.

import DLTestSupport
import Foundation
import XCTest

final class InstalledPathTests: XCTestCase {
    /// A prefix deploy/install.sh filled from this build's executables, and a folder of symlinks
    /// to its bin/, made once for the class.
    private struct Installation {
        let prefix: String
        let links: String
        var searchPath: String { links + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") }
    }

    private static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-installed-\(UUID().uuidString)").path
    nonisolated(unsafe) private static var installation: Result<Installation, any Error>?

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
        super.tearDown()
    }

    private func installed() throws -> Installation {
        if let installation = Self.installation { return try installation.get() }
        let result = Result { () throws -> Installation in
            let prefix = Self.folder + "/prefix", links = Self.folder + "/links"
            let done = try runProcess(
                Repository.root + "/deploy/install.sh", ["--prefix", prefix, "--from", Executable.productsDirectory.path], timeout: 120)
            guard done.status == 0 else { throw InstallFailed(description: "install.sh: \(done.errorText)") }
            try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
            for tool in ["dlcoord", "dlworker", "dlmodel"] {
                try FileManager.default.createSymbolicLink(atPath: links + "/" + tool, withDestinationPath: prefix + "/bin/" + tool)
            }
            return Installation(prefix: prefix, links: links)
        }
        Self.installation = result
        return try result.get()
    }

    func testInstallShSaysWhatItInstalledAndRunningItAgainReplacesIt() throws {
        let installation = try installed()
        for file in ["bin/dlcoord", "bin/dlworker", "bin/dlmodel", "share/dltrain/dataset/ThoraricSurgery.csv", "share/dltrain/README.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: installation.prefix + "/" + file), file)
        }
        let again = try runProcess(
            Repository.root + "/deploy/install.sh", ["--prefix", installation.prefix, "--from", Executable.productsDirectory.path])
        XCTAssertEqual(again.status, 0, again.errorText)
        XCTAssertTrue(again.outputText.contains(installation.prefix + "/bin/dlcoord"), again.outputText)
        XCTAssertTrue(again.outputText.contains("is not on PATH"), "the prefix is not on the test's PATH: \(again.outputText)")
    }

    func testSpawnedWorkersAreFoundBesideTheCoordinatorsRealFileThroughPATH() throws {
        let installation = try installed()
        let work = try temporaryDirectory(self)
        let flags = ["--data", Repository.dataset("ThoraricSurgery.csv"), "--epochs", "2"]
        let result = try Executable(name: "dlcoord", searchPath: installation.searchPath)
            .run(["--workers", "2", "--spawn", "--verbose", "0", "--run-dir", "run"] + flags, in: work, timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try model(in: work + "/run"), try localModel(["--shards", "2"] + flags))
    }

    func testNoDataOptionTrainsTheSeedDataInstalledBesideTheExecutables() throws {
        let installation = try installed()
        let work = try temporaryDirectory(self)
        let result = try Executable(name: "dlcoord", searchPath: installation.searchPath)
            .run(["--epochs", "2", "--verbose", "0", "--run-dir", "run"], in: work)
        XCTAssertEqual(result.status, 0, result.errors)
        // The work directory holds no dataset/: the model is the seed data's, from the prefix's share folder.
        XCTAssertEqual(try model(in: work + "/run"), try localModel(["--data", Repository.dataset("ThoraricSurgery.csv"), "--epochs", "2"]))
    }

    func testACoordinatorWithoutDlworkerBesideItSaysWhereItLookedAndHowToInstall() throws {
        let lonely = try temporaryDirectory(self)
        try FileManager.default.copyItem(atPath: Executable.productsDirectory.path + "/dlcoord", toPath: lonely + "/dlcoord")
        let work = try temporaryDirectory(self)
        let result = try Executable(name: "dlcoord", searchPath: lonely + ":/usr/bin:/bin")
            .run(["--workers", "1", "--spawn", "--data", Repository.dataset("ThoraricSurgery.csv"), "--epochs", "1"], in: work)
        XCTAssertEqual(result.status, 1, result.errors)
        XCTAssertTrue(result.errors.contains("dlworker is not in \(lonely)"), result.errors)
        XCTAssertTrue(result.errors.contains("deploy/install.sh"), result.errors)
        XCTAssertFalse(result.errors.contains(work), "the current directory is not where dlworker is looked for: \(result.errors)")
    }

    func testWithoutTheSeedDataAnywhereDlcoordNamesBothPlacesAndDashDashData() throws {
        let work = try temporaryDirectory(self)
        // The build's own dlcoord has no share folder beside it.
        let result = try Executable(name: "dlcoord").run(["--epochs", "1"], in: work)
        XCTAssertEqual(result.status, 1, result.errors)
        XCTAssertTrue(result.errors.contains("--data"), result.errors)
        XCTAssertTrue(result.errors.contains(work), result.errors)
        XCTAssertTrue(result.errors.contains("/share/dltrain/dataset/ThoraricSurgery.csv"), result.errors)
    }
}

private struct InstallFailed: Error, CustomStringConvertible {
    let description: String
}

extension InstalledPathTests {
    func testLocalClusterShRunsInTheCallersDirectory() throws {
        let work = try temporaryDirectory(self)
        let flags = ["--data", Repository.dataset("ThoraricSurgery.csv"), "--epochs", "2"]
        let cluster = try RunningProcess(
            executable: URL(fileURLWithPath: Repository.root + "/deploy/local-cluster.sh"),
            arguments: ["2", "--verbose", "0", "--run-dir", "run"] + flags, directory: work,
            environment: ["DLTRAIN_BIN": Executable.productsDirectory.path, "DLTRAIN_PORT": "\(try freePort())"])
        let result = cluster.wait(timeout: 120)
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(try model(in: work + "/run"), try localModel(["--shards", "2"] + flags))
    }
}

// Who can reach an endpoint, decided on its addresses rather than its spelling: loopback addresses,
// interfaces and names that resolve to loopback alone count as this machine's; `*`, every other
// address, a source before a remote destination, a name that resolves elsewhere or nowhere count as
// the network's. The keys that follow (a secret file's, this user's local secret on loopback, none
// on ipc or with --insecure, a refusal on the network); the local secret's file; and the refusal
// log's counts under a flood, with a clock of the test's own.

@testable import DLTransport
import Foundation
import XCTest

final class LocalRulesTests: XCTestCase {
    private func reach(_ text: String, _ role: Endpoint.Role) throws -> EndpointSecurity.Reach {
        EndpointSecurity.reach(of: try Endpoint(text, flag: "--flag", role: role), role: role)
    }

    func testOnlyLoopbackAddressesCountAsThisMachine() throws {
        let thisMachine: [(String, Endpoint.Role)] = [
            ("tcp://127.0.0.1:5555", .bind), ("tcp://127.0.0.1:5555", .connect), ("tcp://127.9.8.7:5555", .connect),
            ("tcp://[::1]:5555", .bind), ("tcp://[::ffff:127.0.0.1]:5555", .connect), ("tcp://localhost:5555", .connect),
            ("tcp://lo:*", .peerBind), ("tcp://127.0.0.1:0;127.0.0.1:5555", .connect),
        ]
        for (text, role) in thisMachine { XCTAssertEqual(try reach(text, role), .thisMachine, text) }
        XCTAssertEqual(try reach("ipc:///tmp/x.ipc", .bind), .owner)
        let network: [(String, Endpoint.Role)] = [
            ("tcp://*:5555", .bind), ("tcp://0.0.0.0:5555", .bind), ("tcp://[::]:5555", .bind), ("tcp://10.0.0.5:5555", .connect),
            // the source is where a connection leaves from; where it goes decides
            ("tcp://127.0.0.1:0;10.9.9.9:5555", .connect), ("tcp://[::1]:0;[2001:db8::1]:5555", .connect),
            ("tcp://128.0.0.1:5555", .connect),
        ]
        for (text, role) in network {
            guard case .network = try reach(text, role) else { return XCTFail("\(text) counted as \(try reach(text, role))") }
        }
    }

    func testTheAddressBoundIsCheckedAsLibzmqReportsIt() {
        XCTAssertEqual(EndpointSecurity.reach(bound: "tcp://127.0.0.1:5555"), .thisMachine)
        XCTAssertEqual(EndpointSecurity.reach(bound: "tcp://[::1]:5555"), .thisMachine)
        XCTAssertEqual(EndpointSecurity.reach(bound: "ipc:///tmp/x.ipc"), .owner)
        for bound in ["tcp://0.0.0.0:5555", "tcp://[::]:5555", "tcp://10.0.0.5:5555", "tcp://host:5555"] {
            guard case .network = EndpointSecurity.reach(bound: bound) else { return XCTFail(bound) }
        }
        XCTAssertEqual(EndpointSecurity.host(ofTCP: "tcp://127.0.0.1:0;10.9.9.9:5555"), "10.9.9.9")
        XCTAssertEqual(EndpointSecurity.host(ofTCP: "tcp://[::1]:5555"), "::1")
        XCTAssertNil(EndpointSecurity.host(ofTCP: "ipc:///tmp/x.ipc"))
    }

    func testTheKeysFollowWhoCanReachTheEndpoint() throws {
        let local = Array("this user's local secret, 32 bytes long".utf8)
        func protection(_ text: String, _ role: Endpoint.Role, secretFile: String? = nil, insecure: Bool = false) throws
            -> EndpointSecurity.Protection
        {
            try EndpointSecurity.protection(
                for: try Endpoint(text, flag: "--flag", role: role), role: role, secretFile: secretFile, insecure: insecure,
                localSecret: { ("/home/u/.dltrain/local-secret", local) })
        }
        // loopback: this user's local secret, unless --insecure
        XCTAssertEqual(try protection("tcp://127.0.0.1:5555", .bind).keys, JobKeys(secret: local))
        XCTAssertEqual(try protection("tcp://localhost:5555", .connect).secretFile, "/home/u/.dltrain/local-secret")
        XCTAssertNil(try protection("tcp://127.0.0.1:5555", .connect, insecure: true).keys)
        // ipc: none
        XCTAssertNil(try protection("ipc:///tmp/x.ipc", .bind).keys)
        // the network: a refusal that says why, unless --insecure
        for (text, role, why) in [
            ("tcp://*:5555", Endpoint.Role.bind, "every interface"), ("tcp://127.0.0.1:0;10.9.9.9:5555", .connect, "10.9.9.9"),
        ] {
            XCTAssertThrowsError(try protection(text, role)) { error in
                guard case let .secretNeeded(endpoint, reason) = error as? EndpointSecurity.Problem else { return XCTFail("\(error)") }
                XCTAssertEqual(endpoint, text)
                XCTAssertTrue(reason.contains(why), reason)
                XCTAssertTrue("\(error)".contains("Make a secret with: \(JobSecret.makeCommand)"), "\(error)")
            }
            XCTAssertNil(try protection(text, role, insecure: true).keys)
        }
        // a secret file wins everywhere
        let directory = try temporaryDirectory()
        let secret = Array("the job's secret, given with --secret-file".utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/s", contents: Data(secret), attributes: [.posixPermissions: 0o600]))
        for text in ["tcp://*:5555", "tcp://127.0.0.1:5555", "ipc:///tmp/x.ipc"] {
            XCTAssertEqual(try protection(text, .bind, secretFile: directory + "/s").keys, JobKeys(secret: secret), text)
        }
        // a local secret that cannot be made is an error naming the way out
        XCTAssertThrowsError(try EndpointSecurity.protection(
            for: try Endpoint("tcp://127.0.0.1:5555", flag: "--bind", role: .bind), role: .bind, secretFile: nil, insecure: false,
            localSecret: { () throws(JobSecret.Problem) in throw .unwritable(path: "/nonexistent/x", reason: "no such folder") })
        ) { error in
            guard case .localSecret = error as? EndpointSecurity.Problem else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--secret-file"), "\(error)")
            XCTAssertTrue("\(error)".contains("--insecure"), "\(error)")
        }
    }

    func testTheLocalSecretIsMadeOnceAndPrivate() throws {
        let home = try temporaryDirectory() + "/home", path = home + "/.dltrain/local-secret"
        XCTAssertEqual(mkdir(home, 0o755), 0)
        // Processes that start together make one secret.
        let made = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in made.append(try? LocalSecret.readOrMake(at: path)) }
        let secrets = made.all
        XCTAssertEqual(secrets.count, 8)
        XCTAssertEqual(Set(secrets.map { $0.map { Data($0) } }).count, 1, "one secret")
        XCTAssertGreaterThanOrEqual(secrets.first??.count ?? 0, JobSecret.minimumLength)
        var status = stat()
        XCTAssertEqual(stat(path, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat((path as NSString).deletingLastPathComponent, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o700)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent), ["local-secret"])
        XCTAssertEqual(try LocalSecret.readOrMake(at: path), secrets.first!)
        XCTAssertEqual(LocalSecret.path(environment: ["HOME": "/home/u"]), "/home/u/.dltrain/local-secret")

        guard geteuid() == 0 else { throw XCTSkip("needs root to give the file to another user") }
        XCTAssertEqual(chown(path, 65534, 65534), 0)
        XCTAssertThrowsError(try LocalSecret.readOrMake(at: path)) {
            XCTAssertEqual($0 as? JobSecret.Problem, .ownedByAnotherUser(path: path, owner: 65534))
        }
    }

    /// 2,000 refusals of one peer are one line, and its count comes once the interval has passed;
    /// peers beyond the limit share a line; every refusal is counted in some line.
    func testRefusalsAreLoggedOncePerIntervalWithACount() {
        let clock = TestClock(), lines = Lines()
        let log = RefusalLog(interval: .seconds(30), limit: 3, now: { clock.now }, emit: lines.append)
        for _ in 0..<2000 { log.report(address: "10.0.0.9", reason: .anotherKey) }
        XCTAssertEqual(lines.all.map(\.times), [1])
        XCTAssertNil(lines.all[0].over)
        log.tick()
        XCTAssertEqual(lines.all.count, 1, "the interval has not passed")
        clock.advance(.seconds(31))
        log.tick()
        XCTAssertEqual(lines.all.map(\.times), [1, 1999])
        XCTAssertEqual(lines.all.last?.over, .seconds(31))
        XCTAssertEqual(lines.all.last?.text, lines.all.first?.text)

        log.report(address: "10.0.0.9", reason: .notZeroMQ)
        XCTAssertEqual(lines.all.count, 2, "within the interval of the last line")
        clock.advance(.seconds(30))
        log.report(address: "10.0.0.9", reason: .anotherKey)
        XCTAssertEqual(lines.all.map(\.times), [1, 1999, 2], "the refusal after the interval brings the count")

        for index in 0..<500 { log.report(address: "10.1.\(index / 256).\(index % 256)", reason: .notZeroMQ) }
        // two more peers fit the limit of 3; the other 498 share one line
        XCTAssertEqual(lines.all.count, 6)
        XCTAssertEqual(lines.all.filter { $0.text == nil }.map(\.times), [1])
        log.flush()
        XCTAssertEqual(lines.all.filter { $0.text == nil }.map(\.times), [1, 497])
        XCTAssertEqual(lines.all.map(\.times).reduce(0, +), 2000 + 2 + 500, "every refusal counted once")
        log.flush()
        XCTAssertEqual(lines.all.count, 7, "nothing more to count")
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dltrain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant = ContinuousClock.now
    var now: ContinuousClock.Instant { lock.withLock { instant } }
    func advance(_ duration: Duration) { lock.withLock { instant += duration } }
}

private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [RefusalLog.Line] = []
    @Sendable func append(_ line: RefusalLog.Line) { lock.withLock { lines.append(line) } }
    var all: [RefusalLog.Line] { lock.withLock { lines } }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [[UInt8]?] = []
    func append(_ result: [UInt8]?) { lock.withLock { results.append(result) } }
    var all: [[UInt8]?] { lock.withLock { results } }
}

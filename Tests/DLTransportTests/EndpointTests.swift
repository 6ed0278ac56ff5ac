// Endpoints as a person gives them on a command line: the forms dltrain takes (libzmq's, a source
// before the destination and interface names included), each mistake refused
// with the flag, what was expected and the corrected value; and a range of ports, bound at its
// first free port.

import DLTransport
import Foundation
import XCTest

final class EndpointTests: XCTestCase {
    func testTheFormsThatAreTaken() throws {
        XCTAssertEqual(try Endpoint("tcp://10.0.0.5:5555", flag: "--connect", role: .connect).address, .tcp(host: "10.0.0.5", ports: .one(5555)))
        XCTAssertEqual(try Endpoint("tcp://[::1]:5555", flag: "--connect", role: .connect).address, .tcp(host: "[::1]", ports: .one(5555)))
        XCTAssertEqual(try Endpoint("tcp://node-a:7000", flag: "--connect", role: .connect).description, "tcp://node-a:7000")
        XCTAssertEqual(try Endpoint("tcp://*:5555", flag: "--bind", role: .bind).address, .tcp(host: "*", ports: .one(5555)))
        XCTAssertEqual(try Endpoint("tcp://127.0.0.1:*", flag: "--bind", role: .bind).address, .tcp(host: "127.0.0.1", ports: .any))
        XCTAssertEqual(try Endpoint("ipc:///tmp/dltrain.ipc", flag: "--bind", role: .bind).address, .ipc(path: "/tmp/dltrain.ipc"))
        let range = try Endpoint("tcp://*:5556-5600", flag: "--peer-bind", role: .peerBind)
        XCTAssertEqual(range.address, .tcp(host: "*", ports: .range(5556...5600)))
        XCTAssertEqual(range.description, "tcp://*:5556-5600")
        XCTAssertEqual(try Endpoint("tcp://*:6000-6000", flag: "--peer-bind", role: .peerBind).address, .tcp(host: "*", ports: .one(6000)))
    }

    /// libzmq's other forms: a source before the destination (`SOURCE;HOST:PORT`, connecting only),
    /// interface names, IPv6 with a zone, every IPv6 interface.
    func testTheFormsLibzmqReads() throws {
        let sourced = try Endpoint("tcp://127.0.0.1:0;10.9.9.9:5555", flag: "--connect", role: .connect)
        XCTAssertEqual(sourced.address, .tcp(host: "10.9.9.9", ports: .one(5555)))
        XCTAssertEqual(sourced.source, "127.0.0.1:0")
        XCTAssertEqual(sourced.tcpHost, "10.9.9.9")
        XCTAssertEqual(sourced.description, "tcp://127.0.0.1:0;10.9.9.9:5555")
        let fromInterface = try Endpoint("tcp://eth0:*;[::1]:5555", flag: "--connect", role: .connect)
        XCTAssertEqual(fromInterface.source, "eth0:*")
        XCTAssertEqual(fromInterface.tcpHost, "::1")
        XCTAssertNil(try Endpoint("tcp://10.0.0.5:5555", flag: "--connect", role: .connect).source)
        XCTAssertEqual(try Endpoint("tcp://lo:5555", flag: "--bind", role: .bind).address, .tcp(host: "lo", ports: .one(5555)))
        XCTAssertEqual(try Endpoint("tcp://[fe80::1%eth0]:5555", flag: "--connect", role: .connect).tcpHost, "fe80::1%eth0")
        XCTAssertEqual(try Endpoint("tcp://[::]:*", flag: "--bind", role: .bind).tcpHost, "::")
        XCTAssertEqual(try Endpoint("tcp://node_7.example-a.org:1", flag: "--connect", role: .connect).tcpHost, "node_7.example-a.org")
    }

    /// Each mistake: the problem, and what to write instead where it can be guessed.
    func testMistakesAreRefusedWithTheCorrectedValue() {
        let cases: [(String, Endpoint.Role, EndpointError.Problem, String?)] = [
            ("127.0.0.1:5755", .connect, .noTransport, "tcp://127.0.0.1:5755"),
            ("5755", .bind, .noTransport, "tcp://*:5755"),
            ("5755", .connect, .noTransport, "tcp://127.0.0.1:5755"),
            (":5755", .bind, .noTransport, "tcp://*:5755"),
            ("node-a", .connect, .noTransport, nil),
            ("/tmp/x.ipc", .connect, .noTransport, "ipc:///tmp/x.ipc"),
            ("http://node-a:5555", .connect, .unknownTransport("http"), nil),
            ("tcp://node-a", .connect, .noPort, "tcp://node-a:5555"),
            ("tcp://*", .peerBind, .noPort, "tcp://*:*"),
            ("tcp://:5555", .connect, .noHost, "tcp://127.0.0.1:5555"),
            ("tcp://node-a:port", .connect, .badPort("port"), nil),
            ("tcp://node-a:70000", .connect, .badPort("70000"), nil),
            ("tcp://node-a:0", .bind, .badPort("0"), nil),
            ("tcp://node-a:*", .connect, .anyPortToConnect, nil),
            ("tcp://*:5555", .connect, .everyInterface, "tcp://127.0.0.1:5555"),
            ("tcp://*:5556-5600", .bind, .rangeNotAllowed, nil),
            ("tcp://*:5600-5556", .peerBind, .badRange("5600-5556"), nil),
            ("tcp://*:1-x", .peerBind, .badRange("1-x"), nil),
            ("ipc://", .bind, .noPath, nil),
            ("ipc:///" + String(repeating: "p", count: 200), .bind, .pathTooLong(201), nil),
            ("tcp://node a:5555", .connect, .blank, nil),
            // libzmq would bind what follows the `;`: every interface
            ("tcp://127.0.0.1:41013;*:41014", .bind, .sourceNotAllowed, nil),
            ("tcp://127.0.0.1:1;127.0.0.1:2", .peerBind, .sourceNotAllowed, nil),
            ("tcp://nowhere;10.0.0.1:5555", .connect, .badSource("nowhere"), nil),
            ("tcp://a:b;10.0.0.1:5555", .connect, .badSource("a:b"), nil),
            ("tcp://::1:5555", .connect, .ipv6WithoutBrackets, "tcp://[::1]:5555"),
            ("tcp://a/b:5555", .connect, .badHost("a/b"), nil),
            ("tcp://[zz]:5555", .connect, .badHost("[zz]"), nil),
            ("tcp://[::]:5555", .connect, .everyInterface, "tcp://127.0.0.1:5555"),
            ("", .connect, .blank, nil),
        ]
        for (text, role, problem, suggestion) in cases {
            XCTAssertThrowsError(try Endpoint(text, flag: "--flag", role: role), text) { error in
                guard let error = error as? EndpointError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.problem, problem, text)
                XCTAssertEqual(error.suggestion, suggestion, text)
                XCTAssertTrue(error.description.hasPrefix("--flag \(text) "), error.description)
                if let suggestion { XCTAssertTrue(error.description.hasSuffix("did you mean \(suggestion)?"), error.description) }
            }
        }
    }

    /// The first free port of a range is bound; a range with none free says so.
    func testARangeBindsItsFirstFreePort() throws {
        let context = try ZMQContext()
        let taken = try ZMQSocket(.router, context: context)
        let first = try taken.bind("tcp://127.0.0.1:*")
        let port = try XCTUnwrap(UInt16(first.split(separator: ":").last ?? ""))
        guard port < UInt16.max else { throw XCTSkip("the ephemeral port is the last one") }
        let socket = try ZMQSocket(.router, context: context)
        let range = try Endpoint("tcp://127.0.0.1:\(port)-\(port + 1)", flag: "--peer-bind", role: .peerBind)
        let bound: String
        do {
            bound = try socket.bind(range)
        } catch TransportError.noFreePort {
            throw XCTSkip("another process holds port \(port + 1)")
        }
        XCTAssertEqual(bound, "tcp://127.0.0.1:\(port + 1)")
        let third = try ZMQSocket(.router, context: context)
        XCTAssertThrowsError(try third.bind(range)) {
            XCTAssertEqual($0 as? TransportError, .noFreePort(endpoint: "tcp://127.0.0.1:\(port)-\(port + 1)"))
        }
    }
}

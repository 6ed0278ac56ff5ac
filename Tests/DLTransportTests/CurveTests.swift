// CurveTests.swift
// CURVE: a client holding the server's public key talks to it encrypted; a
// client expecting a different server key gets nothing through.

import DLTransport
import XCTest

final class CurveTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(ZMQ.hasCurve, "libzmq \(ZMQ.version) was built without CURVE")
    }

    func testGeneratedKeysAreZ85AndDistinct() throws {
        let first = try ZMQCurveKeyPair.generate()
        let second = try ZMQCurveKeyPair.generate()
        XCTAssertEqual(first.publicKey.utf8.count, 40)
        XCTAssertEqual(first.secretKey.utf8.count, 40)
        XCTAssertNotEqual(first, second)
        XCTAssertFalse("\(first)".contains(first.secretKey), "descriptions must not leak the secret key")
    }

    func testClientWithTheServerKeyTalksToTheServer() throws {
        let serverKeys = try ZMQCurveKeyPair.generate()
        let (server, client) = try curvePair(serverKeys: serverKeys, expectedServerKey: serverKeys.publicKey)
        defer { server.close(); client.close() }

        try client.send(textFrames("secret gradient"))
        let request = try XCTUnwrap(server.receive(timeout: arrivalTimeout))
        XCTAssertEqual(texts(Array(request.dropFirst())), ["secret gradient"])
        try server.send([request[0]] + textFrames("ack"))
        XCTAssertEqual(texts(try client.receive(timeout: arrivalTimeout)), ["ack"])
    }

    func testClientExpectingAnotherServerKeyGetsNothingThrough() throws {
        let serverKeys = try ZMQCurveKeyPair.generate()
        let impostorKey = try ZMQCurveKeyPair.generate().publicKey
        let (server, client) = try curvePair(serverKeys: serverKeys, expectedServerKey: impostorKey)
        defer { server.close(); client.close() }

        try client.send(textFrames("secret gradient"))
        XCTAssertNil(try server.receive(timeout: absenceTimeout))
    }

    func testMalformedKeyIsRejected() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(.dealer, context: context)
        defer { socket.close() }
        XCTAssertThrowsError(try socket.set(.curveServerKey("not a key"))) { error in
            XCTAssertEqual("\(error)", "set ZMQ_CURVE_SERVERKEY failed: Invalid argument")
        }
    }

    private func curvePair(
        serverKeys: ZMQCurveKeyPair, expectedServerKey: String
    ) throws -> (server: ZMQSocket, client: ZMQSocket) {
        let context = try ZMQContext()
        let server = try ZMQSocket(.router, context: context)
        try server.set([.curveServer(true), .curveSecretKey(serverKeys.secretKey)])
        let endpoint = try server.bind("tcp://127.0.0.1:*")

        let clientKeys = try ZMQCurveKeyPair.generate()
        let client = try ZMQSocket(.dealer, context: context)
        try client.set([
            .curveServerKey(expectedServerKey),
            .curvePublicKey(clientKeys.publicKey),
            .curveSecretKey(clientKeys.secretKey),
        ])
        try client.connect(endpoint)
        return (server, client)
    }
}

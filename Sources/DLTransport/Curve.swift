// Curve.swift
// CURVE key pairs. Keys travel as Z85 text (40 characters) because they end up
// in configuration files and command lines; ZMQSocketOption's curve cases take
// them in that form. Without a ZAP handler (DLTransport has none) a CURVE
// server accepts every client, so CURVE gives encryption and server
// authentication, not client authentication.

import CZeroMQ

/// A long-term CURVE key pair. The server's public key is handed to clients;
/// the secret key never leaves the process that owns it.
public struct ZMQCurveKeyPair: Sendable, Equatable, CustomStringConvertible {
    public let publicKey: String
    public let secretKey: String

    /// A key pair loaded from elsewhere, e.g. a deployment's key file.
    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh random key pair. Throws `TransportError.curveUnavailable` when
    /// this libzmq was built without CURVE.
    public static func generate() throws(TransportError) -> ZMQCurveKeyPair {
        guard ZMQ.hasCurve else { throw TransportError.curveUnavailable }
        // Z85 keys are 40 characters plus the terminating NUL libzmq writes.
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw TransportError.last(operation: "generate CURVE key pair")
        }
        return ZMQCurveKeyPair(publicKey: z85String(publicKey), secretKey: z85String(secretKey))
    }

    /// Shows only the public key, so logging a key pair cannot leak the secret.
    public var description: String { "ZMQCurveKeyPair(publicKey: \(publicKey))" }
}

private func z85String(_ characters: [CChar]) -> String {
    String(decoding: characters.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

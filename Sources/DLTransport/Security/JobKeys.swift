// The CURVE key pairs of a job, derived from its secret, and the socket options that use them.
//
// Every holder of the secret computes the same pairs, so the coordinator and the workers exchange
// nothing but the secret itself: HKDF over SHA-256 (swift-crypto) stretches it into one 32-byte
// X25519 private key per role, and libzmq's CURVE (libsodium's crypto_box, also X25519) takes them
// as they are. The servers' pair serves the coordinator's socket and every worker's peer socket; a
// client proves it holds the workers' pair, which the ZAP handler (ZAPHandler.swift) checks.

import Crypto

public struct JobKeys: Sendable, Equatable {
    public struct KeyPair: Sendable, Equatable {
        public let publicKey: [UInt8]
        public let secretKey: [UInt8]
    }

    /// What every server socket of the job (the coordinator's, the workers' peer sockets) is.
    public let server: KeyPair
    /// What every client of the job (a worker) proves it is.
    public let worker: KeyPair

    public init(secret: [UInt8]) {
        server = Self.derive(from: secret, role: "server")
        worker = Self.derive(from: secret, role: "worker")
    }

    /// The ZAP domain the job's server sockets authenticate in.
    public static let zapDomain = "dltrain"

    private static func derive(from secret: [UInt8], role: String) -> KeyPair {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: Array("dltrain CURVE keys, version 1".utf8),
            info: Array(role.utf8), outputByteCount: 32)
        let raw = derived.withUnsafeBytes { Array($0) }
        // Any 32 bytes are a valid X25519 private key (the scalar is clamped when used).
        let key = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
        return KeyPair(publicKey: Array(key.publicKey.rawRepresentation), secretKey: raw)
    }

    /// A server socket of the job: CURVE with the servers' pair, its peers authenticated by the
    /// context's ZAP handler.
    public var serverOptions: [ZMQSocketOption] {
        [.curveServer(true), .curvePublicKey(server.publicKey), .curveSecretKey(server.secretKey), .zapDomain(Self.zapDomain)]
    }

    /// A client socket of the job: encrypting to the servers' public key, proving the workers' pair.
    public var clientOptions: [ZMQSocketOption] {
        [.curveServerKey(server.publicKey), .curvePublicKey(worker.publicKey), .curveSecretKey(worker.secretKey)]
    }
}

// Who sent a hello of another protocol version, as far as it can be read: the coordinator refuses
// such a peer with a reject, and when too few workers registered it names it ("w3 (node-b): it
// speaks protocol version 8"). Nothing in another version's payload is promised, so this reads
// only a hello's name and host, if the payload is a JSON object that has them, and never fails.

import Foundation

extension MessageCodec {
    /// The name and host in a hello of another version, when its payload still has them.
    public static func identity(ofForeignHello bytes: UnsafeRawBufferPointer) -> (name: String, host: String)? {
        guard let (_, type, _) = peekHeader(bytes), type == MessageType.hello.rawValue,
            bytes.count - headerSize <= maximumControlPayload
        else { return nil }
        struct Identity: Decodable {
            let name: String
            let host: String
        }
        let payload = Data(bytes[headerSize...])
        guard let identity = try? JSONDecoder().decode(Identity.self, from: payload) else { return nil }
        // Names for a log line: bounded, whatever the peer sent.
        return (String(identity.name.prefix(100)), String(identity.host.prefix(100)))
    }
}

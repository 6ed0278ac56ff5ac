// ZMQSocketOptions.swift
// The socket options dltrain sets, as typed Swift values, and the single place that hands them to
// zmq_setsockopt. Errors name the libzmq option, e.g. "set ZMQ_ROUTING_ID failed: Invalid argument".
// The tests read options back through `libzmqValue(of:)` to check a setting arrived as meant.

import CZeroMQ

/// A socket option and its value. Apply with `ZMQSocket.set(_:)` before `bind`/`connect`: libzmq
/// applies most options only to connections made afterwards.
public enum ZMQSocketOption: Sendable {
    /// How long closing the socket keeps trying to deliver queued messages; releasing the context
    /// waits for that too. Sockets start with zero, so that neither ever waits.
    case linger(Duration)
    /// The identity (1–255 bytes) a ROUTER peer sees for this socket; set before `connect`.
    /// Without it the ROUTER invents a random one per connection.
    case routingId([UInt8])
    /// ROUTER only: sending to an unknown routing id fails with EHOSTUNREACH instead of silently
    /// dropping the message.
    case routerMandatory(Bool)
    /// ROUTER only: a peer that connects with a routing id already in use takes it over, so a
    /// worker that reconnects keeps its identity.
    case routerHandover(Bool)
    /// Peers sending a larger message are disconnected: an untrusted peer cannot make us allocate
    /// arbitrary amounts of memory. The bytes are those of a frame on the wire: set it with
    /// `maxMessageSize(payload:encrypted:)`, which counts what CURVE adds.
    case maxMessageSize(Int)
    /// Queue messages only on completed connections, so a send waits (or gives up) instead of
    /// queueing for a peer that is not there.
    case immediate(Bool)
    /// The delay before reconnecting after a connection is lost or refused.
    case reconnectInterval(Duration)
    /// The ceiling of the exponential reconnect back-off (zero: no back-off).
    case reconnectIntervalMax(Duration)
    /// CURVE as the server: peers must encrypt to this socket's public key, and the ZAP handler of
    /// the socket's context decides which clients' keys are admitted. Set with `curveSecretKey`.
    case curveServer(Bool)
    /// This socket's long-term CURVE key pair, 32 bytes each (a server's or a client's).
    case curvePublicKey([UInt8])
    case curveSecretKey([UInt8])
    /// A CURVE client: the server's public key (32 bytes), which only holders of the job's secret
    /// can derive.
    case curveServerKey([UInt8])
    /// The ZAP domain its peers are authenticated in (the ZAP handler sees it in each request).
    case zapDomain(String)
    /// How many connections the kernel queues for a bound socket before libzmq accepts them
    /// (listen's backlog; the kernel caps it at net.core.somaxconn). Beyond it new connections'
    /// first packets are dropped and retried a second later.
    case backlog(Int32)
    /// How long a new connection may take to finish its ZeroMQ handshake before libzmq closes it
    /// (zero: for ever; libzmq's default is 30 s).
    case handshakeInterval(Duration)
}

extension ZMQSocketOption {
    /// The backlog of the sockets others connect to. libzmq's default of 100 makes a burst of
    /// connections beyond it wait a second (hundreds of workers registering at once, or a flood of
    /// strangers' connections, which would then hold back the workers'); a thousand absorbs such
    /// bursts for a few megabytes of kernel memory at most.
    public static let serverBacklog = ZMQSocketOption.backlog(1024)

    /// The handshake timeout of the sockets others connect to. A worker's handshake takes a few round
    /// trips (milliseconds, a second across the world), and one that runs out connects again; a
    /// stranger's connection that starts a handshake and says no more is held this long, and no
    /// longer, which bounds what a stream of them holds: rate × 5 s, where libzmq's 30 s would hold
    /// six times as many (PendingHandshakes bounds their number besides).
    public static let serverHandshakeTimeout = ZMQSocketOption.handshakeInterval(.seconds(5))

    /// What CURVE wraps each message in on the wire, which libzmq counts against ZMQ_MAXMSGSIZE as a
    /// frame arrives: the MESSAGE command's name (8 bytes), the nonce (8), the MAC (16) and the
    /// flags (1).
    public static let curveMessageOverhead = 33

    /// The largest message a socket accepts, for messages of at most `payload` bytes, sent
    /// encrypted (CURVE) or not.
    public static func maxMessageSize(payload: Int, encrypted: Bool) -> ZMQSocketOption {
        .maxMessageSize(payload + (encrypted ? curveMessageOverhead : 0))
    }
}

extension ZMQSocket {
    /// Applies options in order, stopping at the first that libzmq rejects.
    public func set(_ options: [ZMQSocketOption]) throws(TransportError) {
        for option in options {
            let (code, name, value) = option.libzmq
            let operation = "set \(name)"
            let socket = try liveHandle(operation)
            try retryingInterrupts(operation) {
                switch value {
                case let .int32(number): withUnsafeBytes(of: number) { zmq_setsockopt(socket, code, $0.baseAddress, $0.count) }
                case let .int64(number): withUnsafeBytes(of: number) { zmq_setsockopt(socket, code, $0.baseAddress, $0.count) }
                case let .bytes(bytes): bytes.withUnsafeBytes { zmq_setsockopt(socket, code, $0.baseAddress, $0.count) }
                }
            }
        }
    }

    /// libzmq's current value of the numeric option that `option` sets (the value `option`
    /// carries is ignored), in libzmq's units: milliseconds, bytes, 0 or 1. ROUTER_MANDATORY and
    /// ROUTER_HANDOVER cannot be read back (EINVAL), nor can a routing id be read as a number.
    func libzmqValue(of option: ZMQSocketOption) throws(TransportError) -> Int {
        let (code, name, value) = option.libzmq
        let operation = "get \(name)"
        let socket = try liveHandle(operation)
        func read<Number: FixedWidthInteger>(_: Number.Type) throws(TransportError) -> Int {
            var number = Number.zero
            var size = MemoryLayout<Number>.size
            try retryingInterrupts(operation) { zmq_getsockopt(socket, code, &number, &size) }
            return Int(number)
        }
        if case .int64 = value { return try read(Int64.self) }
        return try read(Int32.self)
    }
}

extension ZMQSocketOption {
    /// A value in the C type libzmq expects for its option.
    enum Value {
        case int32(Int32), int64(Int64), bytes([UInt8])
    }

    /// libzmq's number and name for this option, and its value as libzmq takes it.
    var libzmq: (code: Int32, name: String, value: Value) {
        switch self {
        case let .linger(duration): (ZMQ_LINGER, "ZMQ_LINGER", .int32(duration.zmqMilliseconds))
        case let .routingId(id): (ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", .bytes(id))
        case let .routerMandatory(on): (ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", .int32(on ? 1 : 0))
        case let .routerHandover(on): (ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER", .int32(on ? 1 : 0))
        case let .maxMessageSize(bytes): (ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", .int64(Int64(bytes)))
        case let .immediate(on): (ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", .int32(on ? 1 : 0))
        case let .reconnectInterval(duration): (ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", .int32(duration.zmqMilliseconds))
        case let .reconnectIntervalMax(duration):
            (ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", .int32(duration.zmqMilliseconds))
        case let .curveServer(on): (ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", .int32(on ? 1 : 0))
        case let .curvePublicKey(key): (ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", .bytes(key))
        case let .curveSecretKey(key): (ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", .bytes(key))
        case let .curveServerKey(key): (ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", .bytes(key))
        case let .backlog(connections): (ZMQ_BACKLOG, "ZMQ_BACKLOG", .int32(connections))
        case let .handshakeInterval(duration): (ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL", .int32(duration.zmqMilliseconds))
        case let .zapDomain(domain): (ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", .bytes(Array(domain.utf8)))
        }
    }
}

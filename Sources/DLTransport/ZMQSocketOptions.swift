// ZMQSocketOptions.swift
// The socket options a trainer needs, as typed Swift values, and the single
// place that hands them to zmq_setsockopt. Errors name the libzmq option, e.g.
// "set ZMQ_CURVE_SERVERKEY failed: Invalid argument".

import CZeroMQ
import Glibc

/// A socket option and its value. Apply with `ZMQSocket.set(_:)`, normally
/// before `bind`/`connect`: libzmq applies most options to connections made
/// afterwards only.
public enum ZMQSocketOption: Sendable, Equatable {
    /// How long `close` keeps trying to deliver queued messages; releasing the
    /// context waits for that too. Sockets start with zero so that closing them
    /// and releasing the context never hangs.
    case linger(Duration)
    /// Outgoing messages queued per peer before sends block or drop (0: unlimited).
    case sendHighWaterMark(Int)
    /// Incoming messages queued per peer before libzmq stops reading (0: unlimited).
    case receiveHighWaterMark(Int)
    /// The identity (1–255 bytes) a ROUTER peer sees for this socket; set before
    /// `connect`. Without it the ROUTER invents a random one per connection.
    case routingId([UInt8])
    /// ROUTER only: sending to an unknown routing id fails with EHOSTUNREACH
    /// instead of silently dropping the message.
    case routerMandatory(Bool)
    /// ROUTER only: a peer that connects with a routing id already in use takes
    /// it over, so a worker that reconnects keeps its identity.
    case routerHandover(Bool)
    /// Peers sending a larger message are disconnected: an untrusted peer cannot
    /// make us allocate arbitrary amounts of memory.
    case maxMessageSize(Int)
    /// Queue messages only on completed connections, so sends block (or fail)
    /// instead of piling up for peers that are not there.
    case immediate(Bool)
    /// The delay before reconnecting after a connection is lost or refused.
    case reconnectInterval(Duration)
    /// The ceiling of the exponential reconnect back-off (zero: no back-off).
    case reconnectIntervalMax(Duration)
    /// How long a new connection may take to complete its ZMTP (and CURVE)
    /// handshake before it is dropped (zero: no limit).
    case handshakeInterval(Duration)
    /// The interval of ZMTP heartbeat pings, which detect dead peers (zero: off).
    case heartbeatInterval(Duration)
    /// How long to wait for any traffic after a ping before dropping the connection.
    case heartbeatTimeout(Duration)
    /// How long the remote peer should wait for traffic from us before dropping us
    /// (libzmq's resolution is 100 ms, maximum about 109 minutes).
    case heartbeatTTL(Duration)
    /// Turns on TCP keepalive with the given idle time before the first probe,
    /// interval between probes and number of unanswered probes (whole seconds),
    /// so idle connections through NATs and firewalls stay open or fail visibly.
    case tcpKeepalive(idle: Duration, interval: Duration, probes: Int)
    /// SUB only: receive messages whose first frame starts with this prefix
    /// (empty: everything). A SUB socket receives nothing until subscribed.
    case subscribe([UInt8])
    /// Whether this socket is the CURVE server (the side whose public key clients
    /// are given). DLTransport runs no ZAP handler, so a CURVE server accepts any
    /// client: CURVE here encrypts traffic and proves the server to its clients,
    /// not the clients to the server.
    case curveServer(Bool)
    /// This socket's long-term CURVE public key, as 40 Z85 characters (clients).
    case curvePublicKey(String)
    /// This socket's long-term CURVE secret key, as 40 Z85 characters.
    case curveSecretKey(String)
    /// The server's public key a CURVE client expects, as 40 Z85 characters.
    case curveServerKey(String)
}

extension ZMQSocket {
    /// Applies options in order, stopping at the first that libzmq rejects.
    public func set(_ options: [ZMQSocketOption]) throws(TransportError) {
        for option in options { try set(option) }
    }

    public func set(_ option: ZMQSocketOption) throws(TransportError) {
        switch option {
        case let .linger(duration):
            try setOption(ZMQ_LINGER, "ZMQ_LINGER", duration.zmqMilliseconds)
        case let .sendHighWaterMark(messages):
            try setOption(ZMQ_SNDHWM, "ZMQ_SNDHWM", int32(messages, "ZMQ_SNDHWM"))
        case let .receiveHighWaterMark(messages):
            try setOption(ZMQ_RCVHWM, "ZMQ_RCVHWM", int32(messages, "ZMQ_RCVHWM"))
        case let .routingId(id):
            try setOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", bytes: id)
        case let .routerMandatory(on):
            try setOption(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", on ? 1 : 0)
        case let .routerHandover(on):
            try setOption(ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER", on ? 1 : 0)
        case let .maxMessageSize(bytes):
            try setOption(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", int64: Int64(bytes))
        case let .immediate(on):
            try setOption(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", on ? 1 : 0)
        case let .reconnectInterval(duration):
            try setOption(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", duration.zmqMilliseconds)
        case let .reconnectIntervalMax(duration):
            try setOption(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", duration.zmqMilliseconds)
        case let .handshakeInterval(duration):
            try setOption(ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL", duration.zmqMilliseconds)
        case let .heartbeatInterval(duration):
            try setOption(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", duration.zmqMilliseconds)
        case let .heartbeatTimeout(duration):
            try setOption(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", duration.zmqMilliseconds)
        case let .heartbeatTTL(duration):
            try setOption(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", duration.zmqMilliseconds)
        case let .tcpKeepalive(idle, interval, probes):
            try setOption(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE", 1)
            try setOption(ZMQ_TCP_KEEPALIVE_IDLE, "ZMQ_TCP_KEEPALIVE_IDLE", wholeSeconds(idle))
            try setOption(ZMQ_TCP_KEEPALIVE_INTVL, "ZMQ_TCP_KEEPALIVE_INTVL", wholeSeconds(interval))
            try setOption(ZMQ_TCP_KEEPALIVE_CNT, "ZMQ_TCP_KEEPALIVE_CNT", int32(probes, "ZMQ_TCP_KEEPALIVE_CNT"))
        case let .subscribe(prefix):
            try setOption(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE", bytes: prefix)
        case let .curveServer(on):
            try requireCurve()
            try setOption(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", on ? 1 : 0)
        case let .curvePublicKey(key):
            try requireCurve()
            try setOption(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", bytes: Array(key.utf8))
        case let .curveSecretKey(key):
            try requireCurve()
            try setOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", bytes: Array(key.utf8))
        case let .curveServerKey(key):
            try requireCurve()
            try setOption(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", bytes: Array(key.utf8))
        }
    }

    private func setOption(_ option: Int32, _ name: String, _ value: Int32) throws(TransportError) {
        try setOption(option, name) { socket in
            withUnsafeBytes(of: value) { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        }
    }

    private func setOption(_ option: Int32, _ name: String, int64 value: Int64) throws(TransportError) {
        try setOption(option, name) { socket in
            withUnsafeBytes(of: value) { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        }
    }

    private func setOption(_ option: Int32, _ name: String, bytes: [UInt8]) throws(TransportError) {
        try setOption(option, name) { socket in
            bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        }
    }

    private func setOption(
        _ option: Int32, _ name: String, _ call: (UnsafeMutableRawPointer) -> Int32
    ) throws(TransportError) {
        let operation = "set \(name)"
        let socket = try liveHandle(operation)
        try retryingInterrupts(operation) { call(socket) }
    }

    /// Rejects values libzmq's C int cannot hold the way libzmq itself rejects bad values.
    private func int32(_ value: Int, _ name: String) throws(TransportError) -> Int32 {
        guard let narrow = Int32(exactly: value) else {
            throw TransportError.from(errno: EINVAL, operation: "set \(name)")
        }
        return narrow
    }

    /// The keepalive options are in seconds; round up so a sub-second value stays positive.
    private func wholeSeconds(_ duration: Duration) -> Int32 {
        let milliseconds = duration.zmqMilliseconds
        return milliseconds / 1000 + (milliseconds % 1000 == 0 ? 0 : 1)
    }

    private func requireCurve() throws(TransportError) {
        guard ZMQ.hasCurve else { throw TransportError.curveUnavailable }
    }
}

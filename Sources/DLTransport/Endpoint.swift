// An endpoint as a person writes it on a command line (`dlcoord --bind`, `dlworker --connect` and
// `--peer-bind`), checked where it enters: `tcp://HOST:PORT` or `ipc:///path`. HOST is an IPv4
// address, an IPv6 address in brackets (`[::1]`), a host name, an interface name (`lo`, `eth0`:
// libzmq binds its address) or `*` where binding. A connection may name the address it leaves
// from first, in libzmq's `tcp://SOURCE;HOST:PORT` form; a bind may not (libzmq would ignore
// everything before the `;` and bind what follows, `*` included). Which of these other machines can
// reach is decided elsewhere, on the addresses they resolve to (EndpointSecurity). libzmq would take
// `127.0.0.1:5755` or `5755` and fail with "Invalid argument" or "Protocol not supported", which
// says nothing of what to write instead; here each mistake gets its own case and the corrected
// value where one can be guessed ("did you mean tcp://127.0.0.1:5755?").
//
// A peer socket may also name a range of ports (`tcp://*:5556-5600`): it binds the first free one,
// so a firewall can open a known range (ZMQSocket.bind(_:) tries them in order).

import Foundation

public struct Endpoint: Equatable, Sendable, CustomStringConvertible {
    /// What the endpoint is for: what it may hold depends on it.
    public enum Role: Sendable {
        /// Where a worker connects (`--connect`): one host and one port.
        case connect
        /// Where the coordinator listens (`--bind`): a host or `*`, and a port or `*` (any free one).
        case bind
        /// Where a worker's peer socket listens (`--peer-bind`): as `bind`, or a range of ports.
        case peerBind
    }

    public enum Ports: Equatable, Sendable {
        case one(UInt16)
        /// Any free port, which the system chooses (`*`).
        case any
        /// The first free port of the range.
        case range(ClosedRange<UInt16>)
    }

    public enum Address: Equatable, Sendable {
        /// `host` as written, an IPv6 address with its brackets; `*` for every interface.
        case tcp(host: String, ports: Ports)
        case ipc(path: String)
    }

    public let address: Address
    /// Where a TCP connection leaves from (`SOURCE` of `tcp://SOURCE;HOST:PORT`, as written: an
    /// address or interface and a port, 0 or `*` for any); nil when not given. Only a connection has one.
    public let source: String?

    public init(_ address: Address, source: String? = nil) {
        self.address = address
        self.source = source
    }

    /// The endpoint in libzmq's syntax (a range as `FIRST-LAST`, which only `ZMQSocket.bind(_:)` reads).
    public var description: String {
        let from = source.map { "\($0);" } ?? ""
        return switch address {
        case let .ipc(path): "ipc://\(path)"
        case let .tcp(host, .one(port)): "tcp://\(from)\(host):\(port)"
        case let .tcp(host, .any): "tcp://\(from)\(host):*"
        case let .tcp(host, .range(ports)): "tcp://\(from)\(host):\(ports.lowerBound)-\(ports.upperBound)"
        }
    }

    /// The TCP host without an IPv6 address's brackets; nil for ipc.
    public var tcpHost: String? {
        guard case let .tcp(host, _) = address else { return nil }
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// The longest ipc path the system takes (a Unix socket's sun_path, with its terminating zero).
    public static let longestIPCPath = 107

    /// The port dlcoord listens on by default.
    public static let defaultPort: UInt16 = 5555

    /// Parses `text`, given with `flag`, for `role`; throws what is wrong with it and what to write.
    public init(_ text: String, flag: String, role: Role) throws(EndpointError) {
        func problem(_ problem: EndpointError.Problem, _ suggestion: String? = nil) -> EndpointError {
            EndpointError(flag: flag, value: text, problem: problem, suggestion: suggestion)
        }
        guard !text.isEmpty, !text.contains(where: \.isWhitespace) else { throw problem(.blank) }
        guard let schemeEnd = text.range(of: "://") else {
            throw problem(.noTransport, Self.guess(forBare: text, role: role))
        }
        let scheme = String(text[..<schemeEnd.lowerBound]), rest = String(text[schemeEnd.upperBound...])
        switch scheme.lowercased() {
        case "ipc":
            guard !rest.isEmpty else { throw problem(.noPath) }
            guard rest.utf8.count <= Self.longestIPCPath else { throw problem(.pathTooLong(rest.utf8.count)) }
            address = .ipc(path: rest)
            source = nil
        case "tcp":
            var rest = rest
            // libzmq splits at the last `;`: what precedes it is the source, what follows the destination.
            if let semicolon = rest.lastIndex(of: ";") {
                guard role == .connect else { throw problem(.sourceNotAllowed) }
                let sourceText = String(rest[..<semicolon])
                rest = String(rest[rest.index(after: semicolon)...])
                try Self.checkSource(sourceText, problem: { problem($0) })
                source = sourceText
            } else {
                source = nil
            }
            guard let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") else {
                throw problem(.noPort, rest.isEmpty ? nil : "tcp://\(rest):\(role == .peerBind ? "*" : "\(Self.defaultPort)")")
            }
            let host = String(rest[..<colon]), portText = String(rest[rest.index(after: colon)...])
            guard !host.isEmpty else {
                throw problem(.noHost, role == .connect ? "tcp://127.0.0.1:\(portText)" : "tcp://*:\(portText)")
            }
            try Self.checkHost(host, portText: portText, problem: problem)
            let ports = try Self.ports(portText, role: role, problem: { problem($0) })
            if role == .connect, host == "*" || host == "0.0.0.0" || host == "[::]" {
                throw problem(.everyInterface, "tcp://127.0.0.1:\(portText)")
            }
            address = .tcp(host: host, ports: ports)
        default:
            throw problem(.unknownTransport(scheme))
        }
    }

    /// A host as libzmq reads it: `*`, an IPv6 address in brackets (a zone after `%` allowed), or
    /// an IPv4 address, host name or interface name (letters, digits, `.`, `-`, `_`).
    private static func checkHost(
        _ host: String, portText: String, problem: (EndpointError.Problem, String?) -> EndpointError
    ) throws(EndpointError) {
        if host == "*" { return }
        if host.hasPrefix("[") {
            let inner = host.dropFirst().dropLast()
            let address = inner.prefix { $0 != "%" }
            guard host.hasSuffix("]"), address.contains(":"),
                address.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == ".") }),
                inner.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ":.%-_".contains($0)) })
            else { throw problem(.badHost(host), nil) }
            return
        }
        if host.contains(":") { throw problem(.ipv6WithoutBrackets, "tcp://[\(host)]:\(portText)") }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }) else {
            throw problem(.badHost(host), nil)
        }
    }

    /// The source of `tcp://SOURCE;HOST:PORT`: a host or `*` and a port (0 or `*` for any).
    private static func checkSource(_ text: String, problem: (EndpointError.Problem) -> EndpointError) throws(EndpointError) {
        guard let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") else { throw problem(.badSource(text)) }
        let host = String(text[..<colon]), port = text[text.index(after: colon)...]
        guard !host.isEmpty, port == "*" || port == "0" || self.port(port) != nil else { throw problem(.badSource(text)) }
        try checkHost(host, portText: String(port)) { _, _ in problem(.badSource(text)) }
    }

    /// The port part: a number from 1 to 65535; `*` where binding; a range for a peer socket.
    private static func ports(
        _ text: String, role: Role, problem: (EndpointError.Problem) -> EndpointError
    ) throws(EndpointError) -> Ports {
        if text == "*" {
            guard role != .connect else { throw problem(.anyPortToConnect) }
            return .any
        }
        if let dash = text.firstIndex(of: "-") {
            guard role == .peerBind else { throw problem(.rangeNotAllowed) }
            guard let first = port(text[..<dash]), let last = port(text[text.index(after: dash)...]), first <= last else {
                throw problem(.badRange(text))
            }
            return first == last ? .one(first) : .range(first...last)
        }
        guard let port = port(Substring(text)) else { throw problem(.badPort(text)) }
        return .one(port)
    }

    private static func port(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let value = UInt16(text), value > 0 else { return nil }
        return value
    }

    /// What a value without `tcp://` most likely meant: `HOST:PORT`, or a port alone.
    private static func guess(forBare text: String, role: Role) -> String? {
        if let port = port(Substring(text)) {
            return role == .connect ? "tcp://127.0.0.1:\(port)" : "tcp://*:\(port)"
        }
        if let colon = text.lastIndex(of: ":") {
            let portText = text[text.index(after: colon)...]
            guard port(portText) != nil || (portText == "*" && role != .connect) else { return nil }
            guard colon != text.startIndex else { return role == .connect ? "tcp://127.0.0.1\(text)" : "tcp://*\(text)" }
            return "tcp://\(text)"
        }
        if text.hasPrefix("/") { return "ipc://\(text)" }
        return nil
    }
}

/// Why an endpoint given on a command line cannot be used, with the flag, the value and what to
/// write instead when it can be guessed.
public struct EndpointError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        case blank
        /// No `tcp://` or `ipc://` in front.
        case noTransport
        case unknownTransport(String)
        case noHost
        case noPort
        case badPort(String)
        case badRange(String)
        /// A range where only one port can be used (`--bind`, `--connect`).
        case rangeNotAllowed
        /// `*` as the port to connect to.
        case anyPortToConnect
        /// `*` or 0.0.0.0 as the host to connect to.
        case everyInterface
        /// A host that is neither an address, a name nor `*`.
        case badHost(String)
        /// An IPv6 address without brackets: its colons cannot be told from the port's.
        case ipv6WithoutBrackets
        /// `SOURCE;` before a bind's host: only a connection leaves from somewhere.
        case sourceNotAllowed
        /// A source that is not `HOST:PORT`.
        case badSource(String)
        case noPath
        case pathTooLong(Int)
    }

    public let flag: String
    public let value: String
    public let problem: Problem
    /// The corrected value, when one can be guessed.
    public let suggestion: String?

    public var description: String { "\(flag) \(value) \(explanation)" }

    /// What is wrong and what to write instead, without the flag and value (where a message names
    /// them already, as a command line parser's does).
    public var explanation: String {
        let expected = "expected tcp://HOST:PORT or ipc:///path"
        let what: String
        switch problem {
        case .blank: what = "is empty or holds spaces; \(expected)"
        case .noTransport: what = "names no transport; \(expected)"
        case let .unknownTransport(scheme): what = "uses \(scheme)://, which dltrain does not speak; \(expected)"
        case .noHost: what = "names no host; \(expected)"
        case .noPort: what = "names no port; \(expected)"
        case let .badPort(text): what = "has port \"\(text)\"; a port is a number from 1 to 65535"
        case let .badRange(text):
            what = "has ports \"\(text)\"; a range is FIRST-LAST, two ports from 1 to 65535, the first not above the last"
        case .rangeNotAllowed: what = "names a range of ports, which only dlworker --peer-bind takes; give one port"
        case .anyPortToConnect: what = "has port *, which can only be bound; give the port the coordinator listens on"
        case .everyInterface: what = "names every interface, which can only be bound; give the coordinator's host"
        case let .badHost(host):
            what = "has host \"\(host)\"; a host is an IPv4 address, an IPv6 address in brackets ([::1]), a host name, "
                + "an interface name, or * to bind every interface"
        case .ipv6WithoutBrackets: what = "names an IPv6 address without brackets; write it as [ADDRESS]:PORT"
        case .sourceNotAllowed:
            what = "names a source address (SOURCE;HOST:PORT), which only dlworker --connect takes; give the one address to listen on"
        case let .badSource(text):
            what = "has source \"\(text)\"; a source is HOST:PORT before the ';' (port 0 or * for any)"
        case .noPath: what = "names no path; \(expected)"
        case let .pathTooLong(length):
            what = "has a path of \(length) bytes; a socket path has at most \(Endpoint.longestIPCPath): choose a shorter one"
        }
        return what + (suggestion.map { "; did you mean \($0)?" } ?? "")
    }
}

/// A command line parser (swift-argument-parser's) names the flag and the value itself, and shows
/// a LocalizedError's description after them: the explanation alone.
extension EndpointError: LocalizedError {
    public var errorDescription: String? { explanation }
}

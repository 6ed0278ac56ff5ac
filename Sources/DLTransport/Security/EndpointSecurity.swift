// Who can reach an endpoint, and so which keys a process uses on it. The decision is made on the
// addresses the endpoint stands for, not on how it is spelled: a bind's host is `*`, an address, an
// interface (its addresses) or a name (what it resolves to); a connection's is where it goes, after
// `SOURCE;` and after the name is resolved (getaddrinfo), and it counts as this machine's only when
// every address the name resolves to is loopback. The coordinator checks the address it actually
// bound as well (ZMQ_LAST_ENDPOINT, `bound(_:)`).
//
// - `ipc://`: a socket file that only its owner may connect to (ZMQSocket.bind makes it so);
//   no secret is needed.
// - TCP on loopback: every user of this machine reaches it. Without a secret file the job uses this
//   user's local secret (LocalSecret: made once, readable by this user alone), so other users'
//   processes cannot join, read a row or send a step; `--insecure` opts out (warned).
// - anything else: other machines reach it; it needs the job's secret, or `--insecure`.

import Foundation

public enum EndpointSecurity {
    /// Who can reach an endpoint.
    public enum Reach: Equatable, Sendable, CustomStringConvertible {
        /// An ipc socket file: its owner (and root) alone.
        case owner
        /// TCP on loopback: every user of this machine, and no other machine.
        case thisMachine
        /// TCP that other machines may reach; why it counts so.
        case network(String)

        public var description: String {
            switch self {
            case .owner: "its owner alone"
            case .thisMachine: "every user of this machine"
            case let .network(why): "other machines (\(why))"
            }
        }
    }

    /// Why a process may not use an endpoint as asked.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case secretNeeded(endpoint: String, why: String)
        /// A TCP peer socket of a job without keys (an ipc coordinator's): every user could reach it.
        case peerSocketNeedsSecret(endpoint: String)
        case secret(JobSecret.Problem)
        /// This user's local secret cannot be made or read.
        case localSecret(JobSecret.Problem)

        public var description: String {
            switch self {
            case let .secretNeeded(endpoint, why):
                "\(endpoint) is reachable from other machines (\(why)), and without a secret anyone who reaches it could "
                    + "join the job and read its data. Make a secret with: \(JobSecret.makeCommand), copy it to every "
                    + "worker's machine, and give it to dlcoord and every dlworker with --secret-file (or "
                    + "DLTRAIN_SECRET_FILE); or pass --insecure on a network you trust"
            case let .peerSocketNeedsSecret(endpoint):
                "--peer-bind \(endpoint) is a TCP socket that every user of this machine (or more) could reach, and this "
                    + "job has no secret (its coordinator is an ipc path). Leave --peer-bind out (the peer socket is then "
                    + "a private ipc path), give the job a secret (--secret-file, to dlcoord and every dlworker), or "
                    + "pass --insecure"
            case let .secret(problem):
                problem.description
            case let .localSecret(problem):
                "\(problem) (this user's secret for jobs on loopback, \(LocalSecret.fileDescription)). Give the job a "
                    + "secret with --secret-file (or DLTRAIN_SECRET_FILE), or pass --insecure to let every user of this "
                    + "machine join"
            }
        }
    }

    /// The keys a process uses, the file they come from, and who can reach its endpoint.
    public struct Protection: Equatable, Sendable {
        /// nil: no encryption and no authentication.
        public let keys: JobKeys?
        /// The secret file the keys come from: the one given, or this user's local secret.
        public let secretFile: String?
        public let reach: Reach

        public init(keys: JobKeys?, secretFile: String?, reach: Reach) {
            self.keys = keys
            self.secretFile = secretFile
            self.reach = reach
        }
    }

    /// The keys for a process that binds or connects `endpoint` as `role`: the secret file's when
    /// one is given; none on ipc or with `insecure`; on loopback, this user's local secret (read
    /// or made by `localSecret`, which defaults to LocalSecret's file); otherwise a refusal.
    public static func protection(
        for endpoint: Endpoint, role: Endpoint.Role, secretFile: String?, insecure: Bool,
        localSecret: () throws(JobSecret.Problem) -> (path: String, secret: [UInt8]) = LocalSecret.readOrMake
    ) throws(Problem) -> Protection {
        let reach = reach(of: endpoint, role: role)
        if let secretFile {
            do {
                return Protection(keys: JobKeys(secret: try JobSecret.read(path: secretFile)), secretFile: secretFile, reach: reach)
            } catch {
                throw .secret(error)
            }
        }
        switch reach {
        case .owner:
            return Protection(keys: nil, secretFile: nil, reach: reach)
        case _ where insecure:
            return Protection(keys: nil, secretFile: nil, reach: reach)
        case .thisMachine:
            do {
                let local = try localSecret()
                return Protection(keys: JobKeys(secret: local.secret), secretFile: local.path, reach: reach)
            } catch {
                throw .localSecret(error)
            }
        case let .network(why):
            throw .secretNeeded(endpoint: endpoint.description, why: why)
        }
    }

    /// Who can reach `endpoint` once bound (`.bind`, `.peerBind`) or connected to (`.connect`).
    public static func reach(of endpoint: Endpoint, role: Endpoint.Role) -> Reach {
        guard let host = endpoint.tcpHost else { return .owner }
        if host == "*" { return .network("it names every interface") }
        if let address = IPAddress(numeric: host) {
            return address.isLoopback ? .thisMachine : .network("\(address) is not a loopback address")
        }
        // libzmq binds an interface by that name first, as a name only when there is none.
        if role != .connect, let addresses = interfaceAddresses(named: host) {
            if let outside = addresses.first(where: { !$0.isLoopback }) {
                return .network("interface \(host) has address \(outside)")
            }
            return addresses.isEmpty ? .network("interface \(host) has no address") : .thisMachine
        }
        guard let addresses = resolve(host), !addresses.isEmpty else {
            return .network("\(host) does not resolve here, so it cannot be known to be this machine")
        }
        if let outside = addresses.first(where: { !$0.isLoopback }) {
            return .network("\(host) resolves to \(outside)")
        }
        return .thisMachine
    }

    /// Who can reach `endpoint` given as text (a recorded or derived one); a text that is not a
    /// valid endpoint counts as reachable from other machines.
    public static func reach(of endpoint: String, role: Endpoint.Role) -> Reach {
        guard let parsed = try? Endpoint(endpoint, flag: "", role: role) else { return .network("not a valid endpoint") }
        return reach(of: parsed, role: role)
    }

    /// Who can reach a bound endpoint, as libzmq reports it (`tcp://127.0.0.1:5555`, `tcp://0.0.0.0:5555`,
    /// `tcp://[::]:5555`, `ipc:///path`): a numeric address, or `*` for every interface.
    public static func reach(bound endpoint: String) -> Reach {
        if endpoint.hasPrefix("ipc://") { return .owner }
        guard let host = host(ofTCP: endpoint) else { return .network("not a TCP or ipc endpoint") }
        guard let address = IPAddress(numeric: host) else { return .network("bound to \(host)") }
        return address.isLoopback ? .thisMachine : .network("bound to \(address), which is not a loopback address")
    }

    /// The destination host of `tcp://[SOURCE;]HOST:PORT`, without an IPv6 address's brackets; nil
    /// for other transports.
    public static func host(ofTCP endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var host = endpoint.dropFirst("tcp://".count)
        if let semicolon = host.lastIndex(of: ";") { host = host[host.index(after: semicolon)...] }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host.filter { $0 != "[" && $0 != "]" }
    }

    /// The addresses `host` resolves to (every family); nil when it does not resolve.
    static func resolve(_ host: String) -> [IPAddress]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &found) == 0 else { return nil }
        defer { freeaddrinfo(found) }
        var addresses: [IPAddress] = []
        var next = found
        while let info = next {
            if let address = IPAddress(info.pointee.ai_addr) { addresses.append(address) }
            next = info.pointee.ai_next
        }
        return addresses
    }

    /// The addresses of the interface `name`; nil when no interface has that name.
    static func interfaceAddresses(named name: String) -> [IPAddress]? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var exists = false, addresses: [IPAddress] = []
        var next = list
        while let entry = next {
            if String(cString: entry.pointee.ifa_name) == name {
                exists = true
                if let address = IPAddress(entry.pointee.ifa_addr) { addresses.append(address) }
            }
            next = entry.pointee.ifa_next
        }
        return exists ? addresses : nil
    }
}

/// An IPv4 or IPv6 address, to tell loopback from the rest.
struct IPAddress: Equatable, CustomStringConvertible {
    /// 4 or 16 bytes, in network order.
    let bytes: [UInt8]

    init?(numeric text: String) {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text.prefix { $0 != "%" }.description, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    init?(_ address: UnsafeMutablePointer<sockaddr>?) {
        guard let address else { return nil }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    /// 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.y.z).
    var isLoopback: Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        guard bytes.count == 16 else { return false }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let printed = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return printed == nil ? "?" : String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

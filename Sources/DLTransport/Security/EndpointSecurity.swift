// Which endpoints need the job's secret, and the keys a process uses on them. Without a secret,
// anyone who reaches a TCP port could join a job and read its rows, so a TCP endpoint that is not
// loopback needs one unless the user says `--insecure`; an `ipc://` endpoint is a socket file that
// only its owner may connect to, and loopback is this machine's.

import Foundation

public enum EndpointSecurity {
    /// Why a process may not use an endpoint as asked.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case secretNeeded(endpoint: String)
        case secret(JobSecret.Problem)

        public var description: String {
            switch self {
            case let .secretNeeded(endpoint):
                "\(endpoint) is reachable from other machines, and without a secret anyone who reaches it could join "
                    + "the job and read its data. Make a secret with: \(JobSecret.makeCommand), copy it to every "
                    + "worker's machine, and give it to dlcoord and every dlworker with --secret-file (or "
                    + "DLTRAIN_SECRET_FILE); or pass --insecure on a network you trust"
            case let .secret(problem):
                problem.description
            }
        }
    }

    /// The keys for a process that binds or connects `endpoint`: the secret's when a secret file is
    /// given, none on `ipc://` and loopback or with `insecure`, and otherwise a refusal.
    public static func keys(endpoint: String, secretFile: String?, insecure: Bool) throws(Problem) -> JobKeys? {
        if let secretFile {
            do {
                return JobKeys(secret: try JobSecret.read(path: secretFile))
            } catch {
                throw .secret(error)
            }
        }
        if isLocal(endpoint) || insecure { return nil }
        throw .secretNeeded(endpoint: endpoint)
    }

    /// Whether only this machine (and, for ipc, only its owner) can reach `endpoint`.
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard let name = host(ofTCP: endpoint) else { return false }
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    /// The host of `tcp://HOST:PORT`, without an IPv6 address's brackets; nil for other transports.
    public static func host(ofTCP endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var host = endpoint.dropFirst("tcp://".count)
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host.filter { $0 != "[" && $0 != "]" }
    }

    /// Makes a bound ipc socket file readable and writable by its owner alone: connecting to it
    /// needs write permission, so no other user can reach the socket through it.
    static func restrictToOwner(boundEndpoint endpoint: String) {
        guard endpoint.hasPrefix("ipc://") else { return }
        _ = chmod(String(endpoint.dropFirst("ipc://".count)), 0o600)
    }
}

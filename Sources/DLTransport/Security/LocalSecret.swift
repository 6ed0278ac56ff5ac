// This user's secret for jobs on loopback TCP. Every user of a machine can connect to 127.0.0.1, so
// a job there without a secret would be open to all of them; with this one it is open to this
// user's processes alone, and nobody has to make, copy or name a secret: the first dlcoord or
// dlworker of the user that needs it makes it (32 random bytes, as base64) in a file only the user
// can read, ~/.dltrain/local-secret, and every later one reads it. Erlang's ~/.erlang.cookie
// does the same for a user's nodes. `--secret-file` and DLTRAIN_SECRET_FILE take precedence.

import Foundation

public enum LocalSecret {
    /// Where the file is, for messages.
    public static let fileDescription = "~/.dltrain/local-secret"

    /// The file under the home directory: $HOME, else the user database's (getpwuid); nil with neither.
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.dltrain/local-secret" }
        guard let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir else { return nil }
        let home = String(cString: directory)
        return home.hasPrefix("/") ? home + "/.dltrain/local-secret" : nil
    }

    /// This user's local secret and its file, made if there is none yet.
    public static func readOrMake() throws(JobSecret.Problem) -> (path: String, secret: [UInt8]) {
        guard let path = path() else {
            throw .unwritable(path: fileDescription, reason: "neither HOME nor the user database names a home directory")
        }
        return (path, try readOrMake(at: path))
    }

    /// The secret in the file at `path`, which is made first (in a folder only this user may enter)
    /// when there is none. Two processes that start together make one file: each writes its own
    /// and links it into place, and the second link finds the first's.
    public static func readOrMake(at path: String) throws(JobSecret.Problem) -> [UInt8] {
        let folder = (path as NSString).deletingLastPathComponent
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw .unwritable(path: path, reason: "cannot make \(folder): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        if stat(path, &status) != 0 {
            guard errno == ENOENT else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            unlink(temporary)
            defer { unlink(temporary) }
            try JobSecret.writePrivateFile(JobSecret.generate(), to: temporary)
            if link(temporary, path) != 0 && errno != EEXIST {
                throw .unwritable(path: path, reason: String(cString: strerror(errno)))
            }
            guard stat(path, &status) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        }
        // Another user's file there would let that user into this user's jobs.
        guard status.st_uid == geteuid() else { throw .ownedByAnotherUser(path: path, owner: status.st_uid) }
        return try JobSecret.read(path: path)
    }
}

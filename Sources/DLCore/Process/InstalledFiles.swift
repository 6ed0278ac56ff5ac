// Where dltrain's own files are, found from the running executable's file as the kernel reports it
// (/proc/self/exe: every symlink resolved), never from the current directory or argv[0]: dlcoord
// started from PATH, through a symlink in /usr/local/bin or from any directory finds dlworker
// beside its real file, and the seed data set in the share folder installed with it
// (PREFIX/bin/dlcoord beside PREFIX/share/dltrain/, as deploy/install.sh and the release archive lay
// them out).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum InstalledFiles {
    /// What deploy/install.sh and the release archive put beside bin/: share/dltrain.
    public static let shareFolder = "../share/dltrain"

    /// The running executable's file, symlinks resolved, as the kernel reports it.
    public static func executable() throws(InstallationError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw .executableUnknown(reason: String(cString: strerror(errno))) }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A file replaced while it runs (an upgrade) is reported as "PATH (deleted)"; its folder is still right.
        let deleted = " (deleted)"
        return path.hasSuffix(deleted) ? String(path.dropLast(deleted.count)) : path
    }

    /// The folder the running executable's file is in.
    public static func executableFolder() throws(InstallationError) -> String {
        let path = try executable()
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The executable `name` (dlworker) beside the running one's file, or why it is not there.
    public static func sibling(_ name: String) throws(InstallationError) -> String {
        let folder = try executableFolder()
        let path = folder + "/" + name
        guard access(path, X_OK) == 0, isRegularFile(path) else {
            throw .missingSibling(name: name, folder: folder, running: (try? executable()) ?? folder)
        }
        return path
    }

    /// `relativePath` in the share folder installed beside the executable's folder
    /// (BIN/../share/dltrain/relativePath), if that file is there.
    public static func shared(_ relativePath: String) -> String? {
        guard let folder = try? executableFolder() else { return nil }
        let path = normalized(folder + "/" + shareFolder + "/" + relativePath)
        return isRegularFile(path) ? path : nil
    }

    /// Where `shared(relativePath)` looks, for messages.
    public static func sharedLocation(_ relativePath: String) -> String {
        guard let folder = try? executableFolder() else { return shareFolder + "/" + relativePath }
        return normalized(folder + "/" + shareFolder + "/" + relativePath)
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// An absolute path with its "." and ".." components resolved textually (the folder is already real).
    private static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}

public enum InstallationError: Error, CustomStringConvertible, Equatable {
    /// /proc/self/exe could not be read (no /proc mounted).
    case executableUnknown(reason: String)
    /// An executable the running one needs is not beside its file.
    case missingSibling(name: String, folder: String, running: String)

    public var description: String {
        switch self {
        case let .executableUnknown(reason):
            "cannot tell where this executable is: /proc/self/exe: \(reason) (is /proc mounted?)"
        case let .missingSibling(name, folder, running):
            "\(name) is not in \(folder), the folder of \(running) (symlinks resolved), where it must be: "
                + "install dlcoord, dlworker and dlmodel together (deploy/install.sh, or the release archive's bin/ folder), "
                + "or build them together (swift build -c release)"
        }
    }
}

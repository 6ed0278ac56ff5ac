// The command that continues a stopped run, printed when dlcoord is interrupted: the command line it
// was started with, its run directory named by --resume (or by --run-dir when nothing was trained
// yet, so the same job starts there again), and the settings it took from defaults that a later
// shell may not have (where the workers connect, the secret file from $DLTRAIN_SECRET_FILE); each
// word quoted for a POSIX shell, so the line can be pasted as it is.

import Foundation

public enum ResumeCommand {
    /// `arguments`: the command line (the program first). `resumable`: the directory holds a
    /// checkpoint. `bind` and `secretFile`: added when the command line does not give them.
    public static func make(
        arguments: [String], runDirectory: String, resumable: Bool, bind: String? = nil, secretFile: String? = nil
    ) -> [String] {
        guard let program = arguments.first else { return [] }
        var kept: [String] = []
        var words = arguments.dropFirst().makeIterator()
        let replaced = ["--resume", "--run-dir"]
        while let word = words.next() {
            if word == "--overwrite" { continue }
            if replaced.contains(word) {
                _ = words.next()  // its value
                continue
            }
            if replaced.contains(where: { word.hasPrefix($0 + "=") }) { continue }
            kept.append(word)
        }
        var command = [program, resumable ? "--resume" : "--run-dir", runDirectory] + kept
        if let bind, !gives("--bind", in: kept) { command += ["--bind", bind] }
        if let secretFile, !gives("--secret-file", in: kept) { command += ["--secret-file", secretFile] }
        return command
    }

    private static func gives(_ option: String, in words: [String]) -> Bool {
        words.contains { $0 == option || $0.hasPrefix(option + "=") }
    }

    /// The words as one line a POSIX shell splits back into them.
    public static func shellLine(_ words: [String]) -> String {
        words.map(quoted).joined(separator: " ")
    }

    /// `word` as is when a shell would not change it, else in single quotes (a quote inside as '\'').
    public static func quoted(_ word: String) -> String {
        let plain = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@%+=:,./_-"
        if !word.isEmpty, word.allSatisfy({ plain.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

// How every dltrain command starts and reports a usage error: one line on standard error,
// `COMMAND: error: ...`, with the flag a user probably meant (a misspelling, or the name another tool
// gives it: `--lr`, `--batch_size`, `--num-workers`) and where the options are listed, and exit status
// 64 (EX_USAGE), so that a script tells a wrong command line from a run that failed (status 1).
// `--help` and `--version` print as swift-argument-parser prints them.
//
// Before anything else a command raises its limit of open descriptors as far as it may and holds a
// few back for its own files (DLCore's OpenFileLimit and DescriptorReserve), so that connections
// accepted by its sockets cannot leave it unable to write a checkpoint.

import ArgumentParser
import DLCore
import Foundation

public enum CommandMain {
    /// The exit status of a usage error.
    public static let usageStatus: Int32 = 64

    /// The descriptor limits the command runs with, raised when it started (nil when the system does
    /// not say), for its log.
    public static let openFiles: OpenFileLimit? = {
        let limit = OpenFileLimit.raise()
        DescriptorReserve.hold()
        return limit
    }()

    /// Parses the command line of `Command` (or of its subcommand) and runs it.
    public static func run<Command: ParsableCommand>(_ command: Command.Type) -> Never {
        _ = openFiles
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var parsed = try Command.parseAsRoot(arguments)
            try parsed.run()
            exit(0)
        } catch {
            let status = Command.exitCode(for: error)
            // Help, the version, and the exit status a command's run chose after saying why.
            if status == .success || error is ExitCode { Command.exit(withError: error) }
            let name = Command.configuration.commandName ?? "dltrain"
            let subcommand = Command.configuration.subcommands.first { $0._commandName == arguments.first }
            let helpCommand = subcommand.map { "\(name) \($0._commandName)" } ?? name
            var message = OptionSpellings.withoutParsersGuess(Command.message(for: error))
                .split(separator: "\n").joined(separator: "; ")
            var suggestion = ""
            // An unknown option explains a missing one (`--coordinator` for `--connect`): it comes first.
            if let unknown = OptionSpellings.unknownOption(in: arguments, command: Command.self) {
                if !message.contains(unknown.option) { message = "Unknown option '\(unknown.option)'" }
                suggestion = unknown.meant.map { "; did you mean \($0)?" } ?? ""
            }
            FileHandle.standardError.write(Data(
                "\(name): error: \(message)\(suggestion) (`\(helpCommand) --help` lists every option with its default)\n".utf8))
            exit(usageStatus)
        }
    }
}

/// The options a user most likely meant by one the command does not have.
enum OptionSpellings {
    /// Names other tools (Keras, PyTorch, Ludwig, Horovod scripts) give dltrain's options.
    static let otherTools: [String: String] = {
        let spellings: [(String, [String])] = [
            ("--learning-rate", ["--lr", "--learning_rate"]),
            ("--batch-size", ["--batch_size", "--bs"]),
            ("--epochs", ["--num-epochs", "--num_epochs", "--n-epochs", "--nb-epoch", "--epoch"]),
            ("--workers", ["--num-workers", "--num_workers", "--world-size", "--nproc-per-node", "--nproc_per_node", "--np"]),
            ("--seed", ["--random-seed"]),
            ("--data", ["--csv", "--dataset", "--train", "--input"]),
            ("--label-column", ["--target", "--label", "--y"]),
            ("--run-dir", ["--output-dir", "--log-dir", "--logdir", "--checkpoint-dir"]),
            ("--validation-split", ["--val-split", "--validation_split"]),
            ("--standardize", ["--normalize", "--scale"]),
            ("--optimizer", ["--optim"]),
            ("--layers", ["--hidden"]),
            ("--connect", ["--master-addr", "--master", "--coordinator", "--address"]),
            ("--delimiter", ["--sep", "--separator"]),
        ]
        var names: [String: String] = [:]
        for (option, others) in spellings {
            for other in others { names[other] = option }
        }
        return names
    }()

    /// The parser's message without its own guess at the option meant (the nearest by spelling
    /// alone: `--loss` for `--lr`), which `suggestion` replaces.
    static func withoutParsersGuess(_ message: String) -> String {
        guard message.hasPrefix("Unknown option"), let guess = message.range(of: ". Did you mean") else { return message }
        return String(message[..<guess.lowerBound])
    }

    /// The first option of `arguments` that `command` does not have, and the one most likely meant:
    /// another tool's name for it, or the nearest in spelling if it is near.
    static func unknownOption<Command: ParsableCommand>(
        in arguments: [String], command: Command.Type
    ) -> (option: String, meant: String?)? {
        let known = knownOptions(of: Command.self, arguments: arguments)
        let options: [String] = arguments.filter { $0.hasPrefix("--") }.map { String($0.prefix { $0 != "=" }) }
        guard let unknown = options.first(where: { !known.contains($0) }) else { return nil }
        if let other = otherTools[unknown.lowercased()], known.contains(other) { return (unknown, other) }
        let spelled = unknown.lowercased().replacingOccurrences(of: "_", with: "-")
        return (unknown, EditDistance.nearest(to: spelled, among: known.sorted()))
    }

    /// The long options of the command the arguments run (a subcommand's, for dlmodel), as its help lists them.
    private static func knownOptions<Command: ParsableCommand>(of command: Command.Type, arguments: [String]) -> Set<String> {
        let subcommand = Command.configuration.subcommands.first { $0._commandName == arguments.first }
        let text = subcommand.map { Command.helpMessage(for: $0, columns: 10_000) } ?? Command.helpMessage(columns: 10_000)
        var options = Set<String>()
        var rest = Substring(text)
        while let start = rest.range(of: "--") {
            let name = rest[start.lowerBound...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
            if name.count > 2 { options.insert(String(name)) }
            rest = rest[start.upperBound...]
        }
        return options
    }
}

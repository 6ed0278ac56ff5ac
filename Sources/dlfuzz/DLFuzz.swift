// dlfuzz TARGET ARGS...: the fuzz targets (FuzzTargets.swift) as one executable.
//
// Built normally it replays inputs: `dlfuzz csv FILE_OR_DIRECTORY...` runs every file through the
// target and says how many it read; the tests replay the committed corpus and every input that
// ever crashed this way. Built for fuzzing (Tests/Fuzz/run.sh: `-sanitize=fuzzer -D FUZZING`), the
// same command line goes to libFuzzer's driver after the target's name: `dlfuzz csv -runs=1000000
// CORPUS_DIRECTORY`. `dlfuzz message --mutations N FILE...` also replays N structure-aware
// mutations of each message (MessageMutator), as the fuzzing build's custom mutator makes them.

import Foundation

@main
struct DLFuzz {
    static func main() {
        let arguments = CommandLine.arguments
        let named = arguments.count >= 2 ? FuzzTarget(rawValue: arguments[1]) : nil
        #if FUZZING
        // libFuzzer runs this binary again for -merge and -fork, with its own arguments only: the
        // target goes to those runs in the environment.
        guard let target = named ?? ProcessInfo.processInfo.environment["DLFUZZ_TARGET"].flatMap(FuzzTarget.init) else { usage() }
        setenv("DLFUZZ_TARGET", target.rawValue, 1)
        exit(runLibFuzzer(target, arguments: named == nil ? arguments : [arguments[0]] + arguments.dropFirst(2)))
        #else
        guard let target = named else { usage() }
        var paths = Array(arguments.dropFirst(2)), mutations = 0
        if paths.first == "--mutations", paths.count > 1, let count = Int(paths[1]), count >= 0, target == .message {
            mutations = count
            paths.removeFirst(2)
        }
        exit(replay(target, paths: paths, mutations: mutations))
        #endif
    }

    static func usage() -> Never {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        FileHandle.standardError.write(Data("usage: dlfuzz \(names) FILE_OR_DIRECTORY... (or libFuzzer's arguments)\n".utf8))
        exit(2)
    }

    /// Runs every file under `paths` through `target`, and `mutations` seeded mutations of each
    /// (the message target's structure-aware ones: MessageMutator); 1 when a path cannot be read.
    static func replay(_ target: FuzzTarget, paths: [String], mutations: Int = 0) -> Int32 {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("dlfuzz: no such file or directory: \(path)\n".utf8))
                return 1
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        var mutated = 0
        for (index, file) in files.enumerated() {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            data.withUnsafeBytes { target.consume($0) }
            // Each mutation builds on the last that still decodes, as libFuzzer's corpus grows.
            var mutator = MessageMutator(seed: UInt64(index)), current = Array(data)
            for _ in 0..<mutations {
                guard let changed = mutator.mutate(current) ?? mutator.mutate(Array(data)) else { break }
                changed.withUnsafeBytes { target.consume($0) }
                mutated += 1
                current = changed
            }
        }
        print("dlfuzz \(target.rawValue): read \(files.count) input(s)" + (mutations > 0 ? " and \(mutated) mutation(s)" : "")
            + " without a crash")
        return 0
    }
}

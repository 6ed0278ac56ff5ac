// dlfuzz TARGET ARGS...: the fuzz targets (FuzzTargets.swift) as one executable.
//
// Built normally it replays inputs: `dlfuzz csv FILE_OR_DIRECTORY...` runs every file through the
// target and says how many it read; the tests replay the committed corpus and every input that
// ever crashed this way. Built for fuzzing (Tests/Fuzz/run.sh: `-sanitize=fuzzer -D FUZZING`), the
// same command line goes to libFuzzer's driver after the target's name: `dlfuzz csv -runs=1000000
// CORPUS_DIRECTORY`.

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
        exit(replay(target, paths: Array(arguments.dropFirst(2))))
        #endif
    }

    static func usage() -> Never {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        FileHandle.standardError.write(Data("usage: dlfuzz \(names) FILE_OR_DIRECTORY... (or libFuzzer's arguments)\n".utf8))
        exit(2)
    }

    /// Runs every file under `paths` through `target`; 1 when a path cannot be read.
    static func replay(_ target: FuzzTarget, paths: [String]) -> Int32 {
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
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            data.withUnsafeBytes { target.consume($0) }
        }
        print("dlfuzz \(target.rawValue): read \(files.count) input(s) without a crash")
        return 0
    }
}

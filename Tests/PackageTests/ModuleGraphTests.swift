// The module graph three ways, kept equal: what Package.swift declares, what the sources import, and
// what docs/design.md shows. A target that imports a module it does not declare builds by accident
// (through another target's dependency) and breaks when that one changes; a declared module that
// nothing imports is a dependency nobody needs; a graph in the document that differs misleads.

import DLTestSupport
import Foundation
import XCTest

final class ModuleGraphTests: XCTestCase {
    private let manifest = try! String(contentsOfFile: Repository.root + "/Package.swift", encoding: .utf8)

    func testEveryImportOfAPackageModuleIsDeclared() throws {
        let targets = DeclaredTarget.all(in: manifest)
        XCTAssertGreaterThan(targets.count, 10, "the manifest reader found the targets")
        let known = Set(targets.map(\.name)).union(DeclaredTarget.packageProducts)
        for target in targets where target.kind != "systemLibrary" {
            let imported = try imports(under: Repository.root + "/" + target.path).intersection(known)
            if target.kind != "target" {  // (C targets import nothing; every other kind imports something)
                XCTAssertFalse(imported.isEmpty, "\(target.name): no imports found in \(target.path)")
            }
            let undeclared = imported.subtracting(target.dependencies).subtracting([target.name])
            XCTAssertEqual(undeclared, [], "\(target.name) imports modules Package.swift does not declare for it")
            // Executables are declared by the end-to-end tests so that they are built, not imported.
            let unused = target.dependencies.subtracting(imported).filter { name in
                targets.first { $0.name == name }?.kind != "executableTarget"
            }
            XCTAssertEqual(unused, [], "\(target.name) declares modules none of its files imports")
        }
    }

    func testTheDesignDocumentShowsTheDeclaredGraph() throws {
        let design = try String(contentsOfFile: Repository.root + "/docs/design.md", encoding: .utf8)
        let section = try XCTUnwrap(design.range(of: "### Dependencies as Package.swift declares them"))
        let block = design[section.upperBound...].components(separatedBy: "```")[1]
        var documented: [String: Set<String>] = [:]
        for line in block.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            documented[String(parts[0])] = Set((parts.count > 1 ? parts[1] : "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            })
        }
        var declared: [String: Set<String>] = [:]
        for target in DeclaredTarget.all(in: manifest) where target.kind != "testTarget" {
            declared[target.name] = target.dependencies
        }
        XCTAssertEqual(documented, declared)
    }

    func testTheManifestReaderReadsEveryFormOfDependency() {
        let targets = DeclaredTarget.all(in: """
            // a comment with (parentheses) and "quotes"
            .target(name: "A"),
            .target(name: "B", dependencies: ["A", .product(name: "Logging", package: "swift-log")]),
            .testTarget(name: "BTests", dependencies: ["B"], path: "Tests/Special", resources: [.copy("Fixtures")]),
            .systemLibrary(name: "CLib", pkgConfig: "lib", providers: [.apt(["lib-dev"])]),
            """)
        XCTAssertEqual(targets.map(\.name), ["A", "B", "BTests", "CLib"])
        XCTAssertEqual(targets.map(\.dependencies), [[], ["A", "Logging"], ["B"], []])
        XCTAssertEqual(targets.map(\.path), ["Sources/A", "Sources/B", "Tests/Special", "Sources/CLib"])
    }

    /// The modules the Swift files below `directory` import.
    private func imports(under directory: String) throws -> Set<String> {
        var found: Set<String> = []
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            for line in try String(contentsOfFile: directory + "/" + file, encoding: .utf8).split(separator: "\n") {
                let code = line.components(separatedBy: "//")[0]  // an import may carry a comment
                let words = code.split(separator: " ").filter { $0 != "@testable" }
                if words.count == 2, words[0] == "import" { found.insert(String(words[1])) }
            }
        }
        return found
    }
}

/// A target as Package.swift declares it, read from the manifest's text: its kind, name, folder and
/// the modules it depends on (targets by name, products by their product name).
struct DeclaredTarget {
    let kind: String
    let name: String
    let path: String
    let dependencies: Set<String>

    /// The products of package dependencies that targets may import.
    static let packageProducts: Set<String> = [
        "ArgumentParser", "Crypto", "Logging", "Prometheus", "SwiftProtobuf", "ZIPFoundation",
    ]

    static func all(in manifest: String) -> [DeclaredTarget] {
        let code = manifest.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        let declaration = /\.(target|executableTarget|testTarget|systemLibrary)\(/
        return code.matches(of: declaration).map { match in
            let body = balanced(code[match.range.upperBound...], open: "(", close: ")")
            let name = String(body.firstMatch(of: /name:\s*"(\w+)"/)!.1)
            let kind = String(match.1)
            let path = body.firstMatch(of: /path:\s*"([^"]+)"/).map { String($0.1) }
                ?? (kind == "testTarget" ? "Tests/" : "Sources/") + name
            var dependencies: Set<String> = []
            if let list = body.firstMatch(of: /dependencies:\s*\[/) {
                var items = String(balanced(body[list.range.upperBound...], open: "[", close: "]"))
                for product in items.matches(of: /\.product\(name:\s*"(\w+)"[^)]*\)/).reversed() {
                    dependencies.insert(String(product.1))
                    items.removeSubrange(product.range)
                }
                dependencies.formUnion(items.matches(of: /"(\w+)"/).map { String($0.1) })
            }
            return DeclaredTarget(kind: kind, name: name, path: path, dependencies: dependencies)
        }
    }

    /// The text up to the bracket that closes the one just opened.
    private static func balanced(_ text: Substring, open: Character, close: Character) -> Substring {
        var depth = 1
        for index in text.indices {
            if text[index] == open { depth += 1 }
            if text[index] == close { depth -= 1 }
            if depth == 0 { return text[..<index] }
        }
        return text
    }
}

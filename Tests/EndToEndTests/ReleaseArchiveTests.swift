// The release archive on a machine without Swift: deploy/release.sh packs this build's statically
// linked executables (deploy/container/build-binaries.sh, which the README's test command runs), and
// a container of the bare Debian base image (debootstrap's minbase: no Swift, no libzmq, no -dev
// package; no network) checks the sums file, unpacks the archive, installs it with its install.sh
// and, from an empty directory, trains the seed job with no options, on two spawned workers and in
// one process (byte-identical models), summarizes and exports a model with dlmodel. Needs root,
// podman, runc and debootstrap (deploy/install-deps.sh --test); about 20 s once the base image exists.

import DLTestSupport
import Foundation
import XCTest

final class ReleaseArchiveTests: XCTestCase {
    func testTheArchiveRunsOnABareDebianWithoutSwift() throws {
        let engine = try Podman.withTheBaseImage()
        defer { engine.removeEverything() }
        let output = try temporaryDirectory(self)
        let made = try runProcess(Repository.root + "/deploy/release.sh", ["--from", Podman.release, "--output", output], timeout: 300)
        XCTAssertEqual(made.status, 0, made.errorText)
        let files = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        let version = try runProcess(Podman.release + "/dlcoord", ["--version"]).outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = "dltrain-\(version)-linux-x86_64"
        XCTAssertEqual(files, [name + ".tar.gz", name + ".tar.gz.sha256"])

        let script = """
            set -eu
            if command -v swift || ls /usr/lib/x86_64-linux-gnu | grep -E 'libzmq|libsodium|libhdf5|libcurl'; then
                echo 'the image is not bare' >&2; exit 90
            fi
            cd /release && sha256sum -c \(name).tar.gz.sha256
            mkdir /tmp/unpacked && tar -C /tmp/unpacked -xzf /release/\(name).tar.gz
            /tmp/unpacked/\(name)/install.sh
            mkdir /tmp/work && cd /tmp/work
            dlcoord > seed.log
            ls runs/*/model.safetensors
            dlcoord --workers 2 --spawn --epochs 3 --verbose 0 --run-dir spawned
            dlcoord --local --shards 2 --epochs 3 --verbose 0 --run-dir local
            cmp spawned/model.safetensors local/model.safetensors
            dlmodel summary spawned
            dlmodel export spawned --format keras --output spawned.keras
            dlmodel export spawned --format onnx --output spawned.onnx
            ls -l spawned.keras spawned.onnx
            """
        let ran = try engine.run(
            ["run", "--rm", "--network", "none", "-v", "\(output):/release:ro", Podman.baseImage, "bash", "-c", script],
            timeout: 300)
        XCTAssertEqual(ran.status, 0, ran.outputText + ran.errorText)
        XCTAssertTrue(ran.outputText.contains("\(name).tar.gz: OK"), ran.outputText)
        XCTAssertTrue(ran.outputText.contains("/usr/local/bin/dlcoord"), "install.sh says what it installed: \(ran.outputText)")
        XCTAssertTrue(ran.outputText.contains("/model.safetensors"), "the seed job with no options: \(ran.outputText)")
        XCTAssertTrue(ran.outputText.contains(" Total params: 571 (2.23 KB)"), ran.outputText)
        XCTAssertTrue(ran.outputText.contains("spawned.keras") && ran.outputText.contains("spawned.onnx"), ran.outputText)
    }
}

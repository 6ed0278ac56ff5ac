// gen-synth: the large job's CSV, made by the recipe of the anchors' gen_synth.py with dltrain's own
// seeded generator: standard-normal features, and a label that is 1 where a fixed random
// 64 -> 32 tanh -> 1 network scores above its median (so the classes are balanced). Features are
// printed with 6 decimals, the label as 0 or 1, no header. The numbers differ from numpy's (another
// generator), the distribution and the file's shape and size do not.

import ArgumentParser
import DLCore
import Foundation

struct GenSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen-synth", abstract: "Write the large job's synthetic CSV (features, then a 0/1 label).")

    @Option(help: "Rows to write.") var rows: Int = 200_000
    @Option(help: "Feature columns.") var features: Int = 64
    @Option(help: "The generator's seed.") var seed: UInt64 = 12345
    @Option(help: "The CSV file to write.") var out: String

    func validate() throws {
        guard rows >= 2, features >= 1 else { throw ValidationError("--rows must be at least 2 and --features at least 1") }
    }

    func run() throws {
        let started = Clock.now()
        let hidden = 32
        var normals = NormalSource(generator: SeededGenerator(seed: seed))
        var x = [Double](repeating: 0, count: rows * features)
        for i in x.indices { x[i] = normals.next() }
        let w1 = (0..<features * hidden).map { _ in normals.next() / Double(features).squareRoot() }
        let b1 = (0..<hidden).map { _ in 0.1 * normals.next() }
        let w2 = (0..<hidden).map { _ in normals.next() / Double(hidden).squareRoot() }

        var scores = [Double](repeating: 0, count: rows)
        var activations = [Double](repeating: 0, count: hidden)
        for row in 0..<rows {
            for j in 0..<hidden { activations[j] = b1[j] }
            for k in 0..<features {
                let value = x[row * features + k]
                for j in 0..<hidden { activations[j] += value * w1[k * hidden + j] }
            }
            var score = 0.0
            for j in 0..<hidden { score += Foundation.tanh(activations[j]) * w2[j] }
            scores[row] = score
        }
        let median = Report.median(scores)
        let generated = Clock.now()

        let writer = try CSVWriter(path: out)
        var positives = 0
        for row in 0..<rows {
            try writer.reserve(22 * features + 2)
            for k in 0..<features {
                writer.fixed6(x[row * features + k])
                writer.byte(UInt8(ascii: ","))
            }
            let label = scores[row] > median
            if label { positives += 1 }
            writer.byte(label ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            writer.byte(UInt8(ascii: "\n"))
        }
        try writer.close()
        let finished = Clock.now()
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print("wrote \(out): \(rows) rows x \(features) features + label, \(size) bytes, positives "
            + "\(String(format: "%.4f", Double(positives) / Double(rows))), "
            + "\(String(format: "%.2f", finished - started)) s (\(String(format: "%.2f", finished - generated)) s writing)")
        Report.result([
            "case": "gen-synth", "rows": rows, "features": features, "seed": seed, "path": out, "file_bytes": size,
            "positive_fraction": Report.rounded(Double(positives) / Double(rows), 4),
            "generate_s": Report.rounded(generated - started, 3), "write_s": Report.rounded(finished - generated, 3),
        ])
    }
}

/// Standard-normal samples by the Box-Muller transform, two per pair of uniforms.
struct NormalSource {
    var generator: SeededGenerator
    private var spare: Double?

    init(generator: SeededGenerator) {
        self.generator = generator
    }

    mutating func next() -> Double {
        if let value = spare {
            spare = nil
            return value
        }
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let radius = (-2 * Foundation.log(1 - generator.nextUnitDouble())).squareRoot()
        let angle = 2 * Double.pi * generator.nextUnitDouble()
        spare = radius * Foundation.sin(angle)
        return radius * Foundation.cos(angle)
    }
}

// Keras-style progress output for `fit`:
//
//     Epoch 3/100
//     47/47 - 0s - 1ms/step - loss: 0.1462 - accuracy: 0.8511 - val_loss: 0.1402 - val_accuracy: 0.8617
//
// verbose 1 on a terminal redraws a progress bar after every step (throttled); verbose 1 into a pipe
// or file, and verbose 2, print one line per epoch; verbose 0 prints nothing. Before the first
// epoch, a table that is preprocessed gets its feature columns' types (FeatureTypesNote).

import DLTraining
import DLCore
import DLData
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The default output: standard output through write(2), unbuffered. At file scope `write` is the C
/// library's, which the class's own `write` would shadow inside it.
private func writeToStandardOutput(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count) }
}

public final class ConsoleProgress: TrainingObserver {
    private let verbose: Int
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var epochStart = ContinuousClock.now
    private var lastDraw = ContinuousClock.now

    /// `write` receives whole chunks of output, by default standard output.
    public init(verbose: Int, isTerminal: Bool? = nil, write: ((String) -> Void)? = nil) {
        self.verbose = verbose
        self.isTerminal = isTerminal ?? (isatty(STDOUT_FILENO) == 1)
        self.write = write ?? writeToStandardOutput
    }

    /// A line of its own, outside the epoch output (setup summary, where files were saved).
    public func note(_ text: String) {
        write(text + "\n")
    }

    public func runStarted(_ job: TrainingJob, at position: TrainingPosition) {
        guard verbose > 0, let preprocessing = job.data.preprocessing else { return }
        note(FeatureTypesNote(preprocessing).text(verbose: verbose))
    }

    public func epochStarted(epoch: Int, of epochs: Int, steps: Int) {
        guard verbose > 0 else { return }
        write("Epoch \(epoch)/\(epochs)\n")
        epochStart = .now
        lastDraw = .now
    }

    public func stepFinished(step: Int, of steps: Int, runningSums: [Double], metrics: MetricSet) {
        guard verbose == 1, isTerminal, step < steps else { return }
        let now = ContinuousClock.now
        guard now - lastDraw > .milliseconds(50) else { return }
        lastDraw = now
        let values = metrics.results(runningSums).map { EpochReport.NamedValue(name: $0.name, value: $0.value) }
        let elapsed = (now - epochStart) / Duration.seconds(1)
        write("\r\(step)/\(steps) \(Self.bar(step, steps)) \(Self.whole(elapsed)) \(Self.perStep(elapsed / Double(step)))\(Self.format(values))\u{1B}[K")
    }

    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {
        guard verbose > 0 else { return }
        let perStep = Self.perStep(report.seconds / Double(max(report.steps, 1)))
        let line: String
        if verbose == 1 && isTerminal {
            line = "\r\(report.steps)/\(report.steps) \(Self.bar(1, 1)) \(Self.whole(report.seconds)) \(perStep)"
        } else {
            line = "\(report.steps)/\(report.steps) - \(Self.whole(report.seconds)) - \(perStep)"
        }
        write(line + Self.format(report.values) + (isTerminal ? "\u{1B}[K\n" : "\n"))
    }

    /// ` - name: value` for each value, four decimals as Keras prints them (scientific when tiny).
    static func format(_ values: [EpochReport.NamedValue]) -> String {
        values.map { " - \($0.name): \(formatValue($0.value))" }.joined()
    }

    static func formatValue(_ value: Double) -> String {
        String(format: value != 0 && abs(value) < 1e-3 ? "%.4e" : "%.4f", value)
    }

    /// Keras's time per step: whole seconds, milliseconds or microseconds.
    static func perStep(_ seconds: Double) -> String {
        if seconds >= 1 { return "\(Int(seconds.rounded()))s/step" }
        if seconds >= 1e-3 { return "\(Int((seconds * 1e3).rounded()))ms/step" }
        return "\(Int((seconds * 1e6).rounded()))us/step"
    }

    static func whole(_ seconds: Double) -> String { "\(Int(seconds.rounded()))s" }

    static func bar(_ done: Int, _ total: Int) -> String {
        let width = 20
        let filled = total == 0 ? width : done * width / total
        return String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled)
    }
}

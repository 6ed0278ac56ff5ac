// curves.svg: the run's loss and each metric against the epoch, one panel each, training as a
// solid line and validation dashed, with labelled axes, readable in any browser without a tool.
// It is rewritten (atomically) from the run's whole history after the first epoch, then after an
// epoch at most twice a second, and at the end, so it shows the run as it goes and every epoch
// once it is over (at most one per pixel of width), a resumed run's earlier ones included. SVG is text: a chart needs no
// library, only the numbers placed on a grid.

import DLTraining
import Foundation

public final class CurvesChart: TrainingObserver {
    public let path: String
    private var history: [EpochReport]
    private var epochs = 1
    /// When the chart was last drawn, and whether epochs have ended since.
    private var drawn: ContinuousClock.Instant?
    private var pending = false
    /// Epochs can take less time than drawing (the seed job's take 0.4 ms): the chart is drawn
    /// after an epoch at most this often, and after the last.
    private static let interval = Duration.milliseconds(500)

    /// Draws into `path`, starting from `history` (the epochs before a resumed run's checkpoint).
    public init(path: String, history: [EpochReport] = []) {
        self.path = path
        self.history = history
    }

    public func epochFinished(_ report: EpochReport, of epochs: Int) throws {
        history.append(report)
        self.epochs = epochs
        pending = true
        if report.epoch >= epochs || drawn.map({ ContinuousClock.now - $0 >= Self.interval }) ?? true { try draw() }
    }

    /// Draws the epochs not drawn yet: at the end of a run, which may stop before its last epoch.
    public func finish() throws {
        if pending { try draw() }
    }

    private func draw() throws {
        // A view of metrics.jsonl, which is what a crash must keep: no flush to wait for.
        try AtomicFile.write(Array(Self.svg(history, epochs: epochs).utf8), to: path, durable: false)
        drawn = .now
        pending = false
    }

    /// One panel per training value (`loss`, `accuracy`, ...), with its `val_` twin when there is one.
    static func svg(_ history: [EpochReport], epochs: Int) -> String {
        svg(runs: [(label: nil, history: history)], epochs: epochs)
    }

    /// Several runs on one chart (`dlmodel plot`): each run in its colour, labelled, training solid
    /// and validation dashed; a panel per value any of them reports. A run without a label is
    /// alone on its chart and its lines are labelled `training` and `validation`.
    public static func svg(runs: [(label: String?, history: [EpochReport])], epochs: Int? = nil) -> String {
        let runs = runs.map { (label: $0.label, history: thinned($0.history)) }
        var names: [String] = []
        for run in runs {
            for name in run.history.first?.values.map(\.name) ?? [] where !name.hasPrefix("val_") && !names.contains(name) {
                names.append(name)
            }
        }
        let panels = names.map { name in
            Panel(title: name, series: runs.enumerated().flatMap { index, run in
                [
                    Series(label: run.label ?? "training", run: index, dashed: false, points: points(run.history, name)),
                    Series(
                        label: run.label.map { "\($0) (validation)" } ?? "validation", run: index, dashed: true,
                        points: points(run.history, "val_" + name)),
                ].filter { !$0.points.isEmpty }
            })
        }
        let last = runs.map { $0.history.last?.epoch ?? 1 }.max() ?? 1
        return render(panels, epochs: max(epochs ?? 1, last), legendBeside: runs.count > 1)
    }

    private static func points(_ history: [EpochReport], _ name: String) -> [(x: Double, y: Double)] {
        history.compactMap { report in report.value(name).flatMap { $0.isFinite ? (Double(report.epoch), $0) : nil } }
    }

    /// The epochs drawn: every one, or in a run of more epochs than the plot is pixels wide, every
    /// k-th and the last (more would fall on the same pixels). Chosen by position alone, so a
    /// redraw after each epoch costs the same at epoch 10,000 as at epoch 500.
    static func thinned(_ history: [EpochReport]) -> [EpochReport] {
        let most = Int(width - left - right)
        guard history.count > most else { return history }
        let step = (history.count + most - 1) / most
        var kept = Array(Swift.stride(from: 0, to: history.count, by: step))
        if kept.last != history.count - 1 { kept.append(history.count - 1) }
        return kept.map { history[$0] }
    }

    struct Series {
        let label: String
        /// Which run it belongs to, which chooses its colour.
        let run: Int
        let dashed: Bool
        let points: [(x: Double, y: Double)]
    }

    struct Panel {
        let title: String
        let series: [Series]
    }

    private static let width = 640.0, panelHeight = 260.0, legendWidth = 260.0
    private static let left = 70.0, right = 20.0, top = 30.0, bottom = 45.0
    private static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    /// The panels stacked, each with its axes, ticks, lines and legend (on the title's line, or
    /// in a column beside the plot when there are several runs).
    static func render(_ panels: [Panel], epochs: Int, legendBeside: Bool) -> String {
        let total = width + (legendBeside ? legendWidth : 0)
        var svg = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(total))\" height=\"\(Int(panelHeight) * max(1, panels.count))\" "
                + "font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
        ]
        for (index, panel) in panels.enumerated() {
            svg += render(panel, at: Double(index) * panelHeight, epochs: epochs, legendBeside: legendBeside)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    private static func render(_ panel: Panel, at offset: Double, epochs: Int, legendBeside: Bool) -> [String] {
        let plotLeft = left, plotRight = width - right, plotTop = offset + top, plotBottom = offset + panelHeight - bottom
        let values = panel.series.flatMap { $0.points.map(\.y) }
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { (low, high) = (low - 0.5, high + 0.5) }
        let padding = (high - low) * 0.05
        (low, high) = (low - padding, high + padding)
        let firstEpoch = 1.0, lastEpoch = Double(max(epochs, 2))
        func x(_ epoch: Double) -> Double { plotLeft + (epoch - firstEpoch) / (lastEpoch - firstEpoch) * (plotRight - plotLeft) }
        func y(_ value: Double) -> Double { plotBottom - (value - low) / (high - low) * (plotBottom - plotTop) }

        var lines = [
            "<g class=\"panel\" id=\"\(escaped(panel.title))\">",
            "<text x=\"\(number(plotLeft))\" y=\"\(number(offset + 18))\" font-weight=\"bold\">\(escaped(panel.title))</text>",
            "<line x1=\"\(number(plotLeft))\" y1=\"\(number(plotBottom))\" x2=\"\(number(plotRight))\" y2=\"\(number(plotBottom))\" stroke=\"black\"/>",
            "<line x1=\"\(number(plotLeft))\" y1=\"\(number(plotTop))\" x2=\"\(number(plotLeft))\" y2=\"\(number(plotBottom))\" stroke=\"black\"/>",
            "<text x=\"\(number((plotLeft + plotRight) / 2))\" y=\"\(number(plotBottom + 35))\" text-anchor=\"middle\">epoch</text>",
            "<text transform=\"translate(15 \(number((plotTop + plotBottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escaped(panel.title))</text>",
        ]
        for tick in ticks(from: firstEpoch, to: lastEpoch, integers: true) {
            lines.append("<text x=\"\(number(x(tick)))\" y=\"\(number(plotBottom + 16))\" text-anchor=\"middle\">\(String(format: "%.0f", tick))</text>")
        }
        for tick in ticks(from: low, to: high, integers: false) {
            lines.append("<line x1=\"\(number(plotLeft - 4))\" y1=\"\(number(y(tick)))\" x2=\"\(number(plotLeft))\" y2=\"\(number(y(tick)))\" stroke=\"black\"/>")
            lines.append("<text x=\"\(number(plotLeft - 7))\" y=\"\(number(y(tick) + 4))\" text-anchor=\"end\">\(label(tick))</text>")
        }
        for (index, series) in panel.series.enumerated() {
            // Alone, training and validation take the first two colours; several runs, one each.
            let color = colors[(legendBeside ? series.run : index) % colors.count]
            let coordinates = series.points.map { "\(number(x($0.x))),\(number(y($0.y)))" }.joined(separator: " ")
            lines.append("<polyline class=\"\(series.dashed ? "validation" : "training")\" data-run=\"\(series.run)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\""
                + (series.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"\(coordinates)\"/>")
            // The legend on the title's line, or beside the plot, clear of the lines.
            let legendX = legendBeside ? width : plotRight - 200 + Double(index) * 100
            let legendY = legendBeside ? plotTop + 4 + Double(index) * 16 : offset + 14
            lines.append("<line x1=\"\(number(legendX))\" y1=\"\(number(legendY))\" x2=\"\(number(legendX + 25))\" y2=\"\(number(legendY))\" "
                + "stroke=\"\(color)\" stroke-width=\"2\"" + (series.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>")
            lines.append("<text x=\"\(number(legendX + 30))\" y=\"\(number(legendY + 4))\">\(escaped(series.label))</text>")
        }
        lines.append("</g>")
        return lines
    }

    /// A coordinate to a tenth of a pixel. Not String(format:), which would cost more than the
    /// rest of the chart: there are thousands of coordinates to write after each epoch.
    static func number(_ value: Double) -> String {
        // A metrics log may hold any number (a file is outside input): a coordinate past any screen's
        // is drawn at the edge of one, never converted to an integer it does not fit.
        let tenths = Int((min(max(value.isNaN ? 0 : value, -1e12), 1e12) * 10).rounded()), whole = abs(tenths) / 10
        return (tenths < 0 ? "-" : "") + String(whole) + "." + String(abs(tenths) % 10)
    }

    /// About five round values between `low` and `high`, each a whole multiple of the step (so
    /// zero is 0, never -0 or 1e-17).
    static func ticks(from low: Double, to high: Double, integers: Bool) -> [Double] {
        let raw = (high - low) / 5, magnitude = pow(10, floor(log10(raw)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        if integers { step = max(1, step.rounded()) }
        guard step.isFinite, step > 0 else { return [] }
        var multiple = (low / step).rounded(.up), result: [Double] = []
        while multiple * step <= high + step * 1e-9 {
            result.append(multiple * step + 0)  // + 0 turns -0 into 0
            multiple += 1
        }
        return result
    }

    /// Labels for runs given by their directories: each directory's name, with as many of its parent
    /// folders as it takes to tell it from the others (`a/run1`, `b/run1`), and a number for a
    /// directory given twice.
    public static func runLabels(_ directories: [String]) -> [String] {
        let components = directories.map { path in
            (path as NSString).standardizingPath.split(separator: "/").map(String.init)
        }
        var labels = components.map { $0.last ?? "/" }
        for depth in 2...max(2, components.map(\.count).max() ?? 2) {
            // A label two different directories share; the same directory twice is numbered below.
            var directoriesOfLabel: [String: Set<[String]>] = [:]
            for (label, path) in zip(labels, components) { directoriesOfLabel[label, default: []].insert(path) }
            let repeated = Set(directoriesOfLabel.filter { $0.value.count > 1 }.keys)
            guard !repeated.isEmpty else { break }
            for index in labels.indices where repeated.contains(labels[index]) {
                labels[index] = components[index].suffix(depth).joined(separator: "/")
            }
        }
        var seen: [String: Int] = [:]
        return labels.map { label in
            seen[label, default: 0] += 1
            return seen[label] == 1 ? label : "\(label) #\(seen[label] ?? 0)"
        }
    }

    private static func label(_ value: Double) -> String {
        abs(value) >= 1e4 || (abs(value) < 1e-3 && value != 0) ? String(format: "%.2e", value) : String(format: "%.4g", value)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

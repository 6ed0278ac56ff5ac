// curves.svg after a real run: well-formed XML (read by Python's own parser), one panel per value,
// a training and a validation line of one point per epoch, each placed where its value is (a
// higher value never drawn lower), and round tick values; several runs on one chart (dlmodel
// plot), read back from their metrics.jsonl.

import DLCore
@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class CurvesChartTests: XCTestCase {
    /// Each panel's lines as {"panel": {"training": [[x, y], ...], ...}}, by Python's XML parser.
    private static let read = """
        import json, sys, xml.etree.ElementTree as ET
        ns = {"svg": "http://www.w3.org/2000/svg"}
        root = ET.parse(sys.argv[1]).getroot()
        panels = {}
        for group in root.findall("svg:g", ns):
            lines = {}
            for line in group.findall("svg:polyline", ns):
                key = line.get("class") + ("" if line.get("data-run") == "0" else " " + line.get("data-run"))
                lines[key] = [[float(v) for v in p.split(",")] for p in line.get("points").split()]
            panels[group.get("id")] = lines
        print(json.dumps({"tag": root.tag, "panels": panels}))
        """

    private struct Chart: Decodable {
        let tag: String
        let panels: [String: [String: [[Double]]]]
    }

    func testTheChartOfARunDrawsEveryEpochWhereItsValueIs() throws {
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 6
        let (history, _) = try TrainingRun(settings: settings, runDirectory: directory, verbose: 0).runLocally()
        let chart = try JSONDecoder().decode(
            Chart.self, from: Data(try Python.run(Self.read, arguments: [directory + "/curves.svg"]).utf8))
        XCTAssertEqual(try MetricsLog.read(path: directory + "/metrics.jsonl").map(\.values), history.map(\.values))
        XCTAssertEqual(chart.tag, "{http://www.w3.org/2000/svg}svg")
        XCTAssertEqual(Set(chart.panels.keys), ["loss", "accuracy"])
        for (name, lines) in chart.panels {
            XCTAssertEqual(Set(lines.keys), ["training", "validation"], name)
            for (line, key) in [("training", name), ("validation", "val_" + name)] {
                let points = try XCTUnwrap(lines[line])
                let values = history.map { $0.value(key)! }
                XCTAssertEqual(points.count, 6, "\(name) \(line)")
                XCTAssertEqual(points.map { $0[0] }, points.map { $0[0] }.sorted(), "epochs left to right")
                for i in values.indices {
                    for j in values.indices where values[i] > values[j] {
                        XCTAssertLessThanOrEqual(points[i][1], points[j][1], "\(key): a higher value is drawn higher")
                    }
                }
            }
        }
    }

    func testSeveralRunsShareOneChartEachInItsColour() throws {
        let directory = try temporaryDirectory(self)
        var histories: [(label: String?, history: [EpochReport])] = []
        for (name, epochs) in [("short", 3), ("long", 5)] {
            var settings = JobSettings.breastCancerJob
            settings.epochs = epochs
            settings.metrics = name == "long" ? ["accuracy", "auc"] : ["accuracy"]
            try TrainingRun(settings: settings, runDirectory: directory + "/" + name, verbose: 0).runLocally()
            histories.append((name, try MetricsLog.read(path: directory + "/\(name)/metrics.jsonl")))
        }
        let path = directory + "/plot.svg"
        try CurvesChart.svg(runs: histories).write(toFile: path, atomically: true, encoding: .utf8)
        let chart = try JSONDecoder().decode(Chart.self, from: Data(try Python.run(Self.read, arguments: [path]).utf8))
        XCTAssertEqual(Set(chart.panels.keys), ["loss", "accuracy", "auc"], "every value any run reports")
        XCTAssertEqual(chart.panels["loss"]?.mapValues(\.count), ["training": 3, "validation": 3, "training 1": 5, "validation 1": 5])
        XCTAssertEqual(chart.panels["auc"]?.mapValues(\.count), ["training 1": 5, "validation 1": 5], "only the run that has it")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains(">short (validation)</text>") && text.contains(">long</text>"), "each run is labelled")

        try "{\"epoch\": 1, \"loss\": nope}\n".write(toFile: directory + "/bad.jsonl", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MetricsLog.read(path: directory + "/bad.jsonl")) {
            XCTAssertEqual("\($0)", "\(directory)/bad.jsonl:1: not a dltrain metrics log: loss is nope, not a number")
        }
    }

    /// A metrics log is read back from disk, where anyone may have edited it: values written by
    /// hand as inf are refused, and finite values too far apart to subtract still draw.
    func testAnEditedMetricsLogIsRefusedOrDrawnWithoutATrap() throws {
        let directory = try temporaryDirectory(self)
        try "{\"epoch\": 1, \"loss\": inf}\n".write(toFile: directory + "/inf.jsonl", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MetricsLog.read(path: directory + "/inf.jsonl")) { error in
            guard case .badMetricsLog(directory + "/inf.jsonl", 1, _) = error as? RunError else { return XCTFail("\(error)") }
        }
        try "{\"epoch\": 1, \"loss\": 1.7e308}\n{\"epoch\": 9223372036854775807, \"loss\": -1.7e308}\n"
            .write(toFile: directory + "/far.jsonl", atomically: true, encoding: .utf8)
        let chart = CurvesChart.svg(runs: [(nil, try MetricsLog.read(path: directory + "/far.jsonl"))])
        XCTAssertTrue(chart.contains("<polyline class=\"training\""), chart)
    }

    func testTicksAreRoundValuesSpanningTheRange() {
        XCTAssertEqual(CurvesChart.ticks(from: 0.905, to: 0.99, integers: false).map { ($0 * 100).rounded() / 100 }, [0.92, 0.94, 0.96, 0.98])
        XCTAssertEqual(CurvesChart.ticks(from: 1, to: 30, integers: true), [10, 20, 30])
        XCTAssertEqual(CurvesChart.ticks(from: 1, to: 3, integers: true), [1, 2, 3])
        // Zero is 0: not -0 from a range that starts just below it, nor a remainder of added steps.
        let aroundZero = CurvesChart.ticks(from: -0.05, to: 0.31, integers: false)
        XCTAssertEqual(aroundZero.map { ($0 * 100).rounded() / 100 }, [0, 0.1, 0.2, 0.3])
        XCTAssertEqual(aroundZero[0].bitPattern, Double(0).bitPattern)
        XCTAssertEqual(CurvesChart.ticks(from: -0.7, to: 0.3, integers: false).filter { $0 == 0 }.map(\.sign), [.plus])
    }

    /// Runs are told apart by as much of their paths as it takes.
    /// A metrics log is outside input: values no run could log (1e308, the smallest subnormal) are
    /// drawn at the chart's edge, not converted to an integer they do not fit (dlmodel plot trapped).
    func testValuesNoRunCouldLogAreDrawnWithoutATrap() throws {
        let path = try temporaryDirectory(self) + "/metrics.jsonl"
        try """
            {"epoch": 1, "seconds": 1, "loss": 1e308, "accuracy": 0.5}
            {"epoch": 2, "seconds": 1, "loss": -1e308, "accuracy": 5e-324}

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let chart = CurvesChart.svg(runs: [("run", try MetricsLog.read(path: path))])
        XCTAssertTrue(chart.contains("<svg") && chart.contains("</svg>"), chart)
        XCTAssertEqual(CurvesChart.number(.infinity), "1000000000000.0")
        XCTAssertEqual(CurvesChart.number(.nan), "0.0")
    }

    func testRunLabelsTellRunsApart() {
        XCTAssertEqual(CurvesChart.runLabels(["runs/a", "runs/b/"]), ["a", "b"])
        XCTAssertEqual(CurvesChart.runLabels(["sweep1/run", "sweep2/run", "other"]), ["sweep1/run", "sweep2/run", "other"])
        XCTAssertEqual(CurvesChart.runLabels(["x/a/run", "y/a/run"]), ["x/a/run", "y/a/run"])
        XCTAssertEqual(CurvesChart.runLabels(["runs/a", "runs/a"]), ["a", "a #2"])
    }
}

// curves.svg as a browser shows it: rendered by headless Chromium (Debian's
// chromium-headless-shell) into a PNG, in which every data line must be visible: at each of its
// points and between them, a pixel of its colour within 3 px, for at least 90% of them (a dashed
// line leaves gaps). The same check on a blank image must fail, so it cannot pass by construction.

@testable import DLRun
import DLTestSupport
import DLTraining
import Foundation
import XCTest

final class CurvesRenderTests: XCTestCase {
    static let chromium = "/usr/bin/chromium-headless-shell"

    /// The lines of the SVG that the PNG does not show, as "<class> <colour>: missed/samples";
    /// with "blank" as the PNG, they are checked against a white image of the same size.
    private static let check = """
        import json, sys, xml.etree.ElementTree as ET
        from PIL import Image
        svg, png = sys.argv[1], sys.argv[2]
        root = ET.parse(svg).getroot()
        size = (int(root.get("width")), int(root.get("height")))
        image = Image.new("RGB", size, "white") if png == "blank" else Image.open(png).convert("RGB")
        assert image.size == size, (image.size, size)
        pixels = image.load()
        def near(x, y, colour, radius=3, tolerance=40):
            for dx in range(-radius, radius + 1):
                for dy in range(-radius, radius + 1):
                    px, py = round(x) + dx, round(y) + dy
                    if 0 <= px < size[0] and 0 <= py < size[1]:
                        if all(abs(a - b) <= tolerance for a, b in zip(pixels[px, py], colour)):
                            return True
            return False
        lines = []
        for line in root.iter("{http://www.w3.org/2000/svg}polyline"):
            stroke = line.get("stroke")
            colour = tuple(int(stroke[i:i + 2], 16) for i in (1, 3, 5))
            points = [tuple(float(v) for v in p.split(",")) for p in line.get("points").split()]
            samples = points + [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(points, points[1:])]
            missed = sum(not near(x, y, colour) for x, y in samples)
            lines.append({"line": line.get("class") + " " + stroke, "missed": missed, "samples": len(samples)})
        print(json.dumps(lines))
        """

    private struct Line: Decodable {
        let line: String
        let missed: Int
        let samples: Int
    }

    func testHeadlessChromiumShowsEveryLine() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            throw XCTSkip("needs Debian's chromium-headless-shell (deploy/install-deps.sh --test installs it)")
        }
        let directory = try temporaryDirectory(self)
        var settings = JobSettings.breastCancerJob
        settings.epochs = 12
        try TrainingRun(settings: settings, runDirectory: directory, verbose: 0).runLocally()
        let svg = directory + "/curves.svg", png = directory + "/curves.png"
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        let size = try XCTUnwrap(text.firstMatch(of: /<svg [^>]*width="(\d+)" height="(\d+)"/))
        // Chromium writes into HOME besides its profile: both go to the test's folder. It exits 0
        // also when it wrote nothing, so the PNG's presence is checked, not the status alone.
        let result = try runProcess(
            Self.chromium,
            [
                "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--log-level=3",
                "--user-data-dir=\(directory)/profile", "--screenshot=\(png)", "--window-size=\(size.1),\(size.2)",
                "file://\(svg)",
            ],
            environment: ["HOME": directory], timeout: 90)
        XCTAssertEqual(result.status, 0, String(decoding: result.errors, as: UTF8.self))
        XCTAssertTrue(FileManager.default.fileExists(atPath: png), "Chromium wrote no PNG: \(String(decoding: result.errors, as: UTF8.self))")

        let lines = try JSONDecoder().decode([Line].self, from: Data(try Python.run(Self.check, arguments: [svg, png]).utf8))
        XCTAssertEqual(lines.count, 4, "loss and accuracy, training and validation")
        for line in lines {
            XCTAssertGreaterThan(line.samples, 20, line.line)
            XCTAssertLessThanOrEqual(Double(line.missed), 0.1 * Double(line.samples), "\(line.line) is not visible")
        }
        let blank = try JSONDecoder().decode([Line].self, from: Data(try Python.run(Self.check, arguments: [svg, "blank"]).utf8))
        XCTAssertEqual(blank.map(\.missed), blank.map(\.samples), "on a blank image no line is found")
    }
}

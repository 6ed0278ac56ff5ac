// The job file's preprocessing keys (feature_types, feature_crosses, na_values, fill,
// missing_indicators, max_vocabulary): what they set, that a checkpoint writes them back as they
// were read, that a mistake in one is located at its line, column and key, and that a resume with
// other preprocessing settings than the checkpoint's is refused, naming the key.

@testable import DLRun
import DLPreprocessing
import DLTraining
import Foundation
import XCTest

final class PreprocessingJobFileTests: XCTestCase {
    private func decode(_ text: String) throws -> JobSettings {
        try JobFile.decode(Data(text.utf8), path: "job.json")
    }

    func testEveryKeySetsItsSetting() throws {
        let settings = try decode("""
            {"feature_types": {"island": "string_categorical:max_tokens=5:output_mode=int",
                               "body_mass_g": {"type": "float_discretized", "num_bins": 4},
                               "bill_length_mm": {"type": "float_rescaled", "scale": 0.5, "offset": -1}},
             "feature_crosses": ["island*sex:crossing_dim=16", {"features": ["sex", "year"], "output_mode": "int"}],
             "na_values": ["", "NA", "-"], "fill": "median", "missing_indicators": true, "max_vocabulary": 500}
            """)
        let expected = PreprocessingSettings(
            featureTypes: [
                "island": FeatureType(.stringCategorical, maxTokens: 5, outputMode: .int),
                "body_mass_g": FeatureType(.floatDiscretized, numBins: 4),
                "bill_length_mm": FeatureType(.floatRescaled, scale: 0.5, offset: -1),
            ],
            crosses: [
                FeatureCross(columns: ["island", "sex"], crossingDim: 16),
                FeatureCross(columns: ["sex", "year"], outputMode: .int),
            ],
            naValues: ["", "NA", "-"], fill: .median, missingIndicators: true, maxVocabulary: 500)
        XCTAssertEqual(settings.preprocessing, expected)
        XCTAssertEqual(try decode(#"{"fill": 2.5}"#).preprocessing.fill, .value(2.5))
        XCTAssertEqual(try decode(#"{"fill": "zero"}"#).preprocessing.fill, .zero)
        XCTAssertEqual(try decode(#"{"epochs": 3}"#).preprocessing, PreprocessingSettings(), "absent keys keep the defaults")
        // Each key also takes its flag's text.
        let asFlags = try decode("""
            {"feature_types": "island=string_categorical:max_tokens=5:output_mode=int,body_mass_g=float_discretized:num_bins=4",
             "feature_crosses": "island*sex:crossing_dim=16", "na_values": ",NA,-"}
            """)
        XCTAssertEqual(asFlags.preprocessing.featureTypes, expected.featureTypes.filter { $0.key != "bill_length_mm" })
        XCTAssertEqual(asFlags.preprocessing.crosses, [expected.crosses[0]])
        XCTAssertEqual(asFlags.preprocessing.naValues, expected.naValues)
    }

    /// A checkpoint keeps the settings as JSON: what it writes reads back as the same settings, and
    /// a job that asks for no preprocessing writes none of the keys (its settings read as before).
    func testSettingsWrittenReadBackTheSame() throws {
        var settings = JobSettings()
        XCTAssertTrue(Set(try keys(of: settings)).isDisjoint(with: Self.preprocessingKeys))
        settings.preprocessing = PreprocessingSettings(
            featureTypes: ["a:b": FeatureType(.stringHashed, numBins: 7), "c": FeatureType(.integerCategorical, numOOVIndices: 2)],
            crosses: [FeatureCross(columns: ["a:b", "x*y"], crossingDim: 8, outputMode: .int)],
            naValues: ["?"], fill: .value(-1.5), missingIndicators: true, maxVocabulary: 20)
        XCTAssertEqual(Set(try keys(of: settings)).intersection(Self.preprocessingKeys), Self.preprocessingKeys)
        let written = try JSONEncoder().encode(settings)
        XCTAssertEqual(try JobFile.decode(written, path: "checkpoint").preprocessing, settings.preprocessing)
        XCTAssertEqual(try JSONDecoder().decode(JobSettings.self, from: written), settings)
    }

    /// Each mistake, the key it is reported under, its line and column, and what the reason says.
    func testEveryMistakeIsLocatedAtItsKey() throws {
        let cases: [(text: String, key: String, line: Int, column: Int, says: String)] = [
            ("{\n \"feature_type\": {}}", "feature_type", 2, 2, "feature_types"),
            ("{\"feature_types\": {\n  \"island\": 3}}", "feature_types.island", 2, 13, "string_categorical"),
            ("{\"feature_types\": {\n  \"island\": {\"typ\": \"float\"}}}", "feature_types.island", 2, 13, "\"type\""),
            ("{\"feature_types\": {\"x\": {\"type\": \"float_discretized\",\n \"num_bin\": 4}}}", "feature_types.x.num_bin", 2, 13, "num_bins"),
            ("{\"feature_types\": {\"x\": {\"type\": 5}}}", "feature_types.x.type", 1, 34, "a string"),
            ("{\"feature_crosses\": [\"a*b\",\n 7]}", "feature_crosses.1", 2, 2, "island*sex"),
            ("{\"feature_crosses\": [{\"features\": [\"a\"]}]}", "feature_crosses.0", 1, 22, "two columns"),
            ("{\"feature_crosses\": [{\"features\": [\"a\", \"b\"], \"output_mode\": \"multi_hot\"}]}", "feature_crosses.0.output_mode", 1, 62, "one_hot or int"),
            ("{\"feature_crosses\": [{\"features\": [\"a\", \"b\"], \"crossing_dims\": 4}]}", "feature_crosses.0.crossing_dims", 1, 64, "crossing_dim"),
            ("{\"feature_crosses\": [{\"features\": [\"a\", \"b\"], \"crossing_dim\": 2.5}]}", "feature_crosses.0.crossing_dim", 1, 63, "whole number"),
            ("{\"na_values\": 5}", "na_values", 1, 15, "a list of cell texts"),
            ("{\"feature_types\": [\"island\"]}", "feature_types", 1, 19, "an object of columns"),
            ("{\"feature_crosses\": {\"a\": 1}}", "feature_crosses", 1, 21, "a list of crosses"),
            ("{\"na_values\": [\"NA\", 0]}", "na_values.1", 1, 22, "a string"),
            ("{\"fill\": true}", "fill", 1, 10, "a string or a number"),
            ("{\"fill\": 1e400}", "fill", 1, 10, "64-bit float"),
            ("{\"missing_indicators\": \"yes\"}", "missing_indicators", 1, 24, "true or false"),
            ("{\"max_vocabulary\": 0}", "max_vocabulary", 1, 20, "from 1 to 16777216"),
            ("{\"max_vocabulary\": 1e30}", "max_vocabulary", 1, 20, "out of range"),
        ]
        for (text, key, line, column, says) in cases {
            XCTAssertThrowsError(try decode(text), text) { error in
                switch error as? RunError {
                case let .badJobFileEntry("job.json", foundLine, foundColumn, foundKey, reason):
                    XCTAssertEqual(foundKey, key, text)
                    XCTAssertEqual([foundLine, foundColumn], [line, column], "\(text): \(reason)")
                    XCTAssertTrue(reason.contains(says), "\(text): \(reason)")
                case let .unknownJobFileKey("job.json", foundLine, foundColumn, foundKey, meant):
                    XCTAssertEqual(foundKey, key, text)
                    XCTAssertEqual([foundLine, foundColumn], [line, column], text)
                    XCTAssertEqual(meant, says, text)
                default:
                    XCTFail("\(text): \(error)")
                }
            }
        }
    }

    /// A type or cross the parser refuses is located at its key too (the parser's reason is the
    /// preprocessing module's to word).
    func testAValueTheParserRefusesIsLocated() throws {
        let cases: [(text: String, key: String, column: Int)] = [
            ("{\"feature_types\": {\"island\": \"categorical\"}}", "feature_types.island", 30),
            ("{\"feature_types\": {\"x\": {\"type\": \"float_discretized\"}}}", "feature_types.x", 25),
            ("{\"feature_types\": {\"x\": \"string_categorical:num_oov_indices=-1\"}}", "feature_types.x", 25),
            ("{\"feature_crosses\": [\"a*b:crossing_dim=0\"]}", "feature_crosses.0", 22),
            ("{\"feature_crosses\": [{\"features\": [\"a\", \"a\"]}]}", "feature_crosses.0", 22),
            ("{\"fill\": \"average\"}", "fill", 10),
        ]
        for (text, key, column) in cases {
            XCTAssertThrowsError(try decode(text), text) { error in
                guard case let .badJobFileEntry("job.json", 1, foundColumn, foundKey, reason)? = error as? RunError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(foundKey, key, text)
                XCTAssertEqual(foundColumn, column, "\(text): \(reason)")
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    /// A resume continues the checkpoint's job: each preprocessing setting that differs is refused,
    /// named by its key.
    func testAResumeWithOtherPreprocessingIsRefusedNamingTheKey() throws {
        let checkpoint = JobSettings()
        let changes: [(key: String, change: (inout PreprocessingSettings) -> Void)] = [
            ("feature_types", { $0.featureTypes = ["island": FeatureType(.stringHashed, numBins: 4)] }),
            ("feature_crosses", { $0.crosses = [FeatureCross(columns: ["a", "b"])] }),
            ("na_values", { $0.naValues = ["NA"] }),
            ("fill", { $0.fill = .median }),
            ("missing_indicators", { $0.missingIndicators = true }),
            ("max_vocabulary", { $0.maxVocabulary = 99 }),
        ]
        for (key, change) in changes {
            var requested = checkpoint
            change(&requested.preprocessing)
            XCTAssertNotEqual(requested, checkpoint, key)
            XCTAssertThrowsError(try Resumption.settings(checkpoint: checkpoint, requested: requested), key) { error in
                guard case let .cannotResume(reason)? = error as? RunError else { return XCTFail("\(key): \(error)") }
                XCTAssertTrue(reason.contains("\(key) (checkpoint "), "\(key): \(reason)")
            }
            // The other way round: the checkpoint's run had the setting.
            XCTAssertThrowsError(try Resumption.settings(checkpoint: requested, requested: checkpoint), key)
        }
        XCTAssertEqual(try Resumption.settings(checkpoint: checkpoint, requested: checkpoint), checkpoint)
    }

    private static let preprocessingKeys: Set = [
        "feature_types", "feature_crosses", "na_values", "fill", "missing_indicators", "max_vocabulary",
    ]

    private func keys(of settings: JobSettings) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any]
        return Array((object ?? [:]).keys)
    }
}

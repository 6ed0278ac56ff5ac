// --feature-types, --feature-crosses, --na-values and --fill as text: what parses, what it reads
// back as, and that every option out of range or foreign to its type is refused naming the flag.

import DLPreprocessing
import XCTest

final class FeatureTypeTests: XCTestCase {
    func testEveryKindParsesWithItsOptionsAndReadsBack() throws {
        let cases: [(String, FeatureType)] = [
            ("float", FeatureType(.float)),
            ("float_normalized", FeatureType(.floatNormalized)),
            ("float_rescaled:scale=0.5:offset=-1.0", FeatureType(.floatRescaled, scale: 0.5, offset: -1)),
            ("float_discretized:num_bins=4:output_mode=int", FeatureType(.floatDiscretized, numBins: 4, outputMode: .int)),
            ("integer_categorical:max_tokens=10:num_oov_indices=2", FeatureType(.integerCategorical, maxTokens: 10, numOOVIndices: 2)),
            ("string_categorical:output_mode=one_hot", FeatureType(.stringCategorical, outputMode: .oneHot)),
            ("integer_hashed:num_bins=8", FeatureType(.integerHashed, numBins: 8)),
            ("string_hashed:num_bins=1024:output_mode=int", FeatureType(.stringHashed, numBins: 1024, outputMode: .int)),
            ("string_categorical:max_tokens=1:num_oov_indices=0", FeatureType(.stringCategorical, maxTokens: 1, numOOVIndices: 0)),
        ]
        for (text, type) in cases {
            XCTAssertEqual(try FeatureType.parse(text), type, text)
            XCTAssertEqual(type.text, text)
            XCTAssertEqual(try FeatureType.parse(type.text), type)
        }
        // Options in any order read back in the fixed one.
        XCTAssertEqual(try FeatureType.parse("float_rescaled:offset=2:scale=3").text, "float_rescaled:scale=3.0:offset=2.0")
    }

    func testOptionsOutOfRangeOrForeignToTheTypeAreRefused() {
        let refused = [
            "floaty", "", "float:scale=2", "string_categorical:scale=2", "float_normalized:num_bins=3",
            "float_discretized", "string_hashed", "integer_hashed:output_mode=int", "float_discretized:num_bins=0",
            "string_hashed:num_bins=-1", "string_hashed:num_bins=16777217", "string_hashed:num_bins=x",
            "string_categorical:max_tokens=1", "string_categorical:max_tokens=3:num_oov_indices=3",
            "integer_categorical:num_oov_indices=-1", "integer_categorical:num_oov_indices=65537",
            "string_categorical:output_mode=multi_hot", "float_rescaled:scale=inf", "float_rescaled:offset=nan",
            "float_rescaled:scale", "string_hashed:num_bins=4:num_bins=4", "string_categorical:max_tokens=5:max_tokens=6",
            "integer_categorical:num_bins=3",
        ]
        for text in refused {
            XCTAssertThrowsError(try FeatureType.parse(text), text) { error in
                guard case .badOption(let option, _, let reason) = error as? PreprocessingError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(option, "--feature-types")
                XCTAssertFalse(reason.isEmpty)
            }
        }
        XCTAssertTrue("\(PreprocessingError.badOption(option: "--feature-types", text: "float_discretized", reason: FeatureType(.floatDiscretized).problem ?? ""))".contains("num_bins"))
    }

    func testFeatureTypesListParses() throws {
        let types = try PreprocessingSettings.parseFeatureTypes("island=string_categorical, year = integer_categorical:output_mode=int,x=float")
        XCTAssertEqual(types, [
            "island": FeatureType(.stringCategorical), "year": FeatureType(.integerCategorical, outputMode: .int), "x": FeatureType(.float),
        ])
        for text in ["island", "=float", "a=float,,b=float", "a=float,a=string_categorical", "a=float,"] {
            XCTAssertThrowsError(try PreprocessingSettings.parseFeatureTypes(text), text)
        }
    }

    func testCrossesParse() throws {
        XCTAssertEqual(
            try PreprocessingSettings.parseCrosses("island*sex,year*island:crossing_dim=8:output_mode=int"),
            [FeatureCross(columns: ["island", "sex"]), FeatureCross(columns: ["year", "island"], crossingDim: 8, outputMode: .int)])
        XCTAssertEqual(FeatureCross(columns: ["island", "sex"]).name, "island_X_sex")
        let refused = [
            "island", "island*sex*year", "island*island", "a*b:crossing_dim=0", "a*b:crossing_dim=16777217", "a*b:num_bins=3",
            "a*b:output_mode=multi_hot", "a*b,a*b", "a*", "a*b:crossing_dim=4:crossing_dim=4",
        ]
        for text in refused {
            XCTAssertThrowsError(try PreprocessingSettings.parseCrosses(text), text) { error in
                guard case .badOption(let option, _, _) = error as? PreprocessingError else { return XCTFail("\(error)") }
                XCTAssertEqual(option, "--feature-crosses")
            }
        }
    }

    func testNAValuesAndFill() throws {
        XCTAssertEqual(PreprocessingSettings.parseNAValues("NA, ,?,NA"), ["NA", "", "?"])
        XCTAssertEqual(PreprocessingSettings.parseNAValues(""), [""])
        XCTAssertEqual(try Fill.parse("mean"), .mean)
        XCTAssertEqual(try Fill.parse("median"), .median)
        XCTAssertEqual(try Fill.parse("zero"), .zero)
        XCTAssertEqual(try Fill.parse("-2.5"), .value(-2.5))
        for text in ["average", "inf", "nan", "1e40", ""] {
            XCTAssertThrowsError(try Fill.parse(text), text) { error in
                guard case .badOption(let option, _, _) = error as? PreprocessingError else { return XCTFail("\(error)") }
                XCTAssertEqual(option, "--fill")
            }
        }
    }
}

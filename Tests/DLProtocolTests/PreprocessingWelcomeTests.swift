// A welcome carries a raw table's fitted preprocessing, vocabularies of the default bound included:
// it decodes to the same value, and one that
// no fit gives (a vocabulary with a value twice, a width that is not the model's, a preprocessing
// beside a standardization) is refused as bad content naming the preprocessing, before a worker
// sizes anything from it.

import DLCore
import DLPreprocessing
@testable import DLProtocol
import XCTest

final class PreprocessingWelcomeTests: XCTestCase {
    /// `island` one-hot over [OOV], Biscoe, Dream; `bill` a number with its fill: 4 inputs, 2 codes.
    private let preprocessing = Preprocessing(
        columns: [
            FittedColumn(name: "island", type: FeatureType(.stringCategorical), inferred: true, vocabulary: ["Biscoe", "Dream"]),
            FittedColumn(name: "bill", type: FeatureType(.float), inferred: true, fill: 41.5),
        ],
        crosses: [], naValues: PreprocessingSettings.defaultNAValues)

    private func job(_ preprocessing: Preprocessing?, featureCount: Int = 4, standardizes: Bool = false) throws -> WorkerJob {
        WorkerJob(
            workerIndex: 0, model: try ModelSpec(inputDim: featureCount, layers: [DenseSpec(units: 1, activation: .sigmoid)]),
            loss: "binary_crossentropy", metrics: [], trainingRows: 10, validationRows: 0, shardCount: 2, batchSize: 4, seed: 1,
            featureCount: featureCount, targetWidth: 1, optimizer: "sgd", optimizerArguments: [:], shards: [0, 1],
            standardizes: standardizes, preprocessing: preprocessing)
    }

    private func decoded(_ job: WorkerJob) throws -> WorkerJob {
        let message = try MessageCodec.decode(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .welcome(job)))).message
        guard case let .welcome(decoded) = message else { throw ProtocolError.badContent(type: "welcome", reason: "decoded as \(message.type)") }
        return decoded
    }

    private func refusal(_ job: WorkerJob) -> String? {
        do {
            _ = try decoded(job)
            return nil
        } catch let error as ProtocolError {
            guard case let .badContent(_, reason) = error else { return "not bad content: \(error)" }
            return reason
        } catch {
            return "\(error)"
        }
    }

    func testAPreprocessingTravelsWithTheJobAndTellsTheRowWidth() throws {
        XCTAssertEqual(preprocessing.outputWidth, 4)
        let sent = try job(preprocessing)
        let received = try decoded(sent)
        XCTAssertEqual(received, sent)
        XCTAssertEqual(received.rowWidth, 2)
        XCTAssertEqual(try decoded(try job(nil)).preprocessing, nil)
        XCTAssertEqual(try job(nil).rowWidth, 4)
    }

    /// A vocabulary of the default bound, 10,000 texts, makes a welcome far larger than the other
    /// JSON messages may be; it is still taken.
    func testAWelcomeWithLargeVocabulariesIsTaken() throws {
        var large = preprocessing
        large.columns[0].vocabulary = (0..<PreprocessingSettings.defaultMaxVocabulary).map { "a category named \($0)" }
        let sent = try job(large, featureCount: large.outputWidth)
        XCTAssertGreaterThan(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .welcome(sent))).count, MessageCodec.maximumControlPayload)
        XCTAssertEqual(try decoded(sent), sent)
    }

    func testAPreprocessingNoFitGivesIsRefused() throws {
        var twice = preprocessing
        twice.columns[0].vocabulary = ["Biscoe", "Biscoe"]
        var badFill = preprocessing
        badFill.columns[1].fill = .nan
        for (name, sent) in [
            ("a value twice", try job(twice)), ("a fill that is not a number", try job(badFill)),
            ("another width", try job(preprocessing, featureCount: 5)),
            ("beside a standardization", try job(preprocessing, standardizes: true)),
        ] {
            let reason = refusal(sent)
            XCTAssertTrue(reason?.contains("preprocessing") == true, "\(name): \(reason ?? "accepted")")
        }
    }
}

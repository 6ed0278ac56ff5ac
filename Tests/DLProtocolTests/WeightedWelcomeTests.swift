// A welcome's class and sample weights: carried through the codec only when set (a welcome without
// them is written as before), and a welcome no worker could train refused naming the field:
// negative or no class weights, a target width that does not end with the sample weight, both kinds
// of weights at once.

import DLCore
@testable import DLProtocol
import XCTest

final class WeightedWelcomeTests: XCTestCase {
    private var golden: WorkerJob {
        guard case let .welcome(job) = GoldenMessages.examples(of: .welcome)[0].envelope.message else { preconditionFailure() }
        return job
    }

    private func decoded(_ job: WorkerJob) throws -> WorkerJob {
        let message = try MessageCodec.decode(MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .welcome(job)))).message
        guard case let .welcome(decoded) = message else { throw ProtocolError.badContent(type: "welcome", reason: "\(message.type)") }
        return decoded
    }

    func testTheWeightsTravelOnlyWhenSet() throws {
        let text = String(decoding: MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .welcome(golden))), as: UTF8.self)
        XCTAssertFalse(text.contains("class_weights") || text.contains("sample_weighted"))
        var classes = golden
        classes.classWeights = [0.5, 3.25]
        XCTAssertEqual(try decoded(classes), classes)
        var rows = golden
        rows.sampleWeighted = true
        rows.targetWidth += 1
        XCTAssertEqual(try decoded(rows), rows)
    }

    func testAWelcomeNoWorkerCouldTrainIsRefusedNamingTheField() {
        let cases: [(field: String, change: (inout WorkerJob) -> Void)] = [
            ("class_weights", { $0.classWeights = [1, -0.5] }),
            ("class_weights", { $0.classWeights = [] }),
            ("target_width", { $0.sampleWeighted = true }),
            ("sample_weighted", {
                $0.sampleWeighted = true
                $0.targetWidth += 1
                $0.classWeights = [1, 2]
            }),
        ]
        for (field, change) in cases {
            var job = golden
            change(&job)
            XCTAssertThrowsError(try decoded(job), field) { error in
                guard case let .badContent(_, reason) = error as? ProtocolError else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains(field), "\(field): \(reason)")
            }
        }
    }
}

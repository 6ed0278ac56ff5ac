// A worker's part in the ring while its gradients are still being computed: the worker that starts
// the sum sends each chunk as soon as its part of the gradient is final, highest first, and sends
// none twice; a neighbour's partial that arrives before the worker's own gradients are final waits
// for them. The sums are the same bits whenever they are sent.

import DLProtocol
@testable import DLWorker
import XCTest

final class GradientRingTests: XCTestCase {
    /// 571 parameters in chunks of 100: chunks 0 to 5, the last of 71.
    private let parameterCount = 571
    private let plan = RingPlan(version: 3, chunkSize: 100, star: false, owners: [0, 1], endpoints: [:])

    private func gradient(_ seed: Float) -> [Float] { (0..<571).map { Float($0) * seed + 0.25 } }

    func testTheFirstMemberSendsEachChunkOnceAsSoonAsItIsFinal() {
        var sent: [(worker: Int?, message: Message)] = []
        let ring = GradientRing(me: 0, parameterCount: parameterCount) { sent.append(($0, $1)) }
        let gradients: [[Float]] = [gradient(1), []]
        ring.begin(round: 7, plan: plan)
        XCTAssertTrue(sent.isEmpty, "nothing is final before the backward pass reports it")
        gradients.withUnsafeBufferPointer { gradients in
            ring.gradientsReady(from: 250, gradients: gradients)
            XCTAssertEqual(chunks(sent), [5, 4, 3], "chunks wholly at or above parameter 250")
            ring.gradientsReady(from: 250, gradients: gradients)
            ring.gradientsReady(from: 0, gradients: gradients)
        }
        XCTAssertEqual(chunks(sent), [5, 4, 3, 2, 1, 0])
        for (worker, message) in sent {
            guard case let .partial(piece) = message else { return XCTFail("not a partial: \(message)") }
            XCTAssertEqual(worker, 1)
            XCTAssertEqual(piece.hop, 0)
            XCTAssertEqual(piece.values, Array(gradients[0][plan.chunkRange(piece.chunk, parameterCount: parameterCount)]))
        }
    }

    func testAPartialThatArrivesWhileComputingWaitsForTheGradients() {
        var sent: [(worker: Int?, message: Message)] = []
        let ring = GradientRing(me: 1, parameterCount: parameterCount) { sent.append(($0, $1)) }
        var gradients: [[Float]] = [[], [Float](repeating: .nan, count: parameterCount)]
        let first = gradient(1), second = gradient(-0.5)
        ring.begin(round: 7, plan: plan)
        gradients.withUnsafeBufferPointer { view in
            for chunk in 0..<6 {
                let range = plan.chunkRange(chunk, parameterCount: parameterCount)
                let partial = Message.partial(GradientChunk(ringVersion: 3, hop: 0, chunk: chunk, values: Array(first[range])))
                XCTAssertTrue(ring.receive(partial, round: 7, gradients: view))
            }
        }
        XCTAssertTrue(sent.isEmpty, "held until this worker's own gradients are final")
        gradients[1] = second
        gradients.withUnsafeBufferPointer { ring.gradientsReady(from: 0, gradients: $0) }
        XCTAssertEqual(chunks(sent), [0, 1, 2, 3, 4, 5])
        for (worker, message) in sent {
            guard case .total = message else { return XCTFail("not a total: \(message)") }
            XCTAssertEqual(worker, 0, "the total goes back through the other member")
        }
        XCTAssertTrue(ring.hasTotal)
        XCTAssertEqual(ring.total.map(\.bitPattern), zip(first, second).map { ($0 + $1).bitPattern })
    }

    private func chunks(_ sent: [(worker: Int?, message: Message)]) -> [Int] {
        sent.map { entry in
            switch entry.message {
            case let .partial(piece), let .total(piece): piece.chunk
            default: -1
            }
        }
    }
}

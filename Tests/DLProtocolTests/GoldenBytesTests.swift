// The wire format pinned byte for byte: every message type has a fixture (Fixtures/TYPE.hex, written
// from docs/protocol.md; TYPE-star.hex too where a star's layout carries more), the codec encodes the
// fixture's message to exactly those bytes, and decodes those bytes to exactly that message. A change to the layout, a JSON key, the key order or
// the version fails here until the fixtures, the document and the version are changed with it.

import DLProtocol
import XCTest

final class GoldenBytesTests: XCTestCase {
    /// One example of every type, in the order of their codes; every fixture file is one's, and is
    /// read by one only.
    func testEveryMessageTypeHasAGoldenMessageAndEveryFixtureIsOnes() throws {
        XCTAssertEqual(GoldenMessages.envelopes.map(\.message.type), MessageType.allCases)
        XCTAssertEqual(GoldenMessages.variants.map(\.name), ["compute-step-star", "step-done-star"])
        XCTAssertEqual(try GoldenMessages.fixtureNames().sorted(), GoldenMessages.all.map(\.name).sorted())
    }

    func testEncodingGivesTheFixturesBytes() throws {
        for golden in GoldenMessages.all {
            let expected = try GoldenMessages.bytes(of: golden)
            let encoded = MessageCodec.encode(golden.envelope)
            XCTAssertEqual(encoded.count, expected.count, "\(golden.name): size")
            if let offset = zip(encoded, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                XCTFail("\(golden.name): byte \(offset) is \(encoded[offset]), the fixture has \(expected[offset])")
            }
        }
    }

    func testDecodingTheFixturesGivesTheirMessages() throws {
        for golden in GoldenMessages.all {
            XCTAssertEqual(try MessageCodec.decode(GoldenMessages.bytes(of: golden)), golden.envelope, golden.name)
        }
    }

    /// Bit patterns the equality of floats would hide (-0.0 equals 0.0, NaN equals nothing) survive
    /// both ways, in every message that carries float32 values.
    func testFloatsKeepTheirBits() throws {
        let values: [Float] = [-0.0, .leastNonzeroMagnitude, .infinity, .nan]
        let wire: [UInt8] = [0, 0, 0, 0x80, 1, 0, 0, 0, 0, 0, 0x80, 0x7F, 0, 0, 0xC0, 0x7F]
        let chunk = GradientChunk(ringVersion: 1, hop: 0, chunk: 0, values: values)
        for message in [Message.partial(chunk), .total(chunk)] {
            let bytes = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: message))
            XCTAssertEqual(Array(bytes[40...]), wire, "\(message.type)")
            switch try MessageCodec.decode(bytes).message {
            case let .partial(decoded), let .total(decoded):
                XCTAssertEqual(decoded.values.map(\.bitPattern), values.map(\.bitPattern), "\(message.type)")
            default:
                XCTFail("\(message.type) decoded as another type")
            }
        }
        let state = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .state(ReplicaState(
            optimizerIterations: 0, learningRate: 0.001, parameters: values, optimizerState: values.reversed()))))
        XCTAssertEqual(Array(state[44..<60]), wire)
        guard case let .state(decoded) = try MessageCodec.decode(state).message else { return XCTFail("not a state") }
        XCTAssertEqual(decoded.parameters.map(\.bitPattern), values.map(\.bitPattern))
        XCTAssertEqual(decoded.optimizerState.map(\.bitPattern), values.reversed().map(\.bitPattern))

        // A star's total and gradients.
        let step = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .computeStep(ringVersion: 1, learningRate: 0.001, total: values)))
        XCTAssertEqual(Array(step[36...]), wire)
        guard case let .computeStep(_, _, total) = try MessageCodec.decode(step).message else { return XCTFail("not a compute-step") }
        XCTAssertEqual(total.map(\.bitPattern), values.map(\.bitPattern))
        let done = MessageCodec.encode(Envelope(jobId: 1, round: 0, message: .stepDone(StepDone(
            ringVersion: 1, computeMicroseconds: 0, shards: [0], sums: [[]], gradients: [values]))))
        XCTAssertEqual(Array(done[48...]), wire)
        guard case let .stepDone(report) = try MessageCodec.decode(done).message else { return XCTFail("not a step-done") }
        XCTAssertEqual(report.gradients.map { $0.map(\.bitPattern) }, [values.map(\.bitPattern)])
    }
}

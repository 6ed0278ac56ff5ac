// The `message` target, structure-aware. Each input is a message handed to the receivers themselves,
// not only to the decoder: a worker that has just registered (a welcome is its job), and a small run
// in memory, two workers and their coordinator mid-training, where it arrives at a worker from the
// coordinator and from another worker, and at the coordinator from a worker and from a stranger; the
// run then goes on for a while. Whatever the message, every receiver must accept or refuse it and
// the run must neither trap nor grow without bound (MemoryBudget is capped for the target).
//
// In the fuzzing build, `mutate` is libFuzzer's custom mutator: it decodes a message, changes one of
// its fields (a JSON payload's value anywhere in its tree, a binary message's count, index, list or
// number) to a value chosen to break an assumption, and encodes it again, so that most inputs are
// well-formed messages with hostile content; an input that does not decode is left to libFuzzer's
// own byte mutations.

import DLCoordinator
import DLCore
import DLProtocol
import DLTraining
import DLWorker
import Foundation

enum MessageFuzzing {
    /// A hostile welcome may describe a job of any size: the worker must refuse what does not fit
    /// this much, and nothing may allocate more.
    static let memoryCap = 256 << 20

    static func consume(_ bytes: UnsafeRawBufferPointer) {
        MemoryBudget.cap = memoryCap
        let now = ContinuousClock().now
        let registering = WorkerSession(
            info: Rig.info(0), address: CoordinatorAddress(endpoint: "ipc://fuzz"), now: now, send: { _ in true },
            sendToPeer: { _, _ in true }, log: { _, _ in })
        registering.receive(bytes, now: now)
        guard let job = Rig.job else { return }
        var message = [UInt8](bytes)
        // The run's own job id, so that a message is judged by its content, not dropped for its job.
        if message.count >= MessageCodec.headerSize {
            withUnsafeBytes(of: Rig.jobId.littleEndian) { message.replaceSubrange(8..<16, with: $0) }
        }
        let rig = Rig(job: job, exchange: bytes.count % 2 == 0 ? .ring : .star, now: now)
        rig.run(untilRound: 2)
        message.withUnsafeBytes { message in
            rig.workers[0].receive(message, now: rig.now)
            rig.workers[1].receiveFromPeer(message, now: rig.now)
            rig.coordinator.receive(message, from: Rig.peer(0), now: rig.now)
            rig.coordinator.receive(message, from: [9, 9], now: rig.now)
        }
        rig.run(untilRound: 6)
    }

    /// Two workers and a coordinator in memory, on a clock of their own (ClusterHarness's pattern).
    final class Rig {
        static let jobId: UInt64 = 0xF0F0
        /// The job every rig runs: 12 rows of a file written once, 2 shards, a model of 22 parameters.
        static let job: TrainingJob? = {
            // One file for every run of the target: each writes the same bytes.
            let path = NSTemporaryDirectory() + "/dlfuzz-message.csv"
            let rows = (0..<12).map { "\($0 % 3),\($0 % 5),\($0 % 7),\($0 % 2)" }.joined(separator: "\n") + "\n"
            guard FileManager.default.createFile(atPath: path, contents: Data(rows.utf8)) else { return nil }
            var settings = JobSettings()
            settings.data = path
            settings.layers = "4:relu,1:sigmoid"
            settings.batchSize = 4
            settings.shards = 2
            settings.epochs = 2
            return try? TrainingJob(settings, loadsRows: false)
        }()

        static func peer(_ index: Int) -> [UInt8] { [0, UInt8(index)] }

        static func info(_ index: Int) -> WorkerInfo {
            WorkerInfo(name: "w\(index)", host: "fuzz", pid: Int32(index), version: "fuzz", peerEndpoint: "ipc://fuzz/\(index)")
        }

        private(set) var now: ContinuousClock.Instant
        private(set) var coordinator: CoordinatorSession!
        private(set) var workers: [WorkerSession] = []
        private var toCoordinator: [(peer: [UInt8], bytes: [UInt8])] = []
        private var toWorker: [[[UInt8]]] = [[], []]
        private var betweenWorkers: [(to: Int, bytes: [UInt8])] = []

        init(job: TrainingJob, exchange: CoordinatorSession.Exchange, now: ContinuousClock.Instant) {
            self.now = now
            coordinator = CoordinatorSession(
                job: job, workerCount: 2, jobId: Self.jobId, policy: .init(exchange: exchange, rowChunkSize: 64), now: now,
                send: { [unowned self] peer, envelope in
                    if peer[0] == 0, Int(peer[1]) < 2 { toWorker[Int(peer[1])].append(MessageCodec.encode(envelope)) }
                },
                events: { _ in })
            for index in 0..<2 {
                workers.append(WorkerSession(
                    info: Self.info(index), now: now,
                    send: { [unowned self] envelope in
                        toCoordinator.append((Self.peer(index), MessageCodec.encode(envelope)))
                        return true
                    },
                    sendToPeer: { [unowned self] endpoint, envelope in
                        guard let target = Int(endpoint.dropFirst("ipc://fuzz/".count)), (0..<2).contains(target) else { return false }
                        betweenWorkers.append((target, MessageCodec.encode(envelope)))
                        return true
                    },
                    log: { _, _ in }))
            }
        }

        /// Ticks and delivers until the coordinator's round reaches `round` or the run ends, within
        /// a bound of ticks and messages (a message may make the run wait for a timeout).
        func run(untilRound round: UInt64) {
            for _ in 0..<200 {
                let position = coordinator.progress.position
                let reached = UInt64(position.epoch * coordinator.job.schedule.stepsPerEpoch + position.step)
                guard coordinator.outcome == nil, reached < round else { return }
                now = now + .milliseconds(200)
                coordinator.tick(now: now)
                for worker in workers { worker.tick(now: now) }
                var delivered = 0
                while delivered < 500, !(toCoordinator.isEmpty && betweenWorkers.isEmpty && toWorker.allSatisfy(\.isEmpty)) {
                    if !toCoordinator.isEmpty {
                        let (peer, bytes) = toCoordinator.removeFirst()
                        bytes.withUnsafeBytes { coordinator.receive($0, from: peer, now: now) }
                    }
                    if !betweenWorkers.isEmpty {
                        let (target, bytes) = betweenWorkers.removeFirst()
                        bytes.withUnsafeBytes { workers[target].receiveFromPeer($0, now: now) }
                    }
                    for index in 0..<2 where !toWorker[index].isEmpty {
                        let bytes = toWorker[index].removeFirst()
                        bytes.withUnsafeBytes { workers[index].receive($0, now: now) }
                    }
                    delivered += 1
                }
            }
        }
    }
}

// A worker's part in a job once it has joined (WorkerSession's joined state): the coordinator's
// messages about the job (its rows, the standardization, states, ring plans, steps, audits and
// evaluations) handed to its JobParticipation, and what it reports back (ready, step-done).

import DLCore
import DLData
import DLProtocol
import DLTraining
import DLTransport

extension WorkerSession {
    func handle(_ message: Message, round: UInt64, joined: JobParticipation, now: ContinuousClock.Instant) {
        var problem: String?
        switch message {
        case .heartbeat:
            break
        case let .stop(notice):
            end(notice, now: now)
        case let .assign(shards):
            guard shards.allSatisfy({ (0..<joined.job.shardCount).contains($0) }) else {
                problem = "names shards outside 0..<\(joined.job.shardCount)"
                break
            }
            do {
                try joined.checkMemory(adding: shards)
            } catch {
                return fail("cannot take shard(s) \(shards.map(String.init).joined(separator: ",")): \(error)", now: now)
            }
            joined.assign(shards)
            log(.info, "assigned shard(s) \(shards.map(String.init).joined(separator: ","))")
            reportReadyIfLoaded(joined, now: now)
        case let .shardRows(rows):
            // Acknowledged whatever becomes of it: the coordinator reads on as the workers keep up.
            problem = joined.load(rows)
            emit(.rowsReceived, round: 0, now: now)
            if problem == nil { reportReadyIfLoaded(joined, now: now) }
        case let .standardization(mean, scale):
            // Sent after every pass that brought rows; ready only if it let shards finish loading.
            let waiting = !joined.pending.isEmpty
            problem = joined.take(standardizationMean: mean, scale: scale)
            if problem == nil && waiting { reportReadyIfLoaded(joined, now: now) }
        case let .state(replica):
            problem = joined.take(replica, round: round)
        case let .ring(plan):
            // The other members' endpoints are where this worker connects: each must be one.
            if let bad = plan.peers.first(where: { (try? Endpoint($0.endpoint, flag: "peer endpoint", role: .connect)) == nil }) {
                problem = "names \(bad.endpoint) as worker \(bad.worker + 1)'s endpoint, which is none"
            } else {
                problem = joined.take(plan)
            }
        case let .total(chunk):
            // In a star, the coordinator's sum of an epoch's last step, before its validation pass.
            problem = joined.apply(chunk.values, before: round + 1)
        case let .computeStep(ringVersion, learningRate, total):
            problem = joined.computeStep(round: round, ringVersion: ringVersion, learningRate: learningRate, total: total)
            reportStepDone(joined, now: now)
        case let .audit(shards):
            if let digests = joined.auditDigests(of: shards, round: round) {
                emit(.auditDigests(digests), round: round, now: now)
            } else {
                problem = "does not hold the gradients of shards \(shards) at round \(round)"
            }
        case let .evaluate(shards):
            if let results = joined.evaluate(shards, epoch: round) {
                for result in results { emit(.validationSums(result), round: round, now: now) }
            } else {
                problem = "cannot evaluate shards \(shards) after epoch \(round + 1)"
            }
        default:
            problem = "not expected now"
        }
        if let problem { log(.warning, "dropped a \(message.type) message: \(problem)") }
    }

    /// A welcome: MessageCodec checked that it describes a job that could be trained; whether this
    /// worker can hold it is checked here, before anything is allocated for it.
    func begin(_ job: WorkerJob, now: ContinuousClock.Instant) {
        do {
            try MemoryBudget.check(
                JobParticipation.memoryNeed(job, shards: job.shards.count), for: "its job", hint: Self.memoryHint)
        } catch {
            return refuse(JobRefusal(coordinator: address, cause: .tooLarge(error)), now: now)
        }
        do {
            // The plan is read through the state, not captured: a participation that held itself
            // through its own closure would never be freed (a worker with --keep-running, job
            // after job, would keep every job's rows).
            let participation = try JobParticipation(job: job, faultFlipRound: faultFlipRound) { [unowned self] worker, round, message in
                let envelope = Envelope(jobId: self.jobId, round: round, message: message)
                if let worker {
                    if case let .joined(joined) = self.state, let endpoint = joined.plan?.endpoint(of: worker),
                        self.sendToPeer(endpoint, envelope)
                    { return }
                    self.log(.warning, "could not send a \(message.type) message to worker \(worker + 1)")
                } else {
                    self.emit(message, round: round, now: self.lastSent)
                }
            }
            log(.info, "joined job \(String(jobId, radix: 16)) as worker \(job.workerIndex + 1)"
                + (job.shards.isEmpty ? " (no shards yet)" : ": shard(s) \(job.shards.map(String.init).joined(separator: ","))"))
            state = .joined(participation)
            reportReadyIfLoaded(participation, now: now)
        } catch {
            refuse(JobRefusal(coordinator: address, cause: .cannotBuild("\(error)")), now: now)
        }
    }

    /// What a worker short of memory for a job says to do.
    static let memoryHint = "run this worker on a machine with more memory, start more workers so that each holds fewer "
        + "shards, or give the coordinator a smaller model or batch (--layers, --batch-size)"

    func reportReadyIfLoaded(_ joined: JobParticipation, now: ContinuousClock.Instant) {
        if joined.pending.isEmpty { emit(.ready, round: 0, now: now) }
    }

    func reportStepDone(_ joined: JobParticipation, now: ContinuousClock.Instant) {
        if let (round, done) = joined.takeStepDone() { emit(.stepDone(done), round: round, now: now) }
    }
}

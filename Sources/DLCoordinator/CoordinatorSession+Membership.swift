// The coordinator session's rules for workers coming and going: registering, the initial deal,
// sending a worker its job and its shards' rows, a worker's ready, a worker lost, orphaned shards
// given to the least loaded workers, and shards moved to a newcomer at a step boundary. The phase
// machine (CoordinatorSession.swift) calls these; ShardOwnership decides which shard goes where.

import DLData
import DLProtocol
import DLTraining
import DLTransport

extension CoordinatorSession {
    func hello(_ info: WorkerInfo, from peer: PeerID, now: ContinuousClock.Instant) {
        if refuseIfExcluded(peer) { return }
        if let known = workers.worker(for: peer) {
            known.lastHeard = now  // a repeated hello from a worker still waiting for its welcome
            return
        }
        // The other workers will connect there: a worker whose endpoint is none is told why.
        do {
            _ = try Endpoint(info.peerEndpoint, flag: "peer endpoint", role: .connect)
        } catch {
            let problem = ProtocolError.badContent(type: "hello", reason: "\(error)")
            send(peer, Envelope(jobId: jobId, round: 0, message: .reject(
                reason: "\(error): the other workers could not reach this one there; check dlworker --peer-bind and --advertise")))
            if isGathering { turnedAway.record(.worker(name: info.name, host: info.host), .undecodable("\(problem)")) }
            return report(.messageDropped(from: nil, type: .hello, reason: .undecodable(problem)))
        }
        let worker = workers.register(peer: peer, info: info, now: now)
        if case .gathering = phase {
            report(.workerJoined(worker.record, expected: workerCount))
            if workers.live.count == workerCount { dealShards(now: now) }
            return
        }
        report(.workerJoined(worker.record, expected: nil))
        if assignOrphans(now: now) { return }
        if stepPaused, workers.live.count >= policy.minWorkers { startStep(now: now) }
    }

    /// Deals shard s to the (s mod N)-th worker and sends each worker its job and its shards' rows.
    private func dealShards(now: ContinuousClock.Instant) {
        phase = .loading
        let live = workers.live
        for (worker, shards) in zip(live, ownership.deal(among: live.map(\.index))) { give(shards, to: worker, now: now) }
        pumpFeeds(now: now)
    }

    /// Sends shards to a worker: its welcome (first time) or an assign; their rows follow from the
    /// file (feedRows), once the caller has given every shard it gives now and pumps the feeds.
    private func give(_ shards: [Int], to worker: Worker, now: ContinuousClock.Instant) {
        if worker.status == .registered {
            worker.status = .joined
            emit(.welcome(WorkerJob(
                workerIndex: worker.index, model: job.model, loss: job.loss.rawValue, metrics: job.metricNames,
                trainingRows: job.data.trainingCount, validationRows: job.data.validationCount,
                shardCount: job.schedule.shardCount, batchSize: job.settings.batchSize, seed: job.settings.seed,
                featureCount: job.data.featureCount, targetWidth: job.data.rowTargetWidth, optimizer: job.optimizer.name,
                optimizerArguments: job.optimizer.arguments, lrSchedule: job.optimizer.schedule?.text, shards: shards,
                standardizes: job.data.standardizes, preprocessing: job.data.preprocessing,
                classWeights: job.classWeights?.weights, sampleWeighted: job.data.sampleWeightColumn != nil)),
                round: 0, to: worker, now: now)
        } else {
            emit(.assign(shards: shards), round: 0, to: worker, now: now)
        }
        worker.loaded = false
        worker.rowsDeliveredAt = nil
        feedRows(shards, to: worker)
    }

    /// A worker has all the rows it was sent: shards nobody computes become its own at once, and
    /// what the current round still lacks from them is asked for.
    func loaded(_ worker: Worker, now: ContinuousClock.Instant) {
        worker.rowsDeliveredAt = nil
        guard feeds.isEmpty else {
            readyDuringFeeds.insert(worker.index)
            return
        }
        worker.loaded = true
        let adopted = ownership.adoptUnowned(by: worker.index)
        if ownership.isComplete { waitingSince = nil }
        switch phase {
        case .loading where ownership.isComplete:
            startEpoch(now: now)
        case .training where !stepPaused && !adopted.isEmpty && ownership.isComplete:
            // Shards orphaned during the step have a worker again: the step runs again under a new plan.
            sendStep(round: currentRound, now: now)
        case .validating:
            requestValidation(of: validation.missing(adopted), now: now)
        default:
            break
        }
    }

    /// Declares a worker lost and moves its shards to the others; `event` reports it (by default,
    /// that it is lost for `reason`).
    func lose(_ worker: Worker, because reason: String, now: ContinuousClock.Instant, event: CoordinatorEvent? = nil) {
        guard worker.isLive else { return }
        workers.markLost(worker)
        ownership.release(worker.index)
        stopFeeding(worker, now: now)
        if planMembers.contains(worker.index) {
            plan = nil  // the step in progress cannot finish without it
            steps.abandon()
            ringAudit = nil
            stepSent = nil
        }
        report(event ?? .workerLost(worker.record, reason: reason))
        if case .gathering = phase {
            turnedAway.record(.worker(name: worker.info.name, host: worker.info.host), .lost(reason))
            return
        }
        assignOrphans(now: now)
    }

    /// Takes a worker out of the run for good: it is lost (its shards move to the others), told
    /// why with a reject, and refused if it registers again. The results it sent for the validation
    /// pass in progress are forgotten and asked of their shards' owners again.
    func exclude(_ worker: Worker, for cause: ExclusionCause, now: ContinuousClock.Instant) {
        excluded[worker.peer] = cause.description
        if worker.isLive {
            lose(worker, because: "excluded from the run: \(cause)", now: now, event: .workerExcluded(worker.record, cause))
        } else {
            report(.workerExcluded(worker.record, cause))  // lost since it sent what was found wrong
        }
        _ = refuseIfExcluded(worker.peer)
        if phase == .validating, outcome == nil { requestValidation(of: validation.forget(sentBy: worker.index), now: now) }
    }

    /// Answers an excluded worker's message with a reject that says why; whether it was one.
    func refuseIfExcluded(_ peer: PeerID) -> Bool {
        guard let reason = excluded[peer] else { return false }
        send(peer, Envelope(jobId: jobId, round: 0, message: .reject(reason: "excluded from this run: \(reason)")))
        return true
    }

    /// Gives shards that no worker computes or loads to the least loaded live workers. Returns
    /// whether any shard was given. With none to give them to, the run waits for workers.
    @discardableResult
    func assignOrphans(now: ContinuousClock.Instant) -> Bool {
        let orphans = ownership.orphans
        guard !orphans.isEmpty else { return false }
        let live = workers.live
        guard !live.isEmpty else {
            if waitingSince == nil {
                waitingSince = now
                report(.shardsWithoutWorker(orphans, waiting: timeouts.rejoin))
            }
            return false
        }
        for (index, shards) in ownership.assignOrphans(to: live.map(\.index)) {
            report(.shardsMoved(shards, to: workers[index].record, rebalancing: false))
            give(shards, to: workers[index], now: now)
        }
        pumpFeeds(now: now)
        return true
    }

    /// At a step boundary: shards whose new worker has loaded them change hands, and a worker that
    /// joined during the run (with rebalancing) is given shards from the busiest workers.
    func rebalance(now: ContinuousClock.Instant) {
        ownership.completeHandovers { self.workers[$0].loaded && self.workers[$0].status == .joined }
        guard policy.rebalance, workers.hasNewcomer else { return }
        for (index, shards) in ownership.rebalance(among: workers.live.map(\.index)) {
            report(.shardsMoved(shards, to: workers[index].record, rebalancing: true))
            give(shards, to: workers[index], now: now)
        }
        pumpFeeds(now: now)
    }
}

// The coordinator session's step loop (CoordinatorSession.swift holds the phase machine): epochs
// and steps, the ring plan each step is sent under, a state for a member whose copy is not current,
// the validation pass, and what happens when a step is complete (its audit, +Audit, and its total's
// check, +Faults, then its total applied, reported and checkpointed, the next step sent ahead of
// that work when the plan stands). A step or validation that stalls is +Faults' too.

import DLProtocol
import DLTraining

extension CoordinatorSession {
    func startEpoch(now: ContinuousClock.Instant) {
        guard !progress.isComplete(epochs: job.settings.epochs) else { return finish(now: now) }
        epochStarted = now
        for worker in workers.all {
            worker.epochMicroseconds = 0
            worker.epochSteps = 0
        }
        for observer in observers {
            observer.epochStarted(epoch: progress.position.epoch + 1, of: job.settings.epochs, steps: job.schedule.stepsPerEpoch)
        }
        progress.epochStepsDone ? endEpochSteps(now: now) : startStep(now: now)
    }

    func startStep(now: ContinuousClock.Instant) {
        phase = .training
        rebalance(now: now)
        guard workers.live.count >= policy.minWorkers, ownership.isComplete || !ownership.incoming.isEmpty else {
            stepPaused = true
            if waitingSince == nil {
                waitingSince = now
                report(.paused(liveWorkers: workers.live.count, needed: policy.minWorkers, waiting: timeouts.rejoin))
            }
            return
        }
        stepPaused = false
        if ownership.isComplete {
            waitingSince = nil
            sendStep(round: currentRound, now: now)
        }
        // Otherwise shards are on their way to a worker; the step starts once it has loaded them.
    }

    /// The round being trained: the global step.
    var currentRound: UInt64 { UInt64(progress.position.epoch * job.schedule.stepsPerEpoch + progress.position.step) }

    /// Sends round `round` to the ring (the current round, or the next one when it goes out ahead
    /// of the coordinator's own update): the plan (when it changed), the parameters to any member
    /// whose copy is not current, then compute-step. Also how a step interrupted by a lost worker is
    /// run again under a new plan: the total is the same bits, whoever computes which shard.
    func sendStep(round: UInt64, now: ContinuousClock.Instant) {
        if plan == nil || planRevision != ownership.revision {
            let owners = ownership.owners.map { $0! }
            let endpoints = Dictionary(uniqueKeysWithValues: Set(owners).map { ($0, workers[$0].info.peerEndpoint) })
            var next = RingPlan(
                version: ringVersion, chunkSize: RingPlan.defaultChunkSize,
                star: policy.usesStar(parameterCount: job.model.layout.count), owners: owners, endpoints: endpoints)
            if plan.map({ $0.segments != next.segments || $0.peers != next.peers }) ?? true {
                ringVersion += 1
                next.version = ringVersion
                plan = next
                for member in next.members { emit(.ring(next), round: 0, to: workers[member], now: now) }
            }
            planRevision = ownership.revision
        }
        let next = plan!
        if stepSent == nil || steps.round != round { stepResent = false }
        stepSent = now
        for member in next.members { sendStateIfStale(to: workers[member], round: round, now: now) }
        steps.begin(round: round, plan: plan!)
        ringAudit = nil
        owedTotal.formIntersection(planMembers)
        for member in next.members {
            let total = owedTotal.remove(member) != nil ? starTotal : []
            emit(
                .computeStep(ringVersion: plan!.version, learningRate: progress.optimizer.learningRate, total: total),
                round: round, to: workers[member], now: now)
        }
    }

    /// The coordinator's parameters and optimizer state to a worker whose own copy is not those of
    /// `round` (new, or it sat out a step).
    func sendStateIfStale(to worker: Worker, round: UInt64, now: ContinuousClock.Instant) {
        guard worker.stateRound != round else { return }
        owedTotal.remove(worker.index)
        emit(.state(ReplicaState(
            optimizerIterations: progress.optimizer.iterations, learningRate: progress.optimizer.learningRate,
            parameters: progress.parameters, optimizerState: progress.optimizer.state)), round: round, to: worker, now: now)
        worker.stateRound = round
    }

    /// Asks the owners of `shards` to evaluate them after the epoch's last step.
    func requestValidation(of shards: [Int], now: ContinuousClock.Instant) {
        let next = currentRound
        for worker in workers.live {
            let theirs = shards.filter { ownership.owners[$0] == worker.index }
            guard !theirs.isEmpty else { continue }
            sendStateIfStale(to: worker, round: next, now: now)
            if owedTotal.remove(worker.index) != nil, let plan {
                emit(.total(GradientChunk(ringVersion: plan.version, hop: 0, chunk: 0, values: starTotal)), round: next - 1,
                    to: worker, now: now)
            }
            emit(.evaluate(shards: theirs), round: validation.round, to: worker, now: now)
            worker.evaluateAsked = now
        }
    }

    /// Every member's part of the step has arrived: in a star, its gradients audited (with --audit)
    /// and added up; the total checked for values that are not finite (+Faults); in a ring, its
    /// drawn shards audited (with --audit); then finished.
    func stepCompleted(now: ContinuousClock.Instant) {
        guard let plan else { return }
        if plan.star {
            if let audit { guard passes(audit, now: now) else { return } }
            steps.sumShards()
            guard starTotalIsFinite(now: now) else { return }
        } else {
            guard steps.total.withUnsafeBufferPointer(ParameterState.allFinite) else { return ringTotalNotFinite(now: now) }
            if let audit { return startRingAudit(audit, shards: audit.draw(), now: now) }
        }
        finishStep(now: now)
    }

    /// Applies the step whose every part arrived, was audited and (in a star) added up.
    func finishStep(now: ContinuousClock.Instant) {
        stepSent = nil
        nonFiniteSuspect = nil
        let step = progress.position.step
        if let plan, plan.star {
            // The members apply the step themselves, when the total reaches them with the next
            // compute-step or before an evaluate.
            starTotal = steps.total
            owedTotal.removeAll(keepingCapacity: true)
            owedTotal.formUnion(planMembers)
        }
        // Every member holds the total and applies it when the next compute-step arrives, so the
        // epoch's next step can go out before the coordinator applies the total to its own copy:
        // the workers compute while it updates, reports and checkpoints.
        let sentAhead = step + 1 < job.schedule.stepsPerEpoch && planStands
        if sentAhead {
            markMembersCurrent(round: currentRound + 1)
            sendStep(round: currentRound + 1, now: now)
        }
        do {
            try progress.applyStep(
                summedGradient: steps.total, shardSums: steps.sums, batchSize: job.schedule.batchSize(ofStep: step))
            for observer in observers {
                observer.stepFinished(
                    step: progress.position.step, of: job.schedule.stepsPerEpoch, runningSums: progress.epochSums,
                    metrics: job.metrics)
            }
            try checkpointer?.stepApplied(progress)
        } catch {
            return fail("\(job.explained(error))", now: now, checkpoint: false)
        }
        guard !sentAhead else { return }
        markMembersCurrent(round: currentRound)
        progress.epochStepsDone ? endEpochSteps(now: now) : startStep(now: now)
    }

    /// Whether the next step can go to the plan's members as they are: no shard moved or on its
    /// way, no newcomer to rebalance towards, enough workers.
    var planStands: Bool {
        plan != nil && !stepPaused && planRevision == ownership.revision && ownership.isComplete
            && ownership.incoming.isEmpty && workers.live.count >= policy.minWorkers
            && !(policy.rebalance && workers.hasNewcomer)
    }

    /// The plan's members hold the parameters of `round` once they apply the total they hold; the
    /// other workers have fallen behind and are sent the state before they next compute.
    func markMembersCurrent(round: UInt64) {
        for worker in workers.live { worker.stateRound = planMembers.contains(worker.index) ? round : nil }
    }

    /// After an epoch's last step (or on resuming a run stopped there): its validation pass, or its report.
    func endEpochSteps(now: ContinuousClock.Instant) {
        if job.data.validationCount > 0 {
            phase = .validating
            for worker in workers.all {
                worker.evaluateAsked = nil
                worker.evaluateRetried = false
            }
            validation.begin(round: UInt64(progress.position.epoch))
            requestValidation(of: Array(0..<job.schedule.shardCount), now: now)
        } else {
            finishEpoch(validation: nil, now: now)
        }
    }

    func finishEpoch(validation: [Double]?, now: ContinuousClock.Instant) {
        let report = progress.finishEpoch(validationSums: validation, seconds: (now - epochStarted) / .seconds(1))
        reportSlowWorkers()
        do {
            for observer in observers { try observer.epochFinished(report, of: job.settings.epochs) }
            try checkpointer?.epochFinished(progress)
        } catch {
            return fail("\(error)", now: now, checkpoint: false)
        }
        startEpoch(now: now)
    }

    func finish(now: ContinuousClock.Instant) {
        tellEveryWorker(StopNotice(finished: true, reason: "the job finished"), now: now)
        outcome = .finished
    }

    /// Names a worker whose compute time per step is far above the others'.
    func reportSlowWorkers() {
        let active = workers.all.filter { $0.status == .joined }
        guard active.count > 1 else { return }
        let perStep = active.map(\.millisecondsPerStep)
        let median = perStep.sorted()[perStep.count / 2]
        for (worker, time) in zip(active, perStep) where time > 3 * median && time - median > 1 {
            report(.workerSlow(worker.record, millisecondsPerStep: time, median: median))
        }
    }
}

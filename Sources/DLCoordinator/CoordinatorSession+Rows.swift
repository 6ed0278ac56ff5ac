// The coordinator session's rules for sending rows: shards given to a worker join a pass over the
// data file (RowFeed), and the passes run one after another, a chunk at a time, each chunk read
// only when every worker it goes to has received all but about two chunks' worth of what it was
// sent. So the coordinator's memory holds a few chunks however large the file, and a slow worker
// slows the pass instead of filling the coordinator's queues. A worker's ready counts once no pass
// runs: the end of a pass is where a bad record or a changed file is found, before any training.
// In a job that standardizes, the end of a pass is also where the workers it fed are sent the
// standardization, which they apply to their rows before they say ready.

import DLProtocol

extension CoordinatorSession {
    /// Sends `shards`' rows to `worker` in a pass over the file: the next one not yet started, or a new one.
    func feedRows(_ shards: [Int], to worker: Worker) {
        guard !shards.isEmpty else { return }
        if let last = feeds.last, !last.started {
            last.add(shards, to: worker.index)
        } else {
            feeds.append(RowFeed(
                routes: Dictionary(uniqueKeysWithValues: shards.map { ($0, worker.index) }), data: job.data,
                shardCount: job.schedule.shardCount, positions: dealtPositions, chunkSize: policy.rowChunkSize))
        }
    }

    /// Sends the next chunks of the passes while their workers keep up; once none is left, the
    /// workers that said ready meanwhile count as loaded.
    func pumpFeeds(now: ContinuousClock.Instant) {
        while outcome == nil, let feed = feeds.first {
            for index in feed.destinations {
                let backlog = 2 * feed.routes.values.filter { $0 == index }.count
                if workers[index].unacknowledgedRows > backlog { return }
            }
            do {
                guard let pieces = try feed.next() else {
                    feeds.removeFirst()
                    sendStandardization(to: feed.destinations, now: now)
                    continue
                }
                for (index, rows) in pieces {
                    emit(.shardRows(rows), round: 0, to: workers[index], now: now)
                    workers[index].unacknowledgedRows += 1
                }
            } catch {
                return fail("cannot send the training rows: \(error)", now: now, checkpoint: phase != .loading)
            }
        }
        guard outcome == nil else { return }
        noteDeliveries(now: now)
        guard feeds.isEmpty, !readyDuringFeeds.isEmpty else { return }
        let ready = readyDuringFeeds.sorted()
        readyDuringFeeds = []
        for index in ready where workers[index].isLive { loaded(workers[index], now: now) }
    }

    /// Notes the workers that now hold everything they were sent without having said ready: from
    /// then on their ready is owed, within --worker-timeout (`tick`).
    private func noteDeliveries(now: ContinuousClock.Instant) {
        for worker in workers.live where worker.status == .joined && !worker.loaded && worker.rowsDeliveredAt == nil {
            guard worker.unacknowledgedRows == 0, !readyDuringFeeds.contains(worker.index),
                !feeds.contains(where: { $0.destinations.contains(worker.index) })
            else { continue }
            worker.rowsDeliveredAt = now
        }
    }

    /// After a pass, in a job that standardizes: the standardization, which the first pass to
    /// reach the end of the file fitted, for the workers it brought rows to apply to them.
    private func sendStandardization(to destinations: Set<Int>, now: ContinuousClock.Instant) {
        guard job.data.standardizes else { return }
        guard let standardization = job.data.standardization else {
            preconditionFailure("a pass over the whole file fits the standardization")
        }
        for index in destinations.sorted() where workers[index].isLive {
            emit(.standardization(mean: standardization.mean, scale: standardization.scale), round: 0, to: workers[index], now: now)
        }
    }

    /// No more rows for a lost worker; a pass left with nobody to send to ends.
    func stopFeeding(_ worker: Worker, now: ContinuousClock.Instant) {
        readyDuringFeeds.remove(worker.index)
        feeds.removeAll { !$0.dropRoutes(to: worker.index) }
    }
}

// What a coordinator session is told to do (its bounded waits and its policy on workers coming and
// going) and how its run can end.

import DLData
import DLProtocol

extension CoordinatorSession {
    public struct Timeouts: Sendable {
        /// How long to wait for the workers to register.
        public var registration: Duration
        /// Silence from a worker after which it counts as lost.
        public var worker: Duration
        /// How often to send a heartbeat to a worker that has been sent nothing else.
        public var interval: Duration
        /// How long to wait for workers to join when too few remain.
        public var rejoin: Duration
        /// How often a coordinator still waiting for its workers says so.
        public var status: Duration

        public init(
            registration: Duration = .seconds(60), worker: Duration = .seconds(15), interval: Duration = .seconds(1),
            rejoin: Duration = .seconds(60), status: Duration = .seconds(10)
        ) {
            self.registration = registration
            self.worker = worker
            self.interval = interval
            self.rejoin = rejoin
            self.status = status
        }
    }

    public struct Policy: Sendable {
        /// Below this many workers the run pauses (and waits for more, up to the rejoin timeout).
        public var minWorkers: Int
        /// Whether a worker that joins during the run takes over shards from the others.
        public var rebalance: Bool
        /// How each step's gradient is summed.
        public var exchange: Exchange
        /// The fraction of shard results (gradients with their sums, validation sums) the coordinator
        /// computes again and compares (0: none).
        public var audit: Double
        /// How many bytes of the data file are read, parsed and sent to the workers at once.
        public var rowChunkSize: Int

        public init(
            minWorkers: Int = 1, rebalance: Bool = true, exchange: Exchange = .auto, audit: Double = 0,
            rowChunkSize: Int = CSVDocument.defaultChunkSize
        ) {
            self.minWorkers = minWorkers
            self.rebalance = rebalance
            self.exchange = exchange
            self.audit = audit
            self.rowChunkSize = rowChunkSize
        }

        /// Whether a model of `parameterCount` parameters is summed by the coordinator.
        public func usesStar(parameterCount: Int) -> Bool {
            switch exchange {
            case .auto: RingPlan.usesStar(parameterCount: parameterCount)
            case .star: true
            case .ring: false
            }
        }
    }

    /// How each step's gradient is summed (see RingPlan): by the coordinator (a star: one hop each
    /// way, but its link carries every worker's gradient), by a ring of workers (each host's link
    /// carries about twice the model whatever the number of workers), or, by default, a star for
    /// models of one chunk (16,384 parameters) or less and a ring for larger ones.
    public enum Exchange: String, Sendable, CaseIterable {
        case auto, star, ring
    }

    public enum Outcome: Equatable, Sendable {
        case finished
        /// The run stopped early; the reason names its cause (and the checkpoint written).
        case failed(String)
    }
}

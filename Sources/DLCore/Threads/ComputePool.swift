// The threads a process computes a training step with: one pool, its threads started once, that
// runs the parts of one piece of work at a time (blocks of a matrix product's output rows, ranges
// of an elementwise update, the shards of a step) and returns when all are done. The threads wait
// between pieces (spinning briefly, then asleep), so a step makes no thread and allocates nothing.
//
// Splitting never changes a result: every part computes its own outputs exactly as the whole
// computation would (each output of a product is still one sum in the same order; an elementwise
// update is the same operations per element), so the weights are the same bits for every thread
// count. Work too small to gain from threads is not split (`parts(multiplyAdds:)`, `parts(elements:)`).
//
// A piece of work is a `ComputeTask`, a struct that holds what its parts need and computes one part
// at a time; the pool hands its address to its threads.
//
// The pool itself is C (`CKernels/dl_pool.c`): pthreads, a futex, and a generation-stamped counter
// the threads claim parts from.

import CKernels
import Synchronization

public final class ComputePool: @unchecked Sendable {  // the C pool synchronizes its own state
    /// The threads that compute, counting the caller's.
    public let threads: Int

    /// The most threads a command line may ask for: far beyond the CPUs of any machine dltrain runs
    /// on (more threads than CPUs only slow a step down), and few enough to start at once.
    public static let maximumThreads = 256
    /// The least work worth a part of its own.
    public let minimumPerPart: MinimumPerPart
    private let pool: OpaquePointer?

    /// The least work of a part: below it, handing the part to another thread costs more than it
    /// saves. The defaults are 4 times the break-even that `dlbench split` measured on this
    /// project's 2-core machine (about 16,000 multiply-adds and 2,000 elements per part), so that
    /// a split gains even when the other thread is slow to start (docs/design.md, "Speed").
    public struct MinimumPerPart: Sendable {
        /// Multiply-adds of a matrix product.
        public var multiplyAdds: Int
        /// Elements of an elementwise pass (an optimizer's update, the shards' sum, an activation).
        public var elements: Int

        public init(multiplyAdds: Int = 65_536, elements: Int = 8_192) {
            self.multiplyAdds = multiplyAdds
            self.elements = elements
        }
    }

    /// A pool of `threads` threads, counting the caller's: `threads - 1` are started here.
    public init(threads: Int, minimumPerPart: MinimumPerPart = MinimumPerPart()) {
        precondition(threads >= 1, "a pool has at least the caller's thread")
        pool = threads > 1 ? dl_pool_create(threads) : nil
        self.threads = dl_pool_threads(pool)
        self.minimumPerPart = minimumPerPart
    }

    deinit {
        dl_pool_destroy(pool)
    }

    /// How many pieces of work were split over the pool's threads so far (not run on the caller
    /// alone): what shows that a computation was large enough to be split.
    public var parallelRuns: Int { dl_pool_parallel_runs(pool) }

    /// The pool the process's training uses unless it is given another: what `dlcoord` and
    /// `dlworker` size with `--threads`, and one thread (no pool threads) until they do. Replace it
    /// only while no training runs.
    public static var shared: ComputePool {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    private static let current = Mutex(ComputePool(threads: 1))

    /// Runs `task.run(part:)` for every part on the pool's threads and the caller's, and returns
    /// when all are done. Given while the pool is already running something (from inside a part,
    /// or from another thread), the parts run on the calling thread, in order. Allocates nothing.
    public func run<Task: ComputeTask>(_ task: Task) {
        let parts = task.parts
        guard parts > 1, let pool else {
            for part in 0..<parts { task.run(part: part) }
            return
        }
        withUnsafePointer(to: task) { task in
            withUnsafePointer(to: Call(task: UnsafeRawPointer(task), type: Task.self)) { call in
                dl_pool_run(pool, parts, { call, part in
                    let call = call!.load(as: Call.self)
                    call.type.run(call.task, part: part)
                }, UnsafeMutableRawPointer(mutating: call))
            }
        }
    }

    /// A task as the C threads reach it: its address and its type. (A closure handed to them would
    /// have to be made escaping, which copies it to the heap on every call.)
    private struct Call {
        let task: UnsafeRawPointer
        let type: any ComputeTask.Type
    }

    /// How many parts a matrix product (or several) of `multiplyAdds` is worth splitting into: one per
    /// thread at most, and none with less than the minimum (1 when the work is small).
    public func parts(multiplyAdds: Int) -> Int {
        parts(work: multiplyAdds, minimum: minimumPerPart.multiplyAdds)
    }

    /// The same for an elementwise pass over `elements` values.
    public func parts(elements: Int) -> Int {
        parts(work: elements, minimum: minimumPerPart.elements)
    }

    private func parts(work: Int, minimum: Int) -> Int {
        max(1, min(threads, work / max(minimum, 1)))
    }

    /// Part `part` of 0..<count split into `parts` nearly equal ranges with inner boundaries at
    /// multiples of `multiple` (a kernel's register block, a vector's width), so every part but
    /// the last runs whole blocks; some ranges are empty when count is small.
    public static func range(_ part: Int, of parts: Int, count: Int, multiple: Int = 1) -> Range<Int> {
        func boundary(_ index: Int) -> Int {
            index == parts ? count : min(count, (count * index / parts + multiple / 2) / multiple * multiple)
        }
        return boundary(part)..<boundary(part + 1)
    }
}

/// A piece of work a pool runs in parts: a struct holding what its parts need (pointers, sizes),
/// handed to the pool's threads by address.
public protocol ComputeTask {
    /// How many parts the work is split into.
    var parts: Int { get }
    /// Computes part `part` (0..<parts); the parts run at the same time on different threads, so
    /// each must write only its own outputs.
    func run(part: Int)
}

extension ComputeTask {
    fileprivate static func run(_ task: UnsafeRawPointer, part: Int) {
        task.assumingMemoryBound(to: Self.self).pointee.run(part: part)
    }
}

// A fixed set of threads that run the parts of one piece of work at a time, and the number of CPUs
// the process may run on. See dl_pool.c for how the threads wait and are woken.
#ifndef DL_POOL_H
#define DL_POOL_H

typedef struct dl_pool dl_pool;

/// One part of a piece of work: `index` is in [0, count).
typedef void (*dl_pool_task)(void *context, long index);

/// A pool of `threads` threads counting the caller (threads - 1 are started); NULL if it cannot be
/// made. Fewer are used if the system refuses to start some: dl_pool_threads says how many.
dl_pool *dl_pool_create(long threads);

/// Stops and joins the pool's threads. No work may be running.
void dl_pool_destroy(dl_pool *pool);

/// The threads that run work, counting the caller's.
long dl_pool_threads(const dl_pool *pool);

/// Runs task(context, i) for every i in [0, count), each exactly once, on the pool's threads and the
/// caller's, and returns when all are done. Work given while the pool is already running some (from
/// inside one of its tasks, or from another thread) runs on the calling thread alone, in order.
/// Allocates nothing.
void dl_pool_run(dl_pool *pool, long count, dl_pool_task task, void *context);

/// How many pieces of work were handed to the pool's threads (not run on the caller alone).
long dl_pool_parallel_runs(dl_pool *pool);

/// The CPUs in this process's affinity mask (sched_getaffinity), or 0 if it cannot be read.
long dl_affinity_cpu_count(void);

#endif

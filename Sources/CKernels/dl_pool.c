// The compute pool: threads started once, which take the parts of each piece of work the caller
// hands over, so a training step makes no thread, queue or allocation.
//
// A piece of work is published under a new generation number: its task, context and part count go
// into one of two slots (the generation's parity), then `ticket` becomes (generation, next part 0)
// and `generation` (the word the threads wait on) is set. Every thread, the caller included, claims
// parts by advancing the ticket with a compare-and-swap that also checks the generation, so a thread
// that wakes late, after its generation is over, claims nothing and never runs a part twice or a
// part of the next piece with the previous one's task. The caller returns when `finished` reaches
// the part count; the slot a late thread may still be reading is the other parity's, which is
// rewritten only after the next piece is over too.
//
// Waiting threads spin for a short while (the parts of one training step follow each other within
// microseconds) and then sleep on a futex; the caller wakes them with a system call only when one
// sleeps. A part that waits on a preempted thread is not lost: its caller claims every part no
// thread has claimed yet.

#define _GNU_SOURCE
#include "dl_pool.h"
#include "dl_kernels.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// How long a thread spins before it sleeps: longer than the gaps between the parallel parts of a
// step (its serial pieces: the loss, the metrics, gathering rows), shorter than anything a person
// would notice as a busy core. After the first PAUSE_NANOSECONDS it yields the processor at every
// look, so that on a machine with more busy threads than cores a spinning thread gives way to the
// one it waits for.
#define SPIN_NANOSECONDS 200000L
#define PAUSE_NANOSECONDS 20000L

struct dl_pool {
    long threads;  // counting the caller
    long started;  // threads started (threads - 1 unless the system refused some)
    pthread_t *workers;
    atomic_int busy;  // 1 while a piece of work runs
    uint32_t last_generation;  // the caller's, under `busy`
    _Atomic(dl_pool_task) task[2];
    _Atomic(void *) context[2];
    atomic_long count[2];
    _Atomic uint64_t ticket;  // generation << 32 | the next part to claim
    atomic_uint generation;  // futex word: the newest generation
    atomic_int sleepers;  // threads asleep (or about to be) on `generation`
    atomic_uint finished;  // futex word: parts done in the current generation
    atomic_int caller_sleeping;
    atomic_int stopping;
    atomic_long parallel_runs;  // pieces of work handed to the threads, for tests and diagnostics
};

static long futex_wait(atomic_uint *word, unsigned expected) {
    return syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word, int threads) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, threads, NULL, NULL, 0);
}

static long now_nanoseconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec * 1000000000L + time.tv_nsec;
}

static inline void relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

// Spins until (*word == value) == equal, or the spin time is over; returns whether it happened.
static int spin_until(atomic_uint *word, unsigned value, int equal) {
    const long started = now_nanoseconds();
    for (long round = 1;; round++) {
        if ((atomic_load_explicit(word, memory_order_acquire) == value) == equal) return 1;
        relax();
        if ((round & 63) == 0) {
            const long spun = now_nanoseconds() - started;
            if (spun > SPIN_NANOSECONDS) return 0;
            if (spun > PAUSE_NANOSECONDS) sched_yield();
        }
    }
}

// Claims the next part of `generation`; 0 when it has none left (or is over).
static int claim(dl_pool *pool, uint32_t generation, long *part) {
    const long count = atomic_load_explicit(&pool->count[generation & 1], memory_order_relaxed);
    uint64_t ticket = atomic_load_explicit(&pool->ticket, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(ticket >> 32) != generation || (long)(uint32_t)ticket >= count) return 0;
        if (atomic_compare_exchange_weak_explicit(&pool->ticket, &ticket, ticket + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *part = (long)(uint32_t)ticket;
            return 1;
        }
    }
}

// Runs the parts of `generation` this thread can claim.
static void take_parts(dl_pool *pool, uint32_t generation) {
    long part;
    while (claim(pool, generation, &part)) {
        // A claimed part keeps its generation open, so its slot still holds its own task.
        const dl_pool_task task = atomic_load_explicit(&pool->task[generation & 1], memory_order_relaxed);
        void *context = atomic_load_explicit(&pool->context[generation & 1], memory_order_relaxed);
        task(context, part);
        const long count = atomic_load_explicit(&pool->count[generation & 1], memory_order_relaxed);
        if ((long)atomic_fetch_add(&pool->finished, 1) + 1 == count && atomic_load(&pool->caller_sleeping)) {
            futex_wake(&pool->finished, 1);
        }
    }
}

static void *worker_main(void *argument) {
    dl_pool *pool = argument;
    unsigned seen = 0;
    for (;;) {
        if (!spin_until(&pool->generation, seen, 0)) {
            atomic_fetch_add(&pool->sleepers, 1);
            while (atomic_load(&pool->generation) == seen) futex_wait(&pool->generation, seen);
            atomic_fetch_sub(&pool->sleepers, 1);
        }
        seen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (atomic_load(&pool->stopping)) break;
        take_parts(pool, seen);
    }
    dl_kernels_free_scratch();
    return NULL;
}

dl_pool *dl_pool_create(long threads) {
    dl_pool *pool = calloc(1, sizeof(dl_pool));
    if (!pool) return NULL;
    const long wanted = threads > 1 ? threads - 1 : 0;
    pool->workers = calloc(wanted > 0 ? (size_t)wanted : 1, sizeof(pthread_t));
    if (!pool->workers) {
        free(pool);
        return NULL;
    }
    for (long i = 0; i < wanted; i++) {
        if (pthread_create(&pool->workers[pool->started], NULL, worker_main, pool) != 0) break;
        pool->started++;
    }
    pool->threads = pool->started + 1;
    return pool;
}

void dl_pool_destroy(dl_pool *pool) {
    if (!pool) return;
    atomic_store(&pool->stopping, 1);
    atomic_fetch_add(&pool->generation, 1);
    futex_wake(&pool->generation, INT_MAX);
    for (long i = 0; i < pool->started; i++) pthread_join(pool->workers[i], NULL);
    free(pool->workers);
    free(pool);
}

long dl_pool_threads(const dl_pool *pool) { return pool ? pool->threads : 1; }

long dl_pool_parallel_runs(dl_pool *pool) {
    return pool ? atomic_load_explicit(&pool->parallel_runs, memory_order_relaxed) : 0;
}

void dl_pool_run(dl_pool *pool, long count, dl_pool_task task, void *context) {
    if (count <= 0) return;
    if (!pool || pool->threads == 1 || count == 1 || count > UINT32_MAX || atomic_exchange(&pool->busy, 1)) {
        for (long part = 0; part < count; part++) task(context, part);
        return;
    }
    atomic_fetch_add_explicit(&pool->parallel_runs, 1, memory_order_relaxed);
    const uint32_t generation = ++pool->last_generation;
    const int slot = generation & 1;
    atomic_store_explicit(&pool->task[slot], task, memory_order_relaxed);
    atomic_store_explicit(&pool->context[slot], context, memory_order_relaxed);
    atomic_store_explicit(&pool->count[slot], count, memory_order_relaxed);
    atomic_store(&pool->finished, 0);
    atomic_store_explicit(&pool->ticket, (uint64_t)generation << 32, memory_order_release);
    atomic_store(&pool->generation, generation);
    if (atomic_load(&pool->sleepers) > 0) futex_wake(&pool->generation, INT_MAX);

    take_parts(pool, generation);
    if (!spin_until(&pool->finished, (unsigned)count, 1)) {
        atomic_store(&pool->caller_sleeping, 1);
        unsigned finished;
        while ((finished = atomic_load(&pool->finished)) != (unsigned)count) futex_wait(&pool->finished, finished);
        atomic_store(&pool->caller_sleeping, 0);
    }
    atomic_store_explicit(&pool->busy, 0, memory_order_release);
}

long dl_affinity_cpu_count(void) {
    // cpu_set_t holds 1024 CPUs; a machine with more needs a larger set, which the call asks for.
    for (long cpus = 1024; cpus <= 1L << 20; cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(cpus);
        if (!set) return 0;
        const size_t size = CPU_ALLOC_SIZE(cpus);
        const int failed = sched_getaffinity(0, size, set);
        const long count = failed ? 0 : CPU_COUNT_S(size, set);
        CPU_FREE(set);
        if (!failed) return count;
    }
    return 0;
}

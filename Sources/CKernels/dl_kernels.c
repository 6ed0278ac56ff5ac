// The Dense layer's matrix products, written for speed and for reproducible bits.
//
// Every output element is accumulated in one fixed order: its starting value (bias, zero, or the
// value already there), then one product at a time along the reduction index, each multiplied and
// then added in float32 (never fused into an FMA, never reassociated). The AVX2 variants hold a
// block of outputs in registers and vectorize across independent outputs only, so they produce the
// same bits as the plain variants: the processor a shard runs on never changes its result.
//
// The AVX2 variants, and the run-time check for AVX2 that picks them, are compiled only for x86-64
// (`__x86_64__`); on any other architecture the plain variants are the only ones.

#pragma STDC FP_CONTRACT OFF

#include "dl_kernels.h"
#include <math.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// dst[j][i] = src[i][j] for a src of `rows` x `columns` with row strides lds and ldd: a block of a
// larger matrix into a block of another. 8 x 8 tiles, so that both the reads and the writes stay
// within a few cache lines.
static void transpose_block(const float *src, long lds, float *dst, long ldd, long rows, long columns) {
    for (long i0 = 0; i0 < rows; i0 += 8) {
        for (long j0 = 0; j0 < columns; j0 += 8) {
            const long i1 = i0 + 8 < rows ? i0 + 8 : rows, j1 = j0 + 8 < columns ? j0 + 8 : columns;
            for (long i = i0; i < i1; i++) {
                for (long j = j0; j < j1; j++) dst[j * ldd + i] = src[i * lds + j];
            }
        }
    }
}

// MARK: Plain variants (every processor; the only ones off x86-64)

static void plain_multiply_adding_bias(const float *a, const float *b, const float *bias, float *out,
                                       long rows, long k, long n) {
    for (long r = 0; r < rows; r++) {
        float *o = out + r * n;
        for (long j = 0; j < n; j++) o[j] = bias[j];
        for (long i = 0; i < k; i++) {
            const float s = a[r * k + i];
            const float *bi = b + i * n;
            for (long j = 0; j < n; j++) { float p = s * bi[j]; o[j] = o[j] + p; }
        }
    }
}

static void plain_accumulate_transposed_product(const float *a, const float *b, float *out,
                                                long rows, long k, long n, long from, long to) {
    for (long r = 0; r < rows; r++) {
        const float *br = b + r * n;
        for (long i = from; i < to; i++) {
            const float s = a[r * k + i];
            float *o = out + i * n;
            for (long j = 0; j < n; j++) { float p = s * br[j]; o[j] = o[j] + p; }
        }
    }
}

static void plain_multiply(const float *a, const float *bt, float *out, long rows, long n, long k) {
    for (long r = 0; r < rows; r++) {
        float *o = out + r * k;
        for (long i = 0; i < k; i++) o[i] = 0;
        for (long j = 0; j < n; j++) {
            const float s = a[r * n + j];
            const float *bj = bt + j * k;
            for (long i = 0; i < k; i++) { float p = s * bj[i]; o[i] = o[i] + p; }
        }
    }
}

// MARK: AVX2 variants (x86-64 only)

#if defined(__x86_64__)

#define AVX2 __attribute__((target("avx2")))

// The register block: 6 rows x 16 columns held in 12 of the 16 vector registers.
#define BLOCK_ROWS 6

// out[r0..r0+R) x [j0..j0+16) = start + sum over i of a[r][i] * b[i][j], i in order, for R of at
// most 6 rows; `start` is either the given row (bias) or the output's current value. Inlined with
// a constant R, so the loops over the rows unroll: 6 rows keep 12 sums in flight; the fewer rows a
// block of rows leaves over still keep 2R.
AVX2 static inline __attribute__((always_inline)) void block_x16(
    const int R, const float *a, long lda, const float *b, long ldb, long depth, float *out, long ldo,
    const float *start, long ldstart) {
    __m256 c[BLOCK_ROWS][2];
    for (int r = 0; r < R; r++) {
        c[r][0] = _mm256_loadu_ps(start + r * ldstart);
        c[r][1] = _mm256_loadu_ps(start + r * ldstart + 8);
    }
    for (long i = 0; i < depth; i++) {
        const __m256 b0 = _mm256_loadu_ps(b + i * ldb), b1 = _mm256_loadu_ps(b + i * ldb + 8);
        for (int r = 0; r < R; r++) {
            const __m256 s = _mm256_broadcast_ss(a + r * lda + i);
            c[r][0] = _mm256_add_ps(c[r][0], _mm256_mul_ps(s, b0));
            c[r][1] = _mm256_add_ps(c[r][1], _mm256_mul_ps(s, b1));
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(out + r * ldo, c[r][0]);
        _mm256_storeu_ps(out + r * ldo + 8, c[r][1]);
    }
}

// The rows [r, rows) left after the blocks of 6, fewer than 6, in one block of their count.
AVX2 static void leftover_rows_x16(long r, long rows, const float *a, long lda, const float *b, long ldb,
                                   long depth, float *out, long ldo, const float *start, long ldstart) {
    a += r * lda, out += r * ldo, start += r * ldstart;
    switch (rows - r) {
    case 5: block_x16(5, a, lda, b, ldb, depth, out, ldo, start, ldstart); break;
    case 4: block_x16(4, a, lda, b, ldb, depth, out, ldo, start, ldstart); break;
    case 3: block_x16(3, a, lda, b, ldb, depth, out, ldo, start, ldstart); break;
    case 2: block_x16(2, a, lda, b, ldb, depth, out, ldo, start, ldstart); break;
    case 1: block_x16(1, a, lda, b, ldb, depth, out, ldo, start, ldstart); break;
    default: break;
    }
}

// One row, 8 columns: the same order as block_x16 for the columns it leaves.
AVX2 static inline void block1x8(const float *a, const float *b, long ldb, long depth, float *out, __m256 c) {
    for (long i = 0; i < depth; i++) {
        c = _mm256_add_ps(c, _mm256_mul_ps(_mm256_broadcast_ss(a + i), _mm256_loadu_ps(b + i * ldb)));
    }
    _mm256_storeu_ps(out, c);
}

// A column of outputs (one output layer unit, say): eight rows at a time, so that eight
// independent sums are in flight instead of one chain of dependent additions; each sum still
// runs in order.
static void single_column(const float *a, const float *b, long ldb, long depth, float *out, long ldo,
                          const float *start, long ldstart, long rows) {
    long r = 0;
    for (; r + 8 <= rows; r += 8) {
        float c[8];
        for (int q = 0; q < 8; q++) c[q] = start[(r + q) * ldstart];
        for (long i = 0; i < depth; i++) {
            const float w = b[i * ldb];
            for (int q = 0; q < 8; q++) { float p = a[(r + q) * depth + i] * w; c[q] = c[q] + p; }
        }
        for (int q = 0; q < 8; q++) out[(r + q) * ldo] = c[q];
    }
    for (; r < rows; r++) {
        float c = start[r * ldstart];
        for (long i = 0; i < depth; i++) { float p = a[r * depth + i] * b[i * ldb]; c = c + p; }
        out[r * ldo] = c;
    }
}

// A per-thread scratch buffer that only grows: after the first steps, no call allocates. It grows
// to a power of two, so that the slightly different blocks a pool's thread may take from one step
// to the next (126 or 130 rows of 256) fit the buffer its first one made.
static __thread float *scratch_buffers[2];
static __thread long scratch_capacities[2];

static float *scratch(long count, int which) {
    if (scratch_capacities[which] < count) {
        long capacity = 1024;
        while (capacity < count) capacity *= 2;
        free(scratch_buffers[which]);
        scratch_buffers[which] = malloc((size_t)capacity * sizeof(float));
        scratch_capacities[which] = scratch_buffers[which] ? capacity : 0;
    }
    return scratch_buffers[which];
}

void dl_kernels_free_scratch(void) {
    for (int which = 0; which < 2; which++) {
        free(scratch_buffers[which]);
        scratch_buffers[which] = NULL;
        scratch_capacities[which] = 0;
    }
}

// out = start + a * b for a [rows x depth], b [depth x n]; start rows are `start` (stride ldstart,
// 0 for a broadcast bias row). Each 16-column panel of b is first copied into a contiguous buffer,
// so the register blocks (6 rows x 16 columns, and one of fewer rows for the rows left over)
// stream it sequentially; then 1 x 8 blocks and single elements take the remaining columns.
AVX2 static void product(const float *a, const float *b, float *out, long rows, long depth, long n,
                         const float *start, long ldstart) {
    float *panel = scratch(depth * 16, 0);
    long j = 0;
    for (; panel && j + 16 <= n; j += 16) {
        for (long i = 0; i < depth; i++) {
            _mm256_storeu_ps(panel + i * 16, _mm256_loadu_ps(b + i * n + j));
            _mm256_storeu_ps(panel + i * 16 + 8, _mm256_loadu_ps(b + i * n + j + 8));
        }
        long r = 0;
        for (; r + BLOCK_ROWS <= rows; r += BLOCK_ROWS) {
            block_x16(BLOCK_ROWS, a + r * depth, depth, panel, 16, depth, out + r * n + j, n, start + r * ldstart + j,
                      ldstart);
        }
        leftover_rows_x16(r, rows, a, depth, panel, 16, depth, out + j, n, start + j, ldstart);
    }
    for (long r = 0; r < rows; r++) {
        for (long jj = j; jj + 8 <= n; jj += 8) {
            block1x8(a + r * depth, b + jj, n, depth, out + r * n + jj, _mm256_loadu_ps(start + r * ldstart + jj));
        }
    }
    for (long jj = j + (n - j) / 8 * 8; jj < n; jj++) {
        single_column(a, b + jj, n, depth, out + jj, n, start + jj, ldstart, rows);
    }
}

AVX2 static void avx2_multiply_adding_bias(const float *a, const float *b, const float *bias, float *out,
                                           long rows, long k, long n) {
    product(a, b, out, rows, k, n, bias, 0);
}

AVX2 static void avx2_multiply(const float *a, const float *bt, float *out, long rows, long n, long k) {
    for (long i = 0; i < rows * k; i++) out[i] = 0;
    product(a, bt, out, rows, n, k, out, k);
}

// out[k x n] += a^T b, rows [from, to) of it. With those columns of a transposed first (at
// [to - from x rows]), this is out = out + at * b: the same products added in the same order (over
// the rows), computed by the blocked product.
AVX2 static void avx2_accumulate_transposed_product(const float *a, const float *b, float *out,
                                                    long rows, long k, long n, long from, long to) {
    float *at = scratch(rows * (to - from), 1);
    if (!at) {
        plain_accumulate_transposed_product(a, b, out, rows, k, n, from, to);
        return;
    }
    transpose_block(a + from, k, at, rows, rows, to - from);
    product(at, b, out + from * n, to - from, rows, n, out + from * n, n);
}

static int vector_allowed = 1;

static int avx2_supported(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return cached && vector_allowed;
}

void dl_kernels_allow_vector(int allowed) { vector_allowed = allowed; }

#else
// No vector variants to turn on or off: the plain ones always run.
void dl_kernels_allow_vector(int allowed) { (void)allowed; }
// Nor scratch buffers: only the vector products copy their operands.
void dl_kernels_free_scratch(void) {}
#endif

// MARK: ReLU backward, without branches (half the units are zero, so a branch mispredicts often)

static void plain_relu_backward(const float *z, const float *da, float *dz, long count) {
    for (long i = 0; i < count; i++) dz[i] = z[i] > 0 ? da[i] : 0;
}

#if defined(__x86_64__)
AVX2 static void avx2_relu_backward(const float *z, const float *da, float *dz, long count) {
    const __m256 zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 positive = _mm256_cmp_ps(_mm256_loadu_ps(z + i), zero, _CMP_GT_OQ);
        _mm256_storeu_ps(dz + i, _mm256_and_ps(_mm256_loadu_ps(da + i), positive));
    }
    plain_relu_backward(z + i, da + i, dz + i, count - i);
}
#endif

// MARK: Adam (square root and division are correctly rounded in every variant)

static void plain_adam_update(float *p, const float *g, float *m, float *v, long count,
                              float alpha, float c1, float c2, float epsilon) {
    for (long i = 0; i < count; i++) {
        float gm = g[i] - m[i]; gm = gm * c1; m[i] = m[i] + gm;
        float gg = g[i] * g[i]; gg = gg - v[i]; gg = gg * c2; v[i] = v[i] + gg;
        float step = m[i] * alpha; float root = sqrtf(v[i]); root = root + epsilon;
        p[i] = p[i] - step / root;
    }
}

#if defined(__x86_64__)
AVX2 static void avx2_adam_update(float *p, const float *g, float *m, float *v, long count,
                                  float alpha, float c1, float c2, float epsilon) {
    const __m256 va = _mm256_set1_ps(alpha), v1 = _mm256_set1_ps(c1), v2 = _mm256_set1_ps(c2), ve = _mm256_set1_ps(epsilon);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), v1));
        vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), v2));
        const __m256 step = _mm256_div_ps(_mm256_mul_ps(mi, va), _mm256_add_ps(_mm256_sqrt_ps(vi), ve));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), step));
    }
    plain_adam_update(p + i, g + i, m + i, v + i, count - i, alpha, c1, c2, epsilon);
}
#endif

void dl_adam_update(float *p, const float *g, float *m, float *v, long count,
                    float alpha, float c1, float c2, float epsilon) {
#if defined(__x86_64__)
    if (avx2_supported()) { avx2_adam_update(p, g, m, v, count, alpha, c1, c2, epsilon); return; }
#endif
    plain_adam_update(p, g, m, v, count, alpha, c1, c2, epsilon);
}

// MARK: Transpose (moves values only, so one variant serves)

void dl_transpose(const float *a, float *out, long k, long n, long from, long to) {
    transpose_block(a + from * n, n, out + from, k, to - from, n);
}

// MARK: Entry points

void dl_multiply_adding_bias(const float *a, const float *b, const float *bias, float *out, long rows, long k, long n) {
#if defined(__x86_64__)
    if (avx2_supported()) { avx2_multiply_adding_bias(a, b, bias, out, rows, k, n); return; }
#endif
    plain_multiply_adding_bias(a, b, bias, out, rows, k, n);
}

void dl_accumulate_transposed_product(const float *a, const float *b, float *out, long rows, long k, long n,
                                      long from, long to) {
#if defined(__x86_64__)
    if (avx2_supported()) { avx2_accumulate_transposed_product(a, b, out, rows, k, n, from, to); return; }
#endif
    plain_accumulate_transposed_product(a, b, out, rows, k, n, from, to);
}

void dl_relu_backward(const float *z, const float *da, float *dz, long count) {
#if defined(__x86_64__)
    if (avx2_supported()) { avx2_relu_backward(z, da, dz, count); return; }
#endif
    plain_relu_backward(z, da, dz, count);
}

void dl_multiply(const float *a, const float *bt, float *out, long rows, long n, long k) {
#if defined(__x86_64__)
    if (avx2_supported()) { avx2_multiply(a, bt, out, rows, n, k); return; }
#endif
    plain_multiply(a, bt, out, rows, n, k);
}

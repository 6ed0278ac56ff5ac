// The matrix products of a Dense layer's forward and backward passes, on row-major float32 buffers.
// See dl_kernels.c for the guarantees on the order of operations.
#ifndef DL_KERNELS_H
#define DL_KERNELS_H

/// out[rows x n] = a[rows x k] * b[k x n] + bias[n] on every row.
void dl_multiply_adding_bias(const float *a, const float *b, const float *bias, float *out, long rows, long k, long n);

/// out[k x n] += a[rows x k]^T * b[rows x n]: a kernel gradient, summed over the rows in order.
/// Only the output rows [from, to) are computed (0 and k for all), each exactly as in the whole product.
void dl_accumulate_transposed_product(const float *a, const float *b, float *out, long rows, long k, long n,
                                      long from, long to);

/// out[rows x k] = a[rows x n] * bt[n x k], where bt is a kernel transposed: an input gradient.
void dl_multiply(const float *a, const float *bt, float *out, long rows, long n, long k);

/// dz[i] = z[i] > 0 ? da[i] : +0, for the ReLU's backward pass; dz may be da.
void dl_relu_backward(const float *z, const float *da, float *dz, long count);

/// Keras's Adam update of `count` parameters: m += (g - m) * c1; v += (g*g - v) * c2;
/// p -= (m * alpha) / (sqrt(v) + epsilon), each operation rounded to float32 in that order.
void dl_adam_update(float *p, const float *g, float *m, float *v, long count,
                    float alpha, float c1, float c2, float epsilon);

/// out[n x k] = a[k x n]^T, for the rows [from, to) of a (0 and k for all).
void dl_transpose(const float *a, float *out, long k, long n, long from, long to);

/// Frees the calling thread's scratch buffers (the vector products' copies of their operands); a
/// thread that ends calls it, and its next product would allocate them again.
void dl_kernels_free_scratch(void);

/// Turns the vector variants off (0) or back on where supported (1): lets tests compare both.
void dl_kernels_allow_vector(int allowed);

#endif

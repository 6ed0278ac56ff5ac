// The matrix products of a Dense layer's forward and backward passes, on row-major float32 buffers.
//
// The products themselves are in CKernels (C, with AVX2 variants chosen at run time): every output
// element is accumulated in one fixed order and never with a fused multiply-add, so the result is
// the same bit for bit on every processor, with or without vector instructions. For the same reason
// a block of a product's output rows, computed alone (by one of a pool's threads), has the bits it
// has in the whole product: the products of a block of rows take the rows' pointers; the kernel
// gradient and the transpose take the range of output rows.

import CKernels

enum MatrixKernels {
    /// out[rows x n] = a[rows x k] * b[k x n] + bias[n] on every row.
    static func multiplyAddingBias(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner k: Int, columns n: Int
    ) {
        dl_multiply_adding_bias(a, b, bias, out, rows, k, n)
    }

    /// out[k x n] += a[rows x k]^T * b[rows x n]: the kernel gradient summed over the rows in order;
    /// only the output rows `outputRows` (all by default).
    static func accumulateTransposedProduct(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner k: Int, columns n: Int, outputRows: Range<Int>? = nil
    ) {
        let outputRows = outputRows ?? 0..<k
        dl_accumulate_transposed_product(a, b, out, rows, k, n, outputRows.lowerBound, outputRows.upperBound)
    }

    /// out[j] += the sum of a[r][j] over the rows, row by row, for the columns j in `columns` of
    /// a[rows x n]: the bias gradient.
    static func accumulateColumnSums(
        _ a: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, columns n: Int, only columns: Range<Int>
    ) {
        for row in 0..<rows {
            let aRow = a + row * n
            for j in columns { out[j] += aRow[j] }
        }
    }

    /// out[n x k] = a[k x n]^T, for the rows `sourceRows` of a (all by default).
    static func transpose(
        _ a: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows k: Int, columns n: Int,
        sourceRows: Range<Int>? = nil
    ) {
        let sourceRows = sourceRows ?? 0..<k
        dl_transpose(a, out, k, n, sourceRows.lowerBound, sourceRows.upperBound)
    }

    /// out[rows x k] = a[rows x n] * bT[n x k], where bT is a kernel transposed: the input gradient.
    static func multiply(
        _ a: UnsafePointer<Float>, _ bT: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, rows: Int, inner n: Int, columns k: Int
    ) {
        dl_multiply(a, bT, out, rows, n, k)
    }
}

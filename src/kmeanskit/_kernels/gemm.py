"""BLAS GEMM with its ``alpha`` and ``beta`` from numba kernels:
``out[:, :m] = alpha * a @ b[:m].T + beta * out[:, :m]``.

numba's ``np.dot`` calls GEMM with ``beta = 0``, and OpenBLAS then zeroes the whole output
before the product. The distance tiles need ``||c||^2 - 2 x.c``, so with ``alpha = -2`` and
``beta = 1`` the GEMM adds the products into a tile whose rows already hold the centres'
squared norms, and the scan that reads each value writes the norm back for the next tile
(:func:`kmeanskit._kernels.dense.tile_argmin`): no zeroing pass, no subtraction. Each value
is rounded once, from the same products, as ``c_sq[j] - 2 dot`` was (doubling is exact), so
the labels are unchanged bit for bit. Measured on the 2-core machine, a GEMM and argmin over
100k rows, one thread per block: 31-34 against 29 ms at k = 1024, d = 32; 49-51 against
49-50 ms at k = 256, d = 128.

The call goes through ``numba_xxgemm``, the entry point numba's own ``np.dot`` uses, which
finds SciPy's BLAS at run time, so kernels that call it stay cacheable.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic
from numba.np import linalg


@intrinsic
def gemm_nt(typingctx, a, b, out, m, alpha, beta):
    """``out[:, :m] = alpha * a @ b[:m].T + beta * out[:, :m]``, in place, through BLAS.

    ``a`` (k, d), ``b`` (at least m, d) and ``out`` (k, at least m) are C-contiguous arrays
    of one float dtype; ``m`` is at least 1. Only the first ``m`` columns of ``out`` are read
    or written. Nothing is checked: the caller sizes the arrays (BLAS would read or write past
    them otherwise). A check that raises cannot live here: inlined into a ``prange`` body, a
    raise makes numba run the loop on one thread (measured: blobs-500k Hamerly 0.08 -> 0.18 s).

    Examples
    --------
    >>> import numpy as np
    >>> from numba import njit
    >>> @njit
    ... def values(a, b, c_sq):
    ...     out = np.empty((a.shape[0], 4))
    ...     for j in range(a.shape[0]):
    ...         out[j, :] = c_sq[j]
    ...     gemm_nt(a, b, out, 2, -2.0, 1.0)
    ...     return out[:, :2]
    >>> a = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> values(a, np.array([[1.0, 1.0], [3.0, 0.0], [9.0, 9.0]]), (a**2).sum(axis=1))
    array([[-1., -5.],
           [ 0.,  4.]])
    """
    arrays = (a, b, out)
    if not all(isinstance(x, types.Array) and x.ndim == 2 and x.layout == "C" for x in arrays):
        raise TypingError("gemm_nt takes three 2-D C-contiguous arrays")
    if not (a.dtype == b.dtype == out.dtype) or a.dtype not in (types.float32, types.float64):
        raise TypingError("gemm_nt takes arrays of one dtype, float32 or float64")
    dtype = a.dtype

    def codegen(context, builder, signature, args):
        linalg.ensure_blas()
        a_arr, b_arr, out_arr = (
            context.make_array(ty)(context, builder, value)
            for ty, value in zip(signature.args[:3], args[:3], strict=True)
        )
        k, d = cgutils.unpack_tuple(builder, a_arr.shape, 2)
        _, ldc = cgutils.unpack_tuple(builder, out_arr.shape, 2)
        scalars = [
            cgutils.alloca_once_value(builder, context.cast(builder, value, ty, dtype))
            for value, ty in zip(args[4:], signature.args[4:], strict=True)
        ]
        pointer = linalg.ll_void_p
        char, size = linalg.ll_char, linalg.intp_t
        # kind, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
        fnty = ir.FunctionType(
            ir.IntType(32),
            [char, char, char, size, size, size, pointer, pointer, size]
            + [pointer, size, pointer, pointer, size],
        )
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        kind = ir.Constant(char, ord(linalg.get_blas_kind(dtype)))
        # column-major: out^T (m x k, leading dimension ldc) = b[:m] (b^T transposed) @ a^T
        result = builder.call(
            fn,
            (
                kind,
                ir.Constant(char, ord("t")),
                ir.Constant(char, ord("n")),
                args[3],
                k,
                d,
                builder.bitcast(scalars[0], pointer),
                builder.bitcast(b_arr.data, pointer),
                d,
                builder.bitcast(a_arr.data, pointer),
                d,
                builder.bitcast(scalars[1], pointer),
                builder.bitcast(out_arr.data, pointer),
                ldc,
            ),
        )
        linalg.check_blas_return(context, builder, result)
        return context.get_dummy_value()

    return types.void(a, b, out, types.intp, alpha, beta), codegen

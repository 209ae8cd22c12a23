"""Helpers shared by the bad-input sweeps (tests/test_bad_inputs_*.py)."""
import numpy as np


def read_only(a):
    """A float64 copy of `a` that cannot be written to."""
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def variants(A, float16_and_list=True):
    """(label, array, rtol): the same numbers as other dtypes and memory layouts.

    float16 and plain lists are included unless `float16_and_list` is False.
    """
    A = np.asarray(A, dtype=np.float64)
    out = [("read-only", read_only(A), 0.0),
           ("non-contiguous", np.asfortranarray(A) if A.ndim > 1 else A[::-1][::-1], 0.0),
           ("strided", np.repeat(A, 2, axis=-1)[..., ::2], 0.0),
           ("float32", A.astype(np.float32), 1e-5)]
    if float16_and_list:
        out += [("float16", A.astype(np.float16), 1e-3), ("list", A.tolist(), 0.0)]
    if np.all(A == np.round(A)):
        out.append(("int", A.astype(np.int64), 0.0))
        if np.all((A == 0) | (A == 1)):
            out.append(("bool", A.astype(bool), 0.0))
    return out


def as_float64_list(out):
    """A function's result (an array or a tuple of them) as a list of float64 arrays."""
    if isinstance(out, tuple):
        return [np.asarray(o, dtype=np.float64) for o in out]
    return [np.asarray(out, dtype=np.float64)]

"""Benchmark of bpnet_lib.conv: im2col + GEMM against the naive loops and against PyTorch.

Run with ``make bench`` (installs requirements-bench.txt, i.e. PyTorch, into .venv and
sets two BLAS/OpenMP threads). PyTorch is needed only here, never by the book or tests.

What is measured, forward + backward (``conv2d_forward`` then ``conv2d_backward``):

1. the vectorised functions against ``conv2d_forward_naive`` / ``conv2d_backward_naive``
   on (N=32, C=3, 32x32, F=16, k_h=k_w=3, s_h=s_w=1, p=1): the naive pair is run once, on the whole
   batch, unless ``--naive-batch`` asks for a slice (then its time is scaled by N / slice);
2. against ``torch.nn.functional.conv2d`` + ``backward`` on CPU, both libraries on two
   threads (``torch.set_num_threads(2)``; NumPy's BLAS through threadpoolctl), float64 and
   float32, three shapes. Runs are interleaved: each repeat times NumPy and PyTorch (in
   alternating order) on the same data, and the reported ratio is the median over repeats
   of the per-repeat ratio, which cancels most of the noise of a shared machine. Before
   each library's turn the script sleeps briefly and makes one untimed call, so that the
   *other* library's worker threads, which spin for a while after their last task, have
   gone to sleep and do not steal the two cores;
3. memory: the whole im2col matrix (C kh kw x N n_h' n_w' entries, what a one-shot im2col
   would hold), the column buffer the library actually uses (one block of images, reused),
   and the peak traced by ``tracemalloc`` over a whole forward + backward pass, run in a
   fresh thread so that the per-thread scratch buffers are allocated, and counted, anew;
4. achieved GFLOP/s (the three GEMMs, 3 x 2 F C kh kw N n_h' n_w' flops, over the whole
   forward + backward time) beside the GFLOP/s of NumPy's matmul alone on the forward's
   matrix shapes.

The table is printed and written to bench/results.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from bpnet_lib import conv as cv  # noqa: E402

THREADS = 2
SHAPES = [  # (N, C, n_h=n_w, F, k_h=k_w, s_h=s_w, p)
    (32, 3, 32, 16, 3, 1, 1),
    (64, 16, 16, 32, 3, 2, 1),
    (8, 64, 28, 64, 5, 1, 2),
]
TARGETS = {"float64": 1.2, "float32": 2.5}  # NumPy time / PyTorch time, at most (issue 12)
NAIVE_TARGET = 20.0  # vectorised at least this many times faster than the naive loops


def make_data(shape, dtype, seed=0):
    N, C, n_hw, F, k, stride, p = shape
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, n_hw, n_hw)).astype(dtype)
    W = (rng.standard_normal((F, C, k, k)) / np.sqrt(C * k * k)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    out_hw = cv.conv_output_size(n_hw, k, stride, p)
    dY = rng.standard_normal((N, F, out_hw, out_hw)).astype(dtype)
    return X, W, b, dY


def numpy_pass(X, W, b, dY, stride, p):
    Y, cache = cv.conv2d_forward(X, W, b, stride, p)
    return cv.conv2d_backward(dY, cache)


def timed(fn, inner):
    """Median seconds per call over ``inner`` calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(inner):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def inner_count(seconds_per_call):
    return int(np.clip(0.15 / max(seconds_per_call, 1e-6), 3, 25))


def bench_naive(naive_batch):
    N, C, n_hw, F, k, stride, p = SHAPES[0]
    X, W, b, dY = make_data(SHAPES[0], np.float64)
    fast = timed(lambda: numpy_pass(X, W, b, dY, stride, p), 20)
    n = N if naive_batch is None else naive_batch
    t0 = time.perf_counter()
    Y, cache = cv.conv2d_forward_naive(X[:n], W, b, stride, p)
    grads = cv.conv2d_backward_naive(dY[:n], cache)
    naive = (time.perf_counter() - t0) * N / n
    for g, g_fast in zip(grads, cv.conv2d_backward(dY[:n], cv.conv2d_forward(X[:n], W, b, stride, p)[1])):
        np.testing.assert_allclose(g, g_fast, rtol=1e-12, atol=1e-12)
    how = "one run on the whole batch" if n == N else f"one run on {n} of {N} images, time x {N / n:g}"
    return fast, naive, how


def gemm_gflops(shape, dtype):
    """NumPy's matmul alone on the forward GEMM's shapes: (F, C k k) @ (C k k, N n_h' n_w')."""
    N, C, n_hw, F, k, stride, p = shape
    out_hw = cv.conv_output_size(n_hw, k, stride, p)
    rng = np.random.default_rng(1)
    A = rng.standard_normal((F, C * k * k)).astype(dtype)
    B = rng.standard_normal((C * k * k, N * out_hw * out_hw)).astype(dtype)
    t = timed(lambda: A @ B, 20)
    return 2 * A.shape[0] * A.shape[1] * B.shape[1] / t / 1e9


def pass_memory(shape, dtype):
    """Bytes of the whole im2col matrix, of the library's column block, and the traced peak."""
    N, C, n_hw, F, k, stride, p = shape
    out_hw = cv.conv_output_size(n_hw, k, stride, p)
    X, W, b, dY = make_data(shape, dtype)
    itemsize = np.dtype(dtype).itemsize
    whole = C * k * k * N * out_hw * out_hw * itemsize
    block = cv._images_per_block(N, C * k * k, out_hw * out_hw, itemsize) * C * k * k * out_hw * out_hw * itemsize
    peak = []

    def measured():  # a new thread starts with no scratch buffers, so they are traced too
        tracemalloc.start()
        tracemalloc.reset_peak()
        numpy_pass(X, W, b, dY, stride, p)
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    thread = threading.Thread(target=measured)
    thread.start()
    thread.join()
    return whole, block, peak[0]


def bench_torch(repeats, pause):
    import torch

    torch.set_num_threads(THREADS)
    rows = []
    for dtype in (np.float64, np.float32):
        for shape in SHAPES:
            N, C, n_hw, F, k, stride, p = shape
            X, W, b, dY = make_data(shape, dtype)
            tX, tW, tb = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
            tdY = torch.tensor(dY)

            def torch_pass():
                tX.grad = tW.grad = tb.grad = None
                torch.nn.functional.conv2d(tX, tW, tb, stride=stride, padding=p).backward(tdY)

            ours = numpy_pass(X, W, b, dY, stride, p)
            torch_pass()
            tol = 1e-9 if dtype == np.float64 else 2e-3
            for g, t in zip(ours, (tX.grad, tW.grad, tb.grad)):
                scale = np.abs(t.numpy()).max()
                np.testing.assert_allclose(g, t.numpy(), rtol=tol, atol=tol * scale)
            inner = inner_count(timed(lambda: numpy_pass(X, W, b, dY, stride, p), 3))
            t_np, t_torch = [], []
            for r in range(repeats):
                order = ("numpy", "torch") if r % 2 == 0 else ("torch", "numpy")
                for lib in order:
                    time.sleep(pause)
                    if lib == "numpy":
                        t_np.append(timed(lambda: numpy_pass(X, W, b, dY, stride, p), inner))
                    else:
                        t_torch.append(timed(torch_pass, inner))
            ratio = float(np.median(np.array(t_np) / np.array(t_torch)))
            out_hw = cv.conv_output_size(n_hw, k, stride, p)
            flops = 3 * 2 * F * C * k * k * N * out_hw * out_hw
            whole, block, peak = pass_memory(shape, dtype)
            rows.append(dict(
                dtype=np.dtype(dtype).name, shape=shape, numpy_ms=1e3 * np.median(t_np),
                torch_ms=1e3 * np.median(t_torch), ratio=ratio, target=TARGETS[np.dtype(dtype).name],
                gflops=flops / np.median(t_np) / 1e9, gemm_gflops=gemm_gflops(shape, dtype),
                whole_bytes=whole, block_bytes=block, traced_peak=peak,
            ))
            print(format_row(rows[-1]), flush=True)
    return rows, torch.__version__


HEADER = (f"{'dtype':8} {'(N, C, n_h=n_w, F, k_h=k_w, s_h=s_w, p)':40} {'numpy ms':>9} {'torch ms':>9} "
          f"{'ratio':>6} {'target':>7} {'ok':>3} {'GFLOP/s':>8} {'GEMM GFLOP/s':>13} "
          f"{'im2col bytes':>13} {'block bytes':>12} {'traced peak':>12}")


def format_row(r):
    ok = "yes" if r["ratio"] <= r["target"] else "NO"
    return (f"{r['dtype']:8} {str(r['shape']):40} {r['numpy_ms']:9.2f} {r['torch_ms']:9.2f} "
            f"{r['ratio']:6.2f} {'<= ' + format(r['target'], 'g'):>7} {ok:>3} {r['gflops']:8.1f} "
            f"{r['gemm_gflops']:13.1f} {r['whole_bytes']:13,d} {r['block_bytes']:12,d} {r['traced_peak']:12,d}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved repeats per shape")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds of sleep before each turn")
    parser.add_argument("--naive-batch", type=int, default=None,
                        help="time the naive loops on this many images and scale (default: all 32)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.txt")))
    args = parser.parse_args()

    threadpool_limits(THREADS, user_api="blas")
    blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    lines = [
        "bpnet_lib.conv benchmark: forward + backward, median times",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; NumPy {np.__version__}, BLAS: {', '.join(blas)}",
    ]
    load = "load average (1, 5, 15 min) at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines.append(load + f" on {os.cpu_count()} CPUs (other processes share them; ratios are medians)")
    print("\n".join(lines), flush=True)

    fast, naive, how = bench_naive(args.naive_batch)
    speedup = naive / fast
    naive_lines = [
        "",
        "vectorised vs naive loops, float64, (N, C, n_h=n_w, F, k_h=k_w, s_h=s_w, p) = " + str(SHAPES[0]),
        f"  vectorised {1e3 * fast:.2f} ms, naive {1e3 * naive:.0f} ms ({how}): "
        f"{speedup:.0f}x faster (target >= {NAIVE_TARGET:g}x: {'yes' if speedup >= NAIVE_TARGET else 'NO'})",
    ]
    print("\n".join(naive_lines), flush=True)
    lines += naive_lines

    if not args.no_torch:
        torch_lines = ["", "against PyTorch CPU, both on 2 threads; ratio = median over "
                       f"{args.repeats} interleaved repeats of numpy time / torch time", HEADER]
        print("\n".join(torch_lines), flush=True)
        rows, version = bench_torch(args.repeats, args.pause)
        torch_lines[1] = torch_lines[1].replace("PyTorch CPU", f"PyTorch {version} CPU")
        lines += torch_lines + [format_row(r) for r in rows]
        lines += [
            "",
            "GFLOP/s: the three GEMMs' 6 F C k k N n_h' n_w' flops over the whole forward + backward",
            "time; GEMM GFLOP/s: NumPy's matmul alone on the forward's (F, C k k) @ (C k k, N n_h' n_w').",
            "im2col bytes: the whole im2col matrix, C k k N n_h' n_w' x itemsize, which the library never",
            "holds; block bytes: its column buffer, one block of images, reused; traced peak:",
            "tracemalloc's peak over one forward + backward (outputs, gradients and scratch included).",
        ]
    lines.append("load average at end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()

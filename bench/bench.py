"""`make bench`: bpnet_lib against PyTorch CPU, and the book's execution times, in one report.

Rows (each against its target; ratio = bpnet_lib time / PyTorch time, the median over
interleaved repeats of the per-repeat ratio, both libraries on two threads):

- convolution forward + backward, float64 and float32, the three shapes of conv_bench.py
  (with GFLOP/s beside NumPy's own GEMM and the memory columns printed by conv_bench.py);
- pooling forward + backward: max and average, 2x2 windows with stride 2 (tiled) and 3x3
  with stride 2 (overlapping), (N, C, n_h, n_w) = (64, 32, 32, 32), float32 and float64;
- one epoch of the digits MLP 64-256-10 (ReLU, softmax cross-entropy, SGD, batch 32):
  `bpnet_lib.train.fit` for one epoch against the same loop in PyTorch, float32 and float64;
- the execution time of every chapter, read from the cell timestamps that `jupyter execute`
  wrote into `_build/notebooks/` (run `make notebooks` or `make test` first; nothing is
  executed again here), and their sum.

The report (Markdown) and a plot of the ratios go to `_build/bench/`; the table is also
printed. The machine's load average is recorded before and after: a ratio measured while
other processes use the two cores is noisier, and bpnet_lib (many short NumPy calls) tends to
suffer more from it than PyTorch; rerun on a quiet machine (load < 0.5) before quoting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")
os.environ["BPNET_PROGRESS"] = "0"

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import conv_bench  # noqa: E402

from bpnet_lib import data, losses, network, optim, pool, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "bench"
THREADS = 2
POOL_SHAPE = (64, 32, 32, 32)
POOL_CASES = [("max", 2, 2), ("max", 3, 2), ("avg", 2, 2), ("avg", 3, 2)]
TARGETS = {
    ("conv", "float64"): 1.2, ("conv", "float32"): 2.5,
    ("max", 2, 2): 1.0,
    ("mlp", "float64"): 0.5, ("mlp", "float32"): 0.5,
}
CHAPTERS_TARGET_S = 240  # make test on a fresh clone; the chapters' sum is its largest part


def interleaved(ours, theirs, repeats, pause):
    """Median over repeats of (our time / their time); each repeat times both, in
    alternating order, each as the median of a few calls after a warm-up call."""
    inner = conv_bench.inner_count(conv_bench.timed(ours, 3))
    t_ours, t_theirs = [], []
    for r in range(repeats):
        for lib in (("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")):
            time.sleep(pause)
            if lib == "ours":
                t_ours.append(conv_bench.timed(ours, inner))
            else:
                t_theirs.append(conv_bench.timed(theirs, inner))
    t_ours, t_theirs = np.array(t_ours), np.array(t_theirs)
    return float(np.median(t_ours / t_theirs)), 1e3 * float(np.median(t_ours)), 1e3 * float(np.median(t_theirs))


def bench_pool(repeats, pause):
    import torch

    rows = []
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(0)
        X = rng.standard_normal(POOL_SHAPE).astype(dtype)
        for kind, size, stride in POOL_CASES:
            fwd = pool.maxpool2d_forward if kind == "max" else pool.avgpool2d_forward
            bwd = pool.maxpool2d_backward if kind == "max" else pool.avgpool2d_backward
            tfn = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
            Y, cache = fwd(X, size, stride)
            dY = rng.standard_normal(Y.shape).astype(dtype)
            tX, tdY = torch.tensor(X, requires_grad=True), torch.tensor(dY)

            def ours():
                return bwd(dY, fwd(X, size, stride)[1])

            def theirs():
                tX.grad = None
                tfn(tX, size, stride).backward(tdY)

            theirs()
            tol = 1e-12 if dtype == np.float64 else 1e-5
            np.testing.assert_allclose(ours(), tX.grad.numpy(), rtol=tol, atol=tol)
            ratio, ms, tms = interleaved(ours, theirs, repeats, pause)
            rows.append(dict(what=f"{kind}-pool {size}x{size} stride {stride}, {POOL_SHAPE}",
                             dtype=np.dtype(dtype).name, ms=ms, torch_ms=tms, ratio=ratio,
                             target=TARGETS.get((kind, size, stride))))
            print(format_row(rows[-1]), flush=True)
    return rows


def bench_mlp(repeats, pause):
    import torch

    X_train, y_train, _, _ = data.digits()
    rows = []
    for dtype in (np.float32, np.float64):
        X = X_train.astype(dtype)
        net = network.Sequential(network.Linear(64, 256, rng=0, dtype=dtype), network.ReLU(),
                                 network.Linear(256, 10, rng=1, dtype=dtype))
        opt = optim.SGD(net, lr=0.05)
        tdtype = torch.float32 if dtype == np.float32 else torch.float64
        tnet = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(),
                                   torch.nn.Linear(256, 10)).to(tdtype)
        topt = torch.optim.SGD(tnet.parameters(), lr=0.05)
        tX, ty = torch.tensor(X), torch.tensor(y_train)
        loss_fn = torch.nn.CrossEntropyLoss()

        def ours():
            train.fit(net, losses.softmax_cross_entropy, X, y_train, epochs=1, batch_size=32,
                      optimizer=opt, rng=0, progress=False)

        def theirs():
            order = torch.randperm(len(tX))
            for start in range(0, len(tX), 32):
                idx = order[start:start + 32]
                topt.zero_grad()
                loss_fn(tnet(tX[idx]), ty[idx]).backward()
                topt.step()

        ratio, ms, tms = interleaved(ours, theirs, repeats, pause)
        rows.append(dict(what=f"one epoch, digits MLP 64-256-10, batch 32 ({len(X)} samples)",
                         dtype=np.dtype(dtype).name, ms=ms, torch_ms=tms, ratio=ratio,
                         target=TARGETS[("mlp", np.dtype(dtype).name)]))
        print(format_row(rows[-1]), flush=True)
    return rows


def bench_conv(repeats, pause):
    rows = []
    conv_rows, _ = conv_bench.bench_torch(repeats, pause)
    for r in conv_rows:
        rows.append(dict(what=f"conv2d {r['shape']} (N, C, n, F, k, s, p)", dtype=r["dtype"],
                         ms=r["numpy_ms"], torch_ms=r["torch_ms"], ratio=r["ratio"],
                         target=TARGETS[("conv", r["dtype"])],
                         extra=f"{r['gflops']:.1f} GFLOP/s (NumPy GEMM alone {r['gemm_gflops']:.1f})"))
    return rows


def chapter_times():
    """Seconds each executed chapter took, from its cells' iopub timestamps."""
    times = {}
    for path in sorted((ROOT / "_build" / "notebooks").rglob("*.ipynb")):
        if path.name.endswith(".tmp.ipynb"):
            continue
        nb = json.loads(path.read_text())
        stamps = [c.get("metadata", {}).get("execution", {}) for c in nb["cells"] if c["cell_type"] == "code"]
        starts = [s["iopub.execute_input"] for s in stamps if "iopub.execute_input" in s]
        ends = [s["shell.execute_reply"] for s in stamps if "shell.execute_reply" in s]
        if starts and ends:
            parse = lambda t: dt.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
            times[str(path.relative_to(ROOT / "_build" / "notebooks").with_suffix(""))] = (
                parse(max(ends)) - parse(min(starts))).total_seconds()
    return times


def format_row(r):
    target = r.get("target")
    ok = "" if target is None else ("yes" if r["ratio"] <= target else "NO")
    target_text = "" if target is None else f"<= {target:g}"
    return (f"| {r['what']} | {r['dtype']} | {r['ms']:.2f} | {r['torch_ms']:.2f} | "
            f"{r['ratio']:.2f} | {target_text} | {ok} |")


HEADER = ["| measure | dtype | bpnet_lib ms | PyTorch ms | ratio | target | met |",
          "| --- | --- | ---: | ---: | ---: | --- | --- |"]


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.2))
    labels = [f"{r['what'][:48]} {r['dtype']}" for r in rows]
    y = np.arange(len(rows))[::-1]
    colors = ["tab:green" if r.get("target") and r["ratio"] <= r["target"] else
              "tab:red" if r.get("target") else "tab:gray" for r in rows]
    ax.barh(y, [r["ratio"] for r in rows], color=colors)
    for yi, r in zip(y, rows):
        if r.get("target"):
            ax.plot([r["target"]] * 2, [yi - 0.4, yi + 0.4], color="black", lw=1.5)
    ax.axvline(1.0, color="gray", lw=0.8, ls="--")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("bpnet_lib time / PyTorch time (black tick: target; green: met)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--pause", type=float, default=0.2)
    parser.add_argument("--only", choices=["conv", "pool", "mlp", "chapters"], action="append")
    args = parser.parse_args()
    parts = args.only or ["conv", "pool", "mlp", "chapters"]

    import torch

    torch.set_num_threads(THREADS)
    threadpool_limits(THREADS, user_api="blas")
    OUT.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    lines = [
        "# bpnet_lib benchmark",
        "",
        f"{dt.datetime.now().isoformat(timespec='seconds')}; {platform.machine()}, {os.cpu_count()} CPUs; "
        f"NumPy {np.__version__}, PyTorch {torch.__version__}; both on {THREADS} threads; "
        f"ratio = median over {args.repeats} interleaved repeats of bpnet_lib time / PyTorch time.",
        "",
        "Load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in load_start),
        "",
    ]
    print("\n".join(lines), flush=True)
    print("\n".join(HEADER), flush=True)
    rows = []
    if "conv" in parts:
        rows += bench_conv(args.repeats, args.pause)
    if "pool" in parts:
        rows += bench_pool(args.repeats, args.pause)
    if "mlp" in parts:
        rows += bench_mlp(args.repeats, args.pause)
    lines += HEADER + [format_row(r) for r in rows]
    extras = [f"- {r['what']} {r['dtype']}: {r['extra']}" for r in rows if r.get("extra")]
    if extras:
        lines += ["", *extras]
    if "chapters" in parts:
        times = chapter_times()
        lines += ["", "## Chapter execution times", ""]
        if times:
            lines += ["| chapter | seconds |", "| --- | ---: |"]
            lines += [f"| {name} | {s:.1f} |" for name, s in sorted(times.items(), key=lambda kv: -kv[1])]
            total = sum(times.values())
            lines += [f"| all ({len(times)}) | {total:.1f} |", "",
                      f"Executed two at a time, `make test` spends about {total / 2:.0f} s executing the "
                      f"chapters and again about as long under strict nbval (its target: the whole of "
                      f"`make test` within {CHAPTERS_TARGET_S} s on a fresh clone)."]
        else:
            lines.append("No executed chapters in _build/notebooks: run `make notebooks` first.")
    load_end = os.getloadavg()
    lines += ["", "Load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in load_end)]
    if max(load_start[0], load_end[0]) > 0.5:
        lines.append("The machine was not quiet (1-minute load above 0.5) while measuring: "
                     "rerun before quoting these ratios.")
    (OUT / "report.md").write_text("\n".join(lines) + "\n")
    if rows:
        plot(rows, OUT / "ratios.png")
    print("\n".join(lines[lines.index(HEADER[-1]) + 1 + len(rows):]))
    print(f"\nwritten: {OUT / 'report.md'}" + (f", {OUT / 'ratios.png'}" if rows else ""))


if __name__ == "__main__":
    main()

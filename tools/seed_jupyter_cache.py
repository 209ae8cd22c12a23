"""Put the executed chapters of `_build/notebooks` into the book build's execution cache.

`make test` executes every chapter once with `jupyter execute` (two at a time) and runs strict
nbval on the results. The book build (myst-nb, `execute_notebooks: cache`) looks each chapter
up in `_build/.jupyter_cache` by a hash of its code cells and kernel and executes it only on a
miss. Seeding the cache with the executed chapters saves the build a third execution of every
chapter.

A chapter is seeded only if its code cells, read from `book/<part>/<name>.md` exactly as
myst-nb reads them, have the same sources, in the same order, as its executed copy; the
cached notebook is myst-nb's own reading with the executed copy's outputs. A chapter edited
since it was executed is left out and the build executes it as before.

Usage: python tools/seed_jupyter_cache.py BOOK_DIR NOTEBOOKS_DIR CACHE_DIR
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from myst_nb.core.read import read_myst_markdown_notebook


def merged_notebook(md_path: Path, executed_path: Path):
    """myst-nb's reading of `md_path` with the outputs of `executed_path`, or None."""
    nb = read_myst_markdown_notebook(
        md_path.read_text("utf8"), add_source_map=True, path=str(md_path)
    )
    executed = nbformat.read(executed_path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    done = [c for c in executed.cells if c.cell_type == "code"]
    if [c.source for c in code] != [c.source for c in done]:
        return None
    for cell, ran in zip(code, done):
        cell.outputs = ran.outputs
        cell.execution_count = ran.execution_count
    for key in ("language_info", "widgets"):
        if key in executed.metadata:
            nb.metadata[key] = executed.metadata[key]
    return nb


def _cached(cache, nb):
    """The cache's executed copy of a notebook with the same code, or None."""
    try:
        return cache.get_cache_bundle(cache.match_cache_notebook(nb).pk).nb
    except KeyError:
        return None


def _outputs(nb):
    if nb is None:
        return None
    return [c.get("outputs") for c in nb.cells if c.cell_type == "code"]


def main(book_dir: str, nb_dir: str, cache_dir: str) -> int:
    cache = get_cache(cache_dir)
    seeded, stale = 0, []
    for executed_path in sorted(Path(nb_dir).rglob("*.ipynb")):
        if executed_path.name.endswith(".tmp.ipynb"):
            continue
        md_path = Path(book_dir) / executed_path.relative_to(nb_dir).with_suffix(".md")
        nb = merged_notebook(md_path, executed_path) if md_path.exists() else None
        if nb is None:
            stale.append(str(md_path))
            continue
        # Sphinx re-reads a page only when its source changed; a chapter whose outputs
        # changed (a library or data change, its .md untouched) gets a new mtime so that the
        # build does not keep the page made from the old outputs.
        # The executed copy gets the same mtime, or make would see the chapter as newer than
        # it and execute the chapter again on the next run.
        if _outputs(_cached(cache, nb)) != _outputs(nb):
            os.utime(md_path)
            stamp = md_path.stat().st_mtime_ns
            os.utime(executed_path, ns=(stamp, stamp))
        # Explorer cells tagged skip-execution have no execution count, so the cache's
        # "executed in order" check does not apply.
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(md_path.resolve())), check_validity=False, overwrite=True
        )
        seeded += 1
    print(f"seeded the build cache with {seeded} executed chapters", end="")
    print(f"; not seeded (changed since executed): {', '.join(stale)}" if stale else "")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

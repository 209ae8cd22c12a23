"""The notation page keeps its promise: one meaning per symbol.

``book/appendix/notation.md`` defines the book's symbols in tables whose first column holds
the symbols (each a ``$...$`` span) and whose second column says what they mean. A symbol
that appears in the first column of two rows has two meanings, which the book rules out;
this test fails if that happens. The last table, which maps the source notes' notations
onto the book's, lists the notes' letters on purpose and is not checked.
"""

import pathlib
import re

import pytest

NOTATION = pathlib.Path(__file__).resolve().parents[1] / "book" / "appendix" / "notation.md"
MATH = re.compile(r"\$([^$]+)\$")


def _tables(text):
    """Each markdown table as (header, [rows]); a row is its list of cells."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = (cells, [])
                tables.append(current)
            elif not set("".join(cells)) <= set("-: "):
                current[1].append(cells)
        else:
            current = None
    return tables


def _normalise(symbol: str) -> str:
    return re.sub(r"\s+", "", symbol)


def defined_symbols(text):
    """{symbol: [row, ...]} over the symbol columns of every table but the notes' mapping."""
    where = {}
    for header, rows in _tables(text):
        if any("note" in h.lower() for h in header):
            continue  # the notes' notations, listed beside the book's on purpose
        for row in rows:
            for symbol in MATH.findall(row[0]):
                where.setdefault(_normalise(symbol), []).append(row[0])
    return where


def test_every_symbol_has_one_row():
    where = defined_symbols(NOTATION.read_text(encoding="utf-8"))
    assert len(where) > 50, "the notation page's tables were not found"
    twice = {s: rows for s, rows in where.items() if len(rows) > 1}
    assert not twice, f"symbols defined in more than one row: {twice}"


def test_the_check_catches_a_duplicate():
    text = "| symbol | meaning |\n| --- | --- |\n| $N$ | samples |\n| $k$, $N$ | other |\n"
    where = defined_symbols(text)
    assert where["N"] == ["$N$", "$k$, $N$"]


@pytest.mark.parametrize("symbol", [r"\mathrm{d}B^{(k)}", r"\eta", r"J", r"\theta"])
def test_core_symbols_are_defined(symbol):
    assert _normalise(symbol) in defined_symbols(NOTATION.read_text(encoding="utf-8"))

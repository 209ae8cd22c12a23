"""The glossary keeps its promises.

Every entry of ``book/appendix/glossary.md`` ends with a line
``notes: WORD, WORD (`000`, `002`), ... · symbol: $...$, ... · defined in: ...``. This test checks
that each quoted word occurs, exactly as quoted, in every note it is attributed to (the files of
``notes/``), that every symbol is one of the symbols of the notation page (so it has the one
meaning that page gives it), and that every term has a concept-index entry (an ``{index}``
directive) in the chapter that defines it.
"""

import pathlib
import re

import pytest

from test_book_notation import NOTATION, _normalise, defined_symbols

ROOT = pathlib.Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "appendix" / "glossary.md"
NOTES = {path.name[:3]: path.read_text(encoding="utf-8") for path in (ROOT / "notes").glob("0*.txt")}
MATH = re.compile(r"\$([^$]+)\$")
ATTRIBUTION = re.compile(r"(.+?) \(((?:`\d{3}`(?:, )?)+)\)(?:, |$)")


def entries(text):
    """[(terms, meta_line)] for every entry of the glossary directive."""
    body = text[text.index("```{glossary}"):]
    body = body[:body.index("\n```\n")]
    found, terms = [], []
    for line in body.splitlines()[1:]:
        if not line.strip() or line.startswith(":"):
            continue
        if not line.startswith(" "):
            terms.append(line.strip())
        elif line.strip().startswith("notes:"):
            found.append((terms, line.strip()))
            terms = []
        elif terms and found and found[-1][0] is terms:
            raise AssertionError(f"text after the meta line of {terms}")
    return found


def fields(meta):
    parts = meta.split(" · ")
    assert [p.split(":", 1)[0] for p in parts] == ["notes", "symbol", "defined in"], meta
    return [p.split(":", 1)[1].strip() for p in parts]


def attributions(notes_field):
    """[(word, note)] quoted in a notes field; [] for "not in the notes"."""
    if notes_field == "not in the notes":
        return []
    pairs, end = [], 0
    for m in ATTRIBUTION.finditer(notes_field):
        assert m.start() == end, f"cannot read {notes_field!r} at {notes_field[end:]!r}"
        end = m.end()
        for word in m.group(1).split(", "):
            for note in re.findall(r"`(\d{3})`", m.group(2)):
                pairs.append((word, note))
    assert end == len(notes_field) and pairs, f"cannot read {notes_field!r}"
    return pairs


ENTRIES = entries(GLOSSARY.read_text(encoding="utf-8"))


def test_entries_found():
    assert len(ENTRIES) >= 50, len(ENTRIES)
    terms = [t for ts, _ in ENTRIES for t in ts]
    assert len(terms) == len(set(t.lower() for t in terms)), "a term is listed twice"


@pytest.mark.parametrize("terms, meta", ENTRIES, ids=[ts[0] for ts, _ in ENTRIES])
def test_quoted_words_occur_in_their_notes(terms, meta):
    for word, note in attributions(fields(meta)[0]):
        assert note in NOTES, f"{terms[0]}: no note {note}"
        assert word in NOTES[note], f"{terms[0]}: note {note} does not contain {word!r}"


@pytest.mark.parametrize("terms, meta", ENTRIES, ids=[ts[0] for ts, _ in ENTRIES])
def test_symbols_are_the_notation_pages(terms, meta):
    symbol = fields(meta)[1]
    known = defined_symbols(NOTATION.read_text(encoding="utf-8"))
    if symbol == "none":
        return
    spans = MATH.findall(symbol)
    assert spans and MATH.sub("", symbol).replace(",", "").strip() == "", symbol
    for span in spans:
        assert _normalise(span) in known, f"{terms[0]}: ${span}$ is not on the notation page"


def test_every_term_has_a_concept_index_entry():
    indexed = set()
    for path in (ROOT / "book").rglob("*.md"):
        for entries_ in re.findall(r"^```\{index\} (.+)$", path.read_text(encoding="utf-8"), re.M):
            indexed |= {e.strip().lstrip("!").strip().lower() for e in entries_.split(",")}
    missing = [ts[0] for ts, _ in ENTRIES if not any(t.lower() in indexed for t in ts)]
    assert not missing, f"glossary terms without an {{index}} entry in a chapter: {missing}"


def test_the_checks_catch_a_wrong_attribution_and_symbol():
    assert attributions("雅各比矩阵 (`000`), Jacobian (`002`)") == [("雅各比矩阵", "000"), ("Jacobian", "002")]
    assert "雅可比矩阵" not in NOTES["000"]          # the spelling the notes do not use
    assert _normalise(r"\mathbf{J}") not in defined_symbols(NOTATION.read_text(encoding="utf-8"))
    with pytest.raises(AssertionError):
        attributions("雅各比矩阵 (note 000)")

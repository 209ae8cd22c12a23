"""The preface's table of the source notes agrees with the trace of the notes.

``book/intro.md`` lists, for each note of ``notes/``, the chapters that draw on it: the chapters
that teach at least two of the note's traced items (``book/appendix/trace/note*.yml``, rows
whose status is correct, notation or erratum, by the chapters their ``where`` names). This test
recomputes that list from the trace data and fails if the table differs, so the table follows
the trace when chapters or trace rows change.
"""

import collections
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
TOC = (ROOT / "_toc.yml").read_text(encoding="utf-8")


def chapter_label(path):
    """The label just above the chapter's title: ``(label)=`` followed by ``# Title``."""
    m = re.search(r"^\(([\w-]+)\)=\n# ", (BOOK / f"{path}.md").read_text(encoding="utf-8"), re.M)
    assert m, path
    return m.group(1)


def chapters_from_trace():
    rows = collections.defaultdict(collections.Counter)
    for path in sorted((BOOK / "appendix" / "trace").glob("note*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for row in data["rows"]:
            if row["status"] == "not-taught":
                continue
            for chapter in {w.split("#")[0] for w in row.get("where", [])}:
                rows[data["note"]][chapter] += 1
    order = [p.removeprefix("book/") for p in re.findall(r"file:\s*(book/\S+)", TOC)]
    chapters = [p for p in order if not p.startswith("appendix/") and p not in ("intro", "references")]
    return {note: [chapter_label(c) for c in chapters if counts[c] >= 2]
            for note, counts in rows.items()}


def chapters_in_preface():
    text = (BOOK / "intro.md").read_text(encoding="utf-8")
    table = text[text.index("```{list-table}"):]
    table = table[:table.index("\n```\n")]
    found = {}
    for row in re.split(r"^\* - ", table, flags=re.M)[2:]:  # [0] options, [1] header
        note = re.match(r"`(\d{3})`", row).group(1)
        cells = re.split(r"^  - ", row, flags=re.M)
        assert len(cells) == 3, (note, len(cells))
        found[note] = re.findall(r"\{ref\}`([\w-]+)`", cells[2])
    return found


def test_preface_lists_the_chapters_that_draw_on_each_note():
    expected = chapters_from_trace()
    assert sorted(expected) == ["000", "001", "002", "003", "004"]
    assert chapters_in_preface() == expected

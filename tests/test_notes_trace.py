"""The trace of the source notes (tools/notes_trace.py, book/appendix/trace/*.yml) agrees
with the notes, the chapters' labels and the errata appendix; and the checker catches each kind
of inconsistency it promises to catch."""
import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import notes_trace  # noqa: E402


@pytest.fixture(scope="module")
def notes():
    return notes_trace.load()


def test_trace_is_consistent(notes):
    problems = notes_trace.check(notes)
    assert not problems, "\n".join(problems)


def test_every_note_is_traced(notes):
    traced = {str(d["note"]) for d in notes}
    files = {p.name[:3] for p in notes_trace.NOTES_DIR.glob("0*.txt")}
    assert traced == files == {"000", "001", "002", "003", "004"}


def test_rows_cover_each_note_in_order(notes):
    # Rows are listed in the note's order (a reader scans a table by line number).
    for data in notes:
        starts = [row["lines"][0] for row in data["rows"]]
        assert starts == sorted(starts), data["path"].name


def _one_row_notes(notes, **changes):
    broken = copy.deepcopy(notes)
    row = broken[0]["rows"][0]
    row.update(changes)
    for key, value in list(row.items()):
        if value is None:
            del row[key]
    return broken


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"status": "fine"}, "status 'fine'"),
        ({"kind": "remark"}, "kind 'remark'"),
        ({"lines": [5, 4]}, "lines must be"),
        ({"lines": [1, 10**6]}, "lines must be"),
        ({"written": " "}, "'written' is empty"),
        ({"status": "correct", "where": [], "erratum": None}, "needs a 'where'"),
        ({"status": "correct", "where": ["mlp/backprop#no-such-label"], "erratum": None},
         "label 'no-such-label' not defined"),
        ({"status": "correct", "where": ["mlp/nowhere#x"], "erratum": None}, "no chapter"),
        ({"status": "correct", "where": ["mlp/backprop"], "erratum": None},
         "not 'part/chapter#label'"),
        ({"status": "not-taught", "why": None, "where": [], "erratum": None}, "needs a 'why'"),
        ({"status": "erratum", "erratum": "errata-no-such-entry"}, "not an errata entry"),
        ({"colour": "red"}, "unknown fields"),
        ({"why": "see eq-no-such-equation"}, "which no page defines"),
    ],
)
def test_check_catches(notes, changes, message):
    problems = notes_trace.check(_one_row_notes(notes, **changes))
    assert any(message in p for p in problems), problems


def test_check_catches_an_unreferenced_erratum(notes):
    broken = copy.deepcopy(notes)
    label = next(
        row["erratum"] for d in broken for row in d["rows"] if row["status"] == "erratum"
    )
    for d in broken:
        d["rows"] = [r for r in d["rows"] if r.get("erratum") != label]
    problems = notes_trace.check(broken)
    assert any(f"'{label}' is referenced by no row" in p for p in problems), problems


def test_check_catches_a_wrong_line_count(notes):
    broken = copy.deepcopy(notes)
    broken[0]["lines"] += 1
    assert any("lines, it has" in p for p in notes_trace.check(broken))


def test_label_roles_reads_each_kind_of_label(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "(sec-a)=\n# A\n\n$$ x = 1 $$ (eq-a)\n\n"
        "```{prf:theorem} T\n:label: thm-a\n\nText.\n```\n\n"
        "```{exercise}\n:label: ex-a\n\nDo.\n```\n\n"
        "```{math}\n:label: eq-b\n\ny = 2\n```\n"
    )
    assert notes_trace.label_roles(page) == {
        "sec-a": "ref", "eq-a": "eq", "thm-a": "prf:ref", "ex-a": "ref", "eq-b": "eq",
    }


def test_written_is_shown_verbatim():
    # Backticks in the note's text cannot close the code span; line breaks become spaces.
    assert notes_trace._written("a `b` | c\n d") == "``a `b` | c d``"
    assert notes_trace._written("`x`") == "`` `x` ``"


def test_render_lists_every_row_in_order(notes):
    for data in notes:
        lines = notes_trace.render_markdown(data).split("\n")
        assert lines[0] == ":::{div} trace-rows" and lines[-1] == ":::"
        items = lines[1:-1]
        assert len(items) == len(data["rows"])
        first = data["rows"][0]["lines"][0]
        assert items[0].startswith(f"- **{first}")


def test_mentions_in_why_become_links():
    text = notes_trace._link_mentions("see errata-center-index, mlp/backprop and row-major order")
    assert "{ref}`erratum (center index) <errata-center-index>`" in text
    assert "{doc}`" in text and "</book/mlp/backprop>`" in text
    assert text.endswith("and row-major order")

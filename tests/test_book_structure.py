"""Every chapter keeps the book's pattern at its end: a summary, then exercises with solutions.

The chapters are the notebooks listed in ``_toc.yml`` outside the appendices. Each must end
with a ``## Summary`` section immediately followed by ``## Exercises``, and every exercise in
it must have a hidden solution (a ``solution-start`` naming its label, and a matching
``solution-end``).
"""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOC = (ROOT / "_toc.yml").read_text(encoding="utf-8")
CHAPTERS = [
    path for path in re.findall(r"file:\s*(book/\S+)", TOC)
    if not path.startswith("book/appendix/") and path != "book/references"
    and "kernelspec:" in (ROOT / f"{path}.md").read_text(encoding="utf-8")
]


def test_chapters_found():
    assert len(CHAPTERS) >= 16, CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_summary_then_exercises(chapter):
    text = (ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[-2:] == ["Summary", "Exercises"], f"{chapter} ends with {headings[-2:]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_a_hidden_solution(chapter):
    text = (ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    exercises = text[text.rindex("\n## Exercises"):]
    labels = re.findall(r"^:::\{exercise\}[^\n]*\n:label: (\S+)", exercises, re.M)
    assert labels, f"{chapter}: no exercises"
    solved = re.findall(r"^:::\{solution-start\} (\S+)", exercises, re.M)
    assert sorted(solved) == sorted(labels), f"{chapter}: exercises {labels}, solutions {solved}"
    assert exercises.count(":::{solution-end}") == len(solved)
    starts = re.findall(r"^:::\{solution-start\}[^\n]*\n:class: dropdown", exercises, re.M)
    assert len(starts) == len(solved), f"{chapter}: a solution is not hidden in a dropdown"

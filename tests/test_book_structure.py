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


# What a reader sees of the code: every code cell of every page in the table of contents
# (chapters and appendices) except those tagged remove-cell, which the HTML book leaves out.
PAGES = [path for path in re.findall(r"file:\s*(book/\S+)", TOC)]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
CODE_WIDTH = 88    # the code box of a 1280 px page shows about 90 columns


def visible_code_cells(text):
    """(line number of the first code line, code) of each cell of `text` the HTML book shows."""
    for m in CELL.finditer(text):
        body, line = m.group(1), text.count("\n", 0, m.start()) + 2
        if body.startswith("---\n"):                       # a YAML header
            end = body.index("\n---\n", 3) + 5
            header, code = body[:end], body[end:]
        else:                                              # short options, ":tags: [...]"
            lines = body.split("\n")
            n = next(i for i, l in enumerate(lines) if not l.startswith(":"))
            header, code = "\n".join(lines[:n]), "\n".join(lines[n:])
        if "remove-cell" not in header:
            yield line + header.count("\n"), code


def wide_lines(text):
    return [f"line {start + i}: {len(l)} columns" for start, code in visible_code_cells(text)
            for i, l in enumerate(code.split("\n")) if len(l) > CODE_WIDTH]


def shown_glue(text):
    """Gluing numbers into the prose is plumbing: it belongs in remove-cell cells."""
    return [f"line {start + i}: {l.strip()}" for start, code in visible_code_cells(text)
            for i, l in enumerate(code.split("\n")) if re.match(r"\s*(glue|glue_number)\(", l)]


def page_text(page):
    return (ROOT / f"{page}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_visible_code_fits_the_code_box(page):
    wide = wide_lines(page_text(page))
    assert not wide, f"{page}.md: code lines wider than the code box:\n" + "\n".join(wide)


@pytest.mark.parametrize("page", PAGES)
def test_glue_plumbing_is_hidden(page):
    shown = shown_glue(page_text(page))
    assert not shown, f"{page}.md: glue calls shown to readers:\n" + "\n".join(shown)


def test_the_code_checks_see_what_they_should():
    shown_cell = "```{code-cell} ipython3\n" + "x = 1  # " + "y" * 90 + "\nglue('k', x)\n```\n"
    header = "```{code-cell} ipython3\n---\ntags: [hide-input]\n---\n" + "z" * 89 + "\n```\n"
    removed = "```{code-cell} ipython3\n:tags: [remove-cell]\n\n" + "q" * 99 + "\nglue('a', 1)\n```\n"
    assert wide_lines(shown_cell) == ["line 2: 99 columns"]
    assert shown_glue(shown_cell) == ["line 3: glue('k', x)"]
    assert wide_lines(header) == ["line 5: 89 columns"]
    assert wide_lines(removed) == [] and shown_glue(removed) == []


# MyST reads a line starting with "%" as a comment and drops it: inside a paragraph that
# silently removes half a sentence (a percentage wrapped to the start of a line did this).
FENCE = re.compile(r"^(`{3,}|:{3,})")


def comment_lines_in_paragraphs(text):
    """Line numbers of "%" comment lines with prose directly above or below them."""
    lines, found, fence = text.split("\n"), [], None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m and fence is None and line.strip() != m.group(1):
            fence = m.group(1)
            continue
        if fence is not None:
            if line.strip() == fence:
                fence = None
            continue
        if line.startswith("%"):
            near = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if any(n.strip() and not n.startswith(("%", "(", "#", ":::", "```")) for n in near):
                found.append(i + 1)
    return found


@pytest.mark.parametrize("page", PAGES)
def test_no_comment_line_inside_a_paragraph(page):
    found = comment_lines_in_paragraphs(page_text(page))
    assert not found, f"{page}.md: a line starting with '%' inside a paragraph, lines {found}"


def test_the_comment_check_sees_a_cut_paragraph():
    prose = "Their losses differ by 3\n% — so a step did as well.\n\n% a real comment\n\nText.\n"
    assert comment_lines_in_paragraphs(prose) == [2]
    fenced = "```{code-cell} ipython3\nx = 1\n% not markdown\n```\n"
    assert comment_lines_in_paragraphs(fenced) == []

"""The trace of the source notes: every formula, claim and reference of the source notes
(`notes/`, copied unchanged from the project's shared `../shared/notes`),
with its status in the book and where the book checks it.

The data are `book/appendix/trace/note000.yml` ... `note004.yml`, one file per note:

    note: "000"                      # which note (the file name's prefix in notes/)
    file: 000_38ddebb2ccf0ae24.txt   # the note's file name
    lines: 622                       # the note's number of lines (checked)
    rows:
      - lines: [107, 107]            # first and last line of the note the row covers
        kind: formula                # formula | claim | algorithm | number | reference
        written: '\\mathbf{Z}^{(k)} = \\mathbf{Y}^{(k-1)} \\mathbf{B}^{(k)}'
        status: correct              # correct | erratum | notation | not-taught
        erratum: errata-bias-rows    # the errata label (status erratum only, required)
        where:                       # where the book teaches and checks it
          - mlp/forward#eq-forward-layer
        why: "..."                   # required for not-taught and notation; optional otherwise

`where` entries are `part/chapter#label`: the chapter's path under book/ (no suffix) and a
label defined in that chapter (a section target `(label)=`, an equation `$$ ... $$ (label)`,
or a directive's `:label:` / `:name:`). Rows with status correct or notation need at least one;
erratum rows point to the errata entry by `erratum` and may add chapters; not-taught rows
need `why`.

`check()` returns every problem found (an empty list when the trace is consistent): a missing
or unknown field, a line range outside the note, a label that no chapter defines, an erratum
row pointing to a label that is not an errata entry of `book/appendix/errata.md` (the labels
of its section "Conventions and positions the book does not follow" are not entries: notation
rows cite them in `where`, as `appendix/errata#errata-bias-rows`), and an errata entry that no
row points to. `tests/test_notes_trace.py` fails on any problem; the appendix page
`book/appendix/trace.md` renders the tables with `render_markdown()`.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
TRACE_DIR = BOOK / "appendix" / "trace"
NOTES_DIR = ROOT / "notes"
ERRATA = BOOK / "appendix" / "errata.md"

KINDS = ("formula", "claim", "algorithm", "number", "reference")
STATUSES = ("correct", "erratum", "notation", "not-taught")
FIELDS = {"lines", "kind", "written", "status", "erratum", "where", "why"}
# Labels of the errata page that are not entries.
ERRATA_NON_ENTRIES = {"errata", "errata-summary", "errata-rule", "errata-conventions"}
# The errata entries are the `errata-*` targets from the first "## Note" heading up to the
# first of these targets; the section after it ("Conventions and positions the book does not
# follow") holds labels of notation/positions, which `where` may cite but which are not entries.
ERRATA_ENTRIES_END = ("errata-conventions", "errata-summary")

_TARGET = re.compile(r"^\(([A-Za-z0-9_:.-]+)\)=\s*$")  # (label)= section/paragraph target
_EQUATION = re.compile(r"\$\$\s*\(([A-Za-z0-9_:.-]+)\)\s*$")  # $$ ... $$ (label)
_OPTION = re.compile(r"^\s*:?(label|name):\s*([A-Za-z0-9_:.-]+)\s*$")  # directive options
_DIRECTIVE = re.compile(r"^\s*(?:```+|:::+)\s*\{([A-Za-z0-9_:-]+)\}")


@lru_cache(maxsize=None)
def label_roles(path: Path) -> dict[str, str]:
    """Every label defined in one MyST source file, with the role that refers to it:
    'eq' for equations, 'prf:ref' for theorems/definitions, 'ref' for everything else."""
    found: dict[str, str] = {}
    directive = None
    for line in path.read_text("utf8").splitlines():
        start = _DIRECTIVE.match(line)
        if start:
            directive = start.group(1)
            continue
        if m := _TARGET.match(line):
            found[m.group(1)] = "ref"
        elif m := _EQUATION.search(line):
            found[m.group(1)] = "eq"
        elif (m := _OPTION.match(line)) and directive is not None:
            if directive == "math":
                found[m.group(2)] = "eq"
            elif directive.startswith("prf:"):
                found[m.group(2)] = "prf:ref"
            else:
                found[m.group(2)] = "ref"
    return found


@lru_cache(maxsize=None)
def safe_titles(path: Path) -> dict[str, bool]:
    """For each section target `(label)=` of a file: True if the heading it labels can be shown
    as a link text as it is (no math, no code: Sphinx prints a heading's source in a link)."""
    lines = path.read_text("utf8").splitlines()
    out: dict[str, bool] = {}
    for i, line in enumerate(lines):
        if m := _TARGET.match(line):
            following = next((l for l in lines[i + 1:i + 4] if l.strip() and not _TARGET.match(l)), "")
            out[m.group(1)] = following.startswith("#") and not any(c in following for c in "$`")
    return out


def labels_in(path: Path) -> set[str]:
    """Every label defined in one MyST source file."""
    return set(label_roles(path))


def errata_labels(path: Path = ERRATA) -> set[str]:
    """The labels of the errata entries: the `errata-*` targets of the notes' sections (from the
    first "## Note" heading to the conventions section), except the page's own labels."""
    found: set[str] = set()
    in_entries = False
    for line in path.read_text("utf8").splitlines():
        if line.startswith("## Note"):
            in_entries = True
        m = _TARGET.match(line)
        if m and m.group(1) in ERRATA_ENTRIES_END:
            in_entries = False
        elif m and in_entries and m.group(1).startswith("errata-"):
            found.add(m.group(1))
    return found - ERRATA_NON_ENTRIES


def load(trace_dir: Path = TRACE_DIR) -> list[dict]:
    """The trace, in note order: a list of {'note', 'file', 'lines', 'rows', 'path'}.

    A long note may be split over several files (`note002a.yml`, `note002b.yml`): files with
    the same `note` are joined in file-name order."""
    notes: dict[str, dict] = {}
    for path in sorted(trace_dir.glob("note*.yml")):
        data = yaml.safe_load(path.read_text("utf8"))
        note = str(data.get("note", ""))
        if note in notes:
            if data.get("file") != notes[note]["file"]:
                raise ValueError(f"{path.name}: note {note} is traced from two different files")
            notes[note]["rows"] = (notes[note]["rows"] or []) + (data.get("rows") or [])
        else:
            data["path"] = path
            notes[note] = data
    return [notes[k] for k in sorted(notes)]


def check(notes: list[dict] | None = None) -> list[str]:
    """Every inconsistency of the trace with the notes, the chapters and the errata."""
    notes = load() if notes is None else notes
    problems: list[str] = []
    label_cache: dict[str, set[str]] = {}
    entries = errata_labels()
    used_errata: set[str] = set()

    def chapter_labels(chapter: str) -> set[str] | None:
        if chapter not in label_cache:
            path = BOOK / f"{chapter}.md"
            label_cache[chapter] = labels_in(path) if path.exists() else None
        return label_cache[chapter]

    for data in notes:
        name = data["path"].name
        note_file = NOTES_DIR / str(data.get("file", ""))
        if not note_file.is_file():
            problems.append(f"{name}: note file {data.get('file')!r} not in {NOTES_DIR}")
            n_lines = None
        else:
            n_lines = len(note_file.read_text("utf8").splitlines())
            if data.get("lines") != n_lines:
                problems.append(
                    f"{name}: says the note has {data.get('lines')} lines, it has {n_lines}"
                )
        rows = data.get("rows") or []
        if not rows:
            problems.append(f"{name}: no rows")
        for i, row in enumerate(rows, start=1):
            where_row = f"{name} row {i} (lines {row.get('lines')})"
            extra = set(row) - FIELDS
            if extra:
                problems.append(f"{where_row}: unknown fields {sorted(extra)}")
            lines = row.get("lines")
            if (
                not isinstance(lines, list)
                or len(lines) != 2
                or not all(isinstance(v, int) for v in lines)
                or not 1 <= lines[0] <= lines[1]
                or (n_lines is not None and lines[1] > n_lines)
            ):
                problems.append(f"{where_row}: lines must be [first, last] within the note")
            if row.get("kind") not in KINDS:
                problems.append(f"{where_row}: kind {row.get('kind')!r} not in {KINDS}")
            if not str(row.get("written", "")).strip():
                problems.append(f"{where_row}: 'written' is empty")
            status = row.get("status")
            if status not in STATUSES:
                problems.append(f"{where_row}: status {status!r} not in {STATUSES}")
            where = row.get("where") or []
            if not isinstance(where, list):
                problems.append(f"{where_row}: 'where' must be a list")
                where = []
            for ref in where:
                chapter, sep, label = str(ref).partition("#")
                labels = chapter_labels(chapter)
                if not sep or not label:
                    problems.append(f"{where_row}: where {ref!r} is not 'part/chapter#label'")
                elif labels is None:
                    problems.append(f"{where_row}: no chapter book/{chapter}.md")
                elif label not in labels:
                    problems.append(f"{where_row}: label {label!r} not defined in {chapter}")
            if status == "erratum":
                label = row.get("erratum")
                if label not in entries:
                    problems.append(f"{where_row}: erratum {label!r} is not an errata entry")
                else:
                    used_errata.add(label)
            elif "erratum" in row:
                problems.append(f"{where_row}: 'erratum' given but status is {status!r}")
            for mention in _LABEL_LIKE.findall(str(row.get("why", ""))):
                if mention not in book_labels():
                    problems.append(f"{where_row}: 'why' mentions {mention!r}, which no page defines")
            if status in ("correct", "notation") and not where:
                problems.append(f"{where_row}: status {status} needs a 'where'")
            if status in ("not-taught", "notation") and not str(row.get("why", "")).strip():
                problems.append(f"{where_row}: status {status} needs a 'why'")
    for label in sorted(entries - used_errata):
        problems.append(f"errata entry {label!r} is referenced by no row of the trace")
    return problems


def counts(notes: list[dict] | None = None) -> dict[str, Counter]:
    """Per note, the number of rows of each status (and 'rows' in total)."""
    notes = load() if notes is None else notes
    out = {}
    for data in notes:
        c = Counter(row["status"] for row in data["rows"])
        c["rows"] = len(data["rows"])
        out[str(data["note"])] = c
    return out


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _written(text: str) -> str:
    """The note's own text, verbatim, as an inline code span long enough not to be closed by
    backticks inside it."""
    body = _one_line(text)
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


@lru_cache(maxsize=None)
def chapter_title(chapter: str) -> str:
    """A chapter's title (its first level-1 heading), without math or code markup."""
    for line in (BOOK / f"{chapter}.md").read_text("utf8").splitlines():
        if line.startswith("# "):
            return re.sub(r"[$`]", "", line[2:]).strip()
    return chapter.split("/")[-1].replace("_", " ")


@lru_cache(maxsize=None)
def book_labels() -> dict[str, str]:
    """Every label of the book's chapters and appendices, with the chapter that defines it."""
    found: dict[str, str] = {}
    for path in sorted(BOOK.rglob("*.md")):
        chapter = str(path.relative_to(BOOK).with_suffix(""))
        for label in label_roles(path):
            found.setdefault(label, chapter)
    return found


def _link(chapter: str, label: str) -> str:
    """A cross-reference to ``label`` in ``chapter`` whose text never shows raw markup: an
    equation by its number, a theorem by its name, an errata item by its kind, a section by
    its title, and anything else (a figure, a paragraph, a heading with math) by its chapter."""
    path = BOOK / f"{chapter}.md"
    role = label_roles(path).get(label, "ref")
    if role == "eq":
        return f"{{doc}}`/book/{chapter}` {{eq}}`{label}`"
    if role != "ref":
        return f"{{{role}}}`{label}`"
    if chapter == "appendix/errata" and label.startswith("errata-"):
        kind = "erratum" if label in errata_labels() else "convention"
        return f"{{ref}}`{kind} ({label.removeprefix('errata-').replace('-', ' ')}) <{label}>`"
    if safe_titles(path).get(label, False):
        return f"{{ref}}`{label}`"
    return f"{{ref}}`{chapter_title(chapter)} <{label}>`"


# Words of a `why` that look like labels (the book's label prefixes): each must exist.
_LABEL_LIKE = re.compile(r"(?<![\w-])((?:errata|eq|thm|def|fig|ex|rem|lem|cor|prop)-[a-z0-9]+(?:-[a-z0-9]+)*)(?![\w-])")

# In a row's `why`, a chapter path ("mlp/loss_layers"), a `chapter#label` or a bare label the
# book defines ("eq-bp-start", "errata-center-index") becomes a link; other words stay as
# they are.
_MENTION = re.compile(r"(?<![\w/#`-])([a-z]+/[a-z_0-9]+)?(#)?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)?(?![\w-])")


def _link_mentions(text: str) -> str:
    labels = book_labels()

    def replace(m: re.Match) -> str:
        chapter, hash_, label = m.group(1), m.group(2), m.group(3)
        if chapter and not (BOOK / f"{chapter}.md").exists():
            return m.group(0)
        if label and label in labels and (not chapter or labels[label] == chapter or
                                          label in label_roles(BOOK / f"{chapter}.md")):
            return _link(chapter if chapter and hash_ else labels[label], label)
        if chapter and not hash_ and not label:
            return f"{{doc}}`{chapter_title(chapter)} </book/{chapter}>`"
        return m.group(0)

    return _MENTION.sub(lambda m: replace(m) if m.group(0) else "", text)


def _where(row: dict) -> str:
    refs = []
    if row.get("status") == "erratum":
        refs.append(_link("appendix/errata", row["erratum"]))
    for ref in row.get("where") or []:
        chapter, _, label = ref.partition("#")
        refs.append(_link(chapter, label))
    text = ", ".join(refs)
    if row.get("why"):
        why = _link_mentions(_one_line(row["why"]))
        text = f"{text}. {why}" if text else why
    return text


def render_markdown(data: dict) -> str:
    """One note's rows as a MyST list, one item per row, in the note's order: the lines, the
    kind, the status (errata in bold), the note's text verbatim, then where the book teaches
    and checks it and, if given, why."""
    out = []
    for row in data["rows"]:
        a, b = row["lines"]
        lines = f"{a}" if a == b else f"{a}–{b}"
        status = row["status"].replace("-", " ")
        if status == "erratum":
            status = "**erratum**"
        out.append(f"- **{lines}** · {row['kind']} · {status}: {_written(row['written'])} → {_where(row)}")
    # The class lets _static/bpnet.css wrap the long verbatim quotations on narrow screens.
    return "\n".join([":::{div} trace-rows", *out, ":::"])


if __name__ == "__main__":
    import sys

    found = check()
    for p in found:
        print(p)
    for note, c in counts().items():
        print(note, dict(c))
    sys.exit(1 if found else 0)

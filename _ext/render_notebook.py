"""Render an executed BPNet chapter notebook for plain Jupyter (the book's .ipynb download).

A chapter is a MyST Markdown notebook; executed, its markdown cells still hold MyST markup
that plain Jupyter shows as source: ``{glue:text}`key``` instead of the number, ``{eq}`label```
instead of "(3.2)", ``:::{exercise}`` fences, ``(label)=`` targets. `render_notebook` returns a
copy of the notebook in which

- every glue role (``{glue:text}`key[:format]```, ``{glue}``, ``{glue:}``, ``{glue:md}``) is
  replaced by the value glued under that key in the executed notebook, formatted as myst-nb
  formats it on the page (a key the notebook does not define raises `UnknownGlueKeyError`);
- cross-reference roles (``{ref}``, ``{numref}``, ``{eq}``, ``{cite}``, ``{prf:ref}``,
  ``{py:func}``, ...) become the text a `Resolver` gives for them (on the book build: the text
  the page shows, see bpnet_downloads.py), as a link when the resolver gives a URL;
- a labelled display equation ``$$ ... $$ (label)`` gets its number as ``\\tag{...}``;
- the fences of exercises, solutions, proofs (sphinx-proof) and admonitions become a bold
  heading ("**Exercise 3.2**", "**Theorem 14.1** (title)"); ``(label)=`` targets and ``%``
  comment lines, which the page does not show, are dropped;
- a first markdown cell says what the notebook is, that it was executed when the book was
  built, how to run it, and that the remaining MyST markup shows as source.

Code cells and their outputs are left as executed, except the records that
``glue(..., display=False)`` leaves, which the page does not show either. Plain fenced code
blocks in markdown are never rewritten. Backtick-fenced directives are rendered only by the
resolver (the book build's renders ``{literalinclude}`` and ``{tableofcontents}``); others stay
as markup, which the first cell says.

Command line (without Sphinx, cross-references become their labels or explicit titles)::

    python _ext/render_notebook.py EXECUTED.ipynb OUT.ipynb [--glue-json FILE] [--title T]
"""

from __future__ import annotations

import argparse
import copy
import json
import posixpath
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import nbformat

__all__ = [
    "Reference",
    "Resolver",
    "PlainResolver",
    "UnknownGlueKeyError",
    "RenderError",
    "glue_from_outputs",
    "glue_from_json",
    "format_glue",
    "render_markdown",
    "render_notebook",
    "intro_cell_text",
    "escape_markdown",
]

GLUE_ROLES = {"glue", "glue:", "glue:text", "glue:md"}
ADMONITIONS = {
    "admonition", "note", "tip", "hint", "important", "warning", "caution", "attention",
    "danger", "error", "seealso",
}
# Markdown characters escaped in pasted text, so that it shows exactly as glued.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$|~])")
_ROLE_OR_CODE = re.compile(
    r"(?P<role>\{(?P<name>[A-Za-z0-9_+.\-]+(?::[A-Za-z0-9_+.\-]*)?)\}"
    r"(?P<rticks>`+)(?P<content>.+?)(?P=rticks)(?!`))"
    r"|(?P<code>(?P<cticks>`+).+?(?P=cticks)(?!`))",
    re.S,
)
_LABELLED_MATH = re.compile(r"\$\$(?P<body>(?:(?!\$\$).)+?)\$\$[ \t]*\((?P<label>[^()\s]+)\)", re.S)
_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_COLON_OPEN = re.compile(r"^(?P<colons>:{3,})\{(?P<name>[A-Za-z0-9_:+.\-]+)\}[ \t]*(?P<arg>.*)$")
_COLON_CLOSE = re.compile(r"^(?P<colons>:{3,})[ \t]*$")
_OPTION = re.compile(r"^:(?P<key>[A-Za-z0-9_\-]+):[ \t]*(?P<value>.*)$")
_TARGET = re.compile(r"^\([^()\s]+\)=[ \t]*$")
_COMMENT = re.compile(r"^%")


class RenderError(ValueError):
    """A notebook that cannot be rendered as it is (names the cell and the markup)."""


class UnknownGlueKeyError(RenderError):
    """A glue role names a key that the executed notebook does not define."""


@dataclass(frozen=True)
class Reference:
    """What a cross-reference role becomes: its text (markdown; the plain text if ``code``),
    optionally a link, optionally shown as code."""

    text: str
    url: str | None = None
    code: bool = False


class Resolver(Protocol):
    """Turns MyST roles and directives into text; each method returns None when it cannot."""

    def role(self, name: str, content: str) -> Reference | None:
        """A role ``{name}`content```, e.g. ("eq", "eq-chain") -> Reference("(2.1)")."""

    def equation_number(self, label: str) -> str | None:
        """The number shown for a labelled equation, e.g. "2.1"."""

    def label_title(self, directive: str, label: str) -> str | None:
        """The numbered title of a labelled directive, e.g. ("exercise", "ex-x") -> "Exercise 2.1"."""

    def directive(self, name: str, argument: str, options: dict[str, str], body: str) -> str | None:
        """Markdown for a backtick-fenced directive (e.g. literalinclude), or None to keep it."""


class PlainResolver:
    """Without the book's build: an explicit title if the role has one, else the target
    (equations in parentheses, citations in brackets, Python objects as code). Roles other than
    cross-references stay as markup."""

    ROLES = ("ref", "numref", "eq", "doc", "cite", "cite:p", "cite:t", "prf:ref")

    def role(self, name: str, content: str) -> Reference | None:
        if name not in self.ROLES and not name.startswith("py:"):
            return None
        m = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^<>]+)>", content, re.S)
        text = m.group("title") if m else content
        if name.startswith("py:"):
            return Reference(text.lstrip("~").rsplit(".", 1)[-1] if text.startswith("~") else text,
                             code=True)
        if name == "eq" and not m:
            return Reference(f"({escape_markdown(text)})")
        if name.startswith("cite") and not m:
            return Reference(f"\\[{escape_markdown(text)}\\]")
        return Reference(escape_markdown(text))

    def equation_number(self, label: str) -> str | None:
        return None

    def label_title(self, directive: str, label: str) -> str | None:
        return None

    def directive(self, name: str, argument: str, options: dict[str, str], body: str) -> str | None:
        return None


def glue_from_outputs(nb: Mapping) -> dict[str, dict[str, str]]:
    """Glued values of an executed notebook: {key: mime bundle}, from the outputs of
    ``myst_nb.glue`` (display data with ``scrapbook`` metadata; the mime prefix of
    ``display=False`` is stripped)."""
    glue: dict[str, dict[str, str]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            glue[meta["name"]] = {
                mime[len(prefix):]: _join(value)
                for mime, value in output.get("data", {}).items() if mime.startswith(prefix)
            }
    return glue


def glue_from_json(path: str | Path) -> dict[str, dict[str, str]]:
    """Glued values from the ``<page>.glue.json`` that myst-nb writes next to the executed
    notebook in ``_build/jupyter_execute`` (there the glue outputs are taken out of the cells)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise RenderError(f"glue file {path}: expected a JSON object of glued outputs, got {type(raw).__name__}")
    return {key: {m: _join(v) for m, v in output.get("data", {}).items()} for key, output in raw.items()}


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def format_glue(role: str, content: str, glue: Mapping[str, Mapping[str, str]], where: str = "") -> str:
    """The markdown that replaces the glue role ``{role}`content``` (content: ``key`` or
    ``key:format``); text is escaped so that Jupyter shows it exactly as the book does."""
    if "::" in content:
        raise RenderError(f"{where}{{{role}}}`{content}` pastes from another page; "
                          "render_notebook only pastes values glued in the same notebook")
    key, fmt = content, None
    if role == "glue:text" and ":" in content:
        key, fmt = content.rsplit(":", 1)
    if key not in glue:
        known = sorted(glue)
        shown = ", ".join(repr(k) for k in known[:8]) + (", ..." if len(known) > 8 else "")
        raise UnknownGlueKeyError(
            f"{where}{{{role}}}`{content}` names the glue key {key!r}, which the executed "
            f"notebook does not define (it glues {len(known)} keys: {shown or 'none'}); "
            "was the notebook executed, and is the key spelt as in the glue() call?")
    data = glue[key]
    if role == "glue:md" or (role in ("glue", "glue:") and "text/markdown" in data):
        if "text/markdown" not in data:
            raise RenderError(f"{where}{{{role}}}`{content}`: the value glued as {key!r} has no "
                              f"text/markdown (it has {sorted(data)})")
        return data["text/markdown"]
    if role in ("glue", "glue:") and "text/latex" in data:
        return data["text/latex"]
    if "text/plain" not in data:
        raise RenderError(f"{where}{{{role}}}`{content}`: the value glued as {key!r} has no "
                          f"text/plain (it has {sorted(data)})")
    return escape_markdown(_format_plain_text(data["text/plain"], fmt or "s"))


def escape_markdown(text: str) -> str:
    """Text with its markdown characters escaped, so that Jupyter shows it as it is."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _format_plain_text(text: str, fmt_spec: str) -> str:
    # myst-nb's own formatting, so that the notebook shows what the page shows.
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(text, fmt_spec)


class _State:
    """What spans markdown cells: the colon fences still open."""

    def __init__(self):
        self.fences: list[tuple[int, str | None]] = []   # (colons, closing markdown or None: kept)


def _reference_markdown(ref: Reference) -> str:
    text = f"`{ref.text}`" if ref.code else ref.text
    return f"[{text}]({ref.url})" if ref.url else text


def _render_inline(text: str, glue, resolver: Resolver, where: str) -> str:
    def role(m: re.Match) -> str:
        if m.group("code"):
            return m.group(0)
        name, content = m.group("name"), m.group("content")
        if name in GLUE_ROLES:
            return format_glue(name, content, glue, where)
        ref = resolver.role(name, content)
        return m.group(0) if ref is None else _reference_markdown(ref)

    def equation(m: re.Match) -> str:
        number = resolver.equation_number(m.group("label"))
        if number is None:
            return f"$${m.group('body')}$$"
        body = m.group("body")
        if "\n" in body:
            return f"$${body.rstrip()}\n\\tag{{{number}}}\n$$"
        return f"$${body.rstrip()} \\tag{{{number}}} $$"

    text = _ROLE_OR_CODE.sub(role, text)
    return _LABELLED_MATH.sub(equation, text)


def _heading(name: str, argument: str, options: dict[str, str], resolver: Resolver) -> tuple[str, str] | None:
    """(markdown for the opening of a colon-fenced directive, markdown for its closing), or
    None for a directive that stays as markup."""
    label = options.get("label", "")
    if name == "exercise" or (name.startswith("prf:") and name != "prf:proof"):
        kind = name.split(":")[-1].capitalize()
        title = (resolver.label_title(name, label) if label else None) or kind
        extra = f" ({argument})" if argument else ""
        return f"**{title}**{extra}", ""
    if name == "prf:proof":
        return "*Proof.*", ""
    if name == "solution-start":
        target = (resolver.label_title("exercise", argument) if argument else None) or "the exercise"
        return f"**Solution to {target}**", ""
    if name == "solution-end":
        return "*End of the solution.*", ""
    if name in ADMONITIONS:
        title = argument if name == "admonition" else name.capitalize() + (f": {argument}" if argument else "")
        return f"**{title}**", ""
    return None


def render_markdown(source: str, glue: Mapping[str, Mapping[str, str]], resolver: Resolver | None = None,
                    where: str = "", state: _State | None = None) -> str:
    """One markdown cell's MyST source rendered for plain Jupyter (see the module docstring)."""
    resolver = resolver or PlainResolver()
    state = state if state is not None else _State()
    lines = source.split("\n")
    out: list[str] = []
    text: list[str] = []

    def flush():
        if text:
            out.append(_render_inline("\n".join(text), glue, resolver, where))
            text.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE_OPEN.match(line)
        if m:
            fence = m.group("fence")
            j = i + 1
            close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            block = lines[i:j + 1]
            flush()
            info = m.group("info").strip()
            rendered = None
            dm = re.match(r"^\{(?P<name>[^}]+)\}[ \t]*(?P<arg>.*)$", info)
            if dm:
                options, k = {}, 1
                while k < len(block) - 1 and (om := _OPTION.match(block[k])):
                    options[om.group("key")] = om.group("value").strip()
                    k += 1
                body = "\n".join(block[k:-1] if j < len(lines) else block[k:])
                rendered = resolver.directive(dm.group("name"), dm.group("arg").strip(), options, body)
            out.append("\n".join(block) if rendered is None else rendered)
            i = j + 1
            continue
        m = _COLON_OPEN.match(line)
        if m:
            flush()
            options, k = {}, i + 1
            while k < len(lines) and (om := _OPTION.match(lines[k])):
                options[om.group("key")] = om.group("value").strip()
                k += 1
            arg = _render_inline(m.group("arg").strip(), glue, resolver, where) if m.group("arg").strip() else ""
            heading = _heading(m.group("name"), arg, options, resolver)
            if heading is None:
                state.fences.append((len(m.group("colons")), None))
                out.extend(lines[i:k])
            else:
                state.fences.append((len(m.group("colons")), heading[1]))
                out.append("\n" + heading[0] + "\n")
            i = k
            continue
        m = _COLON_CLOSE.match(line)
        if m and state.fences and len(m.group("colons")) >= state.fences[-1][0]:
            flush()
            _, closing = state.fences.pop()
            out.append(line if closing is None else closing)
            i += 1
            continue
        if _TARGET.match(line) or _COMMENT.match(line):
            i += 1
            continue
        text.append(line)
        i += 1
    flush()
    rendered = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", rendered).strip("\n")


def intro_cell_text(title: str, source_path: str, page_url: str | None = None) -> str:
    """The first markdown cell of a downloaded notebook (``title`` is markdown)."""
    folder = posixpath.dirname(source_path) or "."
    page = f"[the book's page]({page_url})" if page_url else "the book's page"
    return "\n".join([
        f"*{title}*, a page of *BPNet: backpropagation, derived and "
        f"implemented*, as a Jupyter notebook (source: `{source_path}`). It was **executed when "
        "the book was built**: the outputs are from that run, and so are the numbers, equation "
        "numbers, cross-references and citations filled into the text.",
        "",
        "To run it you need the book's library `bpnet_lib`: in a clone of the BPNet repository, "
        "`make lab` installs the environment the book is built with and opens Jupyter Lab; or run "
        "`pip install -e '.[all]' myst-nb` at the repository's root (`pip install -e .` alone "
        f"installs `bpnet_lib` with NumPy only). Start the notebook in `{folder}/`, where the book "
        "executes it.",
        "",
        "MyST markup that this copy does not render shows as source; "
        f"{page} shows it typeset.",
    ])


def render_notebook(nb, glue: Mapping[str, Mapping[str, str]] | None = None, resolver: Resolver | None = None,
                    title: str = "", source_path: str = "", page_url: str | None = None):
    """A rendered copy of the executed notebook ``nb`` (an nbformat NotebookNode, or a dict);
    ``glue`` defaults to the values glued in its outputs. The copy validates with nbformat."""
    if not isinstance(nb, Mapping) or "cells" not in nb:
        raise TypeError(f"nb: expected a notebook (nbformat NotebookNode or dict with 'cells'), got {type(nb).__name__}")
    nb = nbformat.from_dict(copy.deepcopy(dict(nb)))
    if nb.get("nbformat") != 4:
        raise RenderError(f"nb: expected an nbformat 4 notebook, got nbformat {nb.get('nbformat')!r}")
    glue = glue_from_outputs(nb) if glue is None else glue
    resolver = resolver or PlainResolver()
    state = _State()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            # glue(..., display=False) leaves a record that the page does not show and that
            # Jupyter would show as "no renderer for application/papermill.record/..."
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not o.get("metadata", {}).get("scrapbook", {}).get("mime_prefix")]
        if cell.cell_type == "markdown":
            cell.source = render_markdown(cell.source, glue, resolver, where=f"markdown cell {index}: ", state=state)
    if state.fences:
        raise RenderError(f"a colon fence (:::) opened in a markdown cell is never closed ({len(state.fences)} open)")
    nb.metadata.pop("jupytext", None)      # or jupytext would pair the download with a .md file
    nb.metadata.pop("source_map", None)    # myst-nb's line map of the .md source
    if nb.get("nbformat_minor", 0) < 5:
        nb.nbformat_minor = 5
    intro = nbformat.v4.new_markdown_cell(
        intro_cell_text(title or escape_markdown(source_path) or "A chapter", source_path or "unknown", page_url))
    intro.id = "bpnet-download-intro"
    nb.cells.insert(0, intro)
    for index, cell in enumerate(nb.cells):
        if "id" not in cell:
            cell.id = f"cell-{index}"
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path, help="executed notebook (.ipynb)")
    parser.add_argument("output", type=Path, help="rendered notebook to write (.ipynb)")
    parser.add_argument("--glue-json", type=Path, help="myst-nb's <page>.glue.json (default: the glue outputs of the notebook)")
    parser.add_argument("--title", default="", help="title for the first cell")
    parser.add_argument("--source", default="", help="path of the chapter's .md source, for the first cell")
    args = parser.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)
    glue = glue_from_json(args.glue_json) if args.glue_json else None
    rendered = render_notebook(nb, glue, title=args.title, source_path=args.source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(rendered, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

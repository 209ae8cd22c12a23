"""Check the built HTML book for source that leaked into the page instead of rendering.

Run after ``jupyter-book build`` (``make test`` does): ``python tests/check_built_pages.py
_build/html``. A math span whose closing ``$`` was swallowed (for instance when a wrapped line
starts with ``1)`` or ``+`` and Markdown reads it as a list item), an unresolved role such as
``{ref}`` or a stray ``:::`` fence all leave their delimiters in the page's text, where a
reader sees them. MathJax reads its input from the text too, so a leftover ``\\(`` also shifts
every later formula on the page. This script strips what legitimately holds such characters
(code, math spans, scripts) and fails if any delimiter remains in the prose.
"""

from __future__ import annotations

import pathlib
import re
import sys

from bs4 import BeautifulSoup

# What a rendered page's prose never contains.
LEAKS = {
    "inline math delimiter": re.compile(r"\\\(|\\\)|\\\[|\\\]"),
    "dollar sign": re.compile(r"\$"),
    "LaTeX command": re.compile(r"\\(?:mathrm|mathbf|frac|sqrt|approx|operatorname|lVert|big)\b"),
    "MyST role": re.compile(r"\{(?:ref|eq|numref|prf:ref|glue:text|glue|cite|cite:t|py:func|py:class|py:meth|doc)\}`"),
    "MyST fence": re.compile(r"^:::", re.M),
}
SKIP_TAGS = ["script", "style", "pre", "code", "kbd", "samp", "math", "svg", "nav", "header", "footer"]


def prose_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main") or soup
    for tag in main.find_all(SKIP_TAGS):
        tag.decompose()
    for tag in main.find_all(class_=["math", "highlight", "cell_output", "output", "docutils literal", "sig"]):
        tag.decompose()
    return main.get_text(" ")


EQ_LABEL = re.compile(r"\beq-[a-z0-9]+(?:-[a-zA-Z0-9]+)*\b")


def code_label_leaks(pages: list[pathlib.Path], root: pathlib.Path) -> list[str]:
    """Equation labels shown in code blocks: tools/sphinx_code_eqrefs.py turns them into numbers."""
    htmls = {page: page.read_text(encoding="utf-8") for page in pages}
    labels = {m for html in htmls.values() for m in re.findall(r'id="equation-([^"]+)"', html)}
    problems = []
    for page, html in htmls.items():
        soup = BeautifulSoup(html, "html.parser")
        for pre in soup.find_all("pre"):
            for m in EQ_LABEL.finditer(pre.get_text()):
                if m.group(0).lower() in labels:    # HTML ids are the labels in lower case
                    problems.append(f"{page.relative_to(root)}: equation label {m.group(0)} in code")
    return problems


def check(root: pathlib.Path) -> list[str]:
    problems = []
    pages = sorted(p for p in (root / "book").rglob("*.html"))
    if not pages:
        return [f"{root}: no pages under book/ (was the book built?)"]
    problems += code_label_leaks(pages, root)
    for page in pages:
        text = prose_text(page.read_text(encoding="utf-8"))
        hits = sorted((m.start(), m.end(), what) for what, pattern in LEAKS.items()
                      for m in pattern.finditer(text))
        last_end = -1
        for start, end, what in hits:  # one report per stretch of leaked source
            if start <= last_end + 80:
                last_end = max(last_end, end)
                continue
            last_end = end
            context = " ".join(text[max(0, start - 60):end + 60].split())
            problems.append(f"{page.relative_to(root)}: {what}: ...{context}...")
    return problems


def main(argv: list[str]) -> int:
    root = pathlib.Path(argv[1] if len(argv) > 1 else "_build/html")
    problems = check(root)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} place(s) where source leaked into the rendered pages")
        return 1
    print(f"check_built_pages: no leaked math, roles or fences in {root}/book")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

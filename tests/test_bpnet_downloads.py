"""_ext/bpnet_downloads.py: a small Sphinx project built with the book's theme and extension.

One page is an executed notebook (glue, an equation, a reference, an exercise), one is plain
Markdown; the build runs with warnings as errors and without executing anything.
"""

import io
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

EXT = Path(__file__).resolve().parents[1] / "_ext"
sys.path.insert(0, str(EXT))


def executed_notebook():
    code = nbformat.v4.new_code_cell('from myst_nb import glue\nglue("n", "1,234", display=False)\nprint(6 * 7)',
                                     execution_count=1)
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "'1,234'"},
                               metadata={"scrapbook": {"name": "n", "mime_prefix": "application/papermill.record/"}}),
        nbformat.v4.new_output("stream", name="stdout", text="42\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("(chap)=\n# A chapter\n\nIt has {glue:text}`n` weights.\n\n"
                                      "$$\ny = 2x\n$$ (eq-double)\n\nBy {eq}`eq-double`; see {ref}`plain`."),
        code,
        nbformat.v4.new_markdown_cell(":::{exercise}\n:label: ex-a\n\nDouble {glue:text}`n`.\n:::"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def make_project(src):
    (src / "conf.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(EXT)!r})
        extensions = ["myst_nb", "sphinx_thebe", "sphinx_exercise", "sphinx_book_theme", "bpnet_downloads"]
        html_theme = "sphinx_book_theme"
        nb_execution_mode = "off"
        myst_enable_extensions = ["dollarmath", "colon_fence"]
        numfig = True
        math_numfig = True
        math_eqref_format = "({{number}})"
        html_sourcelink_suffix = ""
        root_doc = "index"
    """))
    (src / "index.md").write_text("# Book\n\n```{toctree}\n:numbered:\nchapter\nplain\n```\n")
    nbformat.write(executed_notebook(), src / "chapter.ipynb")
    (src / "plain.md").write_text("(plain)=\n# A plain page\n\nNo code here; see {ref}`ex-a`.\n")
    return src


def build(src, builder):
    out = src / "_build" / builder
    warnings = io.StringIO()
    with patch_docutils(str(src)), docutils_namespace():   # as sphinx-build does, one app each
        app = Sphinx(str(src), str(src), str(out), str(src / "_build" / f"doctrees-{builder}"), builder,
                     status=io.StringIO(), warning=warnings, warningiserror=True)
        app.build()
    return out, warnings.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(make_project(tmp_path_factory.mktemp("html")), "html")


def test_notebook_page_offers_the_rendered_notebook_by_a_relative_link(built):
    out, warnings = built
    assert warnings == ""
    page = (out / "chapter.html").read_text()
    links = re.findall(r'<a href="([^"]+)"[^>]*\n?\s*class="btn btn-sm btn-download-notebook-button', page)
    assert links == ["_notebooks/chapter.ipynb"]
    nb = nbformat.read(out / "_notebooks" / "chapter.ipynb", as_version=4)
    nbformat.validate(nb)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert "executed when the book was built" in md[0]
    # the numbers the page shows
    (eqno,) = re.findall(r'class="eqno">\(([0-9.]+)\)', page)
    (exercise,) = re.findall(r'class="caption-number">(Exercise [0-9.]+)', page)
    assert (eqno, exercise) == ("1.1", "Exercise 1.1")
    assert md[1] == ("# A chapter\n\nIt has 1,234 weights.\n\n"
                     f"$$\ny = 2x\n\\tag{{{eqno}}}\n$$\n\nBy ({eqno}); see A plain page.")
    assert md[2] == f"**{exercise}**\n\nDouble 1,234."
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [o.output_type for o in code[0].outputs] == ["stream"]


def test_plain_page_has_no_notebook_entry(built):
    out, _ = built
    page = (out / "plain.html").read_text()
    assert "download-source-button" in page
    assert "download-notebook-button" not in page
    assert not (out / "_notebooks" / "plain.ipynb").exists()


def test_thebe_is_unloaded(built):
    out, _ = built
    for name in ("chapter.html", "plain.html"):
        page = (out / name).read_text()
        assert "thebe" not in page.lower()


def test_latex_reference_to_an_exercise_on_another_page_is_a_link_with_its_number(tmp_path):
    # a fresh copy: a second build of the same notebook in one process finds no glue data
    out, warnings = build(make_project(tmp_path), "latex")
    assert warnings == ""
    (tex,) = out.glob("*.tex")
    text = tex.read_text()
    assert r"\label{exercise:ex-a}" in text          # sphinx-exercise's label on the exercise
    # the reference from plain.md: sphinx-exercise's link with the number, no \ref to nowhere
    assert re.findall(r"\\hyperref\[exercise:ex-a\]\{(Exercise [0-9.]+)\}", text) == ["Exercise 1.1"]
    assert "ex-a}}" not in text.replace(r"\label{exercise:ex-a}", "")

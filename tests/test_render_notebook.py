"""_ext/render_notebook.py: the executed notebooks offered for download, rendered for Jupyter."""

import copy
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from myst_nb.ext.glue import extract_glue_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import render_notebook as rn  # noqa: E402


def glue_output(key, value_repr, display=False):
    """A code-cell output exactly as myst_nb.glue(key, value, display=...) leaves it."""
    prefix = "" if display else "application/papermill.record/"
    return nbformat.v4.new_output(
        "display_data",
        data={prefix + "text/plain": value_repr},
        metadata={"scrapbook": {"name": key, "mime_prefix": prefix}},
    )


def make_notebook(*markdown, glued=None, shown=None):
    glued = glued if glued is not None else {"n_params": "'669,706'", "pi": "3.141592653589793",
                                             "phrase": "'a_b *c* $d$'"}
    code = nbformat.v4.new_code_cell('glue("n_params", f"{n:,}", display=False)', execution_count=1)
    code.outputs = [glue_output(k, v) for k, v in glued.items()]
    code.outputs += [glue_output(k, v, display=True) for k, v in (shown or {}).items()]
    code.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="669706\n"))
    nb = nbformat.v4.new_notebook(cells=[code] + [nbformat.v4.new_markdown_cell(m) for m in markdown])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["jupytext"] = {"formats": "md:myst"}
    return nb


def unescape(markdown):
    return re.sub(r"\\(.)", r"\1", markdown)


class StubResolver(rn.PlainResolver):
    """Stands in for the book build's Sphinx resolver."""

    def role(self, name, content):
        table = {("eq", "eq-chain"): rn.Reference("(2.1)"),
                 ("ref", "learning"): rn.Reference("Learning as optimisation", url="https://x.org/b/learning.html#learning"),
                 ("cite", "rumelhart1986"): rn.Reference("Rumelhart \\[1986\\]")}
        return table.get((name, content), super().role(name, content))

    def equation_number(self, label):
        return {"eq-chain": "2.1"}.get(label)

    def label_title(self, directive, label):
        return {"ex-one": "Exercise 2.1", "thm-psi": "Theorem 14.1"}.get(label)


def test_glue_from_outputs_agrees_with_myst_nb():
    nb = make_notebook()
    ours = rn.glue_from_outputs(nb)
    theirs = extract_glue_data(copy.deepcopy(nb), [0, 1], None)
    assert ours == {key: dict(out["data"]) for key, out in theirs.items()}
    assert ours["n_params"] == {"text/plain": "'669,706'"}


def test_glue_text_roles_become_the_exact_glued_text():
    nb = make_notebook("It has {glue:text}`n_params` parameters; pi is {glue:text}`pi:.2f`, "
                       "{glue}`n_params` and {glue:}`n_params`.")
    out = rn.render_notebook(nb)
    md = out.cells[2].source
    assert md == "It has 669,706 parameters; pi is 3.14, 669,706 and 669,706."
    assert "glue" not in md


def test_glued_text_with_markdown_characters_is_escaped_to_show_exactly():
    out = rn.render_notebook(make_notebook("The phrase: {glue:text}`phrase`."))
    md = out.cells[2].source
    assert md == r"The phrase: a\_b \*c\* \$d\$."
    assert unescape(md) == "The phrase: a_b *c* $d$."


def test_glue_json_of_myst_nb_gives_the_same_values(tmp_path):
    nb = make_notebook()
    theirs = extract_glue_data(copy.deepcopy(nb), [0, 1], None)
    path = tmp_path / "page.glue.json"
    path.write_text(json.dumps({k: dict(v) for k, v in theirs.items()}))
    assert rn.glue_from_json(path) == rn.glue_from_outputs(nb)


def test_unknown_glue_key_raises_naming_key_and_cell():
    nb = make_notebook("fine", "Bad: {glue:text}`n_param`.")
    with pytest.raises(rn.UnknownGlueKeyError, match=r"markdown cell 2: .*'n_param'.*does not define.*3 keys.*'n_params'"):
        rn.render_notebook(nb)
    assert issubclass(rn.UnknownGlueKeyError, ValueError)


def test_glue_from_another_page_raises():
    with pytest.raises(rn.RenderError, match="another page"):
        rn.render_notebook(make_notebook("{glue:text}`other.md::n_params`"))


def test_rendered_notebook_round_trips_through_nbformat_validation():
    nb = make_notebook("(sec-a)=\n# Title\n\n{glue:text}`n_params` and {eq}`eq-chain`")
    before = copy.deepcopy(nb)
    out = rn.render_notebook(nb)
    text = nbformat.writes(out)
    again = nbformat.reads(text, as_version=4)
    nbformat.validate(again)
    assert nb == before                                  # the input is not modified
    assert again.cells[0].id == "bpnet-download-intro"
    assert "executed when the book was built" in again.cells[0].source
    assert "pip install -e" in again.cells[0].source and "make lab" in again.cells[0].source
    assert "jupytext" not in again.metadata              # no pairing with a .md file on save
    assert again.metadata.kernelspec.name == "python3"
    code, executed = again.cells[1], nb.cells[0]
    assert code.source == executed.source and code.execution_count == executed.execution_count
    # outputs as executed, without the records of glue(..., display=False) (not shown anywhere)
    assert code.outputs == [executed.outputs[-1]] and code.outputs[0].text == "669706\n"
    assert again.cells[2].source == "# Title\n\n669,706 and (eq-chain)"


def test_code_fences_and_code_spans_are_not_rewritten():
    md = ("Use `{glue:text}` like `{glue:text}`n_params`` in text:\n\n"
          "```python\nprint('{glue:text}`nope`')\n% not a comment\n```\n\nafter {glue:text}`n_params`")
    out = rn.render_notebook(make_notebook(md)).cells[2].source
    assert out.startswith("Use `{glue:text}` like `{glue:text}`n_params`` in text:")
    assert "```python\nprint('{glue:text}`nope`')\n% not a comment\n```" in out
    assert out.endswith("after 669,706")


def test_cross_references_use_the_resolver_and_links_only_with_a_url():
    md = ("See {ref}`learning`, {eq}`eq-chain`, {cite}`rumelhart1986`, "
          "{ref}`the errata <errata-x>` and {py:func}`~bpnet_lib.gradcheck.numerical_gradient`.")
    out = rn.render_notebook(make_notebook(md), resolver=StubResolver()).cells[2].source
    assert out == ("See [Learning as optimisation](https://x.org/b/learning.html#learning), (2.1), "
                   "Rumelhart \\[1986\\], the errata and `numerical_gradient`.")


def test_labelled_equations_get_their_number_as_a_tag():
    md = "$$\na = b\n$$ (eq-chain)\n\nand $$c$$ (eq-chain) and $$d$$ (eq-unknown)"
    out = rn.render_notebook(make_notebook(md), resolver=StubResolver()).cells[2].source
    assert out == "$$\na = b\n\\tag{2.1}\n$$\n\nand $$c \\tag{2.1} $$ and $$d$$"


def test_directive_fences_become_headings_across_cells():
    cells = [
        ":::{exercise}\n:label: ex-one\n\nShow {glue:text}`n_params`.\n:::",
        ":::{solution-start} ex-one\n:class: dropdown\n:::\n\nBy hand.",
        ":::{solution-end}\n:::",
        "::::{prf:theorem} Margin\n:label: thm-psi\n\n$\\psi$ decreases.\n:::{prf:proof}\nEasy.\n:::\n::::",
        ":::{admonition} An aside\n:class: dropdown\nText\n:::\n\n:::{figure-md} keep\nraw\n:::",
        "% a MyST comment\nvisible",
    ]
    out = rn.render_notebook(make_notebook(*cells), resolver=StubResolver())
    got = [c.source for c in out.cells[2:]]
    assert got == [
        "**Exercise 2.1**\n\nShow 669,706.",
        "**Solution to Exercise 2.1**\n\nBy hand.",
        "*End of the solution.*",
        "**Theorem 14.1** (Margin)\n\n$\\psi$ decreases.\n\n*Proof.*\n\nEasy.",
        "**An aside**\n\nText\n\n:::{figure-md} keep\nraw\n:::",
        "visible",
    ]


def test_unclosed_colon_fence_raises():
    with pytest.raises(rn.RenderError, match="never closed"):
        rn.render_notebook(make_notebook(":::{exercise}\n:label: ex-one\ntext"))


def test_plain_resolver_keeps_unknown_roles_as_markup():
    out = rn.render_notebook(make_notebook("{sub}`2` and {ref}`x <y>`")).cells[2].source
    assert out == "{sub}`2` and x"


def test_not_a_notebook_raises_type_error():
    with pytest.raises(TypeError, match="nb: expected a notebook"):
        rn.render_notebook(["cells"])


def test_command_line(tmp_path):
    src, dst = tmp_path / "in.ipynb", tmp_path / "out" / "x.ipynb"
    nbformat.write(make_notebook("{glue:text}`n_params`"), src)
    assert rn.main([str(src), str(dst), "--title", "T", "--source", "book/mlp/x.md"]) == 0
    out = nbformat.read(dst, as_version=4)
    nbformat.validate(out)
    assert out.cells[2].source == "669,706"
    assert "`book/mlp/`" in out.cells[0].source


def test_displayed_glue_outputs_are_kept():
    out = rn.render_notebook(make_notebook("{glue:text}`shown_key`", shown={"shown_key": "42"}))
    kept = [o for o in out.cells[1].outputs if o.output_type == "display_data"]
    assert [o.data for o in kept] == [{"text/plain": "42"}]
    assert out.cells[2].source == "42"

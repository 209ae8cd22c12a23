"""Sphinx extension: equation labels in the book's code show as equation numbers.

The chapters' code cells name the equation a line implements or checks by its label, e.g.
``# eq-bp-layer-dX`` or ``symbolic.assert_equal(a, b, "eq-bp-layer-dX")``, so that the source
stays right when equations are renumbered. A reader of the HTML book sees numbers: in every
code block and cell output of the built pages, a known equation label becomes its number as
the page prints it, e.g. ``(4.3)``. Only labels of numbered equations are replaced; any other
text is left alone. The executed notebooks keep the labels.

The same holds for the toggle text of a folded code cell (myst-nb's ``code_prompt_show`` and
``code_prompt_hide``, e.g. "SymPy: eq-bp-layer-dX on an instance"). There a label that is not
a numbered equation is an error: the build warns, and ``-W`` stops it.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

LABEL = re.compile(r"\beq-[a-z0-9]+(?:-[a-zA-Z0-9]+)*\b")


def equation_numbers(app) -> dict[str, str]:
    """label -> "(n.m)" for every numbered display equation of the book."""
    env = app.env
    numbers = {}
    for label, (docname, _) in env.get_domain("math").equations.items():
        by_id = env.toc_fignumbers.get(docname, {}).get("displaymath", {})
        # the node id is the label normalised by docutils (lower case), or the label itself
        number = by_id.get(nodes.make_id(f"equation-{label}")) or by_id.get(f"equation-{label}")
        if number:
            numbers[label] = "(" + ".".join(map(str, number)) + ")"
    return numbers


def replace_labels(app, doctree, docname):
    numbers = getattr(app, "_bpnet_eq_numbers", None)
    if numbers is None:
        numbers = app._bpnet_eq_numbers = equation_numbers(app)
    for block in doctree.findall(nodes.literal_block):
        text = block.astext()
        new = LABEL.sub(lambda m: numbers.get(m.group(0), m.group(0)), text)
        if new != text:
            # rawsource must equal the text, or the HTML writer skips syntax highlighting
            block.rawsource = new
            block.children = [nodes.Text(new)]
    # The toggles of folded cells (myst-nb's HideCodeCellNode, made by a post-transform,
    # which runs before this event) keep their texts as attributes.
    for toggle in doctree.findall(lambda n: type(n).__name__ == "HideCodeCellNode"):
        for key in ("prompt_show", "prompt_hide"):
            new = LABEL.sub(lambda m: numbers.get(m.group(0), m.group(0)), toggle[key])
            for unknown in LABEL.findall(new):
                logger.warning("toggle text names %s, which is no numbered equation", unknown,
                               location=toggle.parent)
            toggle[key] = new


def setup(app):
    app.connect("doctree-resolved", replace_labels)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

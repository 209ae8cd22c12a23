"""BPNet's local Sphinx extension: the executed notebook of each page, in its download menu.

For every page that is a notebook (a chapter, the errata, the trace pages), when the page is
written this extension takes the notebook that myst-nb executed for it (with the outputs the
page shows, see `executed_notebook`), renders it for plain Jupyter with render_notebook.py, writes it to ``_notebooks/<page>.ipynb`` in the HTML output and puts an
".ipynb" entry, linked relative to the page, first in the page's download menu, which
sphinx-book-theme has built by then (``context["header_buttons"]``, at priority 501; this
handler runs at 502). Pages that are not notebooks get no entry.

Cross-references in the notebook's text are resolved by the same Sphinx domains that resolve
them on the page, so the notebook reads "(14.1)", "Theorem 14.1", "Exercise 14.2" and the
author-year citation the page shows. They become links only if ``html.baseurl`` is set in
_config.yml (the notebook is opened outside the site, where a relative link leads nowhere).

A notebook that cannot be rendered (a glue key the executed notebook does not define, an
unclosed fence) is reported as a warning, which `make book` (-W) turns into an error.

For `make pdf` it mends cross-page references to exercises (see
`CrossPageExerciseReferences`).

It also unloads sphinx-thebe, which Jupyter Book 1.x always loads: without launch buttons it
only added, to every page, a Binder configuration for a placeholder repository
(binder-examples/jupyter-stacks-datascience), a thebe URL on a CDN and two unused assets.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import urljoin

import nbformat
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader
from sphinx.domains.math import MathReferenceRole
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.nodes import split_explicit_title

from render_notebook import Reference, RenderError, escape_markdown, glue_from_json, render_notebook

logger = logging.getLogger(__name__)

# Roles without a domain prefix, and the domain role they stand for.
_BARE_ROLES = {"eq": ("math", "eq"), "cite": ("cite", "p")}


def _markdown_of(node: nodes.Node, code: bool) -> str:
    """The text of a resolved reference as markdown: inline math as $...$ (section titles of the
    errata contain formulas), the rest escaped; inside code spans, the plain text."""
    if code:
        return node.astext()
    if isinstance(node, nodes.math):
        return f"${node.astext()}$"
    if isinstance(node, nodes.Text):
        return escape_markdown(node.astext())
    return "".join(_markdown_of(child, code) for child in node.children)


class SphinxResolver:
    """Resolves MyST roles in a page's notebook as Sphinx resolves them on the page."""

    def __init__(self, app: Sphinx, docname: str):
        self.app, self.env, self.builder, self.docname = app, app.env, app.builder, docname
        base = (app.config.html_baseurl or "").strip()
        self.page_url = urljoin(base.rstrip("/") + "/", self.builder.get_target_uri(docname)) if base else None

    def _resolve(self, name: str, content: str):
        if ":" in name:
            domain_name, typ = name.split(":", 1)
        else:
            domain_name, typ = _BARE_ROLES.get(name, ("std", name))
        try:
            domain = self.env.get_domain(domain_name)
        except ExtensionError:
            return None
        role = domain.roles.get(typ)
        if role is None and (domain_name, typ) == ("math", "eq"):
            role = MathReferenceRole(warn_dangling=True)    # Sphinx registers {eq} outside the domain
        if role is None or not hasattr(role, "process_link"):
            return None
        explicit, title, target = split_explicit_title(content)
        if getattr(role, "lowercase", False):
            target = target.lower()
        if getattr(role, "fix_parens", False):
            if not explicit:
                title = title.removesuffix("()") + ("()" if self.env.config.add_function_parentheses else "")
            target = target.removesuffix("()")
        refnode = addnodes.pending_xref(content, refdoc=self.docname, refdomain=domain_name, reftype=typ,
                                        refexplicit=explicit, refwarn=False)
        title, target = role.process_link(self.env, refnode, explicit, title, target)
        refnode["reftarget"] = target
        contnode = role.innernodeclass(content, title)
        refnode += contnode
        result = domain.resolve_xref(self.env, self.docname, self.builder, typ, target, refnode, contnode)
        if result is None:
            return None, title, issubclass(role.innernodeclass, nodes.literal)
        return result, title, any(True for _ in result.findall(nodes.literal))

    def role(self, name: str, content: str) -> Reference | None:
        resolved = self._resolve(name, content)
        if resolved is None:
            return None
        result, title, code = resolved
        if result is None:
            # Unresolved on the page too (Sphinx reports it there, or it is nitpick-ignored,
            # like a NumPy type in a py role): the page shows the title, so does the notebook.
            return Reference(title if code else escape_markdown(title), code=code)
        url = None
        if self.page_url:
            for ref in result.findall(nodes.reference):
                uri = ref.get("refuri") or ("#" + ref["refid"] if ref.get("refid") else None)
                if uri:
                    url = urljoin(self.page_url, uri)
                    break
        return Reference(_markdown_of(result, code), url=url, code=code)

    def equation_number(self, label: str) -> str | None:
        ref = self.role("eq", label)
        if ref is None:
            return None
        prefix, _, suffix = self.env.config.math_eqref_format.partition("{number}")
        text = ref.text
        if text.startswith(prefix) and text.endswith(suffix) and len(text) > len(prefix) + len(suffix):
            return text[len(prefix):len(text) - len(suffix)]
        return None

    def label_title(self, directive: str, label: str) -> str | None:
        # sphinx-proof numbers its directives in the prf domain; sphinx-exercise's exercises
        # are enumerable nodes, numbered like figures (numref).
        role = "prf:ref" if directive.startswith("prf:") else "numref"
        ref = self.role(role, label)
        return None if ref is None or ref.text == label else ref.text

    def directive(self, name: str, argument: str, options: dict[str, str], body: str) -> str | None:
        if name == "literalinclude":
            typed = {}
            for key, value in options.items():
                convert = LiteralInclude.option_spec.get(key)
                if convert is None:
                    raise RenderError(f"{{literalinclude}} {argument}: option :{key}: is not a literalinclude option")
                typed[key] = convert(value if value else None)
            _, filename = self.env.relfn2path(argument, self.docname)
            try:
                text, _ = LiteralIncludeReader(filename, typed, self.env.config).read()
            except (OSError, ValueError) as exc:
                raise RenderError(f"{{literalinclude}} {argument}: {exc}") from exc
            language = typed.get("language", "python")
            return f"```{language}\n{text.rstrip()}\n```"
        if name == "tableofcontents":
            children = self.env.toctree_includes.get(self.docname, [])
            if not children:
                return None
            lines = []
            for child in children:
                title = _markdown_of(self.env.titles[child], False)
                if self.page_url:
                    title = f"[{title}]({urljoin(self.page_url, self.builder.get_relative_uri(self.docname, child))})"
                lines.append(f"- {title}")
            return "\n".join(lines)
        return None


def _warn(pagename: str, message: str) -> None:
    logger.warning(f"the .ipynb download of {pagename}: {message}", location=pagename,
                   type="bpnet", subtype="download")


def executed_notebook(app: Sphinx, pagename: str):
    """The notebook of the page with the outputs the page shows, or None (after a warning).

    myst-nb writes the page's notebook to _build/jupyter_execute/<page>.ipynb, but when it takes
    the outputs from the execution cache (`execute_notebooks: cache`, a cache hit: every page
    of `make book`) it writes the notebook *without* them (myst-nb 1.4: the cached outputs are
    merged into a copy). They are merged here from the same cache, as myst-nb merges them.
    """
    config = app.env.mystnb_config
    path = Path(config.output_folder) / f"{pagename}.ipynb"
    if not path.is_file():
        _warn(pagename, f"myst-nb wrote no notebook {path}")
        return None
    nb = nbformat.read(path, as_version=4)
    if config.execution_mode == "cache":
        from jupyter_cache import get_cache

        try:
            _, nb = get_cache(config.execution_cache_path or ".jupyter_cache").merge_match_into_notebook(nb)
        except KeyError:
            _warn(pagename, "the execution cache has no executed copy of its code")
            return None
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if code and not any(cell.get("execution_count") for cell in code):
        _warn(pagename, "no code cell of the notebook was executed")
        return None
    return nb


def add_notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context: render the page's executed notebook into _notebooks/ and offer it."""
    if app.builder.format != "html" or doctree is None:
        return
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    menus = [b for b in context.get("header_buttons", []) if b.get("label") == "download-buttons"]
    if not menus:
        return      # no download menu (html.use_download_button: false)
    nb = executed_notebook(app, pagename)
    if nb is None:
        return
    # The values myst-nb pasted into the page: its <page>.glue.json (written when the page
    # glues anything); without it, the glue records among the outputs.
    glue_file = Path(app.env.mystnb_config.output_folder) / f"{pagename}.glue.json"
    resolver = SphinxResolver(app, pagename)
    try:
        rendered = render_notebook(
            nb,
            glue=glue_from_json(glue_file) if glue_file.is_file() else None,
            resolver=resolver,
            title=_markdown_of(app.env.titles[pagename], False),
            source_path=posixpath.relpath(app.env.doc2path(pagename), app.srcdir).replace("\\", "/"),
            page_url=resolver.page_url,
        )
    except (RenderError, nbformat.ValidationError) as exc:
        _warn(pagename, f"cannot be rendered: {exc}")
        return
    target = Path(app.outdir, "_notebooks", f"{pagename}.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(rendered, target)
    menus[0]["buttons"].insert(0, {
        "type": "link",
        "url": context["pathto"](f"_notebooks/{pagename}.ipynb", 1),
        "text": ".ipynb",
        "icon": "fas fa-code",
        "tooltip": "Download the executed notebook",
        "label": "download-notebook-button",
    })


class CrossPageExerciseReferences(SphinxPostTransform):
    """LaTeX only: a reference to an exercise on another page. sphinx-exercise (1.2.1) writes its
    own LaTeX link, to the label ``exercise:<label>`` it puts on the exercise, only for a
    reference on the exercise's page (``refid``); one from another page (``refuri``) is left to
    Sphinx, which writes ``\\ref`` to a label that does not exist: "Exercise ??" in the PDF.
    Such references get sphinx-exercise's node too (after its own pass, priority 22)."""

    default_priority = 23
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", None)
        if not registry:
            return
        try:
            from sphinx_exercise.nodes import exercise_enumerable_node, exercise_latex_number_reference
        except ImportError:
            return

        for node in list(self.document.findall(addnodes.number_reference)):
            if isinstance(node, exercise_latex_number_reference) or node.get("refid"):
                continue
            label = node.get("refuri", "").rpartition("#")[2]
            if isinstance(registry.get(label, {}).get("node"), exercise_enumerable_node):
                link = exercise_latex_number_reference("", "", *node.children, **node.attributes)
                link["refid"] = label
                node.replace_self(link)


def _unload_thebe(app: Sphinx) -> None:
    if "sphinx_thebe" not in app.extensions:
        return
    for listeners in list(app.events.listeners.values()):
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files = [(name, attrs) for name, attrs in app.registry.css_files
                              if name != "sphinx-thebe.css"]


def setup(app: Sphinx) -> dict:
    # after sphinx-book-theme has built the page's download menu (priority 501)
    app.connect("html-page-context", add_notebook_download, priority=502)
    _unload_thebe(app)
    app.add_post_transform(CrossPageExerciseReferences)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": False}

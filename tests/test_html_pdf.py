"""HTML and PDF (issue 15, point 6): every document as a standalone HTML page that a real
browser (headless Chromium, with a local MathJax from npm) typesets without one math
error and with every figure drawn, and as a PDF that pdflatex compiles; the CLI writes
both from the output's suffix and refuses what cannot be written, leaving no file."""

import os
import subprocess
import sys

import pytest

import symgrad
from symgrad.render import render
from symgrad.render.html import MATHJAX_ENVIRONMENT, words_html
from symgrad.render.printing import LatexPrinter
from symgrad.render.prose import Code, say
from tests.browser import mathjax, rendered
from tests.process import symgrad_process
from tests.test_prose_math import RESULTS

QUICK = {"plain sigmoid chain", "matrix net", "wrong claim", "evaluation", "gain region",
         "lecture notes"}


@pytest.fixture
def local_mathjax(monkeypatch):
    monkeypatch.setenv(MATHJAX_ENVIRONMENT, mathjax().as_uri())


@pytest.mark.parametrize("name", [pytest.param(name, marks=() if name in QUICK else pytest.mark.slow)
                                  for name in RESULTS])
def test_every_document_typesets_in_a_real_browser(name, tmp_path, local_mathjax):
    """MathJax typesets every formula of the page (as many as the page has math spans:
    none is left as source, none is an error) and every figure is drawn with a size."""
    page = tmp_path / "page.html"
    page.write_text(render(RESULTS[name](), "html"), encoding="utf-8")
    source = page.read_text(encoding="utf-8")
    seen = rendered(page)
    assert seen["errors"] == 0, seen["errorTexts"]
    assert seen["typeset"] == source.count('<span class="math">') > 0
    assert seen["figures"] == [True] * source.count("<figure")


def test_the_tab_title_shows_formulas_as_text_not_their_latex_source():
    """The browser's tab shows <title> as plain text: a formula in it is Unicode, as the
    terminal prints it (σ_w² = 3/2), never TeX (\\sigma_w^2 = \\frac{3}{2})."""
    page = render(symgrad.meanfield("tanh", sigma_w2="1.5", depth=10), "html")
    title = page.split("<title>")[1].split("</title>")[0]
    assert "σ_w² = 3/2" in title and "\\" not in title and "{" not in title
    assert title in render(symgrad.meanfield("tanh", sigma_w2="1.5", depth=10), "text")


def test_user_text_is_shown_as_typed_never_as_markup_or_math():
    """Text runs (a file name, a formula as typed) are escaped and stay outside the math
    spans MathJax reads, so neither a tag nor a \\( in them does anything."""
    words = say("Read {name} here.", name=Code("<img src=x onerror=alert(1)> \\(x\\) $y$"))
    printed = words_html(LatexPrinter(), words + " <script>alert(2)</script>")
    assert "<img" not in printed and "<script" not in printed
    assert "&lt;img" in printed and "&lt;script&gt;" in printed
    assert '<span class="math">' not in printed  # (the \( of the text is no formula)


def test_the_page_loads_mathjax_from_the_environment_or_the_default(monkeypatch):
    result = symgrad.derive(2, "sigmoid")
    monkeypatch.delenv(MATHJAX_ENVIRONMENT, raising=False)
    assert 'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"' in render(result, "html")
    monkeypatch.setenv(MATHJAX_ENVIRONMENT, "mathjax/tex-svg.js")
    page = render(result, "html")
    assert 'src="mathjax/tex-svg.js"' in page and "cdn.jsdelivr" not in page


def cli(*args, cwd, env=None):
    return symgrad_process(*args, cwd=cwd, timeout=300, env={**os.environ, **(env or {})})


def test_the_cli_writes_a_page_and_a_pdf_from_the_suffix(tmp_path):
    html = cli("notes", "--depth", "6", "--act", "relu", "--w", "10", "--z", "1", "-o", "n.html",
               cwd=tmp_path)
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    pdf = cli("derive", "--depth", "3", "--act", "sigmoid", "-o", "d.pdf", cwd=tmp_path)
    assert pdf.returncode == 0, pdf.stderr
    data = (tmp_path / "d.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(tmp_path / "d.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "sigmoid" in text and "depth 3" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.pdf", "n.html"]  # nothing else


@pytest.mark.parametrize("args, says", [
    (["derive", "--depth", "3", "--format", "pdf"], "give -o FILE.pdf"),
    (["derive", "--depth", "3", "--fragment", "-o", "f.pdf"], "whole document"),
    (["derive", "--depth", "3", "--format", "latex", "-o", "f.pdf"], "means pdf"),
])
def test_a_pdf_that_cannot_be_written_is_refused_without_a_file(tmp_path, args, says):
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("symgrad: ") and done.stderr.count("\n") == 1, done.stderr
    assert says in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_pdflatex_a_pdf_is_refused_in_one_sentence(tmp_path):
    """PATH without pdflatex: one sentence naming what to install, and the old file kept."""
    old = tmp_path / "d.pdf"
    old.write_bytes(b"old")
    folder = tmp_path / "bin"
    folder.mkdir()
    done = cli("derive", "--depth", "2", "-o", str(old), cwd=tmp_path,
               env={"PATH": str(folder)})
    assert done.returncode == 2, done.stderr
    assert "pdflatex" in done.stderr and done.stderr.count("\n") == 1
    assert old.read_bytes() == b"old"


def test_sigterm_while_latex_runs_leaves_no_folder_and_no_engine(tmp_path):
    """SIGTERM while pdflatex compiles: the engine is killed, the private folder removed,
    no file written; the process ends as SIGTERM ends it."""
    import signal
    import time

    private = tmp_path / "tmp"
    private.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "symgrad.cli", "notes", "--depth", "300", "--act", "relu", "--w",
         "10", "--z", "1", "-o", "n.pdf"], cwd=tmp_path, env={**os.environ, "TMPDIR": str(private)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(private.glob("symgrad-pdf-*/document.tex")) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    assert any(private.glob("symgrad-pdf-*")), "pdflatex never started"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM)
    assert list(private.iterdir()) == []
    assert not (tmp_path / "n.pdf").exists()
    engines = subprocess.run(["pgrep", "-f", str(private)], capture_output=True, text=True)
    assert engines.stdout.strip() == ""  # (no pdflatex left running in that folder)

"""Japanese (issue 15, point 9): ``symgrad notes … --lang ja``. Every sentence of every kind
of notes is in the Japanese catalogue, which keeps each formula in its place and is written
in Japanese (no English words outside formulas and code), with the terms of the field; the
numbers are the English document's; the LaTeX compiles with LuaLaTeX + LuaTeX-ja (nothing
wider than the page, no missing glyph); Markdown and HTML render; a language symgrad does
not know is refused in one sentence, before any file is written."""

import re
import shutil
import string
import subprocess
from collections import Counter
from importlib import import_module

import pytest
import sympy

import symgrad
from symgrad.activations import NAMES
from symgrad.render import render
from symgrad.render.document import document
from symgrad.render.language import catalogue, key_of, laid_out, translated
from symgrad.render.prose import Code, Math, Phrase, Prose
from tests.browser import rendered
from tests.process import symgrad_process
from tests.test_html_pdf import local_mathjax  # noqa: F401 - a fixture
from tests.test_layout import OVERFULL
from tests.test_prose_math import _outside_math

# Notes of every kind: each library activation, plain and residual; costs; values by the
# forward pass (--x) and in gain mode (--z), one weight or one per layer (more than the
# table lists); the depths whose diagrams leave out one, two or many layers; a custom
# activation and one that jumps; the float pass overflowing and underflowing; nets with
# and without values, narrow and wide.
CASES = {
    **{act: dict(depth=4, act=act) for act in NAMES},
    **{f"{act} residual": dict(depth=4, act=act, residual=True) for act in NAMES},
    "cross-entropy, values": dict(depth=3, act="sigmoid", cost="cross-entropy", w=2, x="0.3",
                                  y="0.7"),
    "relu, gain mode": dict(depth=10, act="relu", w=10, z=1),
    "relu past float64": dict(depth=400, act="relu", w=10, z=1),
    "sigmoid underflowing": dict(depth=300, act="sigmoid", w="1/2", x=1),
    "sigmoid, forward values": dict(depth=30, act="sigmoid", w=10, b=-5, x="0.5"),
    "tanh residual, values": dict(depth=8, act="tanh", residual=True, w="1/2", x=1),
    "one weight per layer": dict(depth=3, act="elu:0.5", w=[1, 2, "1/3"]),
    "25 distinct weights": dict(depth=25, act="tanh", w=[f"{n}/7" for n in range(1, 26)]),
    "tanh highway, values": dict(depth=4, act="tanh", highway=True, w=2, x="0.5"),
    "relu highway, gates per layer": dict(depth=3, act="relu", highway=True, p=[0, 1, 0]),
    "depth 1": dict(depth=1, act="sigmoid", x=1),
    "depth 2": dict(depth=2, act="tanh", z=1),
    "depth 5": dict(depth=5, act="sigmoid"),
    "depth 6": dict(depth=6, act="softplus"),
    "custom activation": dict(depth=3, act="x/(1+abs(x))"),
    "an activation that jumps": dict(depth=3, act="x*Heaviside(abs(x)-1)"),
    "relu, every unit off": dict(depth=4, act="relu", z=-1),
    "net": dict(widths=[2, 3, 2], act="sigmoid"),
    "net, values": dict(widths=[2, 3, 2], act="sigmoid", init="he"),
    "wide net, values": dict(widths=[6, 6, 6], act="tanh", init="xavier"),
    "net through one unit": dict(widths=[3, 1, 3], act="tanh", init="he"),
    "net, cross-entropy": dict(widths=[3, 2], act="sigmoid", cost="cross-entropy",
                               init="orthogonal"),
    "lstm cell": dict(cell="lstm", steps=30),
    "gru cell, two steps": dict(cell="gru", steps=2),
    "relu rnn cell, one step": dict(cell="rnn", steps=1, act="relu", parameters="w=3"),
    "tanh, random weights": dict(depth=6, act="tanh", random_weights=True),
    "relu, random weights": dict(depth=3, act="relu", random_weights=True),
}
TERMS = ("勾配消失", "勾配爆発", "誤差逆伝播", "活性化関数の導関数", "残差接続")
# Words a Japanese text keeps in Latin letters: names of the field, of file formats, of the
# libraries a sentence cites (sympy.diff, torch.nn.LSTM) and of the authors of a reference.
ALLOWED = {"ReLU", "Leaky", "Swish", "erf", "JSON", "SVG", "float32", "float64", "LSTM", "GRU",
           "RNN", "sympy", "diff", "torch", "Hochreiter", "Schmidhuber", "Elman", "Cho",
           "Pennington", "Schoenholz", "Ganguli"}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")

_NOTES: dict = {}


def notes(name):
    if name not in _NOTES:
        _NOTES[name] = symgrad.notes(**CASES[name])
    return _NOTES[name]


def _words_of(doc):
    """Every piece of words a document shows: titles, sentences, table headers and worded
    cells, captions, figure labels."""
    yield doc.title
    for section in doc.sections:
        yield from (section.title, section.words)
        if section.grid is not None:
            yield from section.grid.headers
            yield from (cell for row in section.grid.rows for cell in row if not isinstance(cell, str))
        if section.diagram is not None:
            yield section.diagram.caption
        if section.figure is not None:
            figure = section.figure
            yield from (figure.caption, figure.drawn_caption, figure.x_label, figure.y_label,
                        figure.text_label)


def _runs(words):
    """The runs of words, a phrase's own runs in its place."""
    if isinstance(words, str):
        return [words]
    return [inner for run in words.runs
            for inner in (_runs(run.words) if isinstance(run, Phrase) else [run])]


@pytest.mark.parametrize("name", CASES)
def test_every_sentence_of_the_notes_is_in_the_catalogue(name):
    missing = set()
    translated(document(notes(name)), "ja", missing=missing)
    assert missing == set()


def test_a_missing_sentence_is_found_and_refused(monkeypatch):
    """The walk above can fail: a key taken out of the catalogue is reported, and
    rendering without it is an error, never English in a Japanese document."""
    messages = dict(catalogue("ja"))
    del messages["Verdict"]
    monkeypatch.setattr(import_module("symgrad.render.language"), "catalogue", lambda lang: messages)
    missing = set()
    translated(document(notes("depth 5")), "ja", missing=missing)
    assert missing == {"Verdict"}
    with pytest.raises(symgrad.SymgradError, match="No translation"):
        render(notes("depth 5"), "markdown", lang="ja")


def _places(text: str) -> Counter:
    return Counter(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_place_of_a_key_is_in_its_sentence_once():
    for key, sentence in catalogue("ja").items():
        assert _places(key) == _places(sentence), (key, sentence)
        assert set(_places(sentence).values()) <= {1}, sentence


@pytest.mark.parametrize("name", CASES)
def test_the_japanese_words_have_no_english_words(name):
    found = [(word, text) for words in _words_of(laid_out(notes(name), "ja"))
             for text in _runs(words) if isinstance(text, str)
             for word in ENGLISH.findall(text) if word not in ALLOWED]
    assert found == []


def test_the_english_words_would_be_found():
    """The check above can fail: English notes are full of words it finds."""
    text = " ".join(run for words in _words_of(laid_out(notes("depth 5"), "en"))
                    for run in _runs(words) if isinstance(run, str))
    assert len([w for w in ENGLISH.findall(text) if w not in ALLOWED]) > 100


@pytest.mark.parametrize("name", ["sigmoid", "net, values"])
def test_the_terms_of_the_field_are_used(name):
    text = render(notes(name), "markdown", lang="ja")
    expected = TERMS if "widths" not in CASES[name] else ("誤差逆伝播", "活性化関数の導関数")
    assert [term for term in expected if term not in text] == []


def _formulas(doc) -> Counter:
    """Every formula and code run in the document's words (its rows, tables and figures
    compared apart)."""
    return Counter(sympy.srepr(run.expr) if isinstance(run, Math) else run.text
                   for words in _words_of(doc) for run in _runs(words)
                   if isinstance(run, (Math, Code)))


@pytest.mark.parametrize("name", ["relu, gain mode", "sigmoid, forward values", "net, values",
                                  "one weight per layer"])
def test_the_numbers_are_the_english_documents(name):
    english, japanese = laid_out(notes(name), "en"), laid_out(notes(name), "ja")
    assert _formulas(japanese) == _formulas(english) and sum(_formulas(english).values()) > 20
    for mine, theirs in zip(japanese.sections, english.sections, strict=True):
        assert mine.rows == theirs.rows
        if theirs.grid is not None:
            assert [[c for c in row if isinstance(c, str)] for row in mine.grid.rows] == \
                [[c for c in row if isinstance(c, str)] for row in theirs.grid.rows]
        if theirs.figure is not None:
            assert (mine.figure.xs, mine.figure.ys) == (theirs.figure.xs, theirs.figure.ys)


def _keys(result) -> set[str]:
    """The catalogue keys of a document: of its words and of every phrase in them."""
    def keys_of(words):
        if not words:
            return set()
        inner = [run.words for run in (words.runs if isinstance(words, Prose) else ())
                 if isinstance(run, Phrase)]
        return {key_of(words)}.union(*map(keys_of, inner))
    return set().union(*map(keys_of, _words_of(document(result))))


@pytest.mark.parametrize("one, other", [
    (dict(depth=7, act="sigmoid", x=1), dict(depth=9, act="sigmoid", x=2)),
    (dict(depth=7, act="tanh", w=["1/2", 2, 3, 1, 1, 1, 1]), dict(depth=9, act="tanh",
                                                                   w=[3, 1, 1, 1] * 2 + [1])),
    (dict(widths=[2, 3, 2], act="tanh", init="he"),
     dict(widths=[3, 2, 3, 2], act="tanh", init="he", seed=3)),
])
def test_a_number_is_a_place_never_part_of_a_key(one, other):
    """Keys do not embed numbers: notes that differ in their depths, layers, weights and
    widths only have the same keys."""
    assert _keys(symgrad.notes(**one)) == _keys(symgrad.notes(**other))


@pytest.mark.parametrize("name", CASES)
def test_every_format_renders_in_japanese(name):
    """Text, LaTeX, Markdown and HTML (and the formats' own words: figure numbers, an
    empty chart's sentence, the float limits' labels) in Japanese."""
    for fmt in ("text", "latex", "markdown", "html"):
        assert "の" in render(notes(name), fmt, lang="ja")


def test_without_matplotlib_the_text_chart_says_so_in_japanese(monkeypatch, tmp_path):
    monkeypatch.setattr(import_module("symgrad.render.markdown"), "figure_svg", lambda figure, lang: None)
    monkeypatch.setattr(import_module("symgrad.render.html"), "figure_svg", lambda figure, lang: None)
    from symgrad.render import output_files
    files = output_files(notes("relu, gain mode"), "markdown", tmp_path / "notes.md", lang="ja")
    assert "テキストによるグラフ" in files[tmp_path / "notes.md"]
    assert "テキストによるグラフ" in render(notes("relu, gain mode"), "html", lang="ja")


def lualatex():
    path = shutil.which("lualatex")
    if path is None or not shutil.which("kpsewhich") or subprocess.run(
            ["kpsewhich", "luatexja.sty"], capture_output=True).returncode != 0:
        pytest.fail("LuaLaTeX with LuaTeX-ja is missing: install texlive-luatex and "
                    "texlive-lang-japanese")
    return path


@pytest.mark.parametrize("name", ["sigmoid", "relu, gain mode", "25 distinct weights",
                                  "wide net, values", "relu, every unit off"])
def test_the_japanese_latex_compiles_and_fits_the_page(tmp_path, name):
    (tmp_path / "notes.tex").write_text(render(notes(name), "latex", lang="ja"), encoding="utf-8")
    done = subprocess.run([lualatex(), "-interaction=nonstopmode", "-halt-on-error", "notes.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = (tmp_path / "notes.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    assert [pt for pt in OVERFULL.findall(log) if float(pt) > 1] == []
    assert "Missing character" not in log and "Undefined control sequence" not in log


@pytest.mark.parametrize("name", CASES)
def test_the_japanese_latex_has_no_notation_outside_math(name):
    text = _outside_math(render(notes(name), "latex", lang="ja"))
    assert not re.search(r"\\_|\\\^|textasciicircum|[σδ∂∏∞]", text), text[:2000]


def test_the_japanese_fragment_names_what_it_needs():
    fragment = render(notes("depth 2"), "latex", fragment=True, lang="ja")
    assert "luatexja" in fragment.split("\n\\")[0] and fragment.startswith("% symgrad fragment")


def test_a_japanese_page_in_a_real_browser(tmp_path, local_mathjax):  # noqa: F811
    page = tmp_path / "notes.html"
    page.write_text(render(notes("relu, gain mode"), "html", lang="ja"), encoding="utf-8")
    source = page.read_text(encoding="utf-8")
    assert '<html lang="ja">' in source and "<strong>図 1</strong>" in source
    seen = rendered(page)
    assert seen["errors"] == 0, seen["errorTexts"]
    assert seen["typeset"] == source.count('<span class="math">') > 0
    assert seen["figures"] == [True] * source.count("<figure") and len(seen["figures"]) == 3


def _japanese_figure():
    return next(s.figure for s in laid_out(notes("relu, gain mode"), "ja").sections
                if s.figure is not None)


def test_without_a_japanese_font_a_figure_keeps_its_words_as_text(monkeypatch):
    """With no Japanese font for matplotlib, the Japanese axis label stays SVG text for the
    reader's fonts to set (never a box for each kanji)."""
    pytest.importorskip("matplotlib")
    from symgrad.render.plot import figure_svg
    monkeypatch.setattr(import_module("symgrad.render.plot"), "setting",
                        lambda lang, name, default: ("No Such Font",))
    svg = figure_svg(_japanese_figure(), "ja").decode()
    assert re.search(r"<text[^>]*>層 l</text>", svg) and "¤" not in svg


def test_with_a_japanese_font_the_figure_draws_its_glyphs(monkeypatch):
    """With a Japanese font installed (here HaranoAji, from TeX Live), matplotlib draws the
    label's kanji from it, as outlines in the SVG."""
    pytest.importorskip("matplotlib")
    found = subprocess.run(["kpsewhich", "HaranoAjiGothic-Regular.otf"], capture_output=True,
                           text=True)
    if found.returncode != 0:
        pytest.skip("no HaranoAji font")
    from matplotlib import font_manager

    from symgrad.render.plot import figure_svg
    monkeypatch.setattr(import_module("symgrad.render.plot"), "setting",
                        lambda lang, name, default: ("Harano Aji Gothic",))
    manager = font_manager.fontManager
    kept = list(manager.ttflist)
    manager.addfont(found.stdout.strip())
    try:
        svg = figure_svg(_japanese_figure(), "ja").decode()
    finally:
        manager.ttflist = kept
        manager._findfont_cached.cache_clear()
    assert re.search(r'id="HaranoAjiGothic-Regular-[0-9a-f]+"', svg) and "<text" not in svg


def _cli(*args, cwd):
    return symgrad_process("notes", *args, cwd=cwd, timeout=300)


def test_an_unknown_language_is_refused_in_one_sentence_and_writes_nothing(tmp_path):
    for args in (["--lang", "xx"], ["--lang", "ja", "--format", "json"]):
        done = _cli("--depth", "3", *args, "-o", "notes.tex" if "json" not in args else "n.json",
                    cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []
    assert "Unknown language 'xx'" in _cli("--depth", "3", "--lang", "xx", cwd=tmp_path).stderr


def test_the_cli_writes_a_japanese_pdf_by_lualatex(tmp_path):
    lualatex()
    done = _cli("--depth", "4", "--act", "relu", "--w", "10", "--z", "1", "--lang", "ja",
                "-o", "notes.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", "notes.pdf", "-"], cwd=tmp_path, capture_output=True,
                          text=True).stdout
    assert "勾配消失と勾配爆発" in text and "誤差逆伝播" in text


@pytest.mark.parametrize("arguments", [["--depth", "10", "--act", "relu", "--w", "10", "--z", "1"],
                                       ["--depth", "40", "--act", "relu"],
                                       ["--widths", "2,3,2", "--init", "he", "--x", "0.5,1"]],
                         ids=["relu in gain mode", "relu depth 40", "net with values"])
def test_a_japanese_talk_compiles_with_nothing_overfull(arguments, tmp_path):
    """``--slides --lang ja``: the English talk's frames, in Japanese (continued frames
    too), by LuaLaTeX: nothing too wide or too tall for the slide, no missing glyph."""
    lualatex()
    from tests.test_slides import frames
    for lang in ("en", "ja"):
        done = _cli(*arguments, "--slides", "--lang", lang, "-o", f"{lang}.tex", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    english, japanese = ((tmp_path / f"{lang}.tex").read_text(encoding="utf-8")
                         for lang in ("en", "ja"))
    assert len(frames(japanese)) >= len(frames(english)) > 5
    titles = [title for title, _ in frames(japanese)[1:]]
    assert [title for title in titles if not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", title)] == []
    assert "(cont.)" not in japanese and ("（続き）" in japanese) >= ("(cont.)" in english)
    done = subprocess.run([lualatex(), "-interaction=nonstopmode", "-halt-on-error", "ja.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = (tmp_path / "ja.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    assert [pt for pt in OVERFULL.findall(log) if float(pt) > 1] == []
    assert re.findall(r"Overfull \\vbox[^\n]*", log) == []
    assert "Missing character" not in log

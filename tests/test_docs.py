"""The documentation (README.md and docs/) says what the code does: the README's first screen
has the two set-up commands .ci/run runs; every output shown in a `console` block is what
the command prints today (each shown line, in order; `…` stands for lines left out); the
Python examples of docs/api.md run as doctests; every command and option has its place in
docs/commands.md; the equation labels listed are the ones documents use; and every link
between the pages resolves."""

import contextlib
import doctest
import io
import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest

import symgrad
from symgrad import cli
from symgrad.cli import commands

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SETUP = ["pip install . && symgrad derive --depth 10 --act sigmoid",
         "pip install -e '.[test]' && pytest"]
FIRST_SCREEN = 40

CONSOLE = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)
PYCON = re.compile(r"^```pycon\n(.*?)^```", re.DOTALL | re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# -- the README ----------------------------------------------------------------------------

def test_the_readme_is_a_way_in_not_the_manual():
    assert len(text(README).splitlines()) <= 250


def test_the_first_screen_shows_exactly_the_two_setup_commands():
    screen = text(README).splitlines()[:FIRST_SCREEN]
    assert [line.strip() for line in screen if "pip install" in line] == SETUP


def test_ci_runs_the_readme_setup_commands_verbatim():
    lines = [line.strip() for line in text(ROOT / ".ci" / "run").splitlines()]
    for command in SETUP:
        assert any(line == command or line.startswith(command + " ") for line in lines), command
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")]).returncode == 0



def test_the_default_run_is_both_lanes():
    """`pytest` (what the README and CI run) runs the slow lane too: the configured options
    select no marks, and docs/checking.md gives the fast lane's command."""
    config = text(ROOT / "pyproject.toml")
    addopts = re.search(r'^addopts = "(.*)"$', config, re.MULTILINE).group(1)
    assert "-m" not in addopts.split() and '"slow: ' in config
    assert 'pytest -m "not slow"' in text(DOCS / "checking.md")

def test_the_readme_leads_to_every_page():
    readme, design = text(README), text(DOCS / "design.md")
    for page in DOCS.glob("*.md"):
        assert f"(docs/{page.name})" in readme, page.name
        if page.name != "design.md":
            assert f"({page.name})" in design, page.name


# -- real output ---------------------------------------------------------------------------

def console_blocks():
    for page in PAGES:
        page_text = text(page)
        for match in CONSOLE.finditer(page_text):
            line = page_text[:match.start()].count("\n") + 1
            command, *shown = match.group(1).rstrip("\n").split("\n")
            yield pytest.param(command, shown, id=f"{page.name}:{line}")


def shown_in_order(shown: list[str], printed: str) -> str | None:
    """The first shown line that is not among the printed lines after the previous one."""
    lines = [line.rstrip() for line in printed.split("\n")]
    at = 0
    for line in shown:
        if line.strip() in ("", "…"):
            continue
        try:
            at = lines.index(line.rstrip(), at) + 1
        except ValueError:
            return line
    return None


@pytest.mark.slow  # about 40 commands, most under a second
@pytest.mark.parametrize("command, shown", list(console_blocks()))
def test_shown_output_is_what_the_command_prints(command, shown, monkeypatch):
    """Each block's command run as the command line runs it, in this process (a new
    interpreter per block cost a second of imports each), at a terminal width of 80."""
    assert command.startswith("$ symgrad "), command
    words = shlex.split(command[2:])
    monkeypatch.setenv("COLUMNS", "80")
    code, stdout, stderr = run_command_line(words[1:])
    assert code in ((0, 1) if words[1] == "verify" else (0,)), stderr
    assert shown_in_order(shown, stdout) is None, stdout


def run_command_line(words: list[str]) -> tuple[int, str, str]:
    """(exit code, standard output, standard error) of ``symgrad *words``."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.run(words)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_the_api_examples_run():
    page_text = text(DOCS / "api.md")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    names: dict = {}
    blocks = list(PYCON.finditer(page_text))
    assert len(blocks) >= 8
    for match in blocks:
        line = page_text[:match.start()].count("\n") + 1
        test = parser.get_doctest(match.group(1), names, f"api.md:{line}", "docs/api.md", line)
        runner.run(test, clear_globs=False)
        names = test.globs  # the page runs as one session
    failed, attempted = runner.summarize(verbose=False)
    assert attempted >= 30 and failed == 0


# -- commands and options ------------------------------------------------------------------

def command_sections() -> dict[str, str]:
    page_text = text(DOCS / "commands.md")
    sections = {}
    for match in re.finditer(r"^## `symgrad (\w+)`\n(.*?)(?=^## |\Z)", page_text, re.DOTALL | re.MULTILINE):
        sections[match.group(1)] = match.group(2)
    return sections


def test_every_command_has_its_section():
    assert set(command_sections()) == set(commands())


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_option_is_in_its_command_table(name):
    section = command_sections()[name]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    for parameter in commands()[name].params:
        if not isinstance(parameter, click.Option) or "--help" in parameter.opts:
            continue
        assert any(re.search(f"`{re.escape(option)}(?![\\w-])", table) for option in parameter.opts), \
            (name, parameter.opts)


def rendered_labels() -> set[str]:
    results = [symgrad.derive(3, "sigmoid"), symgrad.derive(3, "tanh", residual=True),
               symgrad.derive(3, "tanh", tied=True), symgrad.derive_net([2, 3, 2], "sigmoid"),
               symgrad.bounds(3, "sigmoid", w=2), symgrad.evaluate(3, "tanh", x=1),
               symgrad.evaluate_net([2, 2], "tanh", init="he"), symgrad.notes(3, "sigmoid", x=0.5)]
    return {label for result in results
            for label in re.findall(r"\\label\{([^}]*)\}", symgrad.render(result, "latex"))}


def test_the_equation_labels_listed_are_the_ones_documents_use():
    page_text = text(DOCS / "commands.md")
    table = page_text[page_text.index("### Equation numbers"):page_text.index("### Numbers in documents")]
    listed = {label for row in table.splitlines() if row.startswith("| `eq:")
              for label in re.findall(r"`(eq:[a-z0-9-]+)`", row.split(" | ")[0])}
    used = rendered_labels()
    assert listed - used == set()
    general = {re.sub(r"^eq:(residual|deeper)-", "eq:", re.sub(r"-(deeper|\d+)$", "", label))
               for label in used}
    assert general - {re.sub(r"-\d+$", "", label) for label in listed} == set()


# -- links ---------------------------------------------------------------------------------

def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in FENCE.sub("", text(path)).splitlines()
            if line.startswith("#")}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_resolves(page):
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", text(page)))
    for target in LINK.findall(prose):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), target
        if anchor:
            assert anchor in anchors(resolved), target

"""One test per row of the errors table (docs/errors.md, "The table"), through the real CLI:
exit code 2, stderr exactly the documented sentence, nothing on stdout, and no file created
or changed."""

import os
import re
import shlex
from pathlib import Path

import pytest

from tests.process import symgrad_process

ERRORS = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
ROW = re.compile(r"^\| `(.+?)` \| `(.+)` \|$")


def table_rows():
    text = ERRORS.read_text(encoding="utf-8")
    section = text[text.index("## The table"):]
    rows = []
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows.append(tuple(part.replace("\\|", "|") for part in match.groups()))
    return rows


ROWS = table_rows()


def test_the_table_is_there():
    assert len(ROWS) >= 50


def fixtures(folder: Path) -> None:
    (folder / "keep.tex").write_text("keep me\n")
    (folder / "short.json").write_text(
        '{"weights": [[[1, 2]], [[1, 1, 1], [1, 1, 1]]], "biases": [[0, 0, 0], [0, 0]]}')
    (folder / "broken.json").write_text('{"weights": [[[1, 2]]\n')
    (folder / "cancel.json").write_text(  # z² = tanh(0.3) - tanh(0.3): exactly 0
        '{"weights": [[[0.3], [0.3]], [[1, -1]], [[2]]], "biases": [[0, 0], [0], [0.5]]}')
    (folder / "folder").mkdir()
    hidden = folder / "nomatplotlib" / "matplotlib"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("hidden for this check")\n')


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*")) if "__pycache__" not in p.parts}


def matches(message: str, stderr: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in message.split("…"))
    return re.fullmatch(pattern + "\n", stderr, re.DOTALL) is not None


@pytest.mark.parametrize("command, message", ROWS, ids=[row[0][8:60] for row in ROWS])
def test_errors_table_row(tmp_path, command, message):
    fixtures(tmp_path)
    before = snapshot(tmp_path)
    words = shlex.split(command)
    env = dict(os.environ)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = str(tmp_path / value) + os.pathsep + env.get(name, "")
    assert words[0] == "symgrad"
    result = symgrad_process(*words[1:], cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert matches(message, result.stderr), (message, result.stderr)
    assert snapshot(tmp_path) == before

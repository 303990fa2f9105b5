"""PDF: the LaTeX document compiled by pdflatex (or LuaLaTeX, for a language that needs
it), in a private temporary folder.

The engine runs without shell escape, without reading the terminal, within a time limit,
twice (so ``\\eqref`` and the figures' references are resolved); the PDF's bytes come
back, or one sentence says why there are none. Nothing is left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from symgrad.errors import SymgradError
from symgrad.files import ending_cleanly_on_signal

ENGINE = "pdflatex"
SECONDS_PER_RUN = 120
RUNS = 2
NEEDED = {"pdflatex": "pdflatex and the LaTeX packages symgrad's documents use (Debian: "
                      "texlive-latex-base, texlive-latex-recommended, texlive-pictures)",
          "lualatex": "LuaLaTeX with LuaTeX-ja and the LaTeX packages symgrad's documents use "
                      "(Debian: texlive-luatex, texlive-lang-japanese, texlive-latex-recommended, "
                      "texlive-pictures)"}


def compile_pdf(latex: str, engine_name: str = ENGINE) -> bytes:
    """The PDF of a whole LaTeX document, by ``engine_name`` (pdflatex or lualatex)."""
    engine = shutil.which(engine_name)
    if engine is None:
        raise SymgradError(f"Writing a PDF needs {NEEDED[engine_name]}; {engine_name} is not "
                           "installed, so write the .tex file instead.")
    # (SIGTERM or SIGHUP meanwhile: subprocess.run kills the engine, the folder is removed)
    with ending_cleanly_on_signal(), tempfile.TemporaryDirectory(prefix="symgrad-pdf-") as folder:
        source = Path(folder, "document.tex")
        source.write_text(latex, encoding="utf-8")
        environment = {**os.environ, "TEXMFOUTPUT": folder, "openout_any": "p", "shell_escape": "f"}
        for _ in range(RUNS):
            try:
                done = subprocess.run(
                    [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                     source.name], cwd=folder, env=environment, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=SECONDS_PER_RUN)
            except subprocess.TimeoutExpired:
                raise SymgradError(f"{engine_name} did not finish the PDF within "
                                   f"{SECONDS_PER_RUN} seconds; write the .tex file instead.") \
                    from None
            if done.returncode != 0:
                raise SymgradError(f"{engine_name} could not compile the document "
                                   f"({_first_error(Path(folder, 'document.log'))}); "
                                   "write the .tex file to see it.")
        return Path(folder, "document.pdf").read_bytes()


def _first_error(log: Path) -> str:
    """The first error line of a LaTeX log (``! …``), or that there is none."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log was written"
    for line in lines:
        if line.startswith("!"):
            return line[1:].strip().rstrip(".")[:160]
    return "it stopped without an error line"

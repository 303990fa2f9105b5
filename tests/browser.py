"""A real browser for the HTML tests: Debian's headless Chromium reading a page whose
MathJax is a local copy of the npm package (never a CDN).

``rendered(page)`` loads a copy of the page with a reporting script added, lets MathJax
typeset it, and returns what the browser saw: how many formulas MathJax typeset, how
many of them are errors, and, for every figure, whether it is drawn with a size.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

MATHJAX_PACKAGE = "mathjax@3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "symgrad-mathjax"

# Runs once MathJax has typeset the page: the counts, as JSON, in a <pre> the DOM dump shows.
_REPORT = """<script>
window.MathJax.startup = {ready() {
  MathJax.startup.defaultReady();
  MathJax.startup.promise.then(() => {
    const shown = (element) => {
      if (!element) return false;
      const box = element.getBoundingClientRect();
      if (element.tagName === "IMG" && !(element.complete && element.naturalWidth > 0)) return false;
      return box.width > 20 && box.height > 20;
    };
    const report = {
      typeset: document.querySelectorAll("mjx-container").length,
      errors: document.querySelectorAll('[data-mml-node="merror"]').length,
      errorTexts: [...document.querySelectorAll('[data-mml-node="merror"]')].map(
        (e) => e.getAttribute("data-mjx-error") || e.textContent).slice(0, 5),
      figures: [...document.querySelectorAll("figure")].map(
        (f) => shown(f.querySelector(":scope > svg, :scope > img, :scope > pre"))),
    };
    const out = document.createElement("pre");
    out.id = "symgrad-report";
    out.textContent = JSON.stringify(report);
    document.body.appendChild(out);
  });
}};
</script>
"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("SYMGRAD_SKIP_BROWSER") == "1":
        pytest.skip("SYMGRAD_SKIP_BROWSER=1")
    pytest.fail("Chromium is missing: install Debian's chromium (or set SYMGRAD_SKIP_BROWSER=1 "
                "to skip knowingly)")


def mathjax() -> Path:
    """The local MathJax (tex-svg.js): SYMGRAD_TEST_MATHJAX, else the npm package in the
    cache, installed there by npm if it is not yet."""
    given = os.environ.get("SYMGRAD_TEST_MATHJAX")
    if given:
        return Path(given)
    script = CACHE / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: it installs the MathJax copy the HTML tests read")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", MATHJAX_PACKAGE],
                       cwd=CACHE, check=True, timeout=600, capture_output=True)
    return script


def rendered(page: Path) -> dict:
    """What Chromium shows of the page (see the module's note)."""
    source = page.read_text(encoding="utf-8")
    assert source.count('<script id="MathJax-script"') == 1
    probe = page.with_name(page.stem + ".probe.html")
    loader = '<script id="MathJax-script"'
    probe.write_text(source.replace(loader, _REPORT + loader, 1), encoding="utf-8")
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         "--virtual-time-budget=30000", "--window-size=1200,1600", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="symgrad-report">(.*?)</pre>', done.stdout, re.S)
    assert found is not None, f"MathJax never finished typesetting {page.name}: {done.stderr[-800:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))

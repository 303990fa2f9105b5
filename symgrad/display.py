"""Results that show themselves in a Jupyter notebook.

Numeric results carry tables, which LaTeX math cannot hold in a notebook, so they
display as Markdown (headings, words, $$ math and pipe tables); derivations display
as LaTeX (``_repr_latex_`` on the derivation classes). The renderer is imported when
a notebook asks, so the result modules do not depend on the rendering ones.
"""

from __future__ import annotations


class MarkdownDisplay:
    def _repr_markdown_(self) -> str:
        from symgrad.render.markdown import render_markdown

        return render_markdown(self)

    def markdown(self, fragment: bool = True) -> str:
        from symgrad.render.markdown import render_markdown

        return render_markdown(self, fragment=fragment)

    def latex(self, fragment: bool = True) -> str:
        from symgrad.render.latex import render_latex

        return render_latex(self, fragment=fragment)

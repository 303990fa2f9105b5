"""Results in a Jupyter notebook, attached by the rendering package to every result type that
has a document layout (the result modules import no renderer).

A result shows itself as its whole document in Markdown: headings from ``###`` for the title
and ``####`` for its sections (so that it sits inside the notebook's own outline instead of
opening with a page title), its sentences with $…$ math, $$…$$ displays, pipe tables, and
its figure as an image (matplotlib's SVG and PNG) when matplotlib is installed, else as a
text chart. The math is the LaTeX documents' own (no package, no macro that MathJax or KaTeX
lacks). In IPython the Markdown and the images are shown as successive outputs
(``_ipython_display_``), since one output shows one medium; other front ends read
``_repr_markdown_``. ``result.markdown()`` and ``result.latex()`` give the texts.
"""

from __future__ import annotations

from symgrad.render.chart import terminal_chart
from symgrad.render.document import Figure, document
from symgrad.render.latex import render_latex
from symgrad.render.markdown import markdown_blocks, render_markdown

NOTEBOOK_HEADING_LEVEL = 3  # the title's; sections one below


def notebook_markdown(result) -> str:
    """The result's Markdown as a notebook shows it (its figure as a text chart)."""
    return render_markdown(result, heading_level=NOTEBOOK_HEADING_LEVEL)


def notebook_outputs(result, images: bool = True) -> list[dict[str, str]]:
    """The outputs a notebook shows for ``result``, in order, each a MIME bundle: Markdown,
    and each figure as SVG and PNG between the Markdown before and after it (as a text chart
    inside the Markdown where matplotlib is missing or ``images`` is False)."""
    draw = images and _matplotlib()
    outputs, pending = [], []
    for block in markdown_blocks(document(result), heading_level=NOTEBOOK_HEADING_LEVEL):
        if isinstance(block, Figure) and draw:
            if pending:
                outputs.append(_markdown_bundle(pending))
                pending = []
            outputs.append(_figure_bundle(block))
        elif isinstance(block, Figure):
            pending.append("```\n" + terminal_chart(block.xs, block.ys, y_label=block.text_label,
                                                    bars=block.bars) + "\n```")
        else:
            pending.append(block)
    if pending:
        outputs.append(_markdown_bundle(pending))
    return outputs


def _markdown_bundle(blocks: list[str]) -> dict[str, str]:
    text = "\n\n".join(blocks) + "\n"
    return {"text/markdown": text, "text/plain": text}


def _figure_bundle(figure: Figure) -> dict[str, str]:
    from symgrad.render.plot import document_figure, figure_images

    return {**figure_images(document_figure(figure)), "text/plain": figure.text_label}


def _matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


class NotebookDisplay:
    """What every result with a layout shows in a notebook; its methods are set on each
    result type by ``attach_displays``."""

    def _repr_markdown_(self) -> str:
        return notebook_markdown(self)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for bundle in notebook_outputs(self):
            display(bundle, raw=True)

    def markdown(self, fragment: bool = True) -> str:
        """The result as Markdown (``fragment``: without its title)."""
        return render_markdown(self, fragment=fragment)

    def latex(self, fragment: bool = True) -> str:
        """The result as LaTeX: its body (``fragment``), or a standalone document."""
        return render_latex(self, fragment=fragment)


def attach_displays(result_types) -> None:
    """Give each of ``result_types`` the notebook display and the ``markdown``/``latex``
    methods (a type that defines one itself keeps its own)."""
    for result_type in result_types:
        if result_type is object:
            continue
        for name in ("_repr_markdown_", "_ipython_display_", "markdown", "latex"):
            if name not in vars(result_type):
                setattr(result_type, name, NotebookDisplay.__dict__[name])

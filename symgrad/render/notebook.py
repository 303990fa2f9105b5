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

from symgrad.render.diagram import Diagram
from symgrad.render.document import Document, Figure, document
from symgrad.render.formats import LatexFormat, MarkdownFormat
from symgrad.render.language import DEFAULT
from symgrad.render.markdown import markdown_blocks
from symgrad.render.printing import TextPrinter
from symgrad.render.svg import svg_diagram
from symgrad.render.text import text_chart, text_diagram, text_words

NOTEBOOK_HEADING_LEVEL = 3  # the title's; sections one below


def notebook_markdown(result) -> str:
    """The result's Markdown as a notebook shows it (its figure as a text chart)."""
    return MarkdownFormat(heading_level=NOTEBOOK_HEADING_LEVEL).doprint(result)


def notebook_outputs(result, images: bool = True) -> list[dict[str, str]]:
    """The outputs a notebook shows for ``result``, in order, each a MIME bundle: Markdown,
    and each diagram (SVG) and figure (SVG and PNG) between the Markdown before and after
    it (as text inside the Markdown where ``images`` is False, and a figure's where
    matplotlib is missing)."""
    draw = images and _matplotlib()
    doc = document(result)
    outputs, pending = [], []

    def show(bundle: dict[str, str]) -> None:
        if pending:
            outputs.append(_markdown_bundle(pending))
            pending.clear()
        outputs.append(bundle)

    for block in markdown_blocks(doc, heading_level=NOTEBOOK_HEADING_LEVEL):
        if isinstance(block, Diagram) and images:
            show(_diagram_bundle(block, doc))
        elif isinstance(block, Diagram):
            pending.append("```\n" + text_diagram(block, TextPrinter(doc.output_layer)) + "\n```")
        elif isinstance(block, Figure) and draw:
            show(_figure_bundle(block))
        elif isinstance(block, Figure):
            pending.append("```\n" + text_chart(block) + "\n```")
        else:
            pending.append(block)
    if pending:
        outputs.append(_markdown_bundle(pending))
    return outputs


def _markdown_bundle(blocks: list[str]) -> dict[str, str]:
    text = "\n\n".join(blocks) + "\n"
    return {"text/markdown": text, "text/plain": text}


def _figure_bundle(figure: Figure) -> dict[str, str]:
    from symgrad.render.plot import figure_images, labelled_figure

    return {**figure_images(labelled_figure(figure)),
            "text/plain": text_words(TextPrinter(), figure.text_label)}


def _diagram_bundle(diagram: Diagram, doc: Document) -> dict[str, str]:
    printer = TextPrinter(doc.output_layer)
    return {"image/svg+xml": svg_diagram(diagram, printer),
            "text/plain": text_diagram(diagram, printer)}


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

    def markdown(self, fragment: bool = True, lang: str = DEFAULT) -> str:
        """The result as Markdown (``fragment``: without its title), its words in ``lang``."""
        return MarkdownFormat(fragment, lang).doprint(self)

    def latex(self, fragment: bool = True, lang: str = DEFAULT) -> str:
        """The result as LaTeX: its body (``fragment``), or a standalone document; its words
        in ``lang``."""
        return LatexFormat(fragment, lang).doprint(self)


def attach_displays(result_types) -> None:
    """Give each of ``result_types`` the notebook display and the ``markdown``/``latex``
    methods (a type that defines one itself keeps its own)."""
    for result_type in result_types:
        if result_type is object:
            continue
        for name in ("_repr_markdown_", "_ipython_display_", "markdown", "latex"):
            if name not in vars(result_type):
                setattr(result_type, name, NotebookDisplay.__dict__[name])

"""Bank text as an LMS shows it: HTML with the math kept as TeX for the LMS's MathJax.

Canvas and Moodle render ``\\(…\\)`` and ``\\[…\\]`` with MathJax and do not keep MathML, so
exports use the one Markdown+math pipeline (:func:`quizgen.render.mathtext.markdown_to_html`)
in its ``"tex"`` style: ``$…$`` becomes ``\\(…\\)`` and ``$$…$$`` becomes ``\\[…\\]``, with the
papers' Markdown and safety rules. Output is XHTML (``<br />``), so it can also be embedded as
XML in a QTI 2.1 item body.
"""

from __future__ import annotations

from quizgen.render.mathtext import markdown_to_html

__all__ = ["lms_html", "plain_text"]


def lms_html(text: str, *, inline: bool = False) -> str:
    """Render bank Markdown to LMS HTML with ``\\(…\\)``/``\\[…\\]`` math.

    Args:
        text: CommonMark with ``$…$`` and ``$$…$$`` math (pandoc's dollar rules).
        inline: render without the paragraph wrapper (option texts, short labels).

    Returns:
        XHTML in which any HTML written in ``text`` is escaped.
    """
    return markdown_to_html(text, inline=inline, math="tex")


def plain_text(text: str) -> str:
    """A one-line plain-text form of short Markdown (titles, names): math keeps its TeX."""
    return " ".join(text.replace("$", "").split())

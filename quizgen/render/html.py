"""The HTML format: one self-contained page per paper, and one for the key.

Math is MathML and the stylesheet is inlined, so a page needs no network and no script.
"""

from __future__ import annotations

import re

import jinja2
from markupsafe import Markup, escape

from quizgen.render.mathml import math_to_mathml
from quizgen.render.mathtext import markdown_to_html
from quizgen.render.views import (
    Format,
    exam_view,
    key_paper_view,
    paper_view,
    student_exam_view,
)
from quizgen.variant import Exam, Paper

__all__ = ["HTML", "HtmlRenderer", "css_string"]

HTML = Format(
    text=lambda s: Markup(markdown_to_html(s)),
    inline=lambda s: Markup(markdown_to_html(s, inline=True)),
    math=lambda s: Markup(math_to_mathml(s)),
    code=lambda s: Markup("<code>%s</code>") % s,
    plain=escape,
    markup=Markup,
)
_CSS_UNSAFE = re.compile(r'[\\"\'<>&\n\r\f]')


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string that is safe inside a ``<style>`` element."""
    body = _CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text)
    return Markup(f'"{body}"')


class HtmlRenderer:
    """Renders ``paper.html.j2`` and ``key.html.j2`` (both include ``style.css``)."""

    name = "html"
    extension = ".html"

    def __init__(self, env: jinja2.Environment) -> None:
        self._paper = env.get_template("paper.html.j2")
        self._key = env.get_template("key.html.j2")

    def paper(self, exam: Exam, paper: Paper) -> str:
        """A student's paper as one self-contained HTML page (no answers)."""
        footer = f"{paper.student_id} · {exam.title}"
        return self._paper.render(
            exam=student_exam_view(exam),
            paper=paper_view(paper, HTML),
            page_footer=css_string(footer),
        )

    def key(self, exam: Exam) -> str:
        """Every paper's answers and solutions as one HTML page."""
        papers = [key_paper_view(p, HTML) for p in exam.papers]
        return self._key.render(exam=exam_view(exam), papers=papers)

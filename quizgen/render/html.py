"""The HTML format: one self-contained page per paper, and one for the key.

Math is MathML and the stylesheet is inlined, so a page needs no network. A paper also
inlines the small script that lets a student answer in the page (``answer.js``): it keeps the
answers in the browser and saves them as the submission file ``quizgen grade`` reads, whose
empty template it is given here, as the JSON ``generate`` writes to ``submissions/``.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import jinja2
from markupsafe import Markup, escape

from quizgen.grade.submissions import template_for
from quizgen.output import file_stem
from quizgen.render.mathml import math_to_mathml
from quizgen.render.mathtext import markdown_to_html
from quizgen.render.views import (
    Format,
    PaperView,
    exam_view,
    key_paper_view,
    paper_view,
    student_exam_view,
)
from quizgen.variant import Exam, Paper

__all__ = ["HTML", "HtmlRenderer", "answer_fields", "css_string", "script_json"]

# Declares a string of markup safe, as Markup(s) does for a str, without its __html__ check:
# a view is built from hundreds of thousands of such strings, and that check was a tenth of it.
_safe = partial(str.__new__, Markup)

HTML = Format(
    text=lambda s: _safe(markdown_to_html(s)),
    inline=lambda s: _safe(markdown_to_html(s, inline=True)),
    math=lambda s: _safe(math_to_mathml(s)),
    code=lambda s: _safe(f"<code>{escape(s)}</code>"),
    plain=escape,
    markup=_safe,
)
_CSS_UNSAFE = re.compile(r'[\\"\'<>&\n\r\f]')


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string that is safe inside a ``<style>`` element."""
    body = _CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text)
    return Markup(f'"{body}"')


# Inside <script>, "</" could close the element and "<!--" open a comment: escape '<' (and
# '>', '&' for good measure) as JSON escapes, which every JSON reader turns back.
_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def answer_fields(view: PaperView) -> list[list[Any]]:
    """What the page's script needs to know of each answer field, in paper order.

    One row per field: its slot (the HTML id without the leading ``a``), the question and part
    ids it fills in the submission, its kind, and how to read it (unit, fractions, names).
    """
    return [
        [i.slot, i.question_id, i.part_id, i.kind, i.unit_text, i.fractions, list(i.variables)]
        for q in view.questions
        for i in q.items
    ]


def script_json(data: Any) -> Markup:
    """``data`` as JSON that is safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_UNSAFE))


class HtmlRenderer:
    """Renders ``paper.html.j2`` and ``key.html.j2`` (both include ``style.css``)."""

    name = "html"
    extension = ".html"

    def __init__(self, env: jinja2.Environment) -> None:
        self._paper = env.get_template("paper.html.j2")
        self._key = env.get_template("key.html.j2")
        self._key_index = env.get_template("key-index.html.j2")

    def paper(self, exam: Exam, paper: Paper) -> str:
        """A student's paper as one self-contained HTML page (no answers)."""
        footer = f"{paper.student_id} · {exam.title}"
        view = paper_view(paper, HTML)
        return self._paper.render(
            exam=student_exam_view(exam),
            paper=view,
            page_footer=css_string(footer),
            submission=script_json(template_for(exam, paper)),
            fields=script_json(answer_fields(view)),
            download_name=f"{file_stem(paper.student_id)}.json",
        )

    def key(self, exam: Exam) -> str:
        """Every paper's answers and solutions as one HTML page."""
        papers = [key_paper_view(p, HTML) for p in exam.papers]
        return self._key.render(exam=exam_view(exam), papers=papers)

    def key_index(self, exam: Exam, pages: list[dict], papers: int) -> str:
        """The key of a large class: one line per key page, linking to it."""
        return self._key_index.render(exam=exam_view(exam), pages=pages, papers=papers)

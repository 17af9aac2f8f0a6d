"""The Markdown format: pandoc-ready papers and key (``pandoc paper.md -o paper.pdf``).

Bank text is Markdown already, so it passes through unchanged (``$…$`` math included); plain
fields such as student names are backslash-escaped.
"""

from __future__ import annotations

import json
import re

import jinja2

from quizgen.render.views import (
    Format,
    exam_view,
    key_paper_view,
    paper_view,
    student_exam_view,
)
from quizgen.variant import Exam, Paper

__all__ = ["MARKDOWN", "MarkdownRenderer", "md_code", "md_escape", "yaml_string"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$&])")  # punctuation that means something mid-line
_BACKTICKS = re.compile(r"`+")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown punctuation so ``text`` reads literally."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def yaml_string(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (for the metadata block)."""
    return json.dumps(str(text), ensure_ascii=False)


def md_code(text: str) -> str:
    """``text`` as an inline code span (fenced with more backticks than it contains)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


MARKDOWN = Format(
    text=str.strip,
    inline=lambda s: " ".join(s.split("\n")).strip(),
    math=lambda s: f"${s}$",
    code=md_code,
    plain=md_escape,
    markup=str,
)


class MarkdownRenderer:
    """Renders ``paper.md.j2`` and ``key.md.j2``."""

    name = "md"
    extension = ".md"

    def __init__(self, env: jinja2.Environment) -> None:
        env.filters.setdefault("md_escape", md_escape)
        env.filters.setdefault("yaml_string", yaml_string)
        env.filters.setdefault("md_code", md_code)
        self._paper = env.get_template("paper.md.j2")
        self._key = env.get_template("key.md.j2")
        self._key_index = env.get_template("key-index.md.j2")

    def paper(self, exam: Exam, paper: Paper) -> str:
        """A student's paper in pandoc Markdown (no answers)."""
        return self._paper.render(exam=student_exam_view(exam), paper=paper_view(paper, MARKDOWN))

    def key(self, exam: Exam) -> str:
        """Every paper's answers and solutions in pandoc Markdown."""
        papers = [key_paper_view(p, MARKDOWN) for p in exam.papers]
        return self._key.render(exam=exam_view(exam), papers=papers)

    def key_index(self, exam: Exam, pages: list[dict], papers: int) -> str:
        """The key of a large class: one line per key page, linking to it."""
        return self._key_index.render(exam=exam_view(exam), pages=pages, papers=papers)

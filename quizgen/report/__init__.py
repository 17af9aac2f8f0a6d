"""Item analysis of a grading run (``quizgen report``): which questions, variants, options and
misconceptions worked. See ``docs/report.md``.

:mod:`~quizgen.report.stats` holds the arithmetic, :mod:`~quizgen.report.records` what is
read of the grades and the key, :mod:`~quizgen.report.items` the analysis,
:mod:`~quizgen.report.tables` the CSV files, :mod:`~quizgen.report.html` the page and
:mod:`~quizgen.report.files` the reading and writing.
"""

from __future__ import annotations

from quizgen.report.files import build_report, load_run, write_report
from quizgen.report.items import ItemAnalysis, analyse, analyse_run

__all__ = ["ItemAnalysis", "analyse", "analyse_run", "build_report", "load_run", "write_report"]

"""The report's CSV files as strings: items.csv, options.csv, mistakes.csv, params.csv.

Pure. Numbers carry 4 decimals (p-values 6 significant figures), an undefined figure is an
empty cell, and texts from the bank never start a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from quizgen.report.items import ItemAnalysis

__all__ = ["CSV_FILES", "items_csv", "mistakes_csv", "options_csv", "params_csv"]


def _num(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _inert(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def items_csv(analysis: ItemAnalysis) -> str:
    """One row per question or part: facility, SD, discrimination, groups, flags."""
    rows: list[list[object]] = [
        [
            "item",
            "question",
            "part",
            "kind",
            "topic",
            "points",
            "students",
            "facility",
            "sd",
            "discrimination",
            "upper_lower",
            "upper_facility",
            "lower_facility",
            "blank",
            "invalid",
            "flags",
        ]
    ]
    for i in analysis.items:
        rows.append(
            [
                i.item,
                i.question_id,
                i.part_id,
                i.kind,
                i.topic,
                f"{i.points:g}",
                i.students,
                _num(i.facility),
                _num(i.sd),
                _num(i.discrimination),
                _num(i.upper_lower),
                _num(i.upper_facility),
                _num(i.lower_facility),
                i.blank,
                i.invalid,
                "; ".join(i.flags),
            ]
        )
    return _csv(rows)


def options_csv(analysis: ItemAnalysis) -> str:
    """One row per option of each choice or multi question (computed options merged)."""
    rows: list[list[object]] = [
        [
            "item",
            "option",
            "correct",
            "computed",
            "shown",
            "picked",
            "share",
            "upper_share",
            "lower_share",
            "flags",
        ]
    ]
    for o in analysis.options:
        rows.append(
            [
                o.item,
                _inert(o.text),
                "yes" if o.correct else "no",
                "yes" if o.computed else "no",
                o.shown,
                o.picked,
                _num(o.share),
                _num(o.upper_share),
                _num(o.lower_share),
                "; ".join(o.flags),
            ]
        )
    return _csv(rows)


def mistakes_csv(analysis: ItemAnalysis) -> str:
    """One row per declared mistake: how many students' answers matched it."""
    rows: list[list[object]] = [
        [
            "item",
            "entry",
            "answer",
            "feedback",
            "students",
            "wrong",
            "hits",
            "share",
            "share_of_wrong",
            "upper_share",
            "lower_share",
        ]
    ]
    for m in analysis.mistakes:
        rows.append(
            [
                m.item,
                m.entry,
                _inert(("e.g. " if m.answer_varies else "") + m.answer),
                _inert(m.feedback),
                m.students,
                m.wrong,
                m.hits,
                _num(m.share),
                _num(m.share_of_wrong),
                _num(m.upper_share),
                _num(m.lower_share),
            ]
        )
    return _csv(rows)


def params_csv(analysis: ItemAnalysis) -> str:
    """One row per item, parameter and value; the test's figures repeat on each value's row."""
    rows: list[list[object]] = [
        [
            "item",
            "parameter",
            "value",
            "students",
            "correct",
            "facility",
            "test",
            "statistic",
            "df",
            "p",
            "p_holm",
            "significant",
            "note",
        ]
    ]
    for p in analysis.params:
        test = [
            p.test,
            _num(p.statistic),
            "" if p.df is None else p.df,
            _p(p.p),
            _p(p.p_holm),
            "yes" if p.significant else "no",
            p.note,
        ]
        for level in p.levels:
            head = [p.item, ", ".join(p.names), _inert(level.value)]
            rows.append([*head, level.students, level.correct, _num(level.facility), *test])
    return _csv(rows)


CSV_FILES: dict[str, Callable[[ItemAnalysis], str]] = {
    "items.csv": items_csv,
    "options.csv": options_csv,
    "mistakes.csv": mistakes_csv,
    "params.csv": params_csv,
}

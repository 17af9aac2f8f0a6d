"""The item-analysis report as one self-contained HTML page (inline SVG, no script, no network).

Pure: :func:`report_html` turns an :class:`~quizgen.report.items.ItemAnalysis` into the text
of ``report.html`` through ``templates/report/report.html.j2`` (overridable by name, like every
template). Numbers are formatted and chart geometry is computed here; the template only lays
them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from quizgen.render.mathtext import markdown_to_html
from quizgen.render.templates import template_environment
from quizgen.report.items import (
    MAX_LEVELS,
    SIGNIFICANCE,
    TOO_EASY,
    TOO_HARD,
    ClassStats,
    ItemAnalysis,
    ItemStats,
    MistakeStats,
    OptionStats,
    ParamStats,
)

__all__ = ["report_html"]

TEMPLATE = "report.html.j2"
DASH = "—"


def _fixed(value: float | None, places: int = 2) -> str:
    if value is None:
        return DASH
    return f"{value:.{places}f}"  # keeps "-0.00": slightly negative still reads negative


def _percent(value: float | None, places: int = 0) -> str:
    return DASH if value is None else f"{100 * value:.{places}f} %"


def _in_percent(value: float | None) -> str:
    """A figure already in percent: ``51.0 %``."""
    return DASH if value is None else f"{value:.1f} %"


def _pvalue(value: float | None) -> str:
    if value is None:
        return DASH
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _p_phrase(value: float | None) -> str:
    text = _pvalue(value)
    return "p " + text if text.startswith("<") else "p = " + text


def _points(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _inline(text: str) -> Markup:
    return Markup(markdown_to_html(text, inline=True))


# --- charts --------------------------------------------------------------------------------------


def _histogram_chart(klass: ClassStats) -> dict[str, Any]:
    """Bars of the score histogram in a 600 × 210 box."""
    left, top, width, height = 44, 18, 536, 150
    most = max((b.count for b in klass.histogram), default=0) or 1
    step = width / max(1, len(klass.histogram))
    bars = []
    for i, b in enumerate(klass.histogram):
        h = height * b.count / most
        bars.append(
            {
                "x": round(left + i * step + 3, 1),
                "y": round(top + height - h, 1),
                "w": round(step - 6, 1),
                "h": round(h, 1),
                "count": b.count,
                "label_x": round(left + (i + 0.5) * step, 1),
                "title": f"{b.low:g}–{b.high:g} %: {b.count} student(s)",
            }
        )
    ticks = [
        {"x": round(left + i * step, 1), "label": f"{b.low:g}"}
        for i, b in enumerate(klass.histogram)
    ]
    if klass.histogram:
        ticks.append({"x": left + width, "label": f"{klass.histogram[-1].high:g}"})
    return {"bars": bars, "ticks": ticks, "base": top + height, "left": left, "right": left + width}


def _map_x(facility: float) -> float:
    return round(56 + 520 * facility, 1)


def _map_y(r: float) -> float:
    return round(20 + 130 * (1 - r), 1)  # r from 1 (top) to -1 (bottom): 260 px


def _item_map(items: Sequence[ItemStats]) -> dict[str, Any]:
    """Facility (x) against discrimination (y), one numbered dot per item."""
    dots = []
    for number, item in enumerate(items, start=1):
        if item.facility is None or item.discrimination is None:
            continue
        dots.append(
            {
                "x": _map_x(item.facility),
                "y": _map_y(item.discrimination),
                "number": number,
                "flagged": bool(item.flags),
                "title": f"{number}. {item.item}: facility {_fixed(item.facility)}, "
                f"discrimination {_fixed(item.discrimination)}",
            }
        )
    return {
        "dots": dots,
        "hard": _map_x(TOO_HARD),
        "easy": _map_x(TOO_EASY),
        "zero": _map_y(0),
        "x_ticks": [{"x": _map_x(f / 10), "label": f"{f / 10:g}"} for f in range(0, 11, 2)],
        "y_ticks": [{"y": _map_y(r / 2), "label": f"{r / 2:g}"} for r in range(-2, 3)],
        "left": _map_x(0),
        "right": _map_x(1),
        "top": _map_y(1),
        "bottom": _map_y(-1),
        "unplotted": [i.item for i in items if i.facility is None or i.discrimination is None],
    }


def _level_chart(param: ParamStats) -> dict[str, Any]:
    """Facility per value: one bar per value in a box 64 px per value wide, 150 high."""
    step, top, height = 64, 14, 100
    bars = []
    for i, level in enumerate(param.levels):
        h = height * (level.facility or 0)
        bars.append(
            {
                "x": i * step + 8,
                "y": round(top + height - h, 1),
                "w": step - 16,
                "h": round(h, 1),
                "mid": i * step + step / 2,
                "value": level.value if len(level.value) <= 9 else level.value[:8] + "…",
                "facility": _fixed(level.facility),
                "title": f"{', '.join(param.names)} = {level.value}: facility "
                f"{_fixed(level.facility)} ({level.students} students)",
            }
        )
    return {"bars": bars, "width": step * len(param.levels), "base": top + height}


# --- rows ----------------------------------------------------------------------------------------


def _class_view(klass: ClassStats) -> dict[str, Any]:
    uniform = klass.max_points is not None
    alpha_name = "KR-20 (Cronbach's α)" if klass.dichotomous else "Cronbach's α"
    return {
        "students": klass.students,
        "missing": klass.missing,
        "max_points": _points(klass.max_points),
        "uniform": uniform,
        "mean": _points(klass.mean),
        "median": _points(klass.median),
        "sd": _points(klass.sd),
        "mean_percent": _in_percent(klass.mean_percent),
        "median_percent": _in_percent(klass.median_percent),
        "sd_percent": _in_percent(klass.sd_percent),
        "alpha_name": alpha_name,
        "alpha": _fixed(klass.alpha, 3),
        "alpha_note": klass.alpha_note,
        "sem": _points(klass.sem),
        "upper": klass.upper,
        "lower": klass.lower,
        "chart": _histogram_chart(klass),
    }


def _item_view(number: int, item: ItemStats) -> dict[str, Any]:
    return {
        "number": number,
        "item": item.item,
        "anchor": "item-" + item.item.replace(".", "-"),
        "title": item.title,
        "kind": item.kind,
        "topic": item.topic,
        "points": _points(item.points),
        "students": item.students,
        "facility": _fixed(item.facility),
        "facility_width": round(100 * (item.facility or 0)),
        "sd": _fixed(item.sd),
        "discrimination": _fixed(item.discrimination),
        "upper_lower": _fixed(item.upper_lower),
        "upper": _fixed(item.upper_facility),
        "lower": _fixed(item.lower_facility),
        "blank": item.blank,
        "invalid": item.invalid,
        "flags": list(item.flags),
        "negative": (item.discrimination or 0) < 0,
    }


def _option_view(option: OptionStats) -> dict[str, Any]:
    if option.computed:
        text = Markup(
            "<em>computed %s</em> (its text changes with the parameters)"
            % ("correct option" if option.correct else "distractors")
        )
    else:
        text = _inline(option.text)
    return {
        "text": text,
        "correct": option.correct,
        "shown": option.shown,
        "picked": option.picked,
        "share": _percent(option.share),
        "upper": _percent(option.upper_share),
        "lower": _percent(option.lower_share),
        "share_width": round(100 * (option.share or 0)),
        "upper_width": round(100 * (option.upper_share or 0)),
        "lower_width": round(100 * (option.lower_share or 0)),
        "flags": list(option.flags),
    }


def _grouped(rows: Sequence[Any], view: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.item, []).append(view(row))
    return [{"item": item, "rows": found} for item, found in groups.items()]


def _mistake_view(m: MistakeStats) -> dict[str, Any]:
    return {
        "entry": m.entry,
        "answer": m.answer,
        "varies": m.answer_varies,
        "feedback": _inline(m.feedback),
        "students": m.students,
        "wrong": m.wrong,
        "hits": m.hits,
        "share": _percent(m.share),
        "share_of_wrong": _percent(m.share_of_wrong),
        "upper": _percent(m.upper_share),
        "lower": _percent(m.lower_share),
        "share_width": round(100 * (m.share or 0)),
    }


def _param_view(p: ParamStats) -> dict[str, Any]:
    if p.test == "fisher":
        test = "Fisher's exact"
    elif p.test:
        test = f"χ² = {p.statistic:.2f}, df = {p.df}"
    else:
        test = DASH
    return {
        "item": p.item,
        "names": ", ".join(p.names),
        "levels": [
            {
                "value": lv.value,
                "students": lv.students,
                "correct": lv.correct,
                "facility": _fixed(lv.facility),
            }
            for lv in p.levels
        ],
        "test": test,
        "p": _pvalue(p.p),
        "p_holm": _pvalue(p.p_holm),
        "p_phrase": _p_phrase(p.p),
        "p_holm_phrase": _p_phrase(p.p_holm),
        "significant": p.significant,
        "note": p.note,
        "chart": _level_chart(p),
    }


def _context(analysis: ItemAnalysis) -> dict[str, Any]:
    items = [_item_view(n, i) for n, i in enumerate(analysis.items, start=1)]
    params = [_param_view(p) for p in analysis.params]
    return {
        "title": analysis.title,
        "exam": analysis.exam,
        "seed": analysis.seed,
        "key": analysis.key,
        "klass": _class_view(analysis.klass),
        "items": items,
        "flagged": [i for i in items if i["flags"]],
        "item_map": _item_map(analysis.items),
        "params": params,
        "significant": [p for p in params if p["significant"]],
        "options": _grouped(analysis.options, _option_view),
        "mistakes": _grouped(analysis.mistakes, _mistake_view),
        "left_out": list(analysis.left_out),
        "notes": list(analysis.notes),
        "limits": {
            "too_easy": f"{TOO_EASY:g}",
            "too_hard": f"{TOO_HARD:g}",
            "significance": f"{SIGNIFICANCE:g}",
            "max_levels": MAX_LEVELS,
        },
    }


def report_html(analysis: ItemAnalysis, templates: Path | None = None) -> str:
    """The text of ``report.html``.

    Args:
        analysis: what :func:`~quizgen.report.items.analyse` returned.
        templates: an instructor's folder whose ``report.html.j2`` or ``report.css``
            overrides the packaged one.
    """
    template = template_environment("report", templates).get_template(TEMPLATE)
    return template.render(**_context(analysis))

"""Item analysis of one grading run: ``grading.json`` and its frozen key → tables of figures.

Pure: :func:`analyse` takes the :class:`~quizgen.grade.pipeline.GradeReport` and the
:class:`~quizgen.variant.Exam` it was graded against (:func:`analyse_run` the same as
:mod:`~quizgen.report.records`) and returns an :class:`ItemAnalysis`: class statistics, one
row per item, per option, per declared mistake and per parameter value. The arithmetic is in
:mod:`quizgen.report.stats`; ``docs/report.md`` defines every figure.

Who counts: students with a submission. A blank or unreadable answer is a score of 0 (the
student sat the test), as in Moodle. Items that a person must still grade (essays) are left
out, and totals are the sum of the analysed items.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from quizgen.errors import MathSyntaxError, UsageError
from quizgen.grade.choice import read_multi
from quizgen.grade.pipeline import GradeReport
from quizgen.report import stats
from quizgen.report.records import (
    ExamRecord,
    ItemRecord,
    KeyRecord,
    RunRecord,
    StudentRecord,
    VariantRecord,
    keys_from_exam,
    run_from_report,
)
from quizgen.variant import ChoiceKey, Exam

__all__ = [
    "MAX_LEVELS",
    "SIGNIFICANCE",
    "TOO_EASY",
    "TOO_HARD",
    "Bin",
    "ClassStats",
    "ItemAnalysis",
    "ItemStats",
    "LevelStats",
    "MistakeStats",
    "OptionStats",
    "ParamStats",
    "analyse",
    "analyse_run",
]

TOO_EASY = 0.90  # facility above this: "too easy"
TOO_HARD = 0.30  # facility below this: "too hard"
SIGNIFICANCE = 0.05  # on Holm-adjusted p-values
MAX_LEVELS = 20  # a parameter with more distinct values is not split (groups too small)
HISTOGRAM_EDGES = tuple(range(0, 101, 10))


# --- the results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    """One bar of the score histogram: percent from ``low`` to ``high``."""

    low: float
    high: float
    count: int


@dataclass(frozen=True)
class ClassStats:
    """The whole class: spread of total scores and reliability."""

    students: int
    missing: int
    max_points: float | None  # None when students had different maxima (--pick)
    mean: float | None
    median: float | None
    sd: float | None
    mean_percent: float | None
    median_percent: float | None
    sd_percent: float | None
    alpha: float | None
    alpha_note: str
    dichotomous: bool  # every analysed item scored 0 or 1: alpha is KR-20
    sem: float | None
    upper: int
    lower: int
    histogram: tuple[Bin, ...]


@dataclass(frozen=True)
class ItemStats:
    """One question, or one part of a multipart question."""

    item: str
    question_id: str
    part_id: str
    kind: str
    topic: str
    title: str
    points: float
    students: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    upper_lower: float | None
    upper_facility: float | None
    lower_facility: float | None
    blank: int
    invalid: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class OptionStats:
    """One option of a choice or multi question, over every variant that showed it."""

    item: str
    text: str
    correct: bool
    computed: bool  # its text changes with the parameters; rows of such options are merged
    shown: int
    picked: int
    share: float | None
    upper_share: float | None
    lower_share: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class MistakeStats:
    """One declared ``mistakes`` entry of a question (``entry`` counts from 1)."""

    item: str
    entry: int
    answer: str
    answer_varies: bool  # the wrong answer differs between variants (shown: an example)
    feedback: str
    students: int
    wrong: int
    hits: int
    share: float | None
    share_of_wrong: float | None
    upper_share: float | None
    lower_share: float | None


@dataclass(frozen=True)
class LevelStats:
    """Students who drew one value of a parameter."""

    value: str
    students: int
    correct: int
    facility: float | None


@dataclass(frozen=True)
class ParamStats:
    """Facility of one item by the value of one parameter (or several that split alike)."""

    item: str
    names: tuple[str, ...]
    levels: tuple[LevelStats, ...]
    test: str  # "chi-squared", "fisher" or "" (nothing to test)
    statistic: float | None
    df: int | None
    p: float | None
    p_holm: float | None
    approximate: bool
    significant: bool
    note: str


@dataclass(frozen=True)
class ItemAnalysis:
    """Everything ``quizgen report`` shows and writes."""

    title: str
    exam: str
    seed: str
    key: str
    klass: ClassStats
    items: tuple[ItemStats, ...]
    options: tuple[OptionStats, ...]
    mistakes: tuple[MistakeStats, ...]
    params: tuple[ParamStats, ...]
    left_out: tuple[str, ...]  # items graded by hand, not analysed
    notes: tuple[str, ...]


# --- gathering ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Obs:
    """One student's result on one item, with the variant and key it was graded against."""

    student: int
    result: ItemRecord
    variant: VariantRecord
    key: KeyRecord


@dataclass
class _Class:
    """The analysed students: totals, percentages and the 27 % groups."""

    totals: list[float]
    maxima: list[float]
    percents: list[float]
    upper: set[int] = field(default_factory=set)
    lower: set[int] = field(default_factory=set)


def _column(item: ItemRecord) -> str:
    return f"{item.question_id}.{item.part_id}" if item.part_id else item.question_id


def _hand_graded(students: Iterable[StudentRecord]) -> set[str]:
    return {
        _column(i) for s in students for i in s.items if i.status == "manual" or i.kind == "essay"
    }


def _observations(
    students: Sequence[StudentRecord], exam: ExamRecord, left_out: set[str]
) -> tuple[dict[str, list[_Obs]], int]:
    """Observations per item column, and how many were graded against another variant."""
    found: dict[str, list[_Obs]] = {}
    names: dict[tuple[str, str], str] = {}
    other_variant = 0
    for index, student in enumerate(students):
        for item in student.items:
            column = names.get((item.question_id, item.part_id))
            if column is None:
                column = names[(item.question_id, item.part_id)] = _column(item)
            if column in left_out:
                continue
            variant = exam.variants.get((student.student_id, item.question_id))
            key = None if variant is None else variant.keys.get(item.part_id)
            if variant is None or key is None:
                raise UsageError(
                    f"grading.json has {column} for student {student.student_id}, "
                    "which the key does not",
                    hint="pass the key.json these grades were graded against",
                )
            other_variant += variant.uid != item.variant_uid
            found.setdefault(column, []).append(_Obs(index, item, variant, key))
    return found, other_variant


def _column_order(students: Sequence[StudentRecord], columns: Iterable[str]) -> list[str]:
    """Paper order: by the earliest place an item has on any paper (papers differ with --pick)."""
    place: dict[str, tuple[int, int]] = {}
    for s in students:
        for i, item in enumerate(s.items):
            column = _column(item)
            place[column] = min(place.get(column, (i, len(place))), (i, len(place)))
    return sorted(columns, key=lambda c: place[c])


def _klass(students: Sequence[StudentRecord], left_out: set[str]) -> _Class:
    totals, maxima = [], []
    for s in students:
        kept = [i for i in s.items if _column(i) not in left_out]
        totals.append(sum(i.earned for i in kept))
        maxima.append(sum(i.points for i in kept))
    percents = [100 * t / m if m else 0.0 for t, m in zip(totals, maxima, strict=True)]
    upper, lower = stats.upper_lower_groups(percents)
    return _Class(totals, maxima, percents, set(upper), set(lower))


# --- the class ---------------------------------------------------------------------------------


def _alpha(columns: dict[str, list[_Obs]], n: int) -> tuple[float | None, str]:
    if any(len(obs) != n for obs in columns.values()):
        return None, "not computed: students answered different questions (--pick)"
    table = [[o.result.earned for o in obs] for obs in columns.values()]
    alpha = stats.cronbach_alpha(table)
    if alpha is None:
        return None, "not computed: needs two items and totals that vary"
    return alpha, ""


def _dichotomous(columns: dict[str, list[_Obs]]) -> bool:
    """Every item right or wrong and worth the same: alpha is then exactly KR-20."""
    points = {o.result.points for obs in columns.values() for o in obs}
    scores = {o.result.score for obs in columns.values() for o in obs}
    return len(points) == 1 and scores <= {0, 1}


def _class_stats(columns: dict[str, list[_Obs]], klass: _Class, missing: int) -> ClassStats:
    n = len(klass.totals)
    alpha, note = _alpha(columns, n)
    sd = stats.sample_sd(klass.totals)
    uniform = len(set(klass.maxima)) == 1
    counts = stats.histogram(klass.percents, HISTOGRAM_EDGES)
    edges = HISTOGRAM_EDGES
    return ClassStats(
        students=n,
        missing=missing,
        max_points=klass.maxima[0] if uniform and n else None,
        mean=stats.mean(klass.totals),
        median=stats.median(klass.totals),
        sd=sd,
        mean_percent=stats.mean(klass.percents),
        median_percent=stats.median(klass.percents),
        sd_percent=stats.sample_sd(klass.percents),
        alpha=alpha,
        alpha_note=note,
        dichotomous=_dichotomous(columns),
        sem=stats.standard_error_of_measurement(sd, alpha) if uniform else None,
        upper=len(klass.upper),
        lower=len(klass.lower),
        histogram=tuple(Bin(edges[i], edges[i + 1], c) for i, c in enumerate(counts)),
    )


# --- items -------------------------------------------------------------------------------------


def _in_group(obs: Sequence[_Obs], group: set[int]) -> list[_Obs]:
    return [o for o in obs if o.student in group]


def _facility(obs: Sequence[_Obs]) -> float | None:
    return stats.mean([o.result.score for o in obs])


def _item_flags(facility: float | None, r: float | None, d: float | None) -> tuple[str, ...]:
    """Moodle's warning signs; the upper–lower index stands in when r is undefined."""
    flags = []
    if facility is not None and facility > TOO_EASY:
        flags.append("too easy")
    if facility is not None and facility < TOO_HARD:
        flags.append("too hard")
    discrimination = r if r is not None else d
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination")
    return tuple(flags)


def _item_stats(column: str, obs: list[_Obs], klass: _Class) -> ItemStats:
    first = obs[0]
    earned = [o.result.earned for o in obs]
    rest = [klass.totals[o.student] - o.result.earned for o in obs]
    facility = _facility(obs)
    r = stats.pearson(earned, rest)
    upper = _facility(_in_group(obs, klass.upper))
    lower = _facility(_in_group(obs, klass.lower))
    d = None if upper is None or lower is None else upper - lower
    return ItemStats(
        item=column,
        question_id=first.result.question_id,
        part_id=first.result.part_id,
        kind=first.result.kind,
        topic=first.result.topic,
        title=first.variant.title,
        points=first.result.points,
        students=len(obs),
        facility=facility,
        sd=stats.sample_sd([o.result.score for o in obs]),
        discrimination=r,
        upper_lower=d,
        upper_facility=upper,
        lower_facility=lower,
        blank=sum(o.result.status == "blank" for o in obs),
        invalid=sum(o.result.status == "invalid" for o in obs),
        flags=_item_flags(facility, r, d),
    )


# --- options -----------------------------------------------------------------------------------

_RowKey = tuple[str, bool]  # (option id, or "" for the merged computed options; correct)


def _picked(key: ChoiceKey, result: ItemRecord) -> list[Any]:
    """The options a student picked; [] for a blank or unreadable answer."""
    if result.status in ("blank", "invalid", "missing"):
        return []
    response = result.response
    if isinstance(response, bool) or response is None:
        return []
    try:
        return read_multi(key, response)
    except MathSyntaxError:
        return []


def _option_rows(column: str, obs: list[_Obs], klass: _Class) -> list[OptionStats]:
    choices = [(o, o.key.choice) for o in obs if o.key.choice is not None]
    if not choices:
        return []
    distinct = {id(key): key for _, key in choices}
    # an option whose text (so id) changes with the parameters cannot be followed across
    # variants: such options are merged into one correct and one wrong row
    fixed = set.intersection(*({opt.id for opt in key.options} for key in distinct.values()))
    row_of = {
        (id(key), option.id): (option.id, option.correct)
        if option.id in fixed
        else ("", option.correct)
        for key in distinct.values()
        for option in key.options
    }
    texts: dict[_RowKey, str] = {}
    shown: dict[_RowKey, set[int]] = {}
    picked: dict[_RowKey, set[int]] = {}
    for o, key in choices:
        for option in key.options:
            row = row_of[(id(key), option.id)]
            shown.setdefault(row, set()).add(o.student)
            texts.setdefault(row, option.text)
        for option in _picked(key, o.result):
            picked.setdefault(row_of[(id(key), option.id)], set()).add(o.student)
    rows = [_option(column, r, texts[r], shown[r], picked.get(r, set()), klass) for r in shown]
    return sorted(rows, key=lambda s: (not s.correct, s.computed, -s.picked, s.text))


def _share(part: set[int], whole: set[int]) -> float | None:
    return len(part & whole) / len(whole) if whole else None


def _option(
    column: str, row: _RowKey, text: str, shown: set[int], picked: set[int], klass: _Class
) -> OptionStats:
    option_id, correct = row
    upper = _share(picked, shown & klass.upper)
    lower = _share(picked, shown & klass.lower)
    flags = []
    if not correct and not picked:
        flags.append("never chosen")
    if not correct and upper is not None and lower is not None and upper > lower:
        flags.append("draws the upper group")
    return OptionStats(
        item=column,
        text=text if option_id else "",
        correct=correct,
        computed=not option_id,
        shown=len(shown),
        picked=len(picked),
        share=len(picked) / len(shown) if shown else None,
        upper_share=upper,
        lower_share=lower,
        flags=tuple(flags),
    )


# --- mistakes ----------------------------------------------------------------------------------


def _mistake_rows(column: str, obs: list[_Obs], klass: _Class) -> list[MistakeStats]:
    entries = max(len(o.key.mistakes) for o in obs)
    rows = []
    for i in range(entries):
        having = [o for o in obs if len(o.key.mistakes) > i]
        answers = {o.key.mistakes[i].answer for o in having}
        first = having[0].key.mistakes[i]
        students = {o.student for o in having}
        hits = {o.student for o in having if o.result.mistake == i}
        wrong = sum(o.result.status == "incorrect" for o in having)
        rows.append(
            MistakeStats(
                item=column,
                entry=i + 1,
                answer=first.answer,
                answer_varies=len(answers) > 1,
                feedback=first.feedback,
                students=len(students),
                wrong=wrong,
                hits=len(hits),
                share=len(hits) / len(students),
                share_of_wrong=len(hits) / wrong if wrong else None,
                upper_share=_share(hits, students & klass.upper),
                lower_share=_share(hits, students & klass.lower),
            )
        )
    return rows


# --- difficulty by parameter value -------------------------------------------------------------


def _value_order(value: str) -> tuple[int, Fraction | str]:
    """Numbers in numeric order, then texts in text order."""
    try:
        return (0, Fraction(value))
    except (ValueError, ZeroDivisionError):
        return (1, value)


@dataclass
class _Drawn:
    """The students who drew one variant of an item: their scores and how many were right."""

    variant: VariantRecord
    scores: list[float] = field(default_factory=list)
    correct: int = 0


def _drawn(obs: list[_Obs]) -> list[_Drawn]:
    """Observations grouped by variant (students with equal draws share one), in first order."""
    found: dict[int, _Drawn] = {}
    for o in obs:
        group = found.get(id(o.variant))
        if group is None:
            group = found[id(o.variant)] = _Drawn(o.variant)
        group.scores.append(o.result.score)
        group.correct += o.result.status == "correct"
    return list(found.values())


def _parameter_groups(drawn: list[_Drawn]) -> list[tuple[tuple[str, ...], list[str]]]:
    """(names, value per variant) for each split of the students worth testing.

    Names whose values split the students the same way (``h`` and a derived ``h*h``) are
    one group; a name with one value, or more than ``MAX_LEVELS``, is skipped.
    """
    names: dict[str, None] = {}
    for d in drawn:
        names.update(dict.fromkeys(d.variant.values))
    groups: dict[tuple[int, ...], tuple[list[str], list[str]]] = {}
    for name in names:
        values = [d.variant.values.get(name, "") for d in drawn]
        if not 2 <= len(set(values)) <= MAX_LEVELS:
            continue
        seen: dict[str, int] = {}
        signature = tuple(seen.setdefault(v, len(seen)) for v in values)
        groups.setdefault(signature, ([], values))[0].append(name)
    return [(tuple(found), values) for found, values in groups.values()]


def _levels(drawn: list[_Drawn], values: list[str]) -> tuple[LevelStats, ...]:
    by_value: dict[str, list[_Drawn]] = {}
    for d, v in zip(drawn, values, strict=True):
        by_value.setdefault(v, []).append(d)
    levels = []
    for value, groups in sorted(by_value.items(), key=lambda kv: _value_order(kv[0])):
        scores = [x for d in groups for x in d.scores]
        correct = sum(d.correct for d in groups)
        levels.append(LevelStats(value, len(scores), correct, stats.mean(scores)))
    return tuple(levels)


def _param_rows(column: str, obs: list[_Obs]) -> list[ParamStats]:
    rows = []
    drawn = _drawn(obs)
    for names, values in _parameter_groups(drawn):
        levels = _levels(drawn, values)
        table = [[lv.correct for lv in levels], [lv.students - lv.correct for lv in levels]]
        test = stats.independence_test(table)
        note = ""
        if test is None:
            note = "everyone right" if sum(table[1]) == 0 else "no one right"
        elif test.approximate:
            note = "approximate: too few students per value"
        rows.append(
            ParamStats(
                item=column,
                names=names,
                levels=levels,
                test=test.test if test else "",
                statistic=test.statistic if test else None,
                df=test.df if test else None,
                p=test.p if test else None,
                p_holm=None,
                approximate=bool(test and test.approximate),
                significant=False,
                note=note,
            )
        )
    return rows


def _with_holm(rows: list[ParamStats]) -> list[ParamStats]:
    """Adjust every p-value of the report together (Holm) and flag the significant ones."""
    tested = [i for i, r in enumerate(rows) if r.p is not None]
    adjusted = stats.holm([rows[i].p for i in tested])  # type: ignore[misc]
    out = list(rows)
    for i, p_holm in zip(tested, adjusted, strict=True):
        r = rows[i]
        significant = not r.approximate and p_holm < SIGNIFICANCE
        out[i] = replace(r, p_holm=p_holm, significant=significant)
    return out


# --- the whole analysis ------------------------------------------------------------------------


def _notes(run: RunRecord, left_out: set[str], other_variant: int) -> tuple[str, ...]:
    notes = []
    missing = sum(s.status == "missing" for s in run.students)
    if missing:
        notes.append(f"{missing} student(s) without a submission are left out.")
    if run.rejections:
        notes.append(f"{run.rejections} submission file(s) were rejected when grading.")
    if left_out:
        notes.append(
            "Graded by hand, not analysed: " + ", ".join(sorted(left_out)) + "; totals leave "
            "them out."
        )
    if run.key == "regraded":
        notes.append("The grades come from a re-solved key (--regrade).")
    if other_variant:
        notes.append(
            f"{other_variant} item(s) were graded against a variant other than this key's; "
            "options, mistakes and parameters are read from this key."
        )
    return tuple(notes)


def analyse_run(run: RunRecord, exam: ExamRecord) -> ItemAnalysis:
    """The item analysis of a grading run, from its records (see :func:`analyse`).

    Raises:
        UsageError: the grades name a student or question that the key does not have.
    """
    students = [s for s in run.students if s.status == "graded"]
    left_out = _hand_graded(students)
    columns, other_variant = _observations(students, exam, left_out)
    columns = {c: columns[c] for c in _column_order(students, columns)}
    klass = _klass(students, left_out)
    params: list[ParamStats] = []
    options: list[OptionStats] = []
    mistakes: list[MistakeStats] = []
    for column, obs in columns.items():
        options += _option_rows(column, obs, klass)
        mistakes += _mistake_rows(column, obs, klass)
        params += _param_rows(column, obs)
    return ItemAnalysis(
        title=run.title,
        exam=run.exam,
        seed=run.seed,
        key=run.key,
        klass=_class_stats(columns, klass, len(run.students) - len(students)),
        items=tuple(_item_stats(c, obs, klass) for c, obs in columns.items()),
        options=tuple(options),
        mistakes=tuple(mistakes),
        params=tuple(_with_holm(params)),
        left_out=tuple(sorted(left_out)),
        notes=_notes(run, left_out, other_variant),
    )


def analyse(report: GradeReport, exam: Exam) -> ItemAnalysis:
    """The item analysis of a grading run.

    Args:
        report: what ``quizgen grade`` wrote to ``grading.json``.
        exam: the frozen key it was graded against (for parameters, options and mistakes).

    Returns:
        Class statistics and one row per item, option, mistake and parameter split.

    Raises:
        UsageError: the grades name a student or question that the key does not have.
    """
    return analyse_run(run_from_report(report), keys_from_exam(exam))

"""`quizgen generate`: one paper per student, keys, frozen key.json — reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

from quizgen.bank.model import load_bank
from quizgen.cli import app
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.keyfile import open_key


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_generate_writes_papers_keys_and_is_byte_identical(
    runner, tmp_path: Path, core_bank: Path
) -> None:
    args = ["generate", str(core_bank), "--count", "5", "--seed", "7"]
    first, second = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(app, [*args, "--out", str(first)]).exit_code == 0
    assert runner.invoke(app, [*args, "--out", str(second)]).exit_code == 0
    files = _tree(first)
    assert files == _tree(second)
    for n in range(1, 6):
        assert f"papers/s00{n}.html" in files
        assert f"papers/s00{n}.md" in files
        assert f"submissions/s00{n}.json" in files
    assert {"key.html", "key.md", "key.json"} <= set(files)
    exam = open_key(first / "key.json")
    assert [p.student_id for p in exam.papers] == ["s001", "s002", "s003", "s004", "s005"]
    assert exam.banks[0].sha256 == load_bank(core_bank).sha256


def test_roster_names_and_ids(runner, tmp_path: Path, core_bank: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffid,name\nu-17,Ana María\nu/18,Bo\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "generate",
            str(core_bank),
            "--roster",
            str(roster),
            "--seed",
            "x",
            "--out",
            str(out),
            "--format",
            "html",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "papers" / "u-17.html").exists()
    assert (out / "papers" / "u_18.html").exists()
    assert "Ana María" in (out / "papers" / "u-17.html").read_text(encoding="utf-8")
    assert not list((out / "papers").glob("*.md"))


def test_variants_depend_on_seed_and_student_only(core_bank: Path) -> None:
    bank = load_bank(core_bank)
    a = build_exam([bank], numbered_students(3), "7")
    b = build_exam([bank], numbered_students(4), "7")
    c = build_exam([bank], numbered_students(3), "8")
    assert a.papers == b.papers[:3]  # adding a student changes nobody else's paper
    assert a.papers[0].variants != c.papers[0].variants
    assert len({json.dumps(p.variants[0].values) for p in b.papers}) > 1


def test_golden_variants(core_bank: Path) -> None:
    """Pinned draws: the same seed and student give these values on every platform."""
    exam = build_exam([load_bank(core_bank)], numbered_students(2), "7")
    got = {(p.student_id, v.question_id): v.values for p in exam.papers for v in p.variants[:2]}
    assert got == GOLDEN


def test_pick_per_topic_is_part_of_the_seed(core_bank: Path) -> None:
    bank = load_bank(core_bank)
    exam = build_exam([bank], numbered_students(20), "7", pick=1)
    topics = {q.id: q.topic for q in bank.questions}
    for paper in exam.papers:
        chosen = [topics[v.question_id] for v in paper.variants]
        assert sorted(chosen) == sorted(set(topics.values()))
    assert len({tuple(v.question_id for v in p.variants) for p in exam.papers}) > 1
    again = build_exam([bank], numbered_students(20), "7", pick=1)
    assert again == exam


def test_exact_answers_in_the_key(core_bank: Path) -> None:
    exam = build_exam([load_bank(core_bank)], numbered_students(1), "7")
    by_id = {v.question_id: v for v in exam.papers[0].variants}
    decay = by_id["decay"]
    g, t = decay.values["g"], int(decay.values["T"])
    from fractions import Fraction

    assert decay.answer.value == str(Fraction(g) ** t)
    count = by_id["count"]
    v = {k: int(x) for k, x in count.values.items()}
    assert (
        int(count.answer.value) == v["x"] * v["h"] + v["h"] ** 2 + v["h"] * v["y"] + v["h"] + v["y"]
    )
    assert count.answer.mistakes[0].feedback == "Parameters are shared across time steps."


GOLDEN: dict = {
    ("s001", "count"): {
        "T": "20",
        "W_hh": "65536",
        "W_hy": "4864",
        "W_xh": "15360",
        "h": "256",
        "x": "60",
        "y": "19",
    },
    ("s001", "decay"): {"T": "5", "g": "11/20"},
    ("s002", "count"): {
        "T": "20",
        "W_hh": "4096",
        "W_hy": "768",
        "W_xh": "1024",
        "h": "64",
        "x": "16",
        "y": "12",
    },
    ("s002", "decay"): {"T": "20", "g": "69/100"},
}


def test_issue_sig_filter_rounds_integers_too() -> None:
    """`{{ n | sig(3) }}` printed 20362 unchanged: integers skipped the rounding."""
    from quizgen.math.numbers import display

    assert display(20362, sig=3) == "20400"
    assert display(20362) == "20362"


def test_readme_quickstart_generate_is_byte_identical(runner, tmp_path: Path) -> None:
    """The README's command: 30 papers per format plus keys, the same bytes on every run."""
    bank = Path(__file__).resolve().parent.parent / "banks" / "rnn-lstm.yaml"
    trees = []
    for name in ("first", "second"):
        out = tmp_path / name
        args = ["generate", str(bank), "--count", "30", "--seed", "7", "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        trees.append(_tree(out))
    assert trees[0] == trees[1]
    assert sum(name.startswith("papers/") and name.endswith(".html") for name in trees[0]) == 30
    assert sum(name.startswith("papers/") and name.endswith(".md") for name in trees[0]) == 30
    assert {"key.html", "key.md", "key.json"} <= set(trees[0])


def test_processes_with_different_hash_seeds_write_the_same_exam(
    quizgen_cli, tmp_path: Path
) -> None:
    """Every shipped bank, generated by two processes whose PYTHONHASHSEED differs (so their
    set and dict orders of strings differ): the exam folders are byte-identical."""
    banks = Path(__file__).resolve().parent.parent / "banks"
    outs = [tmp_path / "one", tmp_path / "two"]
    runs = quizgen_cli(
        *(["generate", banks, "--count", "4", "--seed", "7", "--out", out] for out in outs),
        hash_seeds=["1", "2"],
    )
    for run in runs:
        assert run.code == 0, run.stderr
    first, second = _tree(outs[0]), _tree(outs[1])
    assert first == second
    exam = open_key(outs[0] / "key.json")
    assert {b.file for b in exam.banks} == {p.name for p in banks.glob("*.yaml")}
    assert {"papers/s001.html", "papers/s004.md", "submissions/s004.json"} <= set(first)


def test_force_warns_about_papers_left_from_an_earlier_exam(
    runner, tmp_path: Path, core_bank: Path
) -> None:
    out = tmp_path / "exam"
    base = ["generate", str(core_bank), "--seed", "7", "--out", str(out), "--format", "md"]
    assert runner.invoke(app, [*base, "--count", "4"]).exit_code == 0
    result = runner.invoke(app, [*base, "--count", "2", "--force"])
    assert result.exit_code == 0
    assert "4 file(s)" in result.output and "papers/s003.md" in result.output
    assert "left from an earlier run" in result.output
    again = runner.invoke(app, [*base, "--count", "4", "--force"])
    assert "earlier run" not in again.output

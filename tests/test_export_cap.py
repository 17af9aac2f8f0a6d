"""`quizgen export --variants` above the documented cap is refused before any drawing (issue 14)."""

from __future__ import annotations

from pathlib import Path

from quizgen.export import MAX_VARIANTS

BANK = Path(__file__).resolve().parent / "data" / "export-bank.yaml"


def test_too_many_variants_are_refused_with_a_reason(tmp_path: Path, quizgen_cli) -> None:
    out = tmp_path / "quiz.gift"
    args = ["--to", "gift", "--seed", "1", "--out", out]
    (over,) = quizgen_cli(["export", BANK, "--variants", MAX_VARIANTS + 1, *args])
    assert over.code == 2 and "Traceback" not in over.stderr
    assert f"at most {MAX_VARIANTS:,} per question" in over.stderr
    assert not out.exists()

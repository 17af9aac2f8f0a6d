"""The shipped recurrent-networks bank: it loads, covers the seed material, and computes right."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.bank.model import Bank, load_bank
from quizgen.generate.compile import CompiledQuestion, compile_bank, compile_question
from quizgen.generate.solve import draw_variant
from quizgen.rng import stream_for

BANK = Path(__file__).resolve().parent.parent / "banks" / "rnn-lstm.yaml"
SEED_TOPICS = {
    "rnn/parameters",  # vanilla RNN parameter counts
    "rnn/vanishing",  # vanishing gradients
    "rnn/exploding",  # ... and exploding ones, with gradient clipping (issue 13)
    "variants",  # LSTM, GRU, bidirectional RNN, echo state network, Hopfield network
    "lstm/gates",  # gates, the cell update, the cell state and vanishing gradients
    "lstm/reduction",  # smaller hidden state, GRU, pruning/quantization, bias conventions
    "bilstm",  # bidirectional LSTMs
}


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(BANK)


def _question(bank: Bank, qid: str) -> CompiledQuestion:
    index = next(i for i, q in enumerate(bank.questions) if q.id == qid)
    return compile_question(bank, index)


def test_bank_loads_and_every_question_compiles(bank: Bank) -> None:
    assert bank.id == "rnn-lstm"
    assert len(compile_bank(bank)) == len(bank.questions)


def test_size_and_variety(bank: Bank) -> None:
    assert len(bank.questions) >= 18
    assert len({q.kind for q in bank.questions}) >= 6


def test_every_seed_topic_is_covered(bank: Bank) -> None:
    missing = SEED_TOPICS - {q.topic for q in bank.questions}
    assert not missing


def test_every_question_has_a_solution_and_a_hand_checked_example(bank: Bank) -> None:
    for q in bank.questions:
        assert q.solution.strip(), q.id
        assert q.examples, q.id


@pytest.mark.parametrize("steps", [5, 10])
def test_unrolling_adds_no_parameters(bank: Bank, steps: int) -> None:
    question = _question(bank, "rnn-param-count")
    fixed = {"h": 128, "x": 20, "y": 10, "T": steps}
    variant = draw_variant(question, stream_for("test", steps), fixed=fixed)
    assert variant.answer.value == "20362"


def test_solution_labels_each_matrix_with_its_own_sizes(bank: Bank) -> None:
    """The source material swapped two labels; a generated solution cannot."""
    question = _question(bank, "rnn-param-count")
    fixed = {"h": 128, "x": 20, "y": 10, "T": 5}
    solution = draw_variant(question, stream_for("test"), fixed=fixed).solution
    assert "$W_{xh}$: 128 × 20 = 2,560" in solution
    assert "$W_{hh}$: 128 × 128 = 16,384" in solution
    assert "$W_{hy}$: 10 × 128 = 1,280" in solution
    assert "**20,362**" in solution


# Counts worked out by hand (not with the bank's formulas).
@pytest.mark.parametrize(
    ("qid", "params", "expected"),
    [
        ("lstm-param-count", {"n": 96, "h": 256}, "361472"),  # 4·(24576 + 65536 + 256)
        ("lstm-param-pytorch", {"n": 32, "h": 64}, "25088"),  # 4·(2048 + 4096 + 128)
        ("gru-vs-lstm-savings", {"n": 50, "h": 100}, "15100"),  # 5000 + 10000 + 100
        ("bilstm-param-count", {"n": 300, "h": 128}, "439296"),  # 2·4·(38400 + 16384 + 128)
        ("bilstm-next-layer", {"h": 128, "h2": 64}, "82176"),  # 4·(256·64 + 64² + 64)
        ("hopfield-weights", {"N": 100}, "4950"),  # 100·99/2
        ("lstm-cell-update", {"f_t": 0.9, "i_t": 0.3, "c_prev": 1.5, "c_tilde": -0.4}, "123/100"),
        ("vanish-fraction", {"g": 0.9, "T": 10}, "3486784401/10000000000"),
        ("vanish-steps", {"g": 0.9, "eps": 0.01}, "44"),  # 0.9^43 ≈ 0.0108, 0.9^44 ≈ 0.0097
        ("explode-growth", {"g": 1.1, "T": 10}, "25937424601/10000000000"),  # 1.1^10
        ("explode-steps", {"g": 1.1, "M": 1000}, "73"),  # 1.1^72 ≈ 962.0, 1.1^73 ≈ 1058.2
    ],
)
def test_hand_computed_answers(bank: Bank, qid: str, params: dict, expected: str) -> None:
    variant = draw_variant(_question(bank, qid), stream_for("test", qid), fixed=params)
    assert variant.answer.value == expected


# `quizgen check` of this bank runs in tests/test_banks.py, with every other bank.


def test_issue_13_two_bias_count_is_a_declared_mistake(bank: Bank) -> None:
    """PyTorch users count nn.RNN's two biases: 20,490 instead of 20,362 for the seed network."""
    question = _question(bank, "rnn-param-count")
    key = draw_variant(
        question, stream_for("test"), fixed={"h": 128, "x": 20, "y": 10, "T": 5}
    ).answer
    (mistake,) = [m for m in key.mistakes if m.value == "20490"]
    assert "two hidden bias vectors" in mistake.feedback


def test_issue_13_variant_from_count_draws_the_layer_type(bank: Bank) -> None:
    """It always keyed GRU, a shareable answer; now the drawn count decides."""
    question = _question(bank, "variant-from-count")
    keyed = {
        next(
            o.text
            for o in draw_variant(question, stream_for("kinds", i)).answer.options
            if o.correct
        )
        for i in range(60)
    }
    assert keyed == {"vanilla RNN layer", "GRU", "LSTM"}


def test_issue_13_no_statement_calls_the_chung_form_cho(bank: Bank) -> None:
    """(1 - z) h + z h~ is Chung et al. (2014); Cho et al. (2014) and PyTorch weight h by z."""
    root = BANK.parent
    for path in [*root.glob("*.yaml"), root.parent / "docs" / "banks.md"]:
        assert "(Cho et al.)" not in path.read_text(encoding="utf-8"), path.name

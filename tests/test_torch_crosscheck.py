"""Cross-check the banks against PyTorch, which nobody here wrote.

Every parameter-count question is checked against ``sum(p.numel() for p in
module.parameters())`` of the matching ``torch.nn`` module, and every gate-arithmetic question
against the LSTM/GRU equations run by ``nn.LSTMCell`` / ``nn.GRUCell`` (or autograd for the
gradient factors), for at least 100 seeded variants each. The mapping from questions to torch
lives here, in ``CHECKS``, because the bank format forbids extra fields; a coverage test makes
sure a new count or gate question cannot escape it.

Conventions the builders encode:

- **Two bias vectors per gate** is what ``nn.RNN``/``nn.LSTM``/``nn.GRU`` build (``bias_ih``
  and ``bias_hh``): count the module as it is.
- **One bias vector per gate** (the textbook equations) is the same module without
  ``bias_hh``: in the LSTM and vanilla RNN the two biases only ever appear as a sum, and in
  the GRU the textbook candidate ``tanh(W x + U (r * h) + b)`` has one bias too, so the
  one-bias count is the module's count minus its ``bias_hh*`` tensors (:func:`one_bias`).
- PyTorch's gate order is (i, f, g, o) for the LSTM and (r, z, n) for the GRU, and its GRU
  computes ``h' = (1 - z) * n + z * h``: the banks' ``z`` (Cho et al.,
  ``h' = (1 - z) h + z h~``) is PyTorch's ``1 - z``.
- Count modules are built on the ``meta`` device: shapes without memory, so a 2048-unit
  stacked layer costs nothing. Output shapes come from real (small) forward passes.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sympy

from quizgen.bank.model import Bank, load_bank
from quizgen.generate.compile import CompiledQuestion, compile_question
from quizgen.generate.solve import draw_variant
from quizgen.math.domains import domain_symbol
from quizgen.rng import stream_for
from quizgen.variant import ChoiceKey, ExpressionKey, NumericKey, TrueFalseKey, Variant

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns at import when NumPy is absent; not needed here
    torch = pytest.importorskip(
        "torch",
        reason="PyTorch is not installed (CI installs it: pip install torch==2.13.0, CPU wheel); "
        "the bank cross-check against torch.nn cannot run without it",
    )
from torch import nn

# The modules here are tiny: extra intra-op threads only spin against other test processes.
torch.set_num_threads(1)

BANKS = Path(__file__).resolve().parent.parent / "banks"
VARIANTS = 100  # distinct stream keys per question
REL_TOL = 1e-6
META = {"device": "meta"}
F64 = torch.float64

Values = Mapping[str, Any]  # parameter name -> int | float (exact Fractions converted)


# --- counting -------------------------------------------------------------------------------


def count(module: nn.Module) -> int:
    """Trainable parameters; a tensor shared by two modules (tied weights) counts once."""
    return sum(p.numel() for p in module.parameters())


def one_bias(module: nn.Module) -> int:
    """The count with one bias vector per gate: drop PyTorch's second set, ``bias_hh*``."""
    return count(module) - sum(p.numel() for n, p in module.named_parameters() if "bias_hh" in n)


def lstm(n: int, h: int, **kw: Any) -> nn.LSTM:
    return nn.LSTM(n, h, **kw, **META)


def gru(n: int, h: int, **kw: Any) -> nn.GRU:
    return nn.GRU(n, h, **kw, **META)


def linear(n: int, y: int) -> nn.Linear:
    return nn.Linear(n, y, **META)


def embedding(vocab: int, dim: int) -> nn.Embedding:
    return nn.Embedding(vocab, dim, **META)


class TiedLanguageModel(nn.Module):
    """Embedding → LSTM → decoder whose weight *is* the embedding table."""

    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embedding = embedding(vocab, dim)
        self.lstm = lstm(dim, dim)
        self.decoder = linear(dim, vocab)
        self.decoder.weight = self.embedding.weight


# --- gate arithmetic ------------------------------------------------------------------------


def logit(p: float) -> float:
    """The pre-activation whose sigmoid is ``p`` (±inf for a gate of exactly 0 or 1)."""
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    return math.log(p / (1 - p))


def scalar(x: float) -> torch.Tensor:
    return torch.full((1, 1), float(x), dtype=F64)


def lstm_cell(pre: dict[str, float]) -> nn.LSTMCell:
    """A one-unit LSTMCell whose gate pre-activations are the constants ``pre``.

    All weights are 0, so the pre-activations are the biases; PyTorch orders them i, f, g, o.
    """
    cell = nn.LSTMCell(1, 1, dtype=F64)
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.weight_hh.zero_()
        cell.bias_hh.zero_()
        cell.bias_ih.copy_(torch.tensor([pre["i"], pre["f"], pre["g"], pre["o"]], dtype=F64))
    return cell


def lstm_gates(f: float, i: float, g: float = 0.0, o: float = 0.5) -> nn.LSTMCell:
    """A one-unit LSTMCell whose gates take the given *values* (not pre-activations)."""
    return lstm_cell({"f": logit(f), "i": logit(i), "g": math.atanh(g), "o": logit(o)})


def lstm_run(cell: nn.LSTMCell, c0: Any, steps: int = 1, h0: float = 0.0) -> tuple[Any, Any]:
    """Run ``cell`` for ``steps`` on input 0; returns the final (h, c) tensors."""
    h = scalar(h0)
    c = c0 if isinstance(c0, torch.Tensor) else scalar(c0)
    for _ in range(steps):
        h, c = cell(scalar(0), (h, c))
    return h, c


def cell_state(c0: float, steps: int = 1, **gates: float) -> float:
    """c after ``steps`` steps of a cell whose gates hold the given values (see lstm_gates)."""
    return lstm_run(lstm_gates(**gates), c0, steps)[1].item()


def gru_cell(a_r: float, a_z_bank: float, a_n: float, u: float = 0.0) -> nn.GRUCell:
    """A one-unit GRUCell for input x = 1: r = σ(a_r), bank z = σ(a_z_bank),
    n = tanh(a_n + r · u · h).

    The bank's z weights the candidate; PyTorch's z weights the old state, so PyTorch's
    update pre-activation is ``-a_z_bank`` (σ(-a) = 1 - σ(a)).
    """
    cell = nn.GRUCell(1, 1, dtype=F64)
    with torch.no_grad():
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        cell.weight_ih.copy_(torch.tensor([[a_r], [-a_z_bank], [a_n]], dtype=F64))
        cell.weight_hh.copy_(torch.tensor([[0.0], [0.0], [u]], dtype=F64))
    return cell


def gru_step(cell: nn.GRUCell, h_prev: float) -> float:
    return cell(scalar(1), scalar(h_prev)).item()


def cell_path_gradient(f: float, steps: int) -> float:
    """d c_T / d c_0 of an LSTM with constant forget gate ``f`` (autograd)."""
    c0 = scalar(1.0).requires_grad_()
    _, c = lstm_run(lstm_gates(f=f, i=0.5, g=0.3), c0, steps)
    (grad,) = torch.autograd.grad(c.sum(), c0)
    return grad.item()


def rnn_gradient(factor: float, steps: int) -> float:
    """d h_T / d h_0 of a one-unit ReLU RNN with recurrent weight ``factor`` (autograd).

    With a positive state, ReLU is the identity, so each step multiplies the gradient by
    ``factor`` — the simplified model of backpropagation through time the banks use.
    """
    cell = nn.RNNCell(1, 1, nonlinearity="relu", dtype=F64)
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        cell.weight_hh.fill_(factor)
    h0 = scalar(1.0).requires_grad_()
    h = h0
    for _ in range(steps):
        h = cell(scalar(0), h)
    (grad,) = torch.autograd.grad(h.sum(), h0)
    return grad.item()


def steps_below(factor: float, eps: float) -> int:
    """Smallest T with factor**T < eps, by repeated multiplication in float64 tensors."""
    value, steps = torch.tensor(1.0, dtype=F64), 0
    while value >= eps:
        value = value * factor
        steps += 1
    return steps


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """How torch computes a question's answer from the variant's drawn values.

    ``build(values)`` returns an ``nn.Module`` (its parameter count), a number, a bool
    (truefalse), or for multipart questions a dict from part id to any of those. For an
    expression question, ``variables`` lists values to try for each free variable: the key's
    expression is evaluated at every combination and compared with
    ``build({**values, **combination})``.
    """

    build: Callable[[Values], Any]
    variables: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    autograd: bool = False  # the builder differentiates; otherwise it runs under no_grad


def _lstm_step_parts(v: Values) -> dict[str, float]:
    cell = lstm_cell({"f": v["a_f"], "i": v["a_i"], "g": v["a_g"], "o": v["a_o"]})
    h, c = lstm_run(cell, v["c_prev"])
    return {
        "forget": torch.sigmoid(torch.tensor(v["a_f"], dtype=F64)).item(),
        "candidate": torch.tanh(torch.tensor(v["a_g"], dtype=F64)).item(),
        "cell": c.item(),
        "hidden": h.item(),
    }


def _gru_step_parts(v: Values) -> dict[str, float]:
    cell = gru_cell(v["a_r"], v["a_z"], v["wx"], u=v["u"])
    reset = torch.sigmoid(torch.tensor(v["a_r"], dtype=F64))
    # The candidate alone: a cell whose update gate is fully open onto it (bank z = 1).
    candidate = gru_step(gru_cell(v["a_r"], math.inf, v["wx"], u=v["u"]), v["h_prev"])
    return {"reset": reset.item(), "candidate": candidate, "hidden": gru_step(cell, v["h_prev"])}


def _two_lstm_steps(v: Values) -> float:
    _, c1 = lstm_run(lstm_gates(f=v["f1"], i=v["i1"], g=v["g1"]), v["c"])
    _, c2 = lstm_run(lstm_gates(f=v["f2"], i=v["i2"], g=v["g2"]), c1)
    return c2.item()


def _forget_bias_retention(v: Values) -> float:
    """c_T / c_0 with all weights 0, forget bias b_f and the input gate shut (bias -inf)."""
    cell = lstm_cell({"f": v["b"], "i": -math.inf, "g": 0.0, "o": 0.0})
    return lstm_run(cell, 1.0, v["T"])[1].item()


def _carry_unchanged(v: Values) -> bool:
    # Candidates vary: seeded random recurrent weights feed h into the candidate at every step.
    cell = lstm_gates(f=1, i=0)
    with torch.no_grad():
        cell.weight_hh.normal_(generator=torch.Generator().manual_seed(v["T"]))
    _, c = lstm_run(cell, v["c0"], v["T"], h0=0.7)
    return math.isclose(c.item(), v["c0"], rel_tol=REL_TOL)


CHECKS: dict[tuple[str, str], Check] = {
    # ---- rnn-lstm.yaml ----------------------------------------------------------------------
    ("rnn-lstm.yaml", "rnn-param-count"): Check(
        lambda v: one_bias(nn.RNN(v["x"], v["h"], **META)) + count(linear(v["h"], v["y"]))
    ),
    ("rnn-lstm.yaml", "rnn-param-breakdown"): Check(
        lambda v: {
            "w_xh": nn.RNN(v["x"], v["h"], **META).weight_ih_l0.numel(),
            "w_hh": nn.RNN(v["x"], v["h"], **META).weight_hh_l0.numel(),
            "w_hy": linear(v["h"], v["y"]).weight.numel(),
            "total": one_bias(nn.RNN(v["x"], v["h"], **META)) + count(linear(v["h"], v["y"])),
            "unroll": False,  # the count above has no time dimension at all
        }
    ),
    ("rnn-lstm.yaml", "rnn-count-formula"): Check(
        lambda v: one_bias(nn.RNN(v["x"], v["h"], **META)) + count(linear(v["h"], v["y"])),
        variables={"x": (3, 20, 64), "h": (8, 50, 128)},
    ),
    ("rnn-lstm.yaml", "vanish-fraction"): Check(
        lambda v: rnn_gradient(v["g"], v["T"]), autograd=True
    ),
    ("rnn-lstm.yaml", "vanish-steps"): Check(lambda v: steps_below(v["g"], v["eps"])),
    ("rnn-lstm.yaml", "lstm-cell-update"): Check(
        lambda v: cell_state(v["c_prev"], f=v["f_t"], i=v["i_t"], g=v["c_tilde"])
    ),
    ("rnn-lstm.yaml", "lstm-forget-zero"): Check(
        lambda v: cell_state(v["c_prev"], f=v["f_t"], i=v["i_t"], g=v["c_tilde"])
    ),
    ("rnn-lstm.yaml", "lstm-cell-grows"): Check(
        lambda v: (
            abs(cell_state(v["c_prev"], f=v["f_t"], i=v["i_t"], g=v["c_tilde"])) > abs(v["c_prev"])
        )
    ),
    ("rnn-lstm.yaml", "lstm-hidden-output"): Check(
        # Start from c_{t-1} = c_t with f = 1, i = 0: the cell holds exactly the question's c_t.
        lambda v: lstm_run(lstm_gates(f=1, i=0, o=v["o_t"]), v["c_t"])[0].item()
    ),
    ("rnn-lstm.yaml", "lstm-param-count"): Check(lambda v: one_bias(lstm(v["n"], v["h"]))),
    ("rnn-lstm.yaml", "lstm-param-pytorch"): Check(lambda v: lstm(v["n"], v["h"])),
    ("rnn-lstm.yaml", "gru-vs-lstm-savings"): Check(
        lambda v: one_bias(lstm(v["n"], v["h"])) - one_bias(gru(v["n"], v["h"]))
    ),
    ("rnn-lstm.yaml", "lstm-shrink-hidden"): Check(
        lambda v: one_bias(lstm(v["n"], v["h1"])) - one_bias(lstm(v["n"], v["h1"] // v["k"]))
    ),
    ("rnn-lstm.yaml", "lstm-quantize"): Check(
        lambda v: Fraction(one_bias(lstm(v["n"], v["h"])), 1000)  # one byte each, in kB
    ),
    ("rnn-lstm.yaml", "gru-count-choice"): Check(lambda v: one_bias(gru(v["n"], v["h"]))),
    ("rnn-lstm.yaml", "lstm-count-formula"): Check(
        lambda v: one_bias(lstm(v["n"], v["h"])) if v["b"] == 1 else count(lstm(v["n"], v["h"])),
        variables={"n": (1, 20, 300), "h": (2, 64, 257)},
    ),
    ("rnn-lstm.yaml", "bilstm-param-count"): Check(
        lambda v: one_bias(lstm(v["n"], v["h"], bidirectional=True))
    ),
    ("rnn-lstm.yaml", "birnn-count-formula"): Check(
        lambda v: one_bias((lstm if v["gates"] == 4 else gru)(v["n"], v["h"], bidirectional=True)),
        variables={"n": (1, 20, 300), "h": (2, 64, 257)},
    ),
    ("rnn-lstm.yaml", "bilstm-layer"): Check(
        lambda v: {
            "out": _bilstm_output(v["n"], v["h"], 1, 1, 1)[0],
            "seq": _bilstm_output(v["n"], v["h"], 1, 1, v["T"])[1],
            "params": one_bias(lstm(v["n"], v["h"], bidirectional=True)),
            "streaming": False,  # the backward direction's first step reads the last word
        }
    ),
    ("rnn-lstm.yaml", "bilstm-next-layer"): Check(lambda v: one_bias(lstm(2 * v["h"], v["h2"]))),
    # ---- lstm-gru.yaml ----------------------------------------------------------------------
    ("lstm-gru.yaml", "gru-param-count-two-bias"): Check(lambda v: gru(v["n"], v["h"])),
    ("lstm-gru.yaml", "lstm-stacked-param-count-two-bias"): Check(
        lambda v: lstm(v["n"], v["h"], num_layers=v["L"])
    ),
    ("lstm-gru.yaml", "gru-stacked-param-count-one-bias"): Check(
        lambda v: one_bias(gru(v["n"], v["h"], num_layers=v["L"]))
    ),
    ("lstm-gru.yaml", "lstm-stacked-param-formula"): Check(
        lambda v: lstm(v["n"], v["h"], num_layers=v["L"]),
        variables={"n": (1, 20, 300), "h": (2, 64, 257)},
    ),
    ("lstm-gru.yaml", "lstm-embedding-head-param-count-two-bias"): Check(
        lambda v: nn.ModuleList(
            [embedding(v["V"], v["d"]), lstm(v["d"], v["h"]), linear(v["h"], v["y"])]
        )
    ),
    ("lstm-gru.yaml", "lstm-lm-tied-param-count-two-bias"): Check(
        lambda v: TiedLanguageModel(v["V"], v["d"])
    ),
    ("lstm-gru.yaml", "lstm-classifier-parts-one-bias"): Check(
        lambda v: {
            "embedding": embedding(v["V"], v["d"]),
            "lstm": one_bias(lstm(v["d"], v["h"], num_layers=v["L"])),
            "head": linear(v["h"], v["y"]),
            "total": count(embedding(v["V"], v["d"]))
            + one_bias(lstm(v["d"], v["h"], num_layers=v["L"]))
            + count(linear(v["h"], v["y"])),
        }
    ),
    ("lstm-gru.yaml", "lstm-projection-param-count-two-bias"): Check(
        lambda v: lstm(v["n"], v["h"], proj_size=v["p"])
    ),
    ("lstm-gru.yaml", "lstm-vs-gru-param-compare"): Check(
        lambda v: one_bias(lstm(v["n"], v["h1"])) > one_bias(gru(v["n"], v["h2"]))
    ),
    # ---- bidirectional.yaml -----------------------------------------------------------------
    ("bidirectional.yaml", "bilstm-param-count-two-bias"): Check(
        lambda v: lstm(v["n"], v["h"], bidirectional=True)
    ),
    ("bidirectional.yaml", "bigru-param-count-one-bias"): Check(
        lambda v: one_bias(gru(v["n"], v["h"], bidirectional=True))
    ),
    ("bidirectional.yaml", "birnn-param-count-two-bias"): Check(
        lambda v: nn.RNN(v["n"], v["h"], bidirectional=True, **META)
    ),
    ("bidirectional.yaml", "bilstm-stacked-param-count-two-bias"): Check(
        lambda v: lstm(v["n"], v["h"], num_layers=v["L"], bidirectional=True)
    ),
    ("bidirectional.yaml", "bilstm-classifier-param-count-two-bias"): Check(
        lambda v: nn.ModuleList(
            [
                embedding(v["V"], v["d"]),
                lstm(v["d"], v["h"], bidirectional=True),
                linear(2 * v["h"], v["y"]),
            ]
        )
    ),
    ("bidirectional.yaml", "bigru-tagger-parts-two-bias"): Check(
        lambda v: {
            "features": _bigru_features(v["d"], v["h"]),
            "bigru": gru(v["d"], v["h"], bidirectional=True),
            "head": linear(2 * v["h"], v["y"]),
            "total": nn.ModuleList(
                [
                    embedding(v["V"], v["d"]),
                    gru(v["d"], v["h"], bidirectional=True),
                    linear(2 * v["h"], v["y"]),
                ]
            ),
        }
    ),
    ("bidirectional.yaml", "bilstm-output-sizes"): Check(
        lambda v: dict(
            zip(
                ("features", "output", "h_n"),
                _bilstm_output(v["n"], v["h"], v["L"], v["Bs"], v["T"]),
                strict=True,
            )
        )
    ),
    ("bidirectional.yaml", "bilstm-hn-shape"): Check(
        lambda v: "({}, {}, {})".format(*_bilstm_hn_shape(v["n"], v["h"], v["L"], v["Bs"]))
    ),
    # ---- gates.yaml -------------------------------------------------------------------------
    ("gates.yaml", "lstm-step-from-preactivations"): Check(_lstm_step_parts),
    ("gates.yaml", "lstm-input-zero"): Check(
        lambda v: cell_state(v["c_prev"], f=v["f"], i=0, g=v["g"])
    ),
    ("gates.yaml", "lstm-carry-unchanged"): Check(_carry_unchanged),
    ("gates.yaml", "lstm-cell-decay"): Check(
        lambda v: cell_state(v["c0"], v["T"], f=v["f"], i=0, g=0.5)
    ),
    ("gates.yaml", "forget-bias-retention"): Check(_forget_bias_retention),
    ("gates.yaml", "lstm-two-steps-expression"): Check(
        _two_lstm_steps, variables={"c": (-2.5, 0, 0.3, 1.7)}
    ),
    ("gates.yaml", "cell-vs-rnn-gradient"): Check(
        lambda v: cell_path_gradient(v["f"], v["T"]) / rnn_gradient(v["w"], v["T"]),
        autograd=True,
    ),
    ("gates.yaml", "gru-update"): Check(
        lambda v: gru_step(gru_cell(0.0, logit(v["z"]), math.atanh(v["h_cand"])), v["h_prev"])
    ),
    ("gates.yaml", "gru-step-from-preactivations"): Check(_gru_step_parts),
}


# Shapes come from real forward passes. They run on the CPU: the meta device would need no
# memory but is ~30x slower here, as it decomposes the recurrent kernels step by step.


@cache
def _bilstm_output(n: int, h: int, layers: int, batch: int, steps: int) -> tuple[int, int, int]:
    """(last dim of output, numel of output, numel of h_n) of nn.LSTM(bidirectional=True)."""
    module = nn.LSTM(n, h, num_layers=layers, bidirectional=True, batch_first=True)
    with torch.no_grad():
        output, (h_n, _) = module(torch.zeros(batch, steps, n))
    return output.shape[-1], output.numel(), h_n.numel()


@cache
def _bilstm_hn_shape(n: int, h: int, layers: int, batch: int) -> tuple[int, ...]:
    module = nn.LSTM(n, h, num_layers=layers, bidirectional=True)
    with torch.no_grad():
        _, (h_n, _) = module(torch.zeros(2, batch, n))
    return tuple(h_n.shape)


@cache
def _bigru_features(n: int, h: int) -> int:
    with torch.no_grad():
        output, _ = nn.GRU(n, h, bidirectional=True)(torch.zeros(2, 1, n))
    return output.shape[-1]


# --- running the table ----------------------------------------------------------------------


@cache
def _bank(file: str) -> Bank:
    return load_bank(BANKS / file)


def _compiled(file: str, qid: str) -> CompiledQuestion:
    bank = _bank(file)
    index = next((i for i, q in enumerate(bank.questions) if q.id == qid), None)
    assert index is not None, f"{file}: no question '{qid}' (update CHECKS)"
    return compile_question(bank, index)


def _plain(text: str) -> int | float | Fraction | str:
    """A drawn value as builders take it: int when whole, float otherwise."""
    try:
        value = Fraction(text)
    except ValueError:
        return text  # an irrational 'let' or a text parameter
    return int(value) if value.denominator == 1 else float(value)


def _same(expected: Any, key_value: str, approx: float, where: str) -> None:
    if isinstance(expected, nn.Module):
        expected = count(expected)
    if isinstance(expected, (int, Fraction)) and not isinstance(expected, bool):
        assert Fraction(key_value) == expected, f"{where}: bank {key_value}, torch {expected}"
    else:
        assert math.isclose(approx, float(expected), rel_tol=REL_TOL, abs_tol=1e-12), (
            f"{where}: bank {key_value} ≈ {approx!r}, torch {expected!r}"
        )


def _compare(key: Any, expected: Any, where: str, check: Check, values: Values) -> None:
    if isinstance(key, NumericKey):
        _same(expected, key.value, key.approx, where)
    elif isinstance(key, TrueFalseKey):
        assert key.answer is bool(expected), f"{where}: bank {key.answer}, torch {expected}"
    elif isinstance(key, ChoiceKey):
        (correct,) = [o.text for o in key.options if o.correct]
        if isinstance(expected, str):
            assert correct == expected, f"{where}: bank {correct!r}, torch {expected!r}"
        else:
            _same(expected, correct, float(correct), where)
    elif isinstance(key, ExpressionKey):
        _compare_expression(key, where, check, values)
    else:  # pragma: no cover - the table lists only gradable kinds
        raise AssertionError(f"{where}: cannot cross-check a {key.kind} answer")


def _compare_expression(key: ExpressionKey, where: str, check: Check, values: Values) -> None:
    """Evaluate the key's expression at each sample of its variables; torch builds the rest."""
    from quizgen.math.parse import parse_math

    symbols = {name: domain_symbol(name, domain) for name, domain in key.variables.items()}
    expr = parse_math(key.value, symbols)
    names = sorted(check.variables)
    assert set(names) == set(symbols), f"{where}: samples for {names}, variables {sorted(symbols)}"
    for sample in itertools.product(*(check.variables[n] for n in names)):
        at = dict(zip(names, sample, strict=True))
        value = expr.xreplace({symbols[n]: sympy.Rational(str(at[n])) for n in names})
        expected = check.build({**values, **at})
        approx = float(value) if value.is_Rational else float(value.evalf(30))
        _same(expected, str(value), approx, f"{where} at {at}")


def _check_variant(variant: Variant, check: Check, where: str) -> None:
    values = {k: _plain(t) for k, t in variant.values.items()}
    if isinstance(variant.answer, ExpressionKey):
        _compare_expression(variant.answer, where, check, values)
        return
    expected = check.build(values)
    if variant.answer is not None:
        _compare(variant.answer, expected, where, check, values)
        return
    assert isinstance(expected, dict), f"{where}: a multipart builder returns {{part: value}}"
    parts = {p.id: p.answer for p in variant.parts}
    assert set(expected) <= set(parts), f"{where}: unknown parts {set(expected) - set(parts)}"
    for part, value in expected.items():
        _compare(parts[part], value, f"{where}, part {part}", check, values)


@pytest.mark.parametrize(
    ("file", "qid"), sorted(CHECKS), ids=[f"{f}:{q}" for f, q in sorted(CHECKS)]
)
def test_bank_agrees_with_torch(file: str, qid: str) -> None:
    question = _compiled(file, qid)
    check = CHECKS[(file, qid)]
    uids = set()
    for k in range(VARIANTS):
        variant = draw_variant(question, stream_for("torch-crosscheck", file, qid, k))
        uids.add(variant.uid)
        shown = ", ".join(f"{n}={t}" for n, t in variant.values.items())
        with torch.set_grad_enabled(check.autograd):
            _check_variant(variant, check, f"{file}:{qid} with {shown}")
    # Small parameter spaces repeat variants; make sure the sweep still saw most of them.
    assert len(uids) >= min(VARIANTS // 2, question.space_size() // 2), (
        f"{file}:{qid}: {len(uids)} distinct"
    )


# --- coverage: no count or gate question escapes --------------------------------------------

COUNTED = re.compile(r"param|count|gate|vanish")
COMPUTED_KINDS = {"numeric", "expression", "multipart"}


def _must_be_checked(question: Any) -> bool:
    """Computed questions about parameter counts, gates or vanishing gradients.

    Matched on id and topic, and on a prompt that asks about "parameters", so that a new
    count question needs no naming discipline to be caught.
    """
    if question.kind not in COMPUTED_KINDS:
        return False
    if question.kind == "multipart" and not any(
        p.kind in {"numeric", "expression"} for p in question.parts
    ):
        return False
    texts = [question.prompt] + [p.prompt for p in getattr(question, "parts", [])]
    return bool(COUNTED.search(question.id) or COUNTED.search(question.topic)) or any(
        "parameters" in t for t in texts
    )


def test_every_count_and_gate_question_is_cross_checked() -> None:
    missing = [
        f"{path.name}:{q.id}"
        for path in sorted(BANKS.glob("*.yaml"))
        for q in load_bank(path).questions
        if _must_be_checked(q) and (path.name, q.id) not in CHECKS
    ]
    assert not missing, f"add a torch builder to CHECKS for: {', '.join(missing)}"


def test_every_table_entry_names_a_shipped_question() -> None:
    for file, qid in CHECKS:
        assert any(q.id == qid for q in _bank(file).questions), f"{file}:{qid} is gone"


# --- the conventions themselves -------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        # Worked by hand: 4·(20·128 + 128² + 128) = 76,288 with one bias per gate.
        (lambda: one_bias(lstm(20, 128)), 76288),
        (lambda: count(lstm(20, 128)), 76800),
        # Vanilla RNN of DESIGN.md: 20·128 + 128² + 128 + 128·10 + 10 = 20,362.
        (lambda: one_bias(nn.RNN(20, 128, **META)) + count(linear(128, 10)), 20362),
        # 3·(10·32 + 32² + 2·32) = 4,224 for nn.GRU with its two biases.
        (lambda: count(gru(10, 32)), 4224),
    ],
)
def test_counting_conventions(module: Callable[[], int], expected: int) -> None:
    assert module() == expected


def test_gate_helpers_reproduce_hand_computed_steps() -> None:
    # c_t = 0.9 · 1.5 + 0.3 · (−0.4) = 1.23; h_t = 0.5 · tanh(1.23)
    h, c = lstm_run(lstm_gates(f=0.9, i=0.3, g=-0.4, o=0.5), 1.5)
    assert math.isclose(c.item(), 1.23, rel_tol=1e-12)
    assert math.isclose(h.item(), 0.5 * math.tanh(1.23), rel_tol=1e-12)
    # GRU, bank convention: (1 − 0.25) · 0.8 + 0.25 · (−0.4) = 0.5
    assert math.isclose(gru_step(gru_cell(0.0, logit(0.25), math.atanh(-0.4)), 0.8), 0.5)
    assert math.isclose(rnn_gradient(0.5, 10), 0.5**10, rel_tol=1e-12)
    assert math.isclose(cell_path_gradient(0.9, 10), 0.9**10, rel_tol=1e-12)

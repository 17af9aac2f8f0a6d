"""Cross-check the banks against PyTorch, which nobody here wrote.

Every parameter-count question is checked against ``sum(p.numel() for p in
module.parameters())`` of the matching ``torch.nn`` module, every shape against a real forward
pass, and every piece of arithmetic against torch computing it (``nn.LSTMCell`` /
``nn.GRUCell``, autograd for gradient factors and receptive fields, ``clip_grad_norm_``,
``scaled_dot_product_attention``, ``torch.utils.flop_counter``), for at least 100 seeded
variants each. The mapping from questions to torch lives here, in ``CHECKS`` (and in
``crosscheck_cnn.py`` and ``crosscheck_attention.py`` for those banks), because the bank format
forbids extra fields; a coverage test makes sure no computed question can escape it.

Conventions the builders encode:

- **Two bias vectors per gate** is what ``nn.RNN``/``nn.LSTM``/``nn.GRU`` build (``bias_ih``
  and ``bias_hh``): count the module as it is.
- **One bias vector per gate** (the textbook equations) is the same module without
  ``bias_hh``: in the LSTM and vanilla RNN the two biases only ever appear as a sum, and in
  the GRU the textbook candidate ``tanh(W x + U (r * h) + b)`` has one bias too, so the
  one-bias count is the module's count minus its ``bias_hh*`` tensors (:func:`one_bias`).
- PyTorch's gate order is (i, f, g, o) for the LSTM and (r, z, n) for the GRU, and its GRU
  computes ``h' = (1 - z) * n + z * h`` (as Cho et al., 2014): the banks' ``z`` (the form of
  Chung et al., 2014, ``h' = (1 - z) h + z h~``) is PyTorch's ``1 - z``. PyTorch also resets
  after the recurrent product, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; with one
  unit and ``b_hn = 0`` that equals the banks' ``tanh(W x + U (r h) + b)``, which is how the
  one-unit builders use it (``gru-pytorch-reset`` is the two-unit question where it differs).
- Count modules are built on the ``meta`` device: shapes without memory, so a 2048-unit
  stacked layer costs nothing. Output shapes come from real (small) forward passes.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import crosscheck_attention
import crosscheck_cnn
import pytest
import sympy
from crosscheck_common import F64, META, Check, Values, count, nn, torch

from quizgen.bank.model import Bank, load_bank, parse_bank
from quizgen.generate.compile import CompiledQuestion, compile_question
from quizgen.generate.solve import draw_variant
from quizgen.math.domains import domain_symbol
from quizgen.rng import stream_for
from quizgen.variant import ChoiceKey, ExpressionKey, NumericKey, TrueFalseKey, Variant

BANKS = Path(__file__).resolve().parent.parent / "banks"
VARIANTS = 100  # distinct stream keys per question
REL_TOL = 1e-6


# --- counting -------------------------------------------------------------------------------


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


# --- exploding gradients and clipping -------------------------------------------------------


def steps_above(factor: float, limit: float) -> int:
    """Smallest T with factor**T > limit, by repeated multiplication in float64 tensors."""
    value, steps = torch.tensor(1.0, dtype=F64), 0
    while value <= limit:
        value = value * factor
        steps += 1
    return steps


def _clip_norm(v: Values) -> dict[str, Any]:
    """What ``clip_grad_norm_`` does to the drawn gradient (PyTorch adds 1e-6 to the norm)."""
    param = nn.Parameter(torch.zeros(3, dtype=F64))
    param.grad = torch.tensor([v["a"], v["b"], v["c"]], dtype=F64)
    total = nn.utils.clip_grad_norm_([param], max_norm=v["tau"])
    return {
        "norm": total.item(),
        "clipped": not torch.equal(param.grad, torch.tensor([v["a"], v["b"], v["c"]], dtype=F64)),
        "first": param.grad[0].item(),
        "after": param.grad.norm().item(),
    }


def _clip_value(v: Values) -> dict[str, Any]:
    param = nn.Parameter(torch.zeros(2, dtype=F64))
    original = torch.tensor([v["a"], v["b"]], dtype=F64)
    param.grad = original.clone()
    nn.utils.clip_grad_value_([param], clip_value=v["v"])
    cosine = torch.nn.functional.cosine_similarity(param.grad, original, dim=0).item()
    return {
        "second": param.grad[1].item(),
        "norm": param.grad.norm().item(),
        "direction": math.isclose(cosine, 1.0, rel_tol=1e-12),
    }


def _diagonal_rnn(v: Values) -> dict[str, Any]:
    """d h_T / d h_0 of a two-unit ReLU RNN with W_hh = diag(p, q) (autograd, positive state)."""
    cell = nn.RNNCell(1, 2, nonlinearity="relu", dtype=F64)
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
        cell.weight_hh.copy_(torch.tensor([[v["p"], 0.0], [0.0, v["q"]]], dtype=F64))

    def unroll(h0: torch.Tensor) -> torch.Tensor:
        h = h0
        for _ in range(v["T"]):
            h = cell(torch.zeros(1, 1, dtype=F64), h)
        return h

    jacobian = torch.autograd.functional.jacobian(unroll, torch.ones(1, 2, dtype=F64))[0, :, 0, :]
    return {
        "grow": jacobian[0, 0].item(),
        "shrink": jacobian[1, 1].item(),
        "ten": steps_above(v["p"], 10.0),
    }


def _layer_with_count(v: Values) -> str:
    """The one recurrent layer type (one bias per gate) with the drawn count, by torch."""
    n, h = v["n"], v["h"]
    candidates = {
        "vanilla RNN layer": one_bias(nn.RNN(n, h, **META)),
        "GRU": one_bias(gru(n, h)),
        "LSTM": one_bias(lstm(n, h)),
    }
    (name,) = [name for name, c in candidates.items() if c == v["count"]]
    return name


def _gru_pytorch_reset(v: Values) -> dict[str, float]:
    """Unit 1 of a two-unit ``nn.GRUCell`` with the drawn reset gates, W_hn row and state.

    Weights are set so that r = (r1, r2) exactly (through the biases), PyTorch's z = 0 (so
    h' = n, the candidate), and n's input term for unit 1 is a1. The textbook argument is
    computed with torch's matmul on the reset state, U (r ⊙ h).
    """
    cell = nn.GRUCell(1, 2, dtype=F64)
    w_hn = torch.tensor([[v["w11"], v["w12"]], [0.3, -0.7]], dtype=F64)  # row 2: any values
    with torch.no_grad():
        cell.weight_ih.zero_()
        cell.weight_hh.zero_()
        cell.bias_hh.zero_()
        cell.weight_hh[4:6] = w_hn
        reset = [logit(v["r1"]), logit(v["r2"])]
        cell.bias_ih.copy_(torch.tensor([*reset, -math.inf, -math.inf, v["a1"], 0.1], dtype=F64))
    h = torch.tensor([[v["h1"], v["h2"]]], dtype=F64)
    candidate = cell(torch.zeros(1, 1, dtype=F64), h)[0, 0].item()
    r = torch.tensor([v["r1"], v["r2"]], dtype=F64)
    textbook = v["a1"] + (w_hn @ (r * h[0]))[0].item()
    return {"arg_pt": math.atanh(candidate), "cand_pt": candidate, "arg_tb": textbook}


# --- the table ------------------------------------------------------------------------------


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
    ("rnn-lstm.yaml", "variant-from-count"): Check(_layer_with_count),
    ("rnn-lstm.yaml", "rnn-matrix-shape"): Check(
        lambda v: "{} × {}".format(*nn.RNN(v["x"], v["h"], **META).weight_ih_l0.shape)
    ),
    ("rnn-lstm.yaml", "vanish-survives"): Check(
        lambda v: rnn_gradient(v["g"], v["T"]) > v["p"] / 100, autograd=True
    ),
    ("rnn-lstm.yaml", "explode-growth"): Check(
        lambda v: rnn_gradient(v["g"], v["T"]), autograd=True
    ),
    ("rnn-lstm.yaml", "explode-steps"): Check(lambda v: steps_above(v["g"], v["M"])),
    ("rnn-lstm.yaml", "clip-grad-norm"): Check(_clip_norm),
    ("rnn-lstm.yaml", "clip-grad-value"): Check(_clip_value),
    ("rnn-lstm.yaml", "explode-diagonal"): Check(_diagonal_rnn, autograd=True),
    ("rnn-lstm.yaml", "explode-or-vanish"): Check(
        lambda v: rnn_gradient(v["g"], v["T"]) > 1, autograd=True
    ),
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
    ("gates.yaml", "gru-pytorch-reset"): Check(_gru_pytorch_reset),
    **crosscheck_cnn.CHECKS,
    **crosscheck_attention.CHECKS,
}

# Computed questions that have no builder, and why: the coverage test accepts only these.
EXEMPT: dict[tuple[str, str], str] = {
    ("rnn-lstm.yaml", "hopfield-weights"): (
        "a Hopfield network is no torch.nn module; its count is a binomial coefficient, "
        "checked by hand in tests/test_bank_rnn_lstm.py"
    ),
    **crosscheck_cnn.EXEMPT,
    **crosscheck_attention.EXEMPT,
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
        expected = _built(check, {**values, **at})
        approx = float(value) if value.is_Rational else float(value.evalf(30))
        _same(expected, str(value), approx, f"{where} at {at}")


_BUILT: dict[tuple[int, tuple[tuple[str, Any], ...]], Any] = {}


def _built(check: Check, values: Values) -> Any:
    """``check.build(values)``, once per distinct set of values: small parameter spaces repeat
    variants, and an expression question evaluates the same grid for each of them."""
    key = (id(check), tuple(sorted(values.items())))
    if key not in _BUILT:
        _BUILT[key] = _counted(check.build(values))
    return _BUILT[key]


def _counted(result: Any) -> Any:
    """Modules become their parameter counts, so the memo keeps numbers, not modules."""
    if isinstance(result, nn.Module):
        return count(result)
    if isinstance(result, dict):
        return {k: _counted(v) for k, v in result.items()}
    return result


def _values(variant: Variant) -> dict[str, Any]:
    return {k: _plain(t) for k, t in variant.values.items()}


def _check_variant(variant: Variant, check: Check, where: str, expected: Any = None) -> None:
    """Compare one variant's key with torch (``expected``, or ``check.build`` of its values)."""
    values = _values(variant)
    if isinstance(variant.answer, ExpressionKey):
        _compare_expression(variant.answer, where, check, values)
        return
    if check.batch is None:
        expected = _built(check, values)
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
    variants = [
        draw_variant(question, stream_for("torch-crosscheck", file, qid, k))
        for k in range(VARIANTS)
    ]
    with torch.set_grad_enabled(check.autograd):
        expected = (
            check.batch([_values(v) for v in variants])
            if check.batch is not None
            else [None] * len(variants)
        )
        for variant, torch_value in zip(variants, expected, strict=True):
            shown = ", ".join(f"{n}={t}" for n, t in variant.values.items())
            _check_variant(variant, check, f"{file}:{qid} with {shown}", torch_value)
    # Small parameter spaces repeat variants; make sure the sweep still saw most of them.
    uids = {v.uid for v in variants}
    assert len(uids) >= min(VARIANTS // 2, question.space_size() // 2), (
        f"{file}:{qid}: {len(uids)} distinct"
    )


# --- coverage: no computed question escapes -------------------------------------------------

COMPUTED_KINDS = {"numeric", "expression"}
SHAPED = re.compile(r"shape")


def _computed(answer: Any) -> bool:
    """An answer torch can compute: a number, a formula, a truth that depends on the values,
    or options that are computed values."""
    if answer.kind in COMPUTED_KINDS:
        return True
    if answer.kind == "truefalse":
        return isinstance(answer.answer, str)  # a comparison, not a fixed true/false
    if answer.kind in {"choice", "multi"}:
        return any(option.value is not None for option in answer.options)
    return False


def _must_be_checked(question: Any) -> bool:
    """Every question whose answer is computed from the drawn values, and every shape question.

    Decided by what the question computes, not by its name or wording, so a new count, shape
    or arithmetic question is caught whatever it is called.
    """
    answers = question.parts if question.kind == "multipart" else [question]
    if any(_computed(a) for a in answers):
        return True
    return question.kind in {"choice", "multipart"} and bool(
        SHAPED.search(question.id) or SHAPED.search(question.topic)
    )


def _unchecked(banks: list[tuple[str, Bank]]) -> list[str]:
    return [
        f"{file}:{q.id}"
        for file, bank in banks
        for q in bank.questions
        if _must_be_checked(q) and (file, q.id) not in CHECKS and (file, q.id) not in EXEMPT
    ]


def test_every_computed_question_is_cross_checked() -> None:
    missing = _unchecked([(path.name, load_bank(path)) for path in sorted(BANKS.glob("*.yaml"))])
    assert not missing, f"add a torch builder to CHECKS for: {', '.join(missing)}"


NEW_QUESTIONS = """\
id: cnn
title: T
questions:
  - id: budget
    kind: numeric
    topic: cnn/networks
    params: {c: {choice: [8, 16]}}
    answer: c*27 + c
    prompt: How big is nn.Conv2d(3, {{ c }}, 3)?
  - id: pool-out
    kind: choice
    topic: cnn/shapes
    params: {h: {choice: [8, 16]}}
    options: [{text: "({{ h }}, 4)", correct: true}, {text: "(4, {{ h }})"}]
    prompt: Which one?
  - id: grows
    kind: truefalse
    params: {g: {choice: [0.9, 1.1]}}
    answer: g^10 > 1
    prompt: Does {{ g }}^10 exceed 1?
  - id: why
    kind: essay
    prompt: Why convolutions?
"""


def test_coverage_rule_fails_a_new_question_without_a_builder() -> None:
    """A count named neither 'param' nor 'count', a shape choice, a computed truth: all caught;
    an essay is not."""
    bank = parse_bank(NEW_QUESTIONS, "cnn.yaml")
    assert _unchecked([("cnn.yaml", bank)]) == [
        "cnn.yaml:budget",
        "cnn.yaml:pool-out",
        "cnn.yaml:grows",
    ]


def test_every_table_entry_names_a_shipped_question() -> None:
    for file, qid in [*CHECKS, *EXEMPT]:
        assert any(q.id == qid for q in _bank(file).questions), f"{file}:{qid} is gone"
    assert not set(CHECKS) & set(EXEMPT), "a question is both checked and exempt"


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

"""Torch builders for ``banks/attention.yaml``: counts of ``nn.MultiheadAttention`` and the
Transformer layers on the meta device, shapes from real forward passes on meta tensors,
scaled dot-product arithmetic through ``F.scaled_dot_product_attention`` and the positional
encoding as PyTorch's tutorial builds it — each batched over all the variants at once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import Any

from crosscheck_common import F64, META, Check, Values, count, nn, torch
from torch.nn import functional

A = "attention.yaml"


def _mha(E: int, h: int, **kw: Any) -> nn.MultiheadAttention:
    return nn.MultiheadAttention(E, h, **kw, **META)


@cache
def _mha_shapes(
    E: int, h: int, B: int, L: int, S: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int]:
    """Shapes of (output, weights per head, averaged weights) of a batch-first MHA on meta
    tensors, and the bytes of one weight."""
    mha = _mha(E, h, batch_first=True)
    query = torch.empty(B, L, E, **META)
    key = torch.empty(B, S, E, **META)
    out, per_head = mha(query, key, key, need_weights=True, average_attn_weights=False)
    _, averaged = mha(query, key, key)
    return tuple(out.shape), tuple(per_head.shape), tuple(averaged.shape), per_head.element_size()


def _shapes(v: Values) -> dict[str, int]:
    out, per_head, averaged, _ = _mha_shapes(v["E"], v["h"], v["B"], v["L"], v["S"])
    return {
        "scores": per_head[-2] * per_head[-1],
        "per_head": math.prod(per_head),
        "averaged": math.prod(averaged),
        "output": math.prod(out),
    }


def _memory(v: Values) -> Fraction:
    """MB of float32 attention weights, from a real (meta) forward pass at the drawn sizes."""
    _, per_head, _, size = _mha_shapes(8 * v["h"], v["h"], v["B"], v["L"], v["L"])
    return Fraction(math.prod(per_head) * size, 10**6)


def _encoder_parts(v: Values) -> dict[str, int]:
    layer = nn.TransformerEncoderLayer(v["d"], v["h"], v["r"] * v["d"], bias=False, **META)
    return {
        "attention": count(layer.self_attn),
        "ffn": count(layer.linear1) + count(layer.linear2),
        "norms": count(layer.norm1) + count(layer.norm2),
        "total": count(layer),
    }


def _encoder_stack(v: Values) -> nn.Module:
    layer = nn.TransformerEncoderLayer(v["d"], v["h"], v["f"], **META)
    norm = nn.LayerNorm(v["d"], **META)
    return nn.TransformerEncoder(layer, v["N"], norm=norm, enable_nested_tensor=False)


def _sdpa(batch: Sequence[Values]) -> list[dict[str, float]]:
    """Scores, weight and output of one query over two keys, for every variant at once."""

    def stack(names: str, width: int) -> torch.Tensor:
        rows = [[v[f"{names}{i}"] for i in range(1, width + 1)] for v in batch]
        return torch.tensor(rows, dtype=F64)

    q = stack("q", 4).unsqueeze(1)  # (n, 1, 4)
    keys = torch.stack([stack("a", 4), stack("b", 4)], dim=1)  # (n, 2, 4)
    values = torch.tensor([[[v["v1"]], [v["v2"]]] for v in batch], dtype=F64)  # (n, 2, 1)
    scores = q @ keys.transpose(1, 2) / math.sqrt(4)  # (n, 1, 2)
    weights = torch.softmax(scores, dim=-1)
    out = functional.scaled_dot_product_attention(q, keys, values)  # (n, 1, 1)
    return [
        {"s1": scores[i, 0, 0].item(), "w1": weights[i, 0, 0].item(), "out": out[i, 0, 0].item()}
        for i in range(len(batch))
    ]


def _softmax_three(batch: Sequence[Values]) -> list[float]:
    dots = torch.tensor([[v["r1"], v["r2"], v["r3"]] for v in batch], dtype=F64)
    scale = torch.tensor([[math.sqrt(v["d"])] for v in batch], dtype=F64)
    return torch.softmax(dots / scale, dim=-1)[:, 0].tolist()


def _positional_table(d: int, length: int) -> torch.Tensor:
    """The sinusoidal encoding exactly as PyTorch's Transformer tutorial builds it."""
    position = torch.arange(length, dtype=F64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=F64) * (-math.log(10000.0) / d))
    pe = torch.zeros(length, d, dtype=F64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def _pe_values(batch: Sequence[Values]) -> list[float]:
    tables = {d: _positional_table(d, 101) for d in {v["d"] for v in batch}}
    return [tables[v["d"]][v["pos"], 2 * v["i"] + v["parity"]].item() for v in batch]


def _wavelengths(batch: Sequence[Values]) -> list[float]:
    out = []
    for v in batch:
        div_term = torch.exp(torch.arange(0, v["d"], 2, dtype=F64) * (-math.log(10000.0) / v["d"]))
        out.append((2 * math.pi / div_term[v["i"]]).item())
    return out


def _causal_kept(length: int) -> int:
    mask = nn.Transformer.generate_square_subsequent_mask(length)
    return int((mask == 0).sum())


CHECKS: dict[tuple[str, str], Check] = {
    (A, "mha-param-count"): Check(lambda v: _mha(v["E"], v["h"])),
    (A, "mha-param-no-bias"): Check(lambda v: _mha(v["E"], v["h"], bias=False)),
    (A, "mha-kdim-vdim-param-count"): Check(
        lambda v: _mha(v["E"], v["h"], kdim=v["kd"], vdim=v["vd"])
    ),
    (A, "mha-heads-param"): Check(
        lambda v: count(_mha(v["E"], v["h2"])) > count(_mha(v["E"], v["h1"]))
    ),
    (A, "mha-head-dim"): Check(lambda v: _mha(v["E"], v["h"]).head_dim),
    (A, "mha-count-formula"): Check(
        lambda v: _mha(v["E"], v["h"], bias=bool(v["b"])),
        variables={"E": (48, 96, 240, 480)},  # multiples of every drawn head count
    ),
    (A, "encoder-layer-param-count"): Check(
        lambda v: nn.TransformerEncoderLayer(v["d"], v["h"], v["f"], **META)
    ),
    (A, "encoder-layer-parts-no-bias"): Check(_encoder_parts),
    (A, "encoder-stack-param-count"): Check(_encoder_stack),
    (A, "decoder-layer-param-count"): Check(
        lambda v: nn.TransformerDecoderLayer(v["d"], v["h"], v["f"], **META)
    ),
    (A, "attention-shapes"): Check(_shapes),
    (A, "attn-weights-shape"): Check(
        lambda v: str(_mha_shapes(v["E"], v["h"], v["B"], v["L"], v["S"])[2])
    ),
    (A, "causal-mask-count"): Check(lambda v: _causal_kept(v["L"])),
    (A, "attention-memory"): Check(_memory),
    (A, "sdpa-two-keys"): Check(batch=_sdpa),
    (A, "softmax-three-keys"): Check(batch=_softmax_three),
    (A, "pe-value"): Check(batch=_pe_values),
    (A, "pe-wavelength"): Check(batch=_wavelengths),
}

EXEMPT: dict[tuple[str, str], str] = {}

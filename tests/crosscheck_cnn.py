"""Torch builders for ``banks/cnn.yaml``: counts from ``torch.nn`` modules on the meta device,
shapes from real forward passes (meta tensors: shapes without memory), receptive fields from
autograd, FLOPs from ``torch.utils.flop_counter``."""

from __future__ import annotations

from functools import cache
from typing import Any

from crosscheck_common import META, Check, Values, count, nn, torch
from torch.utils.flop_counter import FlopCounterMode

F = "cnn.yaml"


def _out(module: nn.Module, *shape: int) -> tuple[int, ...]:
    """The output shape of ``module`` on a meta input of ``shape``."""
    return tuple(module(torch.empty(*shape, **META)).shape)


def _flops(module: nn.Module, *shape: int) -> int:
    with FlopCounterMode(display=False) as counter:
        module(torch.empty(*shape, **META))
    return counter.get_total_flops()


def _conv2d(cin: int, cout: int, k: Any, **kw: Any) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, **kw, **META)


@cache
def _receptive_field(layers: tuple[tuple[int, int, int], ...], length: int) -> int:
    """Input samples that the first output of a 1-D conv stack depends on (autograd).

    ``layers`` holds (kernel, stride, dilation) per layer. All weights are 1 and the input is
    all ones, so no contribution cancels: the gradient is non-zero exactly on the field.
    """
    stack = nn.Sequential(
        *(nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False) for k, s, d in layers)
    ).double()
    for conv in stack:
        nn.init.ones_(conv.weight)
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    out = stack(x)
    (grad,) = torch.autograd.grad(out[0, 0, 0], x)
    return int((grad != 0).sum())


def _same_padding(k: int, d: int, size: int) -> int:
    """The smallest padding for which Conv2d(k, dilation=d, stride 1) keeps ``size``."""
    for p in range(size):
        try:
            if _out(_conv2d(1, 1, k, dilation=d, padding=p), 1, 1, size, size)[-1] == size:
                return p
        except RuntimeError:  # the dilated kernel does not fit yet
            continue
    raise AssertionError(f"no padding keeps {size} with k={k}, d={d}")


def _separable(v: Values) -> dict[str, int]:
    depthwise = count(_conv2d(v["C"], v["C"], v["k"], groups=v["C"]))
    pointwise = count(_conv2d(v["C"], v["D"], 1))
    standard = count(_conv2d(v["C"], v["D"], v["k"]))
    return {
        "depthwise": depthwise,
        "pointwise": pointwise,
        "standard": standard,
        "saved": standard - depthwise - pointwise,
    }


def _classifier(v: Values) -> dict[str, int]:
    features = nn.Sequential(
        _conv2d(3, v["c1"], 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        _conv2d(v["c1"], v["c2"], 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
    )
    flat = _out(features, 1, 3, v["H"], v["H"])[-1]
    head = nn.Linear(flat, v["y"], **META)
    return {
        "conv1": count(features[0]),
        "flat": flat,
        "head": count(head),
        "total": count(nn.Sequential(features, head)),
    }


def _bigger_image_needs_4x(v: Values) -> bool:
    conv = _conv2d(v["cin"], v["cout"], v["k"])
    before = count(conv)
    _out(conv, 1, v["cin"], 2 * v["H"], 2 * v["H"])  # run it on the larger image
    return count(conv) == 4 * before


CHECKS: dict[tuple[str, str], Check] = {
    (F, "conv2d-param-count"): Check(lambda v: _conv2d(v["cin"], v["cout"], v["k"])),
    (F, "conv2d-param-rect-nobias"): Check(
        lambda v: _conv2d(v["cin"], v["cout"], (v["kh"], v["kw"]), bias=False)
    ),
    (F, "conv1d-param-count"): Check(
        lambda v: nn.Conv1d(v["cin"], v["cout"], v["k"], bias=bool(v["b"]), **META)
    ),
    (F, "conv2d-grouped-param-count"): Check(
        lambda v: _conv2d(v["cin"], v["cout"], v["k"], groups=v["g"])
    ),
    (F, "depthwise-param-count"): Check(
        lambda v: _conv2d(v["C"], v["C"] * v["m"], v["k"], groups=v["C"])
    ),
    (F, "separable-param-parts"): Check(_separable),
    (F, "conv-count-formula"): Check(
        lambda v: _conv2d(v["C"], v["D"], v["k"], bias=bool(v["b"])),
        variables={"C": (1, 3, 64), "D": (1, 16, 100)},
    ),
    (F, "conv-params-vs-image"): Check(_bigger_image_needs_4x),
    (F, "conv2d-output-size"): Check(
        lambda v: _out(_conv2d(3, 16, v["k"], stride=v["s"], padding=v["p"]), 1, 3, v["H"], v["H"])[
            -1
        ]
    ),
    (F, "conv2d-output-dilation"): Check(
        lambda v: _out(
            _conv2d(8, 8, v["k"], dilation=v["d"], stride=v["s"], padding=v["p"]),
            1,
            8,
            v["H"],
            v["H"],
        )[-1]
    ),
    (F, "conv1d-output-length"): Check(
        lambda v: _out(
            nn.Conv1d(1, 64, v["k"], stride=v["s"], padding=v["p"], **META), 1, 1, v["L"]
        )[-1]
    ),
    (F, "conv2d-output-shape"): Check(
        lambda v: str(
            _out(
                _conv2d(v["cin"], v["cout"], v["k"], stride=v["s"]),
                v["N"],
                v["cin"],
                v["H"],
                v["W"],
            )
        )
    ),
    (F, "conv-weight-shape"): Check(
        lambda v: str(
            tuple(_conv2d(v["cin"], v["cout"], (v["kh"], v["kw"]), groups=v["g"]).weight.shape)
        )
    ),
    (F, "same-padding"): Check(lambda v: _same_padding(v["k"], v["d"], v["H"])),
    (F, "conv-transpose-output"): Check(
        lambda v: _out(
            nn.ConvTranspose2d(
                64,
                32,
                v["k"],
                stride=v["s"],
                padding=v["p"],
                output_padding=v["op"],
                **META,
            ),
            1,
            64,
            v["H"],
            v["H"],
        )[-1]
    ),
    (F, "maxpool-output-size"): Check(
        lambda v: _out(nn.MaxPool2d(v["k"], v["s"], v["p"]), 1, 1, v["H"], v["H"])[-1]
    ),
    (F, "pool-ceil-mode"): Check(
        lambda v: _out(nn.MaxPool2d(v["k"], v["s"], ceil_mode=True), 1, 1, v["H"], v["H"])[-1]
    ),
    (F, "receptive-field-stack"): Check(
        lambda v: _receptive_field(((v["k"], 1, 1),) * v["L"], 200), autograd=True
    ),
    (F, "receptive-field-strided"): Check(
        lambda v: _receptive_field(((v["k"], v["s"], 1),) * v["L"], 3000), autograd=True
    ),
    (F, "receptive-field-dilated"): Check(
        lambda v: _receptive_field(tuple((v["k"], 1, 2**i) for i in range(v["L"])), 5000),
        autograd=True,
    ),
    (F, "conv-flops"): Check(
        lambda v: _flops(
            _conv2d(v["cin"], v["cout"], v["k"], stride=v["s"], padding=(v["k"] - 1) // 2),
            1,
            v["cin"],
            v["H"],
            v["H"],
        )
    ),
    (F, "separable-flops"): Check(
        lambda v: _flops(
            nn.Sequential(
                _conv2d(v["C"], v["C"], 3, padding=1, groups=v["C"]), _conv2d(v["C"], v["D"], 1)
            ),
            1,
            v["C"],
            v["H"],
            v["H"],
        )
    ),
    (F, "cnn-classifier-parts"): Check(_classifier),
}

# Reasons a computed question of this bank has no builder (the coverage test reads them).
EXEMPT: dict[tuple[str, str], str] = {}

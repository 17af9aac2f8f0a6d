"""What every torch cross-check table shares: the torch import, counting, the Check record.

``tests/test_torch_crosscheck.py`` runs the tables; ``crosscheck_cnn.py`` and
``crosscheck_attention.py`` hold the builders of the convolution and attention banks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

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

META = {"device": "meta"}
F64 = torch.float64

Values = Mapping[str, Any]  # parameter name -> int | float (exact Fractions converted)


def count(module: nn.Module) -> int:
    """Trainable parameters; a tensor shared by two modules (tied weights) counts once."""
    return sum(p.numel() for p in module.parameters())


@dataclass(frozen=True)
class Check:
    """How torch computes a question's answer from the variant's drawn values.

    ``build(values)`` returns an ``nn.Module`` (its parameter count), a number, a bool
    (truefalse), a string (the correct option of a choice question), or for multipart
    questions a dict from part id to any of those. For an expression question, ``variables``
    lists values to try for each free variable: the key's expression is evaluated at every
    combination and compared with ``build({**values, **combination})``.

    ``batch``, when given, replaces ``build``: it takes the values of all the variants at once
    and returns their answers in order, so that torch computes them in one batched call.
    """

    build: Callable[[Values], Any] | None = None
    variables: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    autograd: bool = False  # the builder differentiates; otherwise it runs under no_grad
    batch: Callable[[Sequence[Values]], list[Any]] | None = None

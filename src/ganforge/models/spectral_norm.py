"""Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks", ICLR) with the power iteration as an explicit step.

The layer uses W / sigma(W), where sigma(W) = u^T W v is the largest singular value estimated by
power iteration on persistent vectors u, v (section 2.1, algorithm 1).

PyTorch's ``parametrizations.spectral_norm`` runs one power iteration inside every forward in
training mode, updating u and v in place. Under ``torch.compile`` that breaks autograd when a network
is called twice before one backward (D on the real batch, then on the fake one): the compiled
forward saves the buffer itself for backward, and the second call's update changes it first ("a
variable needed for gradient computation has been modified by an inplace operation"). Here the
forward only reads u and v, and ``power_iteration_`` advances every spectral-norm layer of a network
once; the tasks call it once per optimizer update of that network, before its forward passes, as
the paper's algorithm does (one iteration per update). Buffer names match PyTorch's (``_u``,
``_v`` under ``parametrizations.weight.0``), so state dicts load either way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize


class SpectralNorm(nn.Module):
    """The parametrization W -> W / sigma(W); ``dim`` is the output dimension of the weight."""

    def __init__(self, weight: Tensor, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps
        w = self._matrix(weight.detach())
        h, wd = w.shape
        u = F.normalize(w.new_empty(h).normal_(0, 1), dim=0, eps=eps)
        v = F.normalize(w.new_empty(wd).normal_(0, 1), dim=0, eps=eps)
        self.register_buffer("_u", u)
        self.register_buffer("_v", v)
        self._iterate(w, 15)  # start from a good estimate, as PyTorch does

    def _matrix(self, weight: Tensor) -> Tensor:
        """(out, everything else): the matrix whose top singular value is sigma."""
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    @torch.no_grad()
    def _iterate(self, w: Tensor, n: int) -> None:
        if w.is_meta:  # shapes only (a memory estimate builds networks on meta): nothing to do
            return
        for _ in range(n):
            # v <- W^T u / |W^T u|, u <- W v / |W v| (Miyato et al. 2018, algorithm 1)
            self._v.copy_(F.normalize(torch.mv(w.t(), self._u), dim=0, eps=self.eps))
            self._u.copy_(F.normalize(torch.mv(w, self._v), dim=0, eps=self.eps))

    def power_iteration_(self, weight: Tensor) -> None:
        self._iterate(self._matrix(weight.detach()), 1)

    def forward(self, weight: Tensor) -> Tensor:
        # u and v are constants of the gradient (the paper's choice): read, never written here.
        # The clones keep autograd's saved copies safe from in-place writes to the buffers before
        # backward (e.g. a buffer broadcast).
        u, v = self._u.clone(), self._v.clone()
        sigma = torch.vdot(u, torch.mv(self._matrix(weight), v))
        return weight / sigma


def spectral_norm(module: nn.Module) -> nn.Module:
    """Register SpectralNorm on ``module.weight`` (transposed convolutions: output dim 1)."""
    dim = 1 if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)) else 0
    parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, dim))
    return module


def spectral_layers(network: nn.Module) -> list[tuple[SpectralNorm, Tensor]]:
    """(parametrization, raw weight) of every SpectralNorm layer in ``network``, found once."""
    found = []
    for m in network.modules():
        if parametrize.is_parametrized(m, "weight"):
            for p in m.parametrizations.weight:
                if isinstance(p, SpectralNorm):
                    found.append((p, m.parametrizations.weight.original))
    return found


def power_iteration_(layers: list[tuple[SpectralNorm, Tensor]]) -> None:
    """One power iteration in each of ``layers`` (``spectral_layers``), before a network's update."""
    for sn, weight in layers:
        sn.power_iteration_(weight)

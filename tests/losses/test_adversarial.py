"""Each loss against values computed by hand from the paper's formula."""

import math

import pytest
import torch

from ganforge.losses.adversarial import (
    LOSSES,
    d_bce,
    d_hinge,
    d_lsgan,
    d_wasserstein,
    discriminator_prob,
    g_hinge,
    g_lsgan,
    g_minimax,
    g_nonsaturating,
)

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_d_bce_is_minus_log_likelihood():
    want = sum(-math.log(sig(r)) for r in REAL.tolist()) / 2
    want += sum(-math.log(1 - sig(f)) for f in FAKE.tolist()) / 2
    assert d_bce(REAL, FAKE).item() == pytest.approx(want, rel=1e-6)


def test_one_sided_label_smoothing_only_changes_real_targets():
    t = 0.9
    want = sum(-(t * math.log(sig(r)) + (1 - t) * math.log(1 - sig(r))) for r in REAL.tolist()) / 2
    want += sum(-math.log(1 - sig(f)) for f in FAKE.tolist()) / 2
    assert d_bce(REAL, FAKE, real_target=t).item() == pytest.approx(want, rel=1e-6)


def test_generator_bce_losses():
    minimax = sum(math.log(1 - sig(f)) for f in FAKE.tolist()) / 2
    ns = sum(-math.log(sig(f)) for f in FAKE.tolist()) / 2
    assert g_minimax(FAKE).item() == pytest.approx(minimax, rel=1e-6)
    assert g_nonsaturating(FAKE).item() == pytest.approx(ns, rel=1e-6)


def test_minimax_saturates_where_nonsaturating_does_not():
    # Goodfellow et al. section 3: when D rejects fakes confidently, log(1 - D(G(z))) has a
    # vanishing gradient while -log D(G(z)) keeps a strong one.
    logits = torch.tensor([-10.0], requires_grad=True)
    (g1,) = torch.autograd.grad(g_minimax(logits), logits)
    (g2,) = torch.autograd.grad(g_nonsaturating(logits), logits)
    assert abs(g1.item()) < 1e-4 and abs(g2.item()) > 0.99


def test_lsgan_hinge_wasserstein():
    assert d_lsgan(REAL, FAKE).item() == pytest.approx(
        0.5 * ((1.0 + 4.0) / 2) + 0.5 * ((0.25 + 9.0) / 2)
    )
    assert g_lsgan(FAKE).item() == pytest.approx(0.5 * ((0.25 + 16.0) / 2))
    # hinge: relu(1 - r) = [0, 2]; relu(1 + f) = [1.5, 0]
    assert d_hinge(REAL, FAKE).item() == pytest.approx(1.0 + 0.75)
    assert g_hinge(FAKE).item() == pytest.approx(1.25)
    assert d_wasserstein(REAL, FAKE).item() == pytest.approx(-1.25 - 0.5)


def test_registry_pairs_are_callable_and_scalar():
    for name, (d, g) in LOSSES.items():
        assert d(REAL, FAKE).dim() == 0, name
        assert g(FAKE).dim() == 0, name


def test_discriminator_prob():
    assert discriminator_prob(torch.tensor([0.0]), "minimax").item() == 0.5
    assert discriminator_prob(torch.tensor([3.0]), "hinge").item() == 3.0

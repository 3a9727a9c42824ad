"""Augmenter: the trainer's view of the three policies, logging and resume."""

import pytest
import torch

from ganforge.augment import AugmentConfig, Augmenter, ada_augment, diff_augment


def _images(b=8, c=3, h=28, w=40, seed=0):
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _gen(seed=1):
    return torch.Generator().manual_seed(seed)


def test_policy_none_is_the_identity():
    aug = Augmenter(AugmentConfig())
    x = _images()
    assert not aug.enabled and aug(x, _gen()) is x
    assert set(aug.log_scalars()) == {"aug_rt"}


def test_diffaugment_uses_the_configured_ops():
    aug = Augmenter(AugmentConfig(policy="diffaugment", diffaugment="translation,cutout"))
    x = _images(c=4)
    assert torch.equal(aug(x, _gen()), diff_augment(x, "translation,cutout", _gen()))
    aug.observe(torch.ones(8))  # harmless: p means nothing here and stays put
    assert aug.p == 0.0


def test_ada_starts_as_identity_and_follows_p():
    cfg = AugmentConfig(policy="ada", ada_kimg=0.016, ada_interval=1)  # +0.5 per 8 real images
    aug = Augmenter(cfg)
    x = _images()
    assert aug(x, _gen()) is x
    assert aug.observe(torch.ones(8))  # D overfits: p goes up
    assert aug.p == pytest.approx(0.5)
    out = aug(x, _gen())
    assert out.shape == x.shape and out.dtype == x.dtype
    torch.testing.assert_close(out, ada_augment(x, 0.5, _gen()))
    scalars = aug.log_scalars()
    assert set(scalars) == {"aug_p", "aug_rt"}
    assert all(isinstance(v, torch.Tensor) and v.device == x.device for v in scalars.values())
    assert float(scalars["aug_p"]) == pytest.approx(0.5) and float(scalars["aug_rt"]) == 1.0


def test_ada_is_differentiable_for_the_generator():
    aug = Augmenter(AugmentConfig(policy="ada", ada_adaptive=False, ada_p=1.0))
    z = torch.randn(4, 3, 32, 32, requires_grad=True)
    fake = torch.tanh(z)  # stands in for G(z)
    (grad,) = torch.autograd.grad(aug(fake, _gen()).sum(), z)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_fixed_p_ignores_observations_and_the_checkpoint():
    cfg = AugmentConfig(policy="ada", ada_adaptive=False, ada_p=0.2, ada_interval=1)
    aug = Augmenter(cfg)
    aug.observe(torch.ones(8))
    assert aug.p == 0.2
    aug.load_state_dict({**aug.state_dict(), "p": 0.9})
    assert aug.p == 0.2


def test_state_dict_round_trip_resumes_with_the_same_p_and_images():
    cfg = AugmentConfig(policy="ada", ada_kimg=0.1, ada_interval=3)
    a = Augmenter(cfg)
    for _ in range(7):
        a.observe(torch.randn(8) + 2)
    b = Augmenter(cfg)
    b.load_state_dict(a.state_dict())
    assert b.p == a.p > 0
    x = _images()
    assert torch.equal(a(x, _gen(9)), b(x, _gen(9)))
    for _ in range(5):
        a.observe(torch.randn(8, generator=_gen(3)) - 1)
        b.observe(torch.randn(8, generator=_gen(3)) - 1)
    assert b.p == a.p


@pytest.mark.parametrize("policy", ["diffaugment", "ada"])
def test_augmenting_and_observing_never_read_the_device(policy, monkeypatch):
    # On CUDA a host read stalls the pipeline; on CPU the same reads are visible as calls.
    aug = Augmenter(AugmentConfig(policy=policy, ada_p=0.5, ada_interval=1000))
    x, gen = _images(), _gen()
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__", "__int__", "cpu", "numpy"):
        original = getattr(torch.Tensor, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, spy)
    for _ in range(3):
        aug.observe(aug(x, gen).mean((1, 2, 3)))
        aug.log_scalars()
    assert reads == []


@pytest.mark.parametrize("policy", ["diffaugment", "ada"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_batches_keep_their_dtype(policy, dtype):
    aug = Augmenter(AugmentConfig(policy=policy, ada_p=1.0, ada_adaptive=False))
    x = _images(c=4).to(dtype)
    out = aug(x, _gen())
    assert out.dtype == dtype and out.shape == x.shape and torch.isfinite(out.float()).all()

"""R3GAN's cosine burn-in: start, midpoint, end of burn-in and after it."""

import math

import pytest

from ganforge.tasks.burnin import OFFICIAL_BURNIN, cosine_schedule


def test_cosine_goes_from_start_to_end_then_stays():
    assert cosine_schedule(0, 2e-4, 5e-5, 1000) == pytest.approx(2e-4)
    assert cosine_schedule(500, 2e-4, 5e-5, 1000) == pytest.approx((2e-4 + 5e-5) / 2)
    quarter = 5e-5 + (2e-4 - 5e-5) * (1 + math.cos(math.pi / 4)) / 2
    assert cosine_schedule(250, 2e-4, 5e-5, 1000) == pytest.approx(quarter)
    assert cosine_schedule(1000, 2e-4, 5e-5, 1000) == pytest.approx(5e-5)
    assert cosine_schedule(10**9, 2e-4, 5e-5, 1000) == 5e-5
    # Rising values (beta2, EMA half-life, augmentation) follow the same curve.
    assert cosine_schedule(500, 0.9, 0.99, 1000) == pytest.approx(0.945)
    assert cosine_schedule(0, 0.0, 5e6, 1000) == 0.0


def test_the_cosine_is_flat_at_both_ends_of_the_burn_in():
    # Half a cosine: slow, fast, slow. The first and last 10% move it by ~2.4% each.
    first = cosine_schedule(100, 1.0, 0.0, 1000)
    middle = cosine_schedule(450, 1.0, 0.0, 1000) - cosine_schedule(550, 1.0, 0.0, 1000)
    assert 1 - first == pytest.approx((1 - math.cos(math.pi / 10)) / 2)
    assert middle > 6 * (1 - first)


def test_warmup_and_hold_have_the_official_shape():
    kw = dict(start=1.0, end=0.0, length=1000, warmup=100, warmup_start=0.2, hold=100)
    assert cosine_schedule(0, **kw) == pytest.approx(0.2)
    assert cosine_schedule(50, **kw) == pytest.approx(0.6)  # linear to the start value
    assert cosine_schedule(150, **kw) == 1.0 and cosine_schedule(200, **kw) == 1.0  # held
    assert cosine_schedule(600, **kw) == pytest.approx(0.5)  # the cosine spans 200..1000
    assert cosine_schedule(1000, **kw) == 0.0


def test_official_cifar10_values_at_start_midpoint_and_after_burn_in():
    cifar = OFFICIAL_BURNIN["cifar10"]
    assert cifar.length == 20_000_000
    start = cifar.at(0)
    assert start == pytest.approx(dict(lr=2e-4, gamma=0.05, beta2=0.9, ema_halflife=0.0, aug_p=0.0))
    mid = cifar.at(10_000_000)
    assert mid == pytest.approx(
        dict(lr=1.25e-4, gamma=0.0275, beta2=0.945, ema_halflife=2.5e6, aug_p=0.275)
    )
    after = cifar.at(50_000_000)
    assert after == pytest.approx(
        dict(lr=5e-5, gamma=0.005, beta2=0.99, ema_halflife=5e6, aug_p=0.55)
    )


def test_every_official_preset_decays_gamma_tenfold():
    for name, plan in OFFICIAL_BURNIN.items():
        g0, g1 = plan.gamma
        assert g1 == pytest.approx(g0 / 10), name
        assert plan.at(plan.length)["gamma"] == pytest.approx(g1)

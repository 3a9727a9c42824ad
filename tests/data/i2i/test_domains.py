"""data/i2i/domains.py: batched random crops and flips, the centre plan, and the unpaired samplers."""

import torch

from ganforge.data.i2i.domains import (
    CropPlan,
    SamplerPair,
    TwoDomainData,
    apply_crops,
    center_plan,
    plan_crops,
)


def test_batched_crops_equal_slicing_and_flip_mirrors():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.uint8).view(2, 1, 6, 6)
    plan = CropPlan(torch.tensor([0, 2]), torch.tensor([1, 0]), torch.tensor([False, True]))
    out = apply_crops(x, plan, 4)
    assert torch.equal(out[0], x[0, :, 0:4, 1:5])
    assert torch.equal(out[1], x[1, :, 2:6, 0:4].flip(-1))
    gen = torch.Generator().manual_seed(0)
    p = plan_crops(100, 6, 4, True, gen, torch.device("cpu"))
    assert p.top.max() <= 2 and p.left.min() >= 0 and 20 < int(p.flip.sum()) < 80


def test_the_centre_plan_is_the_middle_window_unflipped():
    x = torch.arange(1 * 1 * 7 * 7, dtype=torch.uint8).view(1, 1, 7, 7)
    plan = center_plan(1, 7, 4, torch.device("cpu"))
    assert plan.top.tolist() == plan.left.tolist() == [1] and not plan.flip.any()
    assert torch.equal(apply_crops(x, plan, 4), x[..., 1:5, 1:5])
    whole = center_plan(1, 7, 7, torch.device("cpu"))
    assert apply_crops(x, whole, 7) is x  # nothing to cut: no copy


def test_crops_without_hflip_never_flip_and_the_draws_follow_the_generator():
    def plan(seed, hflip):
        return plan_crops(64, 9, 4, hflip, torch.Generator().manual_seed(seed), torch.device("cpu"))

    a, b = plan(0, True), plan(0, True)
    assert torch.equal(a.top, b.top) and torch.equal(a.flip, b.flip)
    assert not torch.equal(a.top, plan(1, True).top)
    assert not plan(0, False).flip.any() and int(a.top.max()) == 5 and int(a.top.min()) == 0


def test_unpaired_samplers_draw_independent_orders_and_resume_together():
    pair = SamplerPair(10, 10, 2, seed=3)
    a, b = pair.next()
    assert not torch.equal(a, b)  # the same size, another order
    for _ in range(7):
        pair.next()
    again = SamplerPair(10, 10, 2, seed=3)
    again.load_state_dict(pair.state_dict())
    for _ in range(6):
        (x1, y1), (x2, y2) = pair.next(), again.next()
        assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_two_domain_data_has_as_many_examples_as_its_smaller_domain():
    d = TwoDomainData(torch.zeros(5, 1, 2, 2), None, 0, "x", sources=torch.zeros(3, 1, 2, 2))
    assert len(d) == 3 and d.paired  # paired unless said otherwise

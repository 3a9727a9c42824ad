"""The ADA controller: direction, speed, clamping, schedule, host reads, resume."""

import pytest
import torch

from ganforge.augment.adaptive import AdaptiveP


def _logits(sign, b=8):
    return torch.full((b,), float(sign))


def test_p_rises_by_the_papers_step_when_d_overfits():
    # All reals judged real: r_t = 1 > 0.6, so p += 4 batches * 8 images / (kimg * 1000).
    ctl = AdaptiveP(target=0.6, kimg=1.0, interval=4)
    for _ in range(3):
        assert not ctl.observe(_logits(+1))
        assert ctl.p == 0.0  # only at the interval's end
    assert ctl.observe(_logits(+1))
    assert ctl.p == pytest.approx(32 / 1000)
    assert float(ctl.p_tensor) == pytest.approx(ctl.p)
    assert float(ctl.rt) == 1.0


def test_p_reaches_one_and_stays_clamped():
    ctl = AdaptiveP(kimg=0.05, interval=1)  # 8 images per step: p += 0.16
    for _ in range(20):
        ctl.observe(_logits(+1))
    assert ctl.p == 1.0 and float(ctl.p_tensor) == 1.0


def test_p_falls_to_zero_and_stays_clamped_when_d_does_not_overfit():
    ctl = AdaptiveP(kimg=0.05, interval=2, p=0.5)
    ps = []
    for _ in range(20):
        ctl.observe(_logits(-1))
        ps.append(ctl.p)
    assert ps[1] == pytest.approx(0.5 - 16 / 50)
    assert ps[-1] == 0.0 and min(ps) == 0.0 and float(ctl.p_tensor) == 0.0
    assert float(ctl.rt) == -1.0


def test_r_t_is_the_mean_sign_and_patch_outputs_count_per_image():
    ctl = AdaptiveP(target=0.6, kimg=1.0, interval=2)
    # Image 0: 3 of 4 patches positive (+0.5); image 1: all negative (-1); then 2 positive images.
    ctl.observe(torch.tensor([[[1.0, 2.0], [3.0, -1.0]], [[-1.0, -1.0], [-2.0, -3.0]]]))
    ctl.observe(torch.tensor([[[1.0, 1.0], [1.0, 1.0]], [[5.0, 5.0], [5.0, 5.0]]]))
    assert float(ctl.rt) == pytest.approx((0.5 - 1 + 1 + 1) / 4)  # 0.375 < 0.6: p stays at 0
    assert ctl.p == 0.0


def test_fixed_p_never_moves_but_r_t_is_tracked():
    ctl = AdaptiveP(kimg=0.05, interval=1, p=0.3, adaptive=False)
    for _ in range(5):
        ctl.observe(_logits(+1))
    assert ctl.p == 0.3 and float(ctl.rt) == 1.0


def test_reads_the_device_only_when_p_is_adjusted(monkeypatch):
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__", "cpu", "numpy"):
        original = getattr(torch.Tensor, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, spy)
    ctl = AdaptiveP(kimg=1.0, interval=4)
    for step in range(1, 13):
        ctl.observe(torch.randn(8))
        assert len(reads) == step // 4  # one read per interval, at its end
    assert set(reads) == {"tolist"}


def test_reduce_sees_signs_and_counts_and_decides_p():
    seen = []

    def reduce(stats):  # as if a second process had the same batch
        seen.append(stats.clone())
        return stats * 2

    ctl = AdaptiveP(kimg=1.0, interval=2, reduce=reduce)
    ctl.observe(_logits(+1))
    ctl.observe(_logits(-1, b=4))
    assert torch.equal(seen[0], torch.tensor([4.0, 12.0]))  # sum of signs 8 - 4, 12 images
    assert ctl.p == 0.0  # r_t = 1/3 < 0.6
    ctl.observe(_logits(+1))
    ctl.observe(_logits(+1))
    assert ctl.p == pytest.approx(32 / 1000)  # the reduced count (2 x 16 images) sets the step


def test_state_dict_round_trip_continues_identically():
    gen = torch.Generator().manual_seed(0)
    stream = [torch.randn(8, generator=gen) + 1.0 for _ in range(23)]  # mostly positive
    a = AdaptiveP(kimg=0.5, interval=4)
    for logits in stream[:10]:  # stop mid-interval: the accumulator must survive too
        a.observe(logits)
    state = a.state_dict()
    assert all(isinstance(v, (int, float, torch.Tensor)) for v in state.values())
    b = AdaptiveP(kimg=0.5, interval=4)
    b.load_state_dict(state)
    c = AdaptiveP(kimg=0.5, interval=4, p=state["p"])  # same p, but the interval restarted
    assert b.p == a.p == c.p > 0
    traces = {"a": [], "b": [], "c": []}
    for logits in stream[10:]:
        for name, ctl in (("a", a), ("b", b), ("c", c)):
            ctl.observe(logits)
            traces[name].append((ctl.p, float(ctl.rt)))
    assert traces["b"] == traces["a"]
    assert traces["c"] != traces["a"]  # the accumulator matters: the test can tell

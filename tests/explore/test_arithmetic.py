import torch

from ganforge.explore import latents as L
from ganforge.explore.arithmetic import arithmetic, combine, neighbours
from ganforge.explore.classes import generate_mixed
from ganforge.explore.sample import draw, generate
from ganforge.images import to_uint8
from ganforge.runs import load_run


def test_combine_is_mean_a_minus_mean_b_plus_mean_c():
    a, b, c = L.latents(0, [1, 2, 3], 8), L.latents(0, [4, 5], 8), L.latents(0, [6], 8)
    expected = a.mean(0) - b.mean(0) + c.mean(0)
    assert torch.allclose(combine(a, b, c), expected)


def test_neighbours_are_small_reproducible_perturbations():
    z = torch.zeros(16)
    n = neighbours(z, 8, scale=0.25, seed=3)
    assert n.shape == (8, 16) and n.abs().max() <= 0.25 and n.abs().max() > 0.2
    assert torch.equal(n, neighbours(z, 8, scale=0.25, seed=3))
    assert not torch.equal(n, neighbours(z, 8, scale=0.25, seed=4))


def test_neighbour_noise_is_not_the_stream_of_the_sheet_samples():
    # Noise from seed 3 itself would be the uniforms behind samples 0..7 of seed 3, i.e. the
    # same directions as those samples' latents.
    n = neighbours(torch.zeros(16), 8, scale=0.5, seed=3)  # (8, 16) = u - 0.5
    u = L.uniforms(3, range(8), 16).float()  # what samples 0..7 of seed 3 are made from
    assert (n - (u - 0.5)).abs().min(dim=1).values.max() > 0  # no row equals theirs
    corr = torch.corrcoef(torch.cat([n.flatten()[None], u.flatten()[None]]))[0, 1]
    assert abs(corr) < 0.3  # unrelated, not a rescaled copy


def test_arithmetic_figure_and_result(dcgan_run):
    run = load_run(dcgan_run)
    a, b, c = (L.latents(7, idx, run.z_dim) for idx in ([3, 18, 52], [7, 9, 60], [11, 24]))
    res = arithmetic(run.G, a, b, c, n_neighbours=4)
    assert torch.allclose(res.z, combine(a, b, c))
    h, w, ch = res.figure.shape
    assert ch == 1 and h > 4 * 64 and w > 6 * 64  # 4 rows of 64 px tiles, 3 exemplars + mean
    assert torch.equal(res.images[0], to_uint8(generate(run.G, res.z[None]))[0])
    near = (res.images[1:].float() - res.images[:1].float()).abs().mean()
    far = (
        to_uint8(generate(run.G, L.latents(9, range(4), run.z_dim))).float()
        - res.images[:1].float()
    )
    assert 0 < near < far.abs().mean()  # neighbours resemble the result more than random samples do
    assert res.exemplars[0].shape == (3, 1, 32, 32)
    assert torch.equal(res.exemplars[1][2], to_uint8(generate(run.G, L.latents(7, [60], 100)))[0])


def test_conditional_arithmetic_draws_each_exemplar_with_its_own_class(cgan_run):
    run = load_run(cgan_run)
    ia, ib, ic = [3, 18], [7], [11, 24]
    a, b, c = (L.latents(7, i, run.z_dim) for i in (ia, ib, ic))
    labels = tuple(L.labels(i, 10) for i in (ia, ib, ic))  # classes 3, 8 / 7 / 1, 4
    res = arithmetic(run.G, a, b, c, labels=labels, num_classes=10, n_neighbours=2)
    sheet = draw(run.G, 25, seed=7, num_classes=10)  # what `ganforge sheet --seed 7` shows
    for got, idx in zip(res.exemplars, (ia, ib, ic)):
        want = to_uint8(sheet.images[idx])
        assert (got.int() - want.int()).abs().max() <= 1
    # Exemplar 18 of class 8 is not exemplar 18 of exemplar 3's class.
    other = to_uint8(generate(run.G, a[1:], torch.tensor([3])))
    assert (res.exemplars[0][1].float() - other[0].float()).abs().mean() > 10
    # The result takes the same arithmetic on the classes: +1/2 of 3, 8, 1, 4 and -1 of 7.
    w = torch.zeros(10)
    w[[3, 8, 1, 4]] = 0.5
    w[7] = -1
    want = to_uint8(generate_mixed(run.G, res.z[None], w[None]))
    assert torch.equal(res.images[0], want[0])
    as_class_3 = to_uint8(generate(run.G, res.z[None], torch.tensor([3])))[0]
    assert (res.images[0].float() - as_class_3.float()).abs().mean() > 5  # not one hard class

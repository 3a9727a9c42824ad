import torch

from ganforge.explore import latents as L
from ganforge.explore.arithmetic import arithmetic, combine, neighbours
from ganforge.explore.sample import generate
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

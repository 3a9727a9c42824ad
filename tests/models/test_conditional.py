"""models/conditional.py: the label plane (concat), class-conditional batch norm and the
projection term (Miyato & Koyama 2018)."""

import torch
from torch import nn

from ganforge.models.conditional import CondBatchNorm2d, LabelPlane, Projection


def test_label_plane_appends_one_learned_plane_per_class():
    torch.manual_seed(0)
    plane = LabelPlane(num_classes=3, size=4)
    x = torch.randn(2, 5, 4, 4)
    out = plane(x, torch.tensor([2, 0]))
    assert out.shape == (2, 6, 4, 4) and torch.equal(out[:, :5], x)
    assert torch.equal(out[0, 5], plane.embed.weight[2].view(4, 4))
    assert torch.equal(out[1, 5], plane.embed.weight[0].view(4, 4))
    assert plane(x.half(), torch.tensor([1, 1])).dtype == torch.float16  # follows the input


def test_cond_batch_norm_starts_as_plain_batch_norm_then_scales_per_class():
    torch.manual_seed(0)
    cbn, bn = CondBatchNorm2d(3, num_classes=4), nn.BatchNorm2d(3, affine=False)
    x, y = torch.randn(8, 3, 2, 2), torch.tensor([0, 1, 2, 3] * 2)
    torch.testing.assert_close(cbn(x, y), bn(x))  # gamma 1, beta 0 for every class
    with torch.no_grad():
        cbn.gamma.weight[1] = torch.tensor([2.0, 3.0, 4.0])
        cbn.beta.weight[1] = torch.tensor([1.0, 0.0, -1.0])
    out, ref = cbn(x, y), bn(x)
    gamma, beta = (
        torch.tensor([2.0, 3.0, 4.0]).view(3, 1, 1),
        torch.tensor([1.0, 0, -1]).view(3, 1, 1),
    )
    torch.testing.assert_close(out[1], ref[1] * gamma + beta)  # class 1 only
    torch.testing.assert_close(out[0], ref[0])


def test_projection_is_the_inner_product_of_the_class_embedding_and_the_features():
    torch.manual_seed(0)
    proj = Projection(num_classes=5, features=6, spectral_norm=False)
    phi, y = torch.randn(3, 6), torch.tensor([4, 0, 4])
    want = (proj.embed.weight[y] * phi).sum(dim=1)
    assert proj(phi, y).shape == (3,)
    torch.testing.assert_close(proj(phi, y), want)
    normed = Projection(num_classes=5, features=6, spectral_norm=True)
    sigma = torch.linalg.matrix_norm(normed.embed.weight.detach(), ord=2)
    assert abs(float(sigma) - 1) < 0.05  # the embedding is spectrally normalised

"""losses/self_supervised.py: FastGAN's decoder reconstruction loss on values checked by hand."""

import pytest
import torch

from ganforge.losses.self_supervised import decoder_reconstruction


def test_sums_the_mean_error_of_each_decoder():
    r1, t1 = torch.zeros(1, 1, 2, 2), torch.tensor([[[[1.0, -1.0], [2.0, 0.0]]]])
    r2, t2 = torch.ones(1, 1, 1, 2), torch.tensor([[[[1.0, 3.0]]]])
    # mse: (1 + 1 + 4 + 0) / 4 + (0 + 4) / 2 = 1.5 + 2; l1: (1 + 1 + 2 + 0) / 4 + (0 + 2) / 2 = 1 + 1
    assert torch.isclose(decoder_reconstruction([r1, r2], [t1, t2]), torch.tensor(3.5))
    assert torch.isclose(decoder_reconstruction([r1, r2], [t1, t2], "l1"), torch.tensor(2.0))


def test_perfect_reconstruction_is_zero_and_gradients_reach_the_reconstruction():
    t = torch.randn(2, 4, 8, 8)
    r = t.clone().requires_grad_(True)
    loss = decoder_reconstruction([r], [t])
    assert loss.item() == 0.0
    (decoder_reconstruction([r + 1], [t])).backward()
    assert torch.allclose(r.grad, torch.full_like(t, 2 / t.numel()))  # d/dr mean (r - t)^2


def test_bf16_inputs_give_a_float32_loss():
    r, t = torch.randn(2, 3, 4, 4).bfloat16(), torch.randn(2, 3, 4, 4).bfloat16()
    loss = decoder_reconstruction([r], [t])
    assert loss.dtype == torch.float32
    assert torch.isclose(loss, (r.float() - t.float()).pow(2).mean())


def test_bad_arguments():
    x = torch.zeros(1, 1, 2, 2)
    with pytest.raises(ValueError, match="metric"):
        decoder_reconstruction([x], [x], "lpips")
    with pytest.raises(ValueError, match="one target per reconstruction"):
        decoder_reconstruction([x, x], [x])
    with pytest.raises(ValueError, match="differ"):
        decoder_reconstruction([x], [torch.zeros(1, 1, 4, 4)])

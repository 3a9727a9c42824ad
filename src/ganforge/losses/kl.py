"""The Kullback-Leibler term of conditioning augmentation: Zhang et al. 2017, "StackGAN", eq. 3-4.

D_KL(N(mu, diag(sigma^2)) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2),
added to the generator's loss with weight lambda (1 in the paper). As in the reference code
(hanzhanggit/StackGAN-Pytorch, code/miscc/utils.py, ``KL_loss``) the elements are averaged over
batch and dimensions, not summed over dimensions, so lambda does not scale with c_dim; the value is
the per-dimension mean of the divergence above.
"""

from __future__ import annotations

from torch import Tensor


def kl_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """Mean over (B, c_dim) of 1/2 (mu^2 + exp(logvar) - 1 - logvar); a scalar, 0 at N(0, I)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean()

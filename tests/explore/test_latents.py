import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.explore import latents as L


def test_sample_i_of_seed_s_does_not_depend_on_n_or_order():
    full = L.latents(7, range(50), 16)
    assert torch.equal(L.latents(7, [49, 3, 17], 16), full[[49, 3, 17]])
    assert torch.equal(L.latents(7, range(10), 16), full[:10])
    assert torch.equal(L.latents(7, range(10, 50), 16), full[10:])
    assert not torch.equal(L.latents(8, range(50), 16), full)
    # A larger z_dim extends each sample's stream: the first coordinates are unchanged.
    assert torch.equal(L.latents(7, range(50), 32)[:, :16], full)


def test_latents_are_standard_normal():
    z = L.latents(0, range(20_000), 64).double()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert abs((z**4).mean() - 3) < 0.05  # normal kurtosis, not merely unit variance
    corr = torch.corrcoef(z[:, :8].T) - torch.eye(8, dtype=torch.float64)
    assert corr.abs().max() < 0.03


def test_truncation_pulls_the_same_sample_into_the_interval():
    z = L.latents(3, range(500), 32)
    zt = L.latents(3, range(500), 32, truncation=0.7)
    assert zt.abs().max() <= 0.7
    assert torch.equal(torch.sign(zt), torch.sign(z))  # the same u, mapped monotonically
    assert (zt.abs() <= z.abs() + 1e-6).all()
    assert torch.allclose(L.latents(3, range(500), 32, truncation=50.0), z)
    with pytest.raises(GanforgeError, match="must be positive"):
        L.latents(3, range(5), 32, truncation=0)


def test_labels_cycle_with_the_index_or_are_fixed():
    assert L.labels(range(12), 0) is None
    assert L.labels(range(12), 5).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    assert L.labels([7], 5).tolist() == [2]  # sample 7 keeps its class in any batch
    assert L.labels(range(3), 5, label=4).tolist() == [4, 4, 4]


def test_resolve_label_by_number_or_name():
    names = ["T-shirt/top", "Trouser", "Pullover"]
    assert L.resolve_label("2", 3, names) == 2
    assert L.resolve_label("trouser", 3, names) == 1
    assert L.resolve_label(None, 3, names) is None
    with pytest.raises(GanforgeError, match="classes 0-2"):
        L.resolve_label("3", 3, names)
    with pytest.raises(GanforgeError, match="use one of T-shirt/top, Trouser, Pullover"):
        L.resolve_label("shoe", 3, names)
    with pytest.raises(GanforgeError, match="not class-conditional"):
        L.resolve_label("1", 0, [])


def test_latents_from_files_and_indices(tmp_path):
    one = tmp_path / "one.npy"
    np.save(one, np.arange(4, dtype=np.float32))
    picked = L.parse_latents(f"3,{one},5", seed=1, z_dim=4)
    assert picked.z.shape == (3, 4) and picked.names == ["#3", "one.npy", "#5"]
    assert picked.index == [3, None, 5] and picked.from_files
    assert torch.equal(picked.z[0], L.latents(1, [3], 4)[0]) and picked.z[1].tolist() == [
        0,
        1,
        2,
        3,
    ]
    # Truncation pulls sample indices in, never a saved latent.
    t = L.parse_latents(f"3,{one}", seed=1, z_dim=4, truncation=0.5)
    assert t.z[0].abs().max() <= 0.5 and t.z[1].tolist() == [0, 1, 2, 3]
    assert not L.parse_latents("3,5", seed=1, z_dim=4).from_files

    np.save(tmp_path / "wrong.npy", np.zeros((2, 5), np.float32))
    with pytest.raises(GanforgeError, match="latents of size 4"):
        L.parse_latents(str(tmp_path / "wrong.npy"), 0, 4)
    (tmp_path / "text.npy").write_text("not numpy")
    with pytest.raises(GanforgeError, match="not a .npy array"):
        L.load_latents(tmp_path / "text.npy", 4)
    with pytest.raises(GanforgeError, match="does not exist"):
        L.load_latents(tmp_path / "missing.npy", 4)
    with pytest.raises(GanforgeError, match="neither a sample index nor a .npy"):
        L.parse_latents("3,abc", 0, 4)
    with pytest.raises(GanforgeError, match="neither a sample index"):
        L.parse_latents("\u00b2", 0, 4)  # "²".isdigit() is True, int("²") fails


def test_huge_indices_are_one_line_errors_not_overflows():
    big = 10**23
    with pytest.raises(GanforgeError, match=r"--c sample index 1000.* is too large: .* 2\^63 - 1"):
        L.parse_latents(str(big), 0, 4, flag="--c")
    with pytest.raises(GanforgeError, match="too large"):
        L.latents(0, [2**63], 4)
    with pytest.raises(GanforgeError, match="too large"):
        L.latents(0, range(2**63 - 1, 2**63 + 1), 4)
    with pytest.raises(GanforgeError, match="negative"):
        L.latents(0, range(-1, 3), 4)
    assert L.latents(0, [2**63 - 1], 4).shape == (1, 4)  # the largest index works


def test_labels_of_picked_latents(tmp_path):
    np.save(tmp_path / "z.npy", np.zeros(4, np.float32))
    by_index = L.parse_latents("3,18", 0, 4)
    assert L.labels_for(by_index, 0) is None
    assert L.labels_for(by_index, 10).tolist() == [3, 8]  # each sample's own class
    assert L.labels_for(by_index, 10, label=5).tolist() == [5, 5]
    from_file = L.parse_latents(f"3,{tmp_path / 'z.npy'}", 0, 4)
    assert L.labels_for(from_file, 10, label=2).tolist() == [2, 2]
    with pytest.raises(
        GanforgeError, match="the .npy latent of --a carries no class: give --label"
    ):
        L.labels_for(from_file, 10, flag="--a")

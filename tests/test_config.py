"""Config parsing, overrides and the errors a user sees for bad keys and values."""

import pytest

from ganforge.config import (
    Config,
    config_from_dict,
    field_docs,
    load_config,
    parse_override,
    preset_names,
)
from ganforge.errors import GanforgeError


def test_every_preset_parses_and_round_trips():
    names = preset_names()
    assert {
        "vanilla-mnist-mlp",
        "dcgan-fashion-mnist",
        "cgan-fashion-mnist",
        "wgan-fashion-mnist",
        "wgangp-fashion-mnist",
        "sngan-cifar10",
        "dcgan-folder-64",
        "toy-ring-mlp",
    } <= set(names)
    import yaml

    for name in names:
        cfg = load_config(name)
        assert cfg.name == name
        assert cfg.description
        again = config_from_dict(yaml.safe_load(cfg.to_yaml()))
        assert again == cfg


def test_preset_values_from_the_papers():
    wgan = load_config("wgan-fashion-mnist")
    assert (wgan.loss.clip, wgan.d_optim.name, wgan.d_optim.lr, wgan.train.n_critic) == (
        0.01,
        "rmsprop",
        5e-5,
        5,
    )
    gp = load_config("wgangp-fashion-mnist")
    assert (gp.loss.gp_weight, gp.train.n_critic, gp.d_optim.lr, gp.d_optim.betas) == (
        10.0,
        5,
        1e-4,
        [0.0, 0.9],
    )
    mlp = load_config("vanilla-mnist-mlp")
    assert mlp.train.n_critic == 2 and mlp.model.d_hidden == [100, 50]


def test_overrides_with_scientific_notation():
    cfg = load_config("dcgan-fashion-mnist", ["train.images=2e6", "g_optim.lr=1e-4"])
    assert cfg.train.images == 2_000_000 and isinstance(cfg.train.images, int)
    assert cfg.g_optim.lr == 1e-4


def test_unknown_preset_suggests_closest():
    with pytest.raises(GanforgeError, match="did you mean 'dcgan-fashion-mnist'"):
        load_config("dcgan-fashion-minst")


def test_mistyped_key_suggests_closest():
    with pytest.raises(GanforgeError, match="did you mean 'train.images'"):
        load_config("dcgan-fashion-mnist", ["train.imges=100"])
    with pytest.raises(GanforgeError, match="unknown config key 'trian'"):
        load_config("dcgan-fashion-mnist", ["trian.images=100"])


@pytest.mark.parametrize(
    "override,message",
    [
        ("train.batch_size=abc", "must be an integer"),
        ("train.batch_size=1.5", "must be an integer"),
        ("runtime.progress=maybe", "true or false"),
        ("loss.name=hinj", "did you mean 'hinge'"),
        ("model.arch=dcgan3", "model.arch"),
        ("data.channels=2", "must be 1 or 3"),
        ("g_optim.betas=[0.5]", "two numbers"),
        ("train.images=0", "at least 1"),
        ("data.resolution=48", "28, 32 or 64"),
        ("loss.gp_weight=10", "batch norm"),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(GanforgeError, match=message):
        load_config("dcgan-fashion-mnist", [override])


def test_override_syntax():
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    with pytest.raises(GanforgeError, match="section.key=value"):
        parse_override("train.images")


def test_yaml_file_config(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("name: mine\ntrain: {images: 1000}\n")
    assert load_config(str(f)).train.images == 1000
    f.write_text("name: [unclosed\n")
    with pytest.raises(GanforgeError, match="not valid YAML"):
        load_config(str(f))
    with pytest.raises(GanforgeError, match="does not exist"):
        load_config(str(tmp_path / "nope.yaml"))


def test_field_docs_cover_every_field():
    rows = field_docs()
    keys = {k for k, _, _ in rows}
    assert "train.images" in keys and "loss.gp_weight" in keys
    assert all(doc for k, _, doc in rows if k not in ("data", "model")), [
        k for k, _, d in rows if not d
    ]
    assert Config().name == "dcgan-fashion-mnist"

"""data/__init__.py: the public data API, the built-in readers registered in their order, and the
toy centres reachable from the package."""

import pytest
import torch

import ganforge.data as D
from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.sources import toy
from ganforge.errors import GanforgeError


def test_the_readers_register_in_order():
    assert list(D.SCHEMES)[:4] == ["fashion-mnist", "mnist", "cifar10", "stacked-fashion-mnist"]
    assert D.READERS[0] == "sources.sets" and D.READERS[-1] == "i2i.schemes"


def test_an_unknown_source_is_one_line_with_a_suggestion():
    with pytest.raises(GanforgeError, match="did you mean 'fashion-mnist'") as e:
        load_data(DataConfig(source="fashion-mnsit"))
    assert "\n" not in str(e.value) and "use one of fashion-mnist, mnist, cifar10" in str(e.value)
    with pytest.raises(GanforgeError, match="data.source=folder: needs a path"):
        load_data(DataConfig(source="folder:  "))


def test_centres_are_reachable_lazily_and_other_names_are_not():
    assert torch.equal(D.ring_centers(), toy.ring_centers())
    assert torch.equal(D.grid_centers(), toy.grid_centers())
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        D.nothing  # noqa: B018

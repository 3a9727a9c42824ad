"""registry.py: the named tables behind tasks, sections, schemes, sinks and commands."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.registry import Registry, owner_of


def first():
    return 1


def second():
    return 2


def test_add_lookup_and_the_mapping_view():
    r: Registry = Registry("widget")
    assert r.add("a", first) is first and r.add("b", second) is second
    assert list(r) == ["a", "b"] and len(r) == 2 and r["a"] is first and "b" in r
    assert dict(r.items()) == {"a": first, "b": second}
    assert r.owner("a") == __name__ == owner_of(first)
    assert r.add("a", first) is first  # the same item again (a module imported twice): fine


def test_a_taken_name_is_one_line_naming_both_owners():
    r: Registry = Registry("widget")
    r.add("a", first)
    with pytest.raises(GanforgeError) as e:
        r.add("a", second, owner="their.module")
    assert str(e.value) == (
        f"widget 'a' is already registered by {__name__}; their.module cannot register it too: "
        "choose another name"
    )
    assert r["a"] is first  # unchanged


@pytest.mark.parametrize("name", ["", "two words", "tab\there", 3])
def test_names_are_words(name):
    with pytest.raises(GanforgeError, match="must be a non-empty word"):
        Registry("widget").add(name, first)


def test_lookup_suggests_the_closest_name_in_one_line():
    r: Registry = Registry("widget")
    r.add("sprocket", first)
    with pytest.raises(GanforgeError) as e:
        r.lookup("sprockt", "; hint")
    assert str(e.value) == (
        "unknown widget 'sprockt' (did you mean 'sprocket'?): use one of sprocket; hint"
    )
    with pytest.raises(GanforgeError, match="^unknown widget 'zzz': use one of sprocket$"):
        r.lookup("zzz")


def test_restored_undoes_what_the_block_did_and_remove_forgets():
    r: Registry = Registry("widget")
    r.add("a", first)
    with r.restored():
        r.add("b", second)
        r.remove("a")
        assert list(r) == ["b"]
    assert list(r) == ["a"] and r.owner("a") == __name__
    r.remove("missing")  # nothing to forget: fine


def test_owner_of_an_instance_is_its_class_module():
    class Thing:
        pass

    assert owner_of(Thing()) == __name__ and owner_of(Thing) == __name__

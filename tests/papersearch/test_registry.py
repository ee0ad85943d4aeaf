import pytest

from papersearch.registry import Registry, UnknownStrategy


def test_registry_validates_names_and_keeps_order():
    r: Registry = Registry("fusion")
    r.add("zscore", abs)

    @r.register("rrf")
    def rrf(x):
        return x

    assert r.names() == ("zscore", "rrf") and "rrf" in r and r.get("rrf") is rrf and list(r) == ["zscore", "rrf"]
    assert r.validate("zscore") == "zscore"
    with pytest.raises(UnknownStrategy, match=r"unknown fusion 'max'; choose one of zscore, rrf"):
        r.get("max")
    with pytest.raises(ValueError, match="twice"):
        r.add("rrf", abs)

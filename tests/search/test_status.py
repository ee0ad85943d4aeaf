from indexer.storage.layout import DataDir
from search.status import PointerState, pointer_state


def test_pointer_state_names_the_generation_or_says_what_is_wrong(tmp_path):
    assert pointer_state(tmp_path) == PointerState(None, f"{tmp_path / 'CURRENT'} is missing")
    (tmp_path / "CURRENT").write_text("\n")
    assert pointer_state(tmp_path).problem == f"{tmp_path / 'CURRENT'} is empty"
    (tmp_path / "CURRENT").write_text("g1\n")
    assert pointer_state(tmp_path) == PointerState(None, f"{tmp_path / 'CURRENT'} names generation g1, "
                                                         "which does not exist")
    (DataDir(tmp_path).generations / "g1").mkdir(parents=True)
    assert pointer_state(tmp_path) == PointerState("g1", None)

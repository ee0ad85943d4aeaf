"""Imports run one way: models <- indexer <- search <- api, the CLI above them all, settings below them all."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# what each layer may import from the product's own packages (papersearch.settings is the neutral config)
ALLOWED = {
    "models": {"models", "papersearch.settings"},
    "indexer": {"models", "indexer", "papersearch.settings"},
    "search": {"models", "indexer", "search", "papersearch.settings"},
    "api": {"models", "indexer", "search", "api", "papersearch.settings"},
}
OWN = ("models", "indexer", "search", "api", "papersearch")


def own_imports(path: Path) -> set[str]:
    """Every product module a file imports, at any depth (function-level imports count too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        out |= {n for n in names if n.split(".")[0] in OWN}
    return out


def allowed(layer: str, module: str) -> bool:
    return module == "papersearch.settings" or module.split(".")[0] in ALLOWED[layer] - {"papersearch.settings"}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_below_itself(layer):
    wrong = [f"{p.relative_to(ROOT)} imports {m}" for p in sorted((ROOT / layer).rglob("*.py"))
             for m in sorted(own_imports(p)) if not allowed(layer, m)]
    assert not wrong, "\n".join(wrong)


def test_settings_import_no_product_module():
    assert own_imports(ROOT / "papersearch" / "settings.py") == set()


def test_the_check_catches_a_backwards_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("def f():\n    from api.main import create_app\n", encoding="utf-8")
    assert not allowed("indexer", next(iter(own_imports(f))))

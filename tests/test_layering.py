"""Imports run one way: models <- indexer <- search <- api, the CLI above them all, settings below them all;
inside indexer the families run ingest < storage < text < dense < topics < reading < pipeline; and no module
imports itself back through any chain (no cycle, function-level imports included)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OWN = ("models", "indexer", "search", "api", "papersearch")
NEUTRAL = {"papersearch.settings", "papersearch.registry"}
# what each layer may import from the product's own packages (the NEUTRAL modules are open to all)
ALLOWED = {
    "models": {"models"},
    "indexer": {"models", "indexer"},
    "search": {"models", "indexer", "search"},
    "api": {"models", "indexer", "search", "api"},
}
INDEXER_FAMILIES = ["ingest", "storage", "text", "dense", "topics", "reading", "pipeline"]
# api and search reach the index through the read side only, never the build or the fits behind it
SERVING_MAY_USE = {"indexer.ingest", "indexer.storage", "indexer.text", "indexer.topics", "indexer.reading",
                   "indexer.dense"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in OWN for p in sorted((ROOT / pkg).rglob("*.py"))}


def own_imports(path: Path, known: set[str] | None = None) -> set[str]:
    """Every product module a file imports, at any depth (function-level imports count too); with `known`,
    `from pkg import mod` resolves to the submodule."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if known:
                names += [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known]
        else:
            names = []
        out |= {n for n in names if n.split(".")[0] in OWN}
    return out


def allowed(layer: str, module: str) -> bool:
    return module in NEUTRAL or module.split(".")[0] in ALLOWED[layer]


def family_rank(module: str) -> int | None:
    parts = module.split(".")
    return INDEXER_FAMILIES.index(parts[1]) if parts[0] == "indexer" and len(parts) > 1 else None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the import graph as a path, or None (iterative DFS, three colours)."""
    colour: dict[str, int] = {}
    for start in graph:
        if colour.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        colour[start], path = 1, [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not colour.get(child) and child in graph:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def import_graph() -> dict[str, set[str]]:
    mods = product_modules()
    known = set(mods)
    graph = {}
    for name, path in mods.items():
        deps = set()
        for m in own_imports(path, known):
            # `import a.b.c` also runs a and a.b; only edges to a module itself count for cycles
            if m in known and m != name and not name.startswith(m + "."):
                deps.add(m)
        graph[name] = deps
    return graph


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_below_itself(layer):
    wrong = [f"{p.relative_to(ROOT)} imports {m}" for p in sorted((ROOT / layer).rglob("*.py"))
             for m in sorted(own_imports(p)) if not allowed(layer, m)]
    assert not wrong, "\n".join(wrong)


def test_indexer_families_import_only_earlier_families():
    wrong = []
    for p in sorted((ROOT / "indexer").rglob("*.py")):
        mine = family_rank(module_name(p))
        for m in sorted(own_imports(p)):
            theirs = family_rank(m)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{p.relative_to(ROOT)} imports {m} (a later family)")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer", ["search", "api"])
def test_serving_never_imports_the_build(layer):
    wrong = [f"{p.relative_to(ROOT)} imports {m}" for p in sorted((ROOT / layer).rglob("*.py"))
             for m in sorted(own_imports(p))
             if m.startswith("indexer") and not any(m == f or m.startswith(f + ".") for f in SERVING_MAY_USE)]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_anywhere():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_every_package_says_what_lives_there():
    bare = [str(p.relative_to(ROOT)) for pkg in ("indexer", "search", "models", "api")
            for p in sorted((ROOT / pkg).rglob("__init__.py")) if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not bare, bare


def test_settings_import_no_product_module():
    assert own_imports(ROOT / "papersearch" / "settings.py") == set()


def test_the_checks_catch_a_backwards_import_and_a_cycle(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("def f():\n    from api.main import create_app\n", encoding="utf-8")
    assert not allowed("indexer", next(iter(own_imports(f))))
    assert family_rank("indexer.pipeline.build") > family_rank("indexer.ingest.parser")
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None

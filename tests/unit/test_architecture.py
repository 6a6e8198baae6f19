"""The engine's shape, checked: modules import each other one way, never each other's private names,
and keep no state of their own (the one per-process cache is digest.build.process.PROCESS)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "digest"


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = (path, ast.parse(path.read_text()))
    return found


def _imports(name: str, path: Path, tree: ast.Module, modules: dict) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for imports run when the module loads."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in tree.body:  # function-level (lazy) and TYPE_CHECKING imports do not run at load time
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("digest"):
                continue
            names = [alias.name for alias in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            found.extend((sub, []) for sub in submodules)
            found.append((target, [n for n in names if f"{target}.{n}" not in modules]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names if alias.name.startswith("digest"))
    return found


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = {name: {target for target, _ in _imports(name, path, tree, modules) if target in modules and target != name}
             for name, (path, tree) in modules.items()}
    # A package's __init__ importing its own submodules is how a package is assembled, not a cycle.
    graph = {name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()}
    cycles = []

    def visit(node: str, stack: list[str], done: set[str]) -> None:
        for target in sorted(graph[node]):
            if target in stack:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in done:
                done.add(target)
                visit(target, [*stack, target], done)

    for name in graph:
        visit(name, [name], set())
    assert cycles == []


def test_no_private_names_imported_across_modules() -> None:
    modules = _modules()
    crossings = [f"{name} imports {target}.{imported}"
                 for name, (path, tree) in modules.items()
                 for target, names in _imports(name, path, tree, modules)
                 for imported in names if imported.startswith("_") and target != name]
    assert crossings == []


def test_no_module_rebinds_global_state() -> None:
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                 for path, tree in _modules().values()
                 for node in ast.walk(tree) if isinstance(node, ast.Global)]
    assert offenders == []


def test_the_build_reads_as_a_list_of_stages() -> None:
    """digest/build/__init__.py calls the stages; it does not do their work."""
    tree = ast.parse((PACKAGE / "build" / "__init__.py").read_text())
    body = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_build")
    called = {n.func.id for n in ast.walk(body) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"load_config", "list_sources", "load_articles", "build_site", "write_output"} <= called
    assert body.end_lineno - body.lineno < 80

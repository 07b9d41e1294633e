"""The layout is the architecture: each folder of seqtasks is one part, and imports between parts
point downward only (the command line above training, export and benchmarks, those above reports,
reports above config, config above tasks and data, those above encoders and the runtime)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "seqtasks"
LEVELS = {  # a part may import parts of a lower level, and itself
    "__main__": 7, "__init__": 7,
    "cli": 6,
    "benchmark": 5, "results": 5,
    "training": 4, "export": 4,
    "reports": 3,
    "config": 2,
    "tasks": 1, "data": 1,
    "encoders": 0, "runtime": 0, "version": 0, "values": -1,
}
DATA_SHARED = {"batching", "cache", "splits"}  # data/ modules every data kind may use


def part(module: str) -> str:
    """seqtasks.reports.runs -> 'reports'; seqtasks.cli -> 'cli'; seqtasks -> '__init__'."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "__init__"


def imports(path: Path, prefix: str = "seqtasks") -> list[str]:
    """The absolute imports of a module file that name `prefix` or a module inside it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == prefix:  # from seqtasks import values
            found += [f"{prefix}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [m for m in found if m == prefix or m.startswith(prefix + ".")]


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in PACKAGE.rglob("*.py")}


def test_every_part_has_a_level():
    assert {part(m) for m in modules()} <= set(LEVELS)


def test_imports_between_parts_point_downward():
    upward = [f"{name} imports {target}" for name, path in modules().items() for target in imports(path)
              if part(target) != part(name) and LEVELS[part(target)] >= LEVELS[part(name)]]
    assert upward == []


def test_data_kinds_share_only_the_common_modules():
    """data/text, data/audio, data/series and data/synthetic each use their own folder and the
    shared batching, cache and splits modules, never another kind's."""
    crossing = []
    for name, path in modules().items():
        names = name.split(".")
        if names[:2] != ["seqtasks", "data"] or len(names) < 4:
            continue
        for target in imports(path):
            kind = target.split(".")[2:3]
            if target.startswith("seqtasks.data.") and kind[0] not in DATA_SHARED | {names[2]}:
                crossing.append(f"{name} imports {target}")
    assert crossing == []


def test_the_library_never_imports_its_scripts():
    assert [name for name, path in modules().items() if imports(path, "scripts")] == []

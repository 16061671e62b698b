"""No input is ever unpickled, evaluated or handed to a shell (issue 6, item 4).

An AST scan of every module in ``dataset/``, ``schemas/`` and ``export/`` (and ``bench/``):
no ``pickle``/``marshal``/``shelve``/``dill`` import, no ``eval``/``exec``/``compile`` call, no
``yaml.load`` without a safe loader, no ``shell=True``, no ``os.system``/``os.popen``. The
scanner itself is tested on small snippets so a refactor cannot make it blind.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("dataset", "schemas", "export", "bench")
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}
UNSAFE_ATTR_CALLS = {("os", "system"), ("os", "popen"), ("pickle", "loads"), ("pickle", "load"),
                     ("marshal", "loads"), ("subprocess", "getoutput"), ("subprocess", "getstatusoutput")}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return None


def problems(source: str, filename: str = "<snippet>") -> list[str]:
    """Every unsafe construct in ``source`` as ``file:line: what``."""
    found = []
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in UNSAFE_MODULES:
                    found.append(f"{where}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in UNSAFE_MODULES:
                found.append(f"{where}: from {node.module} import …")
        elif isinstance(node, ast.Call):
            name = _name(node.func) or ""
            if name in UNSAFE_CALLS or name.removeprefix("builtins.") in UNSAFE_CALLS:
                found.append(f"{where}: {name}(…)")
            if tuple(name.rsplit(".", 1)) in UNSAFE_ATTR_CALLS:
                found.append(f"{where}: {name}(…)")
            if name.endswith("yaml.load") or name.endswith("yaml.load_all"):
                loader = next((k.value for k in node.keywords if k.arg == "Loader"),
                              node.args[1] if len(node.args) > 1 else None)
                if loader is None or (_name(loader) or "").rsplit(".", 1)[-1] not in SAFE_YAML_LOADERS:
                    found.append(f"{where}: {name}(…) without a safe Loader")
            if name.endswith("yaml.unsafe_load") or name.endswith("yaml.full_load"):
                found.append(f"{where}: {name}(…)")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    found.append(f"{where}: {name}(…, shell=…)")
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py") if ".venv" not in p.parts)


def test_the_packages_have_modules_to_scan():
    names = {p.relative_to(REPO).parts[0] for p in _modules()}
    assert {"dataset", "schemas", "export"} <= names
    assert len(_modules()) > 30


def test_no_pickle_eval_exec_unsafe_yaml_or_shell_anywhere():
    found = [p for path in _modules()
             for p in problems(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == []


@pytest.mark.parametrize("snippet", [
    "import pickle",
    "from pickle import loads",
    "import marshal",
    "eval(text)",
    "exec(code)",
    "builtins.eval(text)",
    "compile(src, 'f', 'exec')",
    "__import__(name)",
    "import yaml\nyaml.load(fh)",
    "import yaml\nyaml.load(fh, Loader=yaml.Loader)",
    "import yaml\nyaml.unsafe_load(fh)",
    "subprocess.run(cmd, shell=True)",
    "subprocess.Popen(cmd, shell=flag)",
    "os.system(cmd)",
    "os.popen(cmd)",
])
def test_the_scanner_sees_each_unsafe_construct(snippet):
    assert len(problems(snippet)) == 1, problems(snippet)


@pytest.mark.parametrize("snippet", [
    "import yaml\nyaml.load(fh, Loader=yaml.SafeLoader)",
    "import yaml\nyaml.safe_load(fh)",
    "subprocess.run(['ls'], shell=False)",
    "json.loads(text)",
    "ast.literal_eval(text)",
    "df.eval_expr(x)",
    "re.compile(pattern)",
])
def test_the_scanner_allows_the_safe_equivalents(snippet):
    assert problems(snippet) == []

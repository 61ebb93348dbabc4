"""Where things live: the data home (read-only downloads), the cache, the results folder."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_home(explicit: str | os.PathLike | None = None) -> Path:
    """The folder holding downloaded datasets.

    Order: the explicit argument, then ``$MMREC_DATA``, then ``~/.cache/mmrec/data``.
    On the project's own machines ``MMREC_DATA`` points at the read-only mirror ``../shared/data``.
    """
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get("MMREC_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "mmrec" / "data"


def cache_home(explicit: str | os.PathLike | None = None) -> Path:
    """A writable folder for caches (features, synthetic data); never inside the data home.

    Order: the explicit argument, then ``$MMREC_CACHE``, then ``~/.cache/mmrec/cache``.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
    elif os.environ.get("MMREC_CACHE"):
        path = Path(os.environ["MMREC_CACHE"]).expanduser()
    else:
        path = Path.home() / ".cache" / "mmrec" / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The results folder: the committed ``results/`` unless told otherwise (``$MMREC_RESULTS``)."""
    if explicit is not None:
        path = Path(explicit)
    elif os.environ.get("MMREC_RESULTS"):
        path = Path(os.environ["MMREC_RESULTS"])
    else:
        path = REPO_ROOT / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def code_text(source: str) -> str:
    """The code of a Python source without its docstrings and comments (``ast`` round trip).

    What a run's numbers depend on: an edit to a docstring, a comment or the layout of a file leaves
    it unchanged, so documenting a model (its deviations, its trials) does not retire its trained
    runs. A source that does not parse is returned as it is (any edit then counts).
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def hash_package_sources(h, parts, repo_root: Path | None = None) -> None:
    """Feed ``h`` (a hashlib object) the path and code of every package source file under ``parts``.

    Each part is a file or folder inside ``<repo_root>/mmrec_core`` (folders: their ``*.py`` files,
    sorted); a missing part adds nothing. The code is :func:`code_text` (docstrings and comments
    left out). Used by the runner (is a notebook stale?) and by the run cache of the models (is a
    finished run still valid?).
    """
    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    package = root / "mmrec_core"
    for part in parts:
        target = package / part
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target] if target.exists() else []
        for path in files:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(code_text(path.read_text(encoding="utf-8")).encode())


def package_imports(parts=(), repo_root: Path | None = None, sources=()) -> tuple[str, ...]:
    """Every package file reachable from ``parts`` and ``sources`` through imports inside ``mmrec_core``.

    parts: files relative to ``mmrec_core/`` (``"models/fusion.py"``); sources: Python source texts
    outside the package (a notebook's code) whose ``mmrec_core`` imports start the walk. Imports
    anywhere in a file count, also those inside functions (a lazy ``from ..features.encoders import
    load_encoder`` is code the numbers depend on too); a package import adds its ``__init__.py``.
    Returns sorted relative paths, the ``parts`` included. This replaces hand-kept lists of the files
    a model's numbers (or a page) depend on.
    """
    package = (Path(repo_root) if repo_root is not None else REPO_ROOT) / "mmrec_core"
    seen: set[str] = set()
    todo = [p for p in parts if (package / p).is_file()]
    for text in sources:
        todo += _imported_files(_parse(text, ipython=True), (), package)
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        here = (package / rel).parent.relative_to(package).parts
        todo += [f for f in _imported_files(_parse((package / rel).read_text()), here, package) if f not in seen]
    return tuple(sorted(seen))


def _parse(text: str, ipython: bool = False):
    """A module's syntax tree; with ``ipython`` (notebook code) lines of magics and shell commands
    (``%matplotlib``, ``!cmd``) are blanked first."""
    import ast

    if ipython:
        text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())
    return ast.parse(text)


def _imported_files(tree, here: tuple, package: Path) -> list[str]:
    """Package files (relative to ``package``) that the imports of ``tree`` load; ``here``: the folder
    of the importing file inside the package (relative imports), ``()`` outside it."""
    import ast

    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level > len(here) + 1:
                    continue
                base = list(here[: len(here) - node.level + 1])
                mod = base + (node.module.split(".") if node.module else [])
            elif (node.module or "").split(".")[0] == "mmrec_core":
                mod = node.module.split(".")[1:]
            else:
                continue
            names = [mod] + [mod + [a.name] for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "mmrec_core"]
        else:
            continue
        for mod in names:
            for i in range(len(mod) + 1):   # each package on the way runs its __init__.py
                cands = ["/".join(mod[:i] + ["__init__.py"])] + (["/".join(mod) + ".py"] if i == len(mod) and mod else [])
                out += [c for c in cands if (package / c).is_file()]
    return out


def show_path(path) -> str:
    """A path as a published page may show it: never the absolute path of the machine that ran it.

    Inside the repository: relative to it. Inside the data home or the cache: ``$MMREC_DATA/...`` /
    ``$MMREC_CACHE/...`` (the environment variables that point there). Under the home folder:
    ``~/...``. Anything else: ``.../<last two parts>``.
    """
    p = Path(path).expanduser()
    if not p.is_absolute():
        return str(p)
    p = p.resolve()
    for label, root in (("", REPO_ROOT), ("$MMREC_DATA", os.environ.get("MMREC_DATA")),
                        ("$MMREC_CACHE", os.environ.get("MMREC_CACHE")), ("~", str(Path.home()))):
        if not root:
            continue
        root = Path(root).expanduser().resolve()
        if p == root or root in p.parents:
            rel = p.relative_to(root).as_posix()
            if not label:
                return rel or "."
            return label if rel == "." else f"{label}/{rel}"
    return ".../" + "/".join(p.parts[-2:])

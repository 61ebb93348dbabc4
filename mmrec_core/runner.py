"""Batch execution of the book's notebooks with papermill (``python -m mmrec_core run``).

Each notebook runs in its own kernel with the profile's parameters; its executed copy is written
where the book renders it (``book/notebooks/`` for the paper profile) and its provenance (commit,
package versions, device, parameters, duration, input hash) to ``<results>/runs/<name>.json``.
A notebook whose inputs (its source, the package's code, its parameters, the data files) have not
changed since its last successful run is skipped unless ``--force`` is given.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import REPO_ROOT, cache_home, data_home, hash_package_sources, results_dir
from .results import RunRecord, git_commit

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
BOOK_NOTEBOOK_DIR = REPO_ROOT / "book" / "notebooks"


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the book, read from the notebook itself (:func:`notebook_spec`); no list to keep.

    Quick-profile parameters live in ``configs/quick/<name>.yaml`` (optional).
    """

    name: str
    needs_real_data: bool = True
    # package files whose change invalidates the notebook's results: what its code cells import
    code: tuple[str, ...] = ()

    @property
    def uses_run_cache(self) -> bool:
        """The page trains (or loads) runs: its code reaches the experiment layer's ``replicate``.
        (The registry alone does not count: page 91 reads it to list pages, and trains nothing.)"""
        return "experiment/runs.py" in self.code


def notebook_spec(path: str | Path, repo_root: Path | None = None) -> NotebookSpec:
    """The :class:`NotebookSpec` of one source notebook.

    ``code``: every package file its code cells import, followed through the package's imports
    (:func:`~mmrec_core.paths.package_imports`); a page that reaches the model registry depends on
    every registered model's code. ``needs_real_data``: false where the notebook's metadata says
    ``"mmrec": {"needs_real_data": false}`` (pages that only read results, 90 and 91). ``repo_root``:
    the checkout whose package is followed (default: this one).
    """
    import nbformat

    from .paths import package_imports

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    code = package_imports(sources=["\n".join(c.source for c in nb.cells if c.cell_type == "code")], repo_root=repo_root)
    if "models/__init__.py" in code:   # the registry imports its model modules by name
        from .models import REGISTRY

        code = tuple(sorted(set(code).union(*(package_imports(e.code_files(), repo_root) for e in REGISTRY.values()))))
    meta = nb.metadata.get("mmrec", {})
    return NotebookSpec(path.stem, bool(meta.get("needs_real_data", True)), code)


def available_notebooks() -> list[NotebookSpec]:
    """Every source notebook ``notebooks/NN_<name>.ipynb``, in the order of its number: later
    notebooks read what earlier ones wrote (features cache, ``results/records/``)."""
    return [notebook_spec(p) for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))]


def _data_fingerprint(home: Path) -> str:
    """Cheap identity of the data home: names, sizes and mtimes of the dataset and content files."""
    h = hashlib.sha256(str(home.resolve() if home.exists() else home).encode())
    for sub in ("ml-100k", "ml-1m", "ml-20m", "ml-25m", "genome", "texts", "links"):
        folder = home / sub
        if folder.exists():
            for p in sorted(folder.iterdir()):
                if p.is_file():
                    st = p.stat()
                    h.update(f"{sub}/{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    posters = home / "posters" / "ml-1m"
    if posters.exists():
        h.update(f"posters:{sum(1 for _ in posters.iterdir())}".encode())
    return h.hexdigest()


def profile_parameters(spec: NotebookSpec, profile: str) -> dict:
    """The parameters the runner passes: ``PROFILE``, plus the quick config file's for ``quick``."""
    params = {"PROFILE": profile}
    if profile == "quick":
        import yaml

        from .notebook import quick_config

        path = quick_config(spec.name)
        if path.exists():
            params.update(yaml.safe_load(path.read_text()) or {})
    return params


def input_hash(spec: NotebookSpec, parameters: dict, home: Path) -> str:
    h = hashlib.sha256()
    h.update((NOTEBOOK_DIR / f"{spec.name}.ipynb").read_bytes())
    hash_package_sources(h, spec.code, REPO_ROOT)
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    if spec.needs_real_data:
        h.update(_data_fingerprint(home).encode())
    else:  # summary pages depend on the results they read (every other writer's records and run records)
        res = Path(parameters.get("RESULTS_DIR") or results_dir())
        for p in sorted((res / "records").glob("*.csv")) + sorted((res / "runs").glob("*.json")):
            if p.stem.split(".")[0] != spec.name:
                h.update(p.name.encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def run_notebooks(profile: str = "paper", only: list[str] | None = None, force: bool = False,
                  output_dir: str | Path | None = None, results: str | Path | None = None,
                  extra_parameters: dict | None = None, progress: bool = True) -> list[dict]:
    """Execute the selected notebooks in order; returns one status dict per notebook."""
    if profile not in ("paper", "quick"):
        raise ValueError(f"profile must be 'paper' or 'quick', got {profile!r}")
    specs = available_notebooks()
    if only:
        unknown = sorted(set(only) - {s.name for s in specs})
        if unknown:
            raise SystemExit(f"unknown notebook(s) {unknown}; available: {[s.name for s in specs]}")
        specs = [s for s in specs if s.name in only]
    if profile == "paper":
        out_dir = Path(output_dir) if output_dir else BOOK_NOTEBOOK_DIR
        res_dir = results_dir(results)
    else:
        res_dir = results_dir(results or (results_dir() / "quick"))
        out_dir = Path(output_dir) if output_dir else res_dir / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    home = data_home()
    statuses = []
    # Progress bars inside batch-executed notebooks would be stored as hundreds of output lines in
    # the book; the runner shows its own per-cell progress instead. Interactive sessions keep theirs.
    # MMREC_BATCH: figures are glued for the book's captioned figures instead of shown twice.
    from .notebook import BATCH_ENV

    previous = {k: os.environ.get(k) for k in ("TQDM_DISABLE", BATCH_ENV)}
    os.environ.update({"TQDM_DISABLE": "1", BATCH_ENV: "1"})
    try:
        return _run_specs(specs, profile, force, out_dir, res_dir, home, extra_parameters, progress,
                          statuses, explicit_results=results is not None or profile == "quick")
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _hide_injected_parameters(path: Path) -> None:
    """Give papermill's injected-parameters cell the ``remove-*`` tags of the parameters cell.

    Results pages (90, 91) hide their parameters cell in the book; without this the injected copy
    would still show.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    tags_of = [set(c.metadata.get("tags", [])) for c in notebook.cells]
    hide = set().union(*(t for t in tags_of if "parameters" in t)) & {"remove-cell", "remove-input"}
    if not hide:
        return
    for cell, tags in zip(notebook.cells, tags_of):
        if "injected-parameters" in tags:
            cell.metadata["tags"] = sorted(tags | hide)
    nbformat.write(notebook, str(path))


def _run_specs(specs, profile, force, out_dir, res_dir, home, extra_parameters, progress, statuses,
               explicit_results=True):
    import papermill as pm
    from tqdm.auto import tqdm

    from .notebook import show_path

    for spec in tqdm(specs, desc=f"notebooks ({profile})", disable=not progress):
        params = profile_parameters(spec, profile)
        if explicit_results:  # the paper profile's default results/ needs no (absolute) path
            params["RESULTS_DIR"] = str(res_dir)
        params.update(extra_parameters or {})
        digest = input_hash(spec, params, home)
        record_path = res_dir / "runs" / f"{spec.name}.json"
        output = out_dir / f"{spec.name}.ipynb"
        if not force and record_path.exists() and output.exists():
            old = json.loads(record_path.read_text())
            if old.get("input_hash") == digest and old.get("status") == "ok":
                statuses.append({"notebook": spec.name, "status": "skipped (inputs unchanged)"})
                continue
        record = RunRecord(notebook=spec.name, profile=profile,
                           parameters={**params, "MMREC_DATA": show_path(home)}, input_hash=digest)
        started_at = record.commit
        # Execute into a work copy: a failed run must not replace the last good executed notebook
        # (the one the book renders); it is kept beside the cache for inspection instead. The copy
        # is named by this process, so runners sharing one cache never write into each other's.
        work = cache_home() / "notebook-runs" / profile / f"{spec.name}-{os.getpid()}.ipynb"
        work.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(str(NOTEBOOK_DIR / f"{spec.name}.ipynb"), str(work),
                                parameters=params, cwd=str(NOTEBOOK_DIR), kernel_name="python3",
                                progress_bar=progress, log_output=False)
        except Exception as exc:
            record.seconds = round(time.perf_counter() - t0, 2)
            record.status = "failed"
            record.save(res_dir)
            statuses.append({"notebook": spec.name, "status": "failed", "output": str(work),
                             "error": str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)})
            break  # later notebooks depend on earlier ones
        record.seconds = round(time.perf_counter() - t0, 2)
        if git_commit() != started_at:  # the executed copy would carry numbers of another commit
            record.status = "failed"
            record.save(res_dir)
            statuses.append({"notebook": spec.name, "status": "failed", "output": str(work),
                             "error": f"the checkout moved during the run (started at {started_at}, "
                                      f"now {git_commit()}); the executed copy was not kept"})
            break
        _hide_injected_parameters(work)
        shutil.move(str(work), str(output))
        record.save(res_dir)
        statuses.append({"notebook": spec.name, "status": "ok", "seconds": record.seconds,
                         "output": str(output)})
    return statuses

"""Batch execution of the book's notebooks with papermill (``python -m mmrec_core run``).

Each notebook runs in its own kernel with the profile's parameters; its executed copy is written
where the book renders it (``book/notebooks/`` for the paper profile) and its provenance (commit,
package versions, device, parameters, duration, input hash) to ``<results>/runs/<name>.json``.
A notebook whose inputs (its source, the package's code, its parameters, the data files) have not
changed since its last successful run is skipped unless ``--force`` is given.

The terminal stays live and quiet: one line when a notebook starts and one when it ends, with its
time; kernels talk to the runner over IPC sockets (no "running over TCP without encryption" warning).
Ctrl-C (SIGINT) stops at once: the kernel is killed, ``<results>/runs/<name>.interrupted.json``
records the stop, the last good executed notebook and its provenance stay as they were, and the run
cache holds only whole files (its writers rename complete files into place), so the next run
resumes from the last checkpoint. ``python -m mmrec_core run`` then exits with 130.
With ``MMREC_CHECK_ONLY=1`` nothing runs: each selected notebook's parameters are checked
(:func:`mmrec_core.notebook.check_parameters`) and one line per notebook says so.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import REPO_ROOT, cache_home, hash_package_sources, results_dir
from .results import RunRecord, drop_rows_created_before, git_commit, now_iso

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
        code = tuple(sorted(set(code) | _registry_code(repo_root)))
    meta = nb.metadata.get("mmrec", {})
    return NotebookSpec(path.stem, bool(meta.get("needs_real_data", True)), code)


_REGISTRY_CODE: dict = {}


def _package_state(root: Path) -> tuple:
    return tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted((root / "mmrec_core").rglob("*.py")))


def _registry_code(repo_root: Path | None) -> frozenset:
    """Every package file the registered models' code reaches (the same for every page that reaches
    the registry): computed once per state of the package's files, not once per page."""
    from .models import REGISTRY
    from .paths import package_imports

    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    key = (str(root), _package_state(root), _package_state(REPO_ROOT))
    if key not in _REGISTRY_CODE:
        _REGISTRY_CODE.clear()
        _REGISTRY_CODE[key] = frozenset().union(*(package_imports(e.code_files(), repo_root) for e in REGISTRY.values()))
    return _REGISTRY_CODE[key]


def notebook_paths() -> list[Path]:
    """The source notebooks ``notebooks/NN_<name>.ipynb``, in the order of their numbers."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def available_notebooks() -> list[NotebookSpec]:
    """Every source notebook ``notebooks/NN_<name>.ipynb``, in the order of its number: later
    notebooks read what earlier ones wrote (features cache, ``results/records/``)."""
    return [notebook_spec(p) for p in notebook_paths()]


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
    """Execute the selected notebooks in order; returns one status dict per notebook.

    ``progress``: print one line when each notebook starts and one when it ends (with its time).
    A Ctrl-C ends the run at once with an ``interrupted`` status (see the module's docstring)."""
    from .locations import ENV as DATA_ENV
    from .locations import use_data_home
    from .notebook import BATCH_ENV, check_only

    if profile not in ("paper", "quick"):
        raise ValueError(f"profile must be 'paper' or 'quick', got {profile!r}")
    paths = notebook_paths()
    if only:
        unknown = sorted(set(only) - {p.stem for p in paths})
        if unknown:
            raise SystemExit(f"unknown notebook(s) {unknown}; available: {[p.stem for p in paths]}")
        paths = [p for p in paths if p.stem in only]
    previous = {k: os.environ.get(k) for k in ("TQDM_DISABLE", BATCH_ENV, DATA_ENV)}
    try:
        # The data home of the search, exported as MMREC_DATA for the kernels (one search everywhere).
        home = use_data_home(must_exist=False)
        if check_only():
            return _check_notebooks(paths, profile, home, extra_parameters, progress)
        specs = [notebook_spec(p) for p in paths]
        if profile == "paper":
            out_dir = Path(output_dir) if output_dir else BOOK_NOTEBOOK_DIR
            res_dir = results_dir(results)
        else:
            res_dir = results_dir(results or (results_dir() / "quick"))
            out_dir = Path(output_dir) if output_dir else res_dir / "notebooks"
        out_dir.mkdir(parents=True, exist_ok=True)
        statuses = []
        # Progress bars inside batch-executed notebooks would be stored as hundreds of output lines in
        # the book; the runner prints a line per notebook instead. Interactive sessions keep theirs.
        # MMREC_BATCH: figures are glued for the book's captioned figures instead of shown twice.
        os.environ.update({"TQDM_DISABLE": "1", BATCH_ENV: "1"})
        return _run_specs(specs, profile, force, out_dir, res_dir, home, extra_parameters, progress,
                          statuses, explicit_results=results is not None or profile == "quick")
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check_notebooks(paths, profile, home, extra_parameters, progress) -> list[dict]:
    """``MMREC_CHECK_ONLY``: check each notebook's parameters as its first cell would; run nothing."""
    from .locations import find_data_home
    from .notebook import check_parameters, declared_parameters, needs_real_data, show_path

    if profile == "paper" and any(needs_real_data(p) for p in paths):
        home = find_data_home()          # DataHomeNotFound lists the places tried
    statuses = []
    for path in paths:
        params = {**profile_parameters(NotebookSpec(path.stem), profile), **(extra_parameters or {})}
        check_parameters(path, {**declared_parameters(path), **params})
        statuses.append({"notebook": path.stem, "status": "checked (MMREC_CHECK_ONLY: not executed)"})
        if progress:
            _say(f"{path.stem:<22} parameters ok; data home {show_path(home)} (MMREC_CHECK_ONLY: not executed)")
    return statuses


def _say(line: str) -> None:
    print(line, flush=True)


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


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) during a run."""


def _interrupt(signum, frame):
    _kill_kernels()          # first: a kernel told to shut down politely would print its own errors
    raise RunInterrupted()


def _kernel_manager_class():
    """The kernels' manager: jupyter_client's, over IPC sockets where the platform has them (no TCP
    port, so the kernel prints no warning about unencrypted TCP), remembering each kernel it
    starts so that a Ctrl-C can stop it."""
    from jupyter_client import AsyncKernelManager
    from traitlets import default

    class RunnerKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc" if os.name == "posix" else "tcp"

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            _LIVE_KERNELS.append(self)      # before the launch: a Ctrl-C during it still finds the kernel
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return RunnerKernelManager


_LIVE_KERNELS: list = []


def _kill_kernels() -> None:
    """Kill every kernel this process started and has not shut down (its process group: the
    kernel's own children too), and remove their connection files and sockets."""
    while _LIVE_KERNELS:
        km = _LIVE_KERNELS.pop()
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL) if os.name == "posix" else proc.kill()
            except (ProcessLookupError, PermissionError, OSError):
                proc.kill()
            try:
                proc.wait(timeout=5)
            except Exception:
                pass
        for cleanup in ("cleanup_connection_file", "cleanup_ipc_files"):
            try:
                getattr(km, cleanup)()
            except Exception:
                pass


def _run_specs(specs, profile, force, out_dir, res_dir, home, extra_parameters, progress, statuses,
               explicit_results=True):
    import papermill as pm

    from .notebook import show_path
    from .storage import explain, write_whole

    in_main_thread = threading.current_thread() is threading.main_thread()
    old_handler = signal.signal(signal.SIGINT, _interrupt) if in_main_thread else None
    try:
        for i, spec in enumerate(specs, 1):
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
                    if progress:
                        _say(f"{spec.name:<22} skipped (inputs unchanged)")
                    continue
            record = RunRecord(notebook=spec.name, profile=profile,
                               parameters={**params, "MMREC_DATA": show_path(home)}, input_hash=digest)
            started_at = record.commit
            started_time = now_iso()
            # Execute into a work copy: a failed run must not replace the last good executed notebook
            # (the one the book renders); it is kept beside the cache for inspection instead. The copy
            # is named by this process, so runners sharing one cache never write into each other's.
            work = cache_home() / "notebook-runs" / profile / f"{spec.name}-{os.getpid()}.ipynb"
            work.parent.mkdir(parents=True, exist_ok=True)
            if progress:
                _say(f"{spec.name:<22} started ({i}/{len(specs)}, {time.strftime('%H:%M:%S')})")
            t0 = time.perf_counter()
            try:
                pm.execute_notebook(str(NOTEBOOK_DIR / f"{spec.name}.ipynb"), str(work),
                                    parameters=params, cwd=str(NOTEBOOK_DIR), kernel_name="python3",
                                    progress_bar=False, log_output=False,
                                    kernel_manager_class=_kernel_manager_class())
            except KeyboardInterrupt:
                _kill_kernels()
                record.seconds = round(time.perf_counter() - t0, 2)
                record.status = "interrupted"
                saved = record.save(res_dir)
                statuses.append({"notebook": spec.name, "status": "interrupted", "seconds": record.seconds,
                                 "output": str(work), "record": str(saved)})
                if progress:
                    _say(f"{spec.name:<22} interrupted after {record.seconds:.0f} s: the last good results "
                         f"are unchanged; stop recorded in {show_path(saved)}")
                break
            except Exception as exc:
                _kill_kernels()
                record.seconds = round(time.perf_counter() - t0, 2)
                record.status = "failed"
                record.save(res_dir)
                statuses.append({"notebook": spec.name, "status": "failed", "output": str(work),
                                 "seconds": record.seconds, "error": _error_text(exc)})
                if progress:
                    _say(f"{spec.name:<22} failed after {record.seconds:.0f} s")
                break  # later notebooks depend on earlier ones
            _LIVE_KERNELS.clear()     # papermill shut the kernel down
            record.seconds = round(time.perf_counter() - t0, 2)
            if git_commit() != started_at:  # the executed copy would carry numbers of another commit
                record.status = "failed"
                record.save(res_dir)
                statuses.append({"notebook": spec.name, "status": "failed", "output": str(work),
                                 "error": f"the checkout moved during the run (started at {started_at}, "
                                          f"now {git_commit()}); the executed copy was not kept"})
                if progress:
                    _say(f"{spec.name:<22} failed after {record.seconds:.0f} s")
                break
            _hide_injected_parameters(work)
            try:
                write_whole(output, lambda tmp: tmp.write_bytes(work.read_bytes()))
            except OSError as exc:
                raise (explain(exc, output) or exc) from exc
            work.unlink()
            dropped = drop_rows_created_before(spec.name, started_time, res_dir)
            if dropped and progress:
                _say(f"{spec.name:<22} {dropped} row(s) an earlier execution wrote and this one did not: removed")
            record.save(res_dir)
            statuses.append({"notebook": spec.name, "status": "ok", "seconds": record.seconds,
                             "output": str(output)})
            if progress:
                _say(f"{spec.name:<22} ok ({record.seconds:.0f} s)")
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, old_handler)
    return statuses


def _error_text(exc: Exception) -> str:
    """A failed notebook's error as the kernel showed it: the exception's name and message (all its
    lines: the package's messages end with the fix), not papermill's framing."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    text = str(exc).strip()
    return text.splitlines()[-1] if text else repr(exc)

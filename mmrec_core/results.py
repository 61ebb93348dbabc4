"""The results contract: typed records, one file per writer, one writer per row.

Every number a page (or a benchmark script) produces is one row of ``results/records/<writer>.csv``:
the page that owns the file is the only one that writes its rows (:func:`write_rows` refuses a key
that another writer's file holds). A row is typed, so nothing is parsed back:

- the **key** (:data:`KEY`): paper, table, dataset, split, model, variant, subset, ``slice_by`` and
  ``bin`` (a cold-start slice: "item"/"user" and "0-5"), metric, ``seed`` (blank for a number over
  seeds) and profile. A per-run number has its seed in ``seed``, never in the metric name;
- the **value**: value, std (blank with one seed, never 0), n_seeds, and for a comparison of two
  variants (metric ``<m>_diff``) its 95% interval, p-value and method;
- the **run**: best epoch, epochs run, patience and epoch cap; config hash, code fingerprint,
  feature hash and run-cache key; device and seconds; ``n_ratings`` of a slice;
- **provenance**: encoders, commit, created, notes (free text for people: no code reads it).

:func:`read_results` concatenates every writer's file (adding a ``page`` column) with typed
columns; pages, claims and figures derive their tables from it with pure functions. Committed
results come only from the ``paper`` profile; ``quick`` runs write to a separate results folder
(see ``mmrec_core.runner``).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .paths import REPO_ROOT, results_dir

KEY = ["paper", "table", "dataset", "split", "model", "variant", "subset", "slice_by", "bin", "metric",
       "seed", "profile"]
COLUMNS = [
    "paper", "table", "dataset", "split", "model", "variant", "subset", "slice_by", "bin", "metric", "seed",
    "value", "std", "n_seeds", "ci_low", "ci_high", "p_value", "method", "n_ratings",
    "best_epoch", "epochs_run", "patience", "epoch_cap", "config_hash", "code_fingerprint", "feature_hash",
    "run_key", "device", "seconds", "profile", "encoder_text", "encoder_image", "commit", "created", "notes",
]
FLOAT_COLUMNS = ("value", "std", "ci_low", "ci_high", "p_value", "seconds")
INT_COLUMNS = ("seed", "n_seeds", "n_ratings", "best_epoch", "epochs_run", "patience", "epoch_cap")
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in FLOAT_COLUMNS + INT_COLUMNS)
PROFILES = ("paper", "quick")
SLICE_BY = ("", "item", "user")
RECORDS = "records"          # results/records/<writer>.csv
_WRITER = re.compile(r"[0-9A-Za-z][\w.+-]*")


@dataclass
class ResultRow:
    paper: str
    table: str
    dataset: str
    split: str
    model: str
    metric: str
    value: float
    variant: str = ""
    subset: str = ""
    slice_by: str = ""               # cold-start slice: "item" or "user" (with bin), else blank
    bin: str = ""                    # the slice's training-count bin ("0-5", ">100")
    seed: int | None = None          # a per-run number: its model seed; blank for a number over seeds
    std: float | None = None         # over seeds; blank (None/NaN) with one seed, never 0
    n_seeds: int = 1
    ci_low: float | None = None      # comparisons: 95% interval of the signed effect
    ci_high: float | None = None
    p_value: float | None = None
    method: str = ""                 # how the interval and p-value were computed
    n_ratings: int | None = None     # a slice: its number of test ratings
    best_epoch: int | None = None    # a run: its best (tested) epoch
    epochs_run: int | None = None
    patience: int | None = None      # early stopping: epochs without improvement before stopping
    epoch_cap: int | None = None     # the most epochs a run may train
    config_hash: str = ""            # hash of the model and training configs
    code_fingerprint: str = ""       # the model's code fingerprint (registry)
    feature_hash: str = ""           # hash of the exact input tensors and content tables
    run_key: str = ""                # the run-cache folder of a per-run number
    device: str = ""
    seconds: float | None = None
    profile: str = "paper"
    encoder_text: str = ""
    encoder_image: str = ""
    commit: str = ""
    created: str = ""
    notes: str = ""                  # for people only: no code reads it

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.n_seeds == 1 and self.std is not None and not math.isnan(self.std):
            raise ValueError(f"{self.model} {self.metric}: one seed has no std (got {self.std}); leave it blank")
        for name in ("metric", "model", "table"):
            v = getattr(self, name)
            if not v or any(c in v for c in "@:,\n"):
                raise ValueError(f"{name} {v!r} must be non-empty without '@', ':', ',' or newlines")
        if re.search(r"_seed\d+$", self.metric):
            raise ValueError(f"{self.model} {self.metric}: a per-run number keeps its seed in the `seed` field, "
                             f"not in the metric name")
        if self.seed is not None and self.n_seeds != 1:
            raise ValueError(f"{self.model} {self.metric}: a per-run row (seed {self.seed}) has n_seeds 1, got {self.n_seeds}")
        if self.slice_by not in SLICE_BY or bool(self.slice_by) != bool(self.bin):
            raise ValueError(f"{self.model} {self.metric}: slice_by must be one of {SLICE_BY} and set together "
                             f"with bin (got {self.slice_by!r}, {self.bin!r})")


def git_commit(short: bool = False) -> str:
    """The checked-out commit, with ``-dirty`` when tracked files differ from it."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "mmrec_core", "notebooks", "benchmarks", "configs"], cwd=REPO_ROOT, capture_output=True,
                               text=True).stdout.strip()
        sha = sha[:10] if short else sha
        return sha + ("-dirty" if dirty else "")
    except Exception:
        return "unknown"


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class ProvenanceError(RuntimeError):
    """Rows that would not be traceable to one commit of the code."""


class OwnershipError(ValueError):
    """A row whose key another writer's file already holds (one writer per row)."""


def records_dir(folder: str | Path | None = None) -> Path:
    return results_dir(folder) / RECORDS


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of :data:`COLUMNS` with their types: text blank as "", numbers as float / Int64."""
    frame = frame.reindex(columns=COLUMNS)
    for c in TEXT_COLUMNS:
        frame[c] = frame[c].fillna("").astype(str)
    for c in FLOAT_COLUMNS + INT_COLUMNS:
        col = frame[c]
        if col.dtype == object:
            col = col.where(col.astype(str) != "", None)
        col = pd.to_numeric(col, errors="raise").astype(float)
        frame[c] = col if c in FLOAT_COLUMNS else col.round().astype("Int64")
    return frame


def read_records_file(path: str | Path, data: bytes | None = None) -> pd.DataFrame:
    """One writer's records, typed (an empty typed frame if the file does not exist).

    data: the file's bytes when they come from elsewhere (another checkout, a git ref); ``path`` then
    only names them in errors.
    """
    import io

    if data is None and not Path(path).exists():
        return typed_frame(pd.DataFrame(columns=COLUMNS))
    frame = pd.read_csv(io.BytesIO(data) if data is not None else Path(path), dtype=str, keep_default_na=False)
    missing = sorted(set(COLUMNS) - set(frame.columns))
    if missing:
        raise ValueError(f"{path}: not a records file of this version (columns {missing} missing); "
                         f"re-run the page that writes it")
    return typed_frame(frame)


def _key_frame(frame: pd.DataFrame) -> pd.Series:
    """One string per row naming its key (seed blank as "")."""
    parts = [frame[c].astype(str).replace({"<NA>": ""}) for c in KEY]
    return pd.Series(["|".join(t) for t in zip(*parts)], index=frame.index, dtype=str)


def write_rows(rows: list[ResultRow], folder: str | Path | None = None, *, writer: str,
               started_at_commit: str | None = None) -> Path:
    """Upsert ``rows`` into ``<folder>/records/<writer>.csv`` (folder: the results folder).

    writer: the page (notebook name) or script that owns these rows. A key held by another writer's
    file is refused (:class:`OwnershipError`): every row has exactly one writer.
    ``started_at_commit``: the commit stamped when the run started; if HEAD (or the dirty state)
    has moved since, nothing is written (the numbers would be attributed to code that did not
    make them).
    """
    if not _WRITER.fullmatch(writer or ""):
        raise ValueError(f"writer {writer!r} must be a file stem (the page or script name)")
    out = records_dir(folder)
    path = out / f"{writer}.csv"
    commit, created = git_commit(), now_iso()
    if started_at_commit is not None and commit != started_at_commit:
        raise ProvenanceError(
            f"the checkout moved during this run (started at {started_at_commit}, now {commit}); "
            f"nothing was recorded in {path}. Re-run from a fixed checkout.")
    new = []
    for r in rows:
        d = asdict(r)
        d["commit"] = d["commit"] or commit
        d["created"] = d["created"] or created
        new.append(d)
    new = typed_frame(pd.DataFrame(new, columns=COLUMNS))
    keys = _key_frame(new)
    dup = keys[keys.duplicated()]
    if len(dup):
        raise OwnershipError(f"{writer}: {len(dup)} rows repeat a key within one write, e.g. {dup.iloc[0]!r}")
    for other in sorted(out.glob("*.csv")) if out.exists() else []:
        if other.stem == writer:
            continue
        taken = set(_key_frame(read_records_file(other))) & set(keys)
        if taken:
            raise OwnershipError(
                f"{writer}: {len(taken)} rows have keys that {other.stem} writes ({other}), e.g. "
                f"{sorted(taken)[0]!r}. Every row has one writer: give this page's rows their own table "
                f"(or model/variant) name, or stop writing them on one of the two pages.")
    old = read_records_file(path)
    merged = pd.concat([old[~_key_frame(old).isin(set(keys))], new], ignore_index=True) if len(old) else new
    merged = merged.sort_values(KEY, kind="stable", na_position="first")
    out.mkdir(parents=True, exist_ok=True)
    _write_whole(path, lambda tmp: merged.to_csv(tmp, index=False))   # full precision: read back exactly
    return path


def drop_rows_created_before(writer: str, since: str, folder: str | Path | None = None) -> int:
    """Remove from ``<folder>/records/<writer>.csv`` the rows created before ``since`` (ISO time).

    Recording upserts, so a row an earlier execution wrote and this one no longer writes (a
    comparison a page stopped making) would stay; the runner calls this after a page's successful
    execution, with the time it started, so the file holds exactly what that execution recorded.
    Returns the number of rows removed; a page that recorded nothing keeps its file."""
    path = records_dir(folder) / f"{writer}.csv"
    old = read_records_file(path)
    if not len(old):
        return 0
    fresh = old.created.astype(str) >= since
    if fresh.all() or not fresh.any():
        return 0
    kept = old[fresh]
    _write_whole(path, lambda tmp: kept.to_csv(tmp, index=False))
    return int((~fresh).sum())


def _write_whole(path: Path, write) -> None:
    """``write(tmp)`` then rename ``tmp`` over ``path`` (:func:`mmrec_core.storage.write_whole`): the old
    file stays whole if writing fails (a full disk, a read-only folder, Ctrl-C), the temporary file is
    removed, and the error names the path and the fix."""
    from .storage import write_whole

    write_whole(path, write)


def read_results(folder: str | Path | None = None, **filters) -> pd.DataFrame:
    """Every writer's records (column ``page``: the file's writer) matching ``filters`` (column=value,
    or a list of values); an empty typed frame if there are none."""
    out = records_dir(folder)
    frames = [read_records_file(p).assign(page=p.stem) for p in sorted(out.glob("*.csv"))] if out.exists() else []
    frame = (pd.concat(frames, ignore_index=True) if frames
             else typed_frame(pd.DataFrame(columns=COLUMNS)).assign(page=pd.Series(dtype=str)))
    for k, v in filters.items():
        frame = frame[frame[k].isin(v if isinstance(v, (list, tuple, set)) else [v])]
    return frame.reset_index(drop=True)


def over_seeds(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that are not one run's number (seed blank) and not a slice: the tables' numbers."""
    return frame[frame.seed.isna() & (frame.slice_by == "")]


def seed_values(frame: pd.DataFrame, table: str, model: str, variant: str, metric: str = "rmse",
                subset: str = "test", dataset: str = "ml-100k") -> dict:
    """seed -> value of the per-run rows of one (table, model, variant, subset, metric)."""
    rows = frame[(frame.table == table) & (frame.model == model) & (frame.variant == variant)
                 & (frame.subset == subset) & (frame.dataset == dataset) & (frame.metric == metric)
                 & frame.seed.notna() & (frame.slice_by == "")]
    return {int(s): float(v) for s, v in zip(rows.seed, rows.value)}


def ownership_conflicts(frame: pd.DataFrame) -> pd.DataFrame:
    """Keys that more than one writer holds in a :func:`read_results` frame (should be none)."""
    keys = _key_frame(frame)
    pages = frame.assign(_key=keys).groupby("_key").page.agg(lambda s: sorted(set(s)))
    return pages[pages.map(len) > 1].rename("pages").reset_index().rename(columns={"_key": "key"})


def environment_info() -> dict:
    """Versions and hardware for provenance records."""
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("numpy", "pandas", "torch", "scikit-surprise", "transformers", "papermill",
                "jupyter-book", "scikit-learn"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = None
    info["device"] = describe_device()
    return info


def describe_device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda:" + torch.cuda.get_device_name(0)
        return f"cpu ({torch.get_num_threads()} threads)"
    except Exception:
        return "cpu"


@dataclass
class RunRecord:
    """Provenance of one notebook execution (``results/runs/<notebook>.json``)."""

    notebook: str
    profile: str
    parameters: dict
    commit: str = field(default_factory=git_commit)
    started: str = field(default_factory=now_iso)
    seconds: float | None = None
    input_hash: str = ""
    status: str = "ok"
    environment: dict = field(default_factory=environment_info)

    def save(self, folder: str | Path | None = None) -> Path:
        """``runs/<notebook>.json`` for a good run; any other status goes to ``runs/<notebook>.<status>.json``
        beside it, so a failed or refused run never overwrites the provenance of the last good one."""
        out = results_dir(folder) / "runs"
        out.mkdir(parents=True, exist_ok=True)
        path = out / (f"{self.notebook}.json" if self.status == "ok" else f"{self.notebook}.{self.status}.json")
        _write_whole(path, lambda tmp: tmp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True)))
        return path


def read_run_records(folder: str | Path | None = None, status: str | None = None) -> pd.DataFrame:
    """One row per provenance record (``runs/*.json``): the last good run of each notebook and, beside
    it, its last failed one if any. ``status``: keep only records with this status."""
    out = results_dir(folder) / "runs"
    rows = []
    for p in sorted(out.glob("*.json")) if out.exists() else []:
        d = json.loads(p.read_text())
        env = d.pop("environment", {})
        d.update({f"env_{k}": v for k, v in env.items()})
        d["parameters"] = json.dumps(d.get("parameters", {}), sort_keys=True)
        rows.append(d)
    frame = pd.DataFrame(rows)
    if status is not None and len(frame):
        frame = frame[frame.status == status].reset_index(drop=True)
    return frame


def read_training_ledgers(folder: str | Path | None = None) -> dict[str, dict]:
    """notebook -> {run folder name -> run record} from ``<results>/training/*.json`` (written by
    ``NotebookContext.record``: the runs each page trained or loaded from the run cache)."""
    out = {}
    for p in sorted((results_dir(folder) / "training").glob("*.json")):
        body = json.loads(p.read_text())
        out[body["notebook"]] = body["runs"]
    return out

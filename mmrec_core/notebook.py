"""What every notebook calls first: check the parameters, resolve folders, stamp provenance.

``ctx = nb.start("20_xia_fusion", globals())`` right after the ``parameters`` cell:

- compares the notebook's UPPER_SNAKE names with the names its ``parameters`` cell declares and
  stops on an unknown one (a misspelt ``-p DATSET ml-1m`` would otherwise run on ML-100K), naming
  the closest declared name; rejects unknown values of ``PROFILE`` and ``DATASET``, listing the
  allowed ones;
- checks each value's type against its declaration (the default's type, or the annotation:
  :mod:`mmrec_core.parameters`) and converts what papermill delivers as text (``-p SEEDS "[0, 1, 2]"``;
  ``-p SEEDS 3`` means seeds ``[0, 1, 2]``), writing the converted value back into the notebook's
  namespace; anything else stops the page in its first cell with a message naming the parameter,
  the value given and the expected form. It never replaces a setting: quick-profile sizes live in
  ``configs/quick/<notebook>.yaml``, passed by the runner and by ``papermill -f``;
- ``paper`` profile: real data from the data home (the search of :mod:`mmrec_core.locations`; a
  synthetic home is refused), results into ``results/``. ``quick``: a generated synthetic
  MovieLens-format home, results into ``results/quick/`` (never committed), and a banner on the page;
- proves the cache and the results folder writable (a read-only or forbidden one stops here, with
  the fix, not after minutes of training), and makes the kernel show a full, read-only or forbidden
  folder met later as one message with the fix (:mod:`mmrec_core.storage`);
- with ``MMREC_CHECK_ONLY=1`` in the environment, stops after these checks: the notebook's other
  cells are skipped (a test runs the README's papermill commands as printed, in seconds);
- stamps the commit; :meth:`NotebookContext.record` refuses to write rows if HEAD moved since.

Paths shown on a page are relative to the repository (no machine's absolute paths in the book).
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .ledger import TrainingLedger
from .parameters import COMMON_TYPES, ParameterError, coerce, type_of_annotation, type_of_default
from .paths import REPO_ROOT, cache_home, data_home, results_dir, show_path  # noqa: F401  (show_path: re-exported)

QUICK_BANNER = (
    "**Quick profile.** The numbers on this page come from *synthetic* MovieLens-format data and tiny "
    "configurations; they exercise the code path and are **not** reproductions of the papers."
)
PROFILES = ("paper", "quick")
DATASETS = ("ml-100k", "ml-1m")
GENOME_DATASETS = ("ml-20m", "ml-25m")            # tag-genome releases: only the TSEM page reads them
NOTEBOOK_DATASETS = {"30_tsem": DATASETS + GENOME_DATASETS}
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
QUICK_CONFIG_DIR = REPO_ROOT / "configs" / "quick"
# Set by the runner in the kernels it starts: figures are then glued for the book, not shown twice.
BATCH_ENV = "MMREC_BATCH"
# Set (to 1) to check a notebook's parameters and folders and skip its other cells.
CHECK_ONLY_ENV = "MMREC_CHECK_ONLY"


@dataclass
class NotebookContext:
    notebook: str
    profile: str
    dataset: str
    data_home: Path
    results_dir: Path
    commit: str = ""
    parameters: dict = field(default_factory=dict)
    ledger: TrainingLedger = field(default_factory=TrainingLedger)   # the runs this page trained or reused

    @property
    def quick(self) -> bool:
        return self.profile == "quick"

    @property
    def figures_dir(self) -> Path:
        out = self.results_dir / "figures"
        out.mkdir(parents=True, exist_ok=True)
        return out

    def __repr__(self) -> str:
        return (f"NotebookContext(notebook={self.notebook!r}, profile={self.profile!r}, "
                f"dataset={self.dataset!r}, data_home={show_path(self.data_home)!r}, "
                f"results_dir={show_path(self.results_dir)!r}, commit={self.commit[:10]!r})")

    # --------------------------------------------------------------------------- figures
    def figure_path(self, name: str, dataset: str | None = None) -> Path:
        """``<results>/figures/<notebook prefix>_<dataset>_<name>.png`` (:func:`mmrec_core.plots.figure_path`)."""
        from .plots import figure_path

        return figure_path(self.results_dir, self.notebook.split("_", 1)[0], name, dataset or self.dataset)

    def figure(self, fig, name: str, dataset: str | None = None) -> None:
        """Save ``fig`` under :meth:`figure_path` and glue it as ``fig-<prefix>-<name>``.

        A markdown cell shows it with a caption and a name (```{glue:figure} fig-20-curves```).
        In an interactive session the figure is also shown in place.
        """
        import matplotlib.pyplot as plt

        from .plots import save_figure

        save_figure(fig, self.results_dir, self.notebook.split("_", 1)[0], name, dataset or self.dataset)
        key = f"fig-{self.notebook.split('_', 1)[0]}-{name}"
        try:
            from myst_nb import glue

            glue(key, fig, display=not os.environ.get(BATCH_ENV))
        except ImportError:  # myst-nb absent: show it plainly
            from IPython.display import display

            display(fig)
        plt.close(fig)

    def glue(self, name: str, value) -> None:
        """Glue a number (or text) computed on this page as ``<prefix>-<name>`` (``20-untrained_loss``),
        so that the page's prose shows it (``{glue:text}`20-untrained_loss:.3f```) instead of a typed copy."""
        key = f"{self.notebook.split('_', 1)[0]}-{name}"
        try:
            from myst_nb import glue

            glue(key, value, display=False)
        except ImportError:  # myst-nb absent: show it plainly
            print(f"{key} = {value}")

    def glue_all(self, values: dict) -> None:
        """:meth:`glue` for each ``name -> value`` of ``values``."""
        for name, value in values.items():
            self.glue(name, value)

    def figures(self, figures: dict, dataset: str | None = None) -> None:
        """:meth:`figure` for each ``name -> Figure`` of ``figures``."""
        for name, fig in figures.items():
            self.figure(fig, name, dataset)

    # --------------------------------------------------------------------------- results
    def record(self, rows) -> str:
        """Upsert ``rows`` into ``<results>/records/<notebook>.csv``, the file this page alone writes;
        refused if HEAD moved since :func:`start` or if another page writes one of these keys."""
        from .results import write_rows

        for r in rows:
            if r.profile != self.profile:
                raise ValueError(f"row {r.model}/{r.metric} has profile {r.profile!r}, the run is {self.profile!r}")
        path = write_rows(rows, self.results_dir, writer=self.notebook, started_at_commit=self.commit or None)
        ledger = self.write_training_ledger()
        return f"{len(rows)} rows -> {show_path(path)}" + (f"; training ledger -> {show_path(ledger)}" if ledger else "")

    def write_training_ledger(self) -> Path | None:
        """Write the runs this page used (trained or loaded from the run cache, with their training
        seconds) to ``<results>/training/<notebook>.json``; None when it used none."""
        return self.ledger.write(self.results_dir / "training" / f"{self.notebook}.json",
                                 notebook=self.notebook, commit=self.commit, profile=self.profile)


@dataclass
class DataContext:
    """What :func:`mmrec_core.experiment.prepare` reads outside a page (scripts, tests): a dataset in a
    data home under a profile, with its own training ledger. Pages pass their :class:`NotebookContext`."""

    dataset: str
    data_home: Path | None = None     # None: the data home search (mmrec_core.locations)
    profile: str = "quick"
    ledger: TrainingLedger = field(default_factory=TrainingLedger)

    def __post_init__(self):
        if self.data_home is None:
            from .locations import use_data_home

            self.data_home = use_data_home()


def synthetic_home(seed: int = 0, **spec_overrides) -> Path:
    """A synthetic data home in the cache, generated once per (seed, spec, generator code)."""
    from .data.synthetic import SyntheticSpec, write_synthetic_movielens
    from .paths import hash_package_sources

    spec = SyntheticSpec(seed=seed, **spec_overrides)
    h = hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode())
    hash_package_sources(h, ("data/synthetic.py",))   # a changed generator makes a new home
    key = h.hexdigest()[:12]
    home = cache_home() / "synthetic" / key
    if not (home / ".complete").exists():
        from .storage import explain

        tmp = home.with_name(f"{home.name}.{os.getpid()}.tmp")
        try:
            if home.exists():
                shutil.rmtree(home)
            write_synthetic_movielens(tmp, spec)
            tmp.rename(home)
            (home / ".complete").write_text("ok")
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)        # never a half-written home left behind
            explained = explain(exc, tmp, "write the synthetic data home") if isinstance(exc, OSError) else None
            if explained is not None:
                raise explained from exc
            raise
    return home


def _parameters_cell(notebook: str | Path):
    """``(path, notebook)`` of a source notebook given by name or path, checking it has one
    ``parameters`` cell; returns that cell too."""
    import nbformat

    path = Path(notebook)
    if not path.suffix:
        path = NOTEBOOK_DIR / f"{notebook}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"notebook {path} not found: start() needs the notebook's name "
                                f"(one of {sorted(p.stem for p in NOTEBOOK_DIR.glob('*.ipynb'))})")
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{path} must have exactly one cell tagged 'parameters', found {len(cells)}")
    return path, nb, cells[0]


def _declarations(notebook: str | Path) -> dict:
    """name -> (default, annotation node or None) of the ``parameters`` cell (``NAME = value`` or
    ``NAME: type = value``); a default that is not a literal reads as None."""
    _, _, cell = _parameters_cell(notebook)
    out = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign):
            targets, annotation = [t for t in node.targets if isinstance(t, ast.Name)], None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets, annotation = [node.target], node.annotation
        else:
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            value = None
        for target in targets:
            out[target.id] = (value, annotation)
    return out


def declared_parameters(notebook: str | Path) -> dict:
    """Names and literal defaults of the ``parameters`` cell of a source notebook."""
    return {name: default for name, (default, _) in _declarations(notebook).items()}


def declared_types(notebook: str | Path) -> dict:
    """name -> :class:`~mmrec_core.parameters.ParamType` of each declared parameter: its annotation,
    else :data:`~mmrec_core.parameters.COMMON_TYPES` (``DATA_HOME``, ``RESULTS_DIR``), else the type
    of its default. A parameter none of these types is an error of the notebook (annotate it)."""
    name_of = Path(notebook).stem
    out = {}
    for name, (default, annotation) in _declarations(notebook).items():
        ptype = type_of_annotation(annotation) if annotation is not None else None
        if annotation is not None and ptype is None:
            raise ParameterError(f"{name_of}: the parameters cell annotates {name} as {ast.unparse(annotation)!r}; "
                                 f"use int, float, bool, str, list[...] or one of them | None")
        ptype = ptype or COMMON_TYPES.get(name) or type_of_default(default)
        if ptype is None:
            raise ParameterError(f"{name_of}: the parameters cell declares {name} = {default!r}, whose type the "
                                 f"default does not tell; annotate it, e.g. `{name}: int | None = {default!r}`")
        out[name] = ptype
    return out


def check_parameters(notebook: str | Path, namespace: dict) -> dict:
    """The notebook's parameter values from ``namespace``, each converted to its declared type;
    raises :class:`ParameterError` on an undeclared UPPER_SNAKE name, a value of the wrong type or a
    ``PROFILE`` / ``DATASET`` the notebook does not allow. ``notebook``: a name or a path."""
    declared = declared_parameters(notebook)
    name_of = Path(notebook).stem
    given = {k for k in namespace if k.isupper() and not k.startswith("_") and k[0].isalpha()}
    unknown = sorted(given - set(declared))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, declared, n=1, cutoff=0.5)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(
            f"{name_of}: unknown parameter {', '.join(hints)}. The parameters cell declares "
            f"{sorted(declared)}; fix the name passed with `-p` (papermill) or in the config file.")
    types = declared_types(notebook)
    values = {k: coerce(name_of, k, namespace[k], types[k], declared[k]) for k in declared if k in namespace}
    _check_value(name_of, "PROFILE", values.get("PROFILE", "paper"), PROFILES)
    _check_value(name_of, "DATASET", values.get("DATASET", "ml-100k"), NOTEBOOK_DATASETS.get(name_of, DATASETS))
    return values


def _check_value(notebook, name, value, allowed):
    if value not in allowed:
        raise ParameterError(f"{notebook}: {name} must be one of {list(allowed)}, got {value!r}")


def needs_real_data(notebook: str | Path) -> bool:
    """False where the notebook's metadata says ``"mmrec": {"needs_real_data": false}`` (pages that
    only read results)."""
    _, nb, _ = _parameters_cell(notebook)
    return bool(nb.metadata.get("mmrec", {}).get("needs_real_data", True))


def check_only() -> bool:
    """``MMREC_CHECK_ONLY`` is set (to anything but empty or 0): check, then skip the other cells."""
    return os.environ.get(CHECK_ONLY_ENV, "") not in ("", "0")


def quick_config(notebook: str) -> Path:
    """``configs/quick/<notebook>.yaml``: the quick profile's parameters (``papermill -f``)."""
    return QUICK_CONFIG_DIR / f"{notebook}.yaml"


def start(notebook: str, namespace: dict, show_banner: bool = True) -> NotebookContext:
    """Check the parameters in ``namespace`` (``globals()``) and write back their typed values,
    resolve and check the folders, stamp the commit (see the module's docstring)."""
    from .locations import use_data_home
    from .results import git_commit
    from .storage import ensure_writable

    params = check_parameters(notebook, namespace)
    namespace.update(params)                       # "[0, 1, 2]" -> [0, 1, 2]: the value the text denotes
    only_check = check_only()
    profile, dataset = params.get("PROFILE", "paper"), params.get("DATASET", "ml-100k")
    explicit_home, explicit_results = params.get("DATA_HOME"), params.get("RESULTS_DIR")
    cache = ensure_writable(cache_home_path(), "write into the cache folder")
    if profile == "quick":
        res = results_dir_path(explicit_results or (results_dir_path() / "quick"))
        home = Path(explicit_home) if explicit_home else (cache / "synthetic" if only_check else synthetic_home())
    else:
        res = results_dir_path(explicit_results)
        home = use_data_home(explicit_home, must_exist=needs_real_data(notebook))
        from .data.download import SYNTHETIC_MANIFEST

        if any((home / name / SYNTHETIC_MANIFEST).exists() for name in DATASETS + GENOME_DATASETS):
            raise ParameterError(
                f"{notebook}: PROFILE='paper' but the data home {show_path(home)} holds synthetic "
                f"data ({SYNTHETIC_MANIFEST}); paper numbers come only from the real releases. "
                f"Use PROFILE='quick' or point MMREC_DATA / DATA_HOME at the real data.")
    res = ensure_writable(res, "write into the results folder")
    ctx = NotebookContext(notebook, profile, dataset, home, res, git_commit(), params)
    import warnings

    warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets
    _explain_storage_errors_in_kernel()
    if only_check:
        _skip_remaining_cells(ctx)
        return ctx
    if show_banner and ctx.quick:
        try:
            from IPython.display import Markdown, display

            display(Markdown("```{warning}\n" + QUICK_BANNER + "\n```"))
            sized = {k for k in params if k not in ("PROFILE", "DATA_HOME", "RESULTS_DIR")}
            defaults = declared_parameters(notebook)
            if quick_config(notebook).exists() and all(params[k] == defaults.get(k) for k in sized):
                print(f"note: quick-profile sizes are in {show_path(quick_config(notebook))}; "
                      f"pass it with `papermill -f` (the runner does)")
        except ImportError:
            print(QUICK_BANNER)
    return ctx


def cache_home_path() -> Path:
    """The cache folder (:func:`mmrec_core.paths.cache_home`'s order) without creating it."""
    env = os.environ.get("MMREC_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmrec" / "cache"


def results_dir_path(explicit=None) -> Path:
    """The results folder (:func:`mmrec_core.paths.results_dir`'s order) without creating it."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("MMREC_RESULTS")
    return Path(env) if env else REPO_ROOT / "results"


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _skip_remaining_cells(ctx: NotebookContext) -> None:
    """Check-only mode: say what was checked; in a kernel, the cells after this one run empty."""
    shown = ", ".join(f"{k}={v!r}" for k, v in ctx.parameters.items())
    print(f"{CHECK_ONLY_ENV}: {ctx.notebook} checked, the other cells are skipped.\n"
          f"  parameters: {shown}\n  data home: {show_path(ctx.data_home)}\n"
          f"  results: {show_path(ctx.results_dir)}")
    shell = _ipython()
    if shell is not None and _skip_cell not in shell.input_transformers_post:
        shell.input_transformers_post.append(_skip_cell)


def _skip_cell(lines: list[str]) -> list[str]:
    """An IPython input transformer that empties a cell (check-only mode)."""
    return []


def _explain_storage_errors_in_kernel() -> None:
    """In a kernel, show a full, read-only or forbidden folder (an OSError raised anywhere, the run
    cache and feature cache included) as :func:`mmrec_core.storage.explain`'s message with the fix,
    and the file and line that raised it; other errors keep their traceback."""
    shell = _ipython()
    if shell is None or OSError in shell.custom_exceptions:
        return

    def handler(self, etype, value, tb, tb_offset=None):
        from .storage import explain

        explained = explain(value)
        if explained is None:                      # IPython's own display (``_render_traceback_`` included)
            self.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return None
        where = tb
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        origin = f"\n(raised in {show_path(where.tb_frame.f_code.co_filename)}, line {where.tb_lineno})" if where else ""
        stb = [f"{type(explained).__name__}: {explained}{origin}"]
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((OSError,), handler)


_CODE_SPAN = re.compile(r"(`[^`]*`)")
_DOLLAR_TOKEN = re.compile(r"\$[^\s`]*")
_TRAILING = ".,;:)]!?'\""


def markdown_text(text: str) -> str:
    """Plain text (a message, a note) made safe to emit as MyST Markdown: every token holding a
    ``$`` (``$MMREC_DATA/ml-1m/ratings.dat``, an environment variable) outside a code span is put in
    backticks, so that the page shows it literally instead of reading the text between two ``$`` as
    math. Trailing punctuation stays outside the backticks; existing code spans are left alone."""
    def literal(match):
        token = match.group(0)
        core = token.rstrip(_TRAILING) or token
        return f"`{core}`{token[len(core):]}"

    parts = _CODE_SPAN.split(str(text))
    return "".join(part if i % 2 else _DOLLAR_TOKEN.sub(literal, part) for i, part in enumerate(parts))


def display_notes(notes: dict, title: str = "skipped") -> None:
    """One MyST note per ``name -> reason`` (e.g. the releases :func:`load_releases` skipped)."""
    from IPython.display import Markdown, display

    if notes:
        display(Markdown("\n".join(f"```{{note}}\n**{markdown_text(name)} {title}.** {markdown_text(why)}\n```"
                                   for name, why in notes.items())))


# Columns of a comparison table that may hold one value in every row of a page's table: said once
# in the caption instead (key columns the book test reads, model and metric, always stay).
LIFTED_COLUMNS = ("dataset", "variant", "subset")
# Columns that describe our number: said once (in these words) where every row that has a number of
# ours has the same one.
OURS_COLUMNS = {"ours on": "ours on {}", "seeds": "ours over {} seeds", "encoders (text / image)": "our encoders (text / image): {}"}
# Columns left out where they are blank in every row.
OPTIONAL_COLUMNS = ("variant", "ours on", "± std", "seeds", "encoders (text / image)", "notes")


def comparison_display(frame, drop=()):
    """The page's form of a :func:`mmrec_core.papers.comparison_table`: the paper's dataset and ours
    (where it differs) in two columns, the ``drop`` columns and those blank in every row left out; a
    column with one value in every row, or one value in every row that has a number of ours (our
    dataset, seeds, encoders), said once in the caption instead. Returns ``(Styler, notes)``."""
    from .papers import comparison_table
    from .tables import lift_constant_columns, page_table

    table, notes = comparison_table(frame)
    if "dataset" in table.columns and "ours_dataset" in frame.columns:   # "X (ours: Y)" as two columns
        other = [o if isinstance(o, str) and o and o != d else "" for o, d in zip(frame.ours_dataset, frame.dataset)]
        table["dataset"] = frame.dataset.to_numpy()
        table.insert(table.columns.get_loc("dataset") + 1, "ours on", other)
    table = table.drop(columns=[c for c in drop if c in table.columns])
    table = table.drop(columns=[c for c in OPTIONAL_COLUMNS if c in table.columns and (table[c] == "").all()])
    table, caption = lift_constant_columns(table, LIFTED_COLUMNS)
    said = [caption] if caption else []
    has_ours = table["ours"] != "" if "ours" in table.columns else None
    if has_ours is not None and has_ours.sum() >= 2:
        for c, words in OURS_COLUMNS.items():
            if c in table.columns and table.loc[has_ours, c].nunique() == 1 and (table.loc[~has_ours, c] == "").all():
                said.append(words.format(table.loc[has_ours, c].iloc[0]))
                table = table.drop(columns=c)
    return page_table(table, " · ".join(said)), notes


def display_comparison(frame, title: str | None = None, drop=()):
    """Show a :func:`mmrec_core.papers.comparison_table` (as :func:`comparison_display`) with its
    numbered notes (Markdown)."""
    from IPython.display import Markdown, display

    if title:
        display(Markdown(f"## {markdown_text(title)}"))
    table, notes = comparison_display(frame, drop)
    display(table)
    if notes:
        display(Markdown("\n".join(markdown_text(n) for n in notes)))

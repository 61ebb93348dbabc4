"""What every notebook calls first: check the parameters, resolve folders, stamp provenance.

``ctx = nb.start("20_xia_fusion", globals())`` right after the ``parameters`` cell:

- compares the notebook's UPPER_SNAKE names with the names its ``parameters`` cell declares and
  stops on an unknown one (a misspelt ``-p DATSET ml-1m`` would otherwise run on ML-100K), naming
  the closest declared name; rejects unknown values of ``PROFILE`` and ``DATASET``, listing the
  allowed ones. It never replaces a value: quick-profile sizes live in
  ``configs/quick/<notebook>.yaml``, passed by the runner and by ``papermill -f``;
- ``paper`` profile: real data from the data home (``$MMREC_DATA``, a synthetic home is refused),
  results into ``results/``. ``quick``: a generated synthetic MovieLens-format home, results into
  ``results/quick/`` (never committed), and a banner on the page;
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


class ParameterError(ValueError):
    """A notebook parameter that the notebook does not declare, or a value it does not allow."""


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
    data_home: Path
    profile: str = "quick"
    ledger: TrainingLedger = field(default_factory=TrainingLedger)


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
        if home.exists():
            shutil.rmtree(home)
        tmp = home.with_name(home.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        write_synthetic_movielens(tmp, spec)
        tmp.rename(home)
        (home / ".complete").write_text("ok")
    return home


def declared_parameters(notebook: str | Path) -> dict:
    """Names and literal defaults of the ``parameters`` cell of a source notebook."""
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
    out = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    try:
                        out[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        out[target.id] = None
    return out


def check_parameters(notebook: str, namespace: dict) -> dict:
    """The notebook's parameter values from ``namespace``; raises on an undeclared UPPER_SNAKE name."""
    declared = declared_parameters(notebook)
    given = {k for k in namespace if k.isupper() and not k.startswith("_") and k[0].isalpha()}
    unknown = sorted(given - set(declared))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, declared, n=1, cutoff=0.5)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(
            f"{notebook}: unknown parameter {', '.join(hints)}. The parameters cell declares "
            f"{sorted(declared)}; fix the name passed with `-p` (papermill) or in the config file.")
    values = {k: namespace[k] for k in declared if k in namespace}
    _check_value(notebook, "PROFILE", values.get("PROFILE", "paper"), PROFILES)
    _check_value(notebook, "DATASET", values.get("DATASET", "ml-100k"), NOTEBOOK_DATASETS.get(notebook, DATASETS))
    return values


def _check_value(notebook, name, value, allowed):
    if value not in allowed:
        raise ParameterError(f"{notebook}: {name} must be one of {list(allowed)}, got {value!r}")


def quick_config(notebook: str) -> Path:
    """``configs/quick/<notebook>.yaml``: the quick profile's parameters (``papermill -f``)."""
    return QUICK_CONFIG_DIR / f"{notebook}.yaml"


def start(notebook: str, namespace: dict, show_banner: bool = True) -> NotebookContext:
    """Check the parameters in ``namespace`` (``globals()``), resolve folders, stamp the commit."""
    from .results import git_commit

    params = check_parameters(notebook, namespace)
    profile, dataset = params.get("PROFILE", "paper"), params.get("DATASET", "ml-100k")
    explicit_home, explicit_results = params.get("DATA_HOME"), params.get("RESULTS_DIR")
    if profile == "quick":
        home = Path(explicit_home) if explicit_home else synthetic_home()
        res = results_dir(explicit_results or (results_dir() / "quick"))
    else:
        home = data_home(explicit_home)
        res = results_dir(explicit_results)
        from .data.download import SYNTHETIC_MANIFEST

        if any((home / name / SYNTHETIC_MANIFEST).exists() for name in DATASETS + GENOME_DATASETS):
            raise ParameterError(
                f"{notebook}: PROFILE='paper' but the data home {show_path(home)} holds synthetic "
                f"data ({SYNTHETIC_MANIFEST}); paper numbers come only from the real releases. "
                f"Use PROFILE='quick' or point MMREC_DATA / DATA_HOME at the real data.")
    ctx = NotebookContext(notebook, profile, dataset, home, res, git_commit(), params)
    import warnings

    warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets
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

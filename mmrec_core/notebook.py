"""What every notebook calls first: resolve the profile's data home and results folder.

``paper`` profile: real data from the data home (``$MMREC_DATA``), results into ``results/``.
``quick`` profile: a synthetic MovieLens-format data home (generated once into the cache), tiny
configurations, results into ``results/quick/`` (never committed), and a banner on the page.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from .paths import cache_home, data_home, results_dir

QUICK_BANNER = (
    "**Quick profile.** The numbers on this page come from *synthetic* MovieLens-format data and tiny "
    "configurations; they exercise the code path and are **not** reproductions of the papers."
)


@dataclass
class NotebookContext:
    profile: str
    dataset: str
    data_home: Path
    results_dir: Path

    @property
    def quick(self) -> bool:
        return self.profile == "quick"


def synthetic_home(seed: int = 0, **spec_overrides) -> Path:
    """A synthetic data home in the cache, generated once per (seed, spec)."""
    from .data.synthetic import SyntheticSpec, write_synthetic_movielens

    spec = SyntheticSpec(seed=seed, **spec_overrides)
    key = hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode()).hexdigest()[:12]
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


def start(profile: str = "paper", dataset: str = "ml-100k", data_home_: str | None = None,
          results_dir_: str | None = None, show_banner: bool = True) -> NotebookContext:
    """Validate the parameters, resolve folders, show the quick-profile banner when relevant."""
    if profile not in ("paper", "quick"):
        raise ValueError(f"PROFILE must be 'paper' or 'quick', got {profile!r}")
    if dataset not in ("ml-100k", "ml-1m"):
        raise ValueError(f"DATASET must be 'ml-100k' or 'ml-1m', got {dataset!r}")
    if profile == "quick":
        home = Path(data_home_) if data_home_ else synthetic_home()
        res = results_dir(results_dir_ or (results_dir() / "quick"))
    else:
        home = data_home(data_home_)
        res = results_dir(results_dir_)
    ctx = NotebookContext(profile, dataset, home, res)
    import warnings

    warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets
    if show_banner and ctx.quick:
        try:
            from IPython.display import Markdown, display

            display(Markdown("```{warning}\n" + QUICK_BANNER + "\n```"))
        except ImportError:
            print(QUICK_BANNER)
    return ctx

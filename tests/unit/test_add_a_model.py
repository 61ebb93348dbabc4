"""The README's "Adding a model" recipe, followed to the letter on a copy of the package.

A toy model (global, user and item biases) gets exactly the four things the recipe names: its model
file, one registry line, one notebook and one ``_toc.yml`` line. Its page then runs through the runner
in the quick profile and records typed per-run rows: nothing else had to be touched.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd

REPO = Path(__file__).resolve().parents[2]

TOY = '''"""Toy: a global bias plus user and item biases (a test of the model-adding recipe; no paper).

Deviations from the paper: there is no paper.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .layers import RatingRegressor


@dataclass
class ToyConfig:
    init: float = 3.5

    def to_dict(self) -> dict:
        return asdict(self)


class Toy(RatingRegressor):
    def __init__(self, cfg: ToyConfig, n_users: int, n_items: int):
        super().__init__()
        self.bias = nn.Parameter(torch.tensor(cfg.init))
        self.user = nn.Embedding(n_users, 1)
        self.item = nn.Embedding(n_items, 1)
        nn.init.zeros_(self.user.weight)
        nn.init.zeros_(self.item.weight)

    def forward(self, batch):
        out = self.bias + self.user(batch["user"]).squeeze(-1) + self.item(batch["item"]).squeeze(-1)
        return out, self.mse_loss(out, batch)


def build_toy(cfg: ToyConfig, encoder) -> Toy:
    card = encoder.cardinalities
    return Toy(cfg, card["user"], card["item"])


def content_keys(cfg: ToyConfig, encoder) -> list[str]:
    return []
'''

CELLS = [
    'PROFILE = "quick"          # paper | quick\nDATASET = "ml-100k"\nDATA_HOME = None\nRESULTS_DIR = None\n'
    'SEEDS = [0, 1]\nEPOCHS = 30\nPATIENCE = 2',
    'import mmrec_core.notebook as nb\n\nctx = nb.start("50_toy", globals())',
    'from mmrec_core import experiment\nfrom mmrec_core.models.toy import ToyConfig\nfrom mmrec_core.train import TrainConfig\n\n'
    'exp = experiment.prepare(ctx, split_seed=0)\n'
    'TRAIN = TrainConfig(lr=5e-2, epochs=EPOCHS, batch_size=256, patience=PATIENCE, device="auto", num_threads=1)',
    'runs = experiment.replicate("toy", {"toy": ToyConfig()}, SEEDS, exp, TRAIN)',
    'runs.summary()',
    'ctx.record(runs.rows(paper="ours", table="toy"))',
]


def _recipe_steps() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Adding a model", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. (.+)$", section, flags=re.M)


def test_the_readme_recipe_names_four_files_and_nothing_else():
    steps = _recipe_steps()
    assert len(steps) == 4, steps
    assert "mmrec_core/models/<name>.py" in steps[0] and "registry line" in steps[1]
    assert "notebooks/<NN>_<name>.ipynb" in steps[2] and "_toc.yml" in steps[3]
    section = (REPO / "README.md").read_text().split("## Adding a model", 1)[1].split("\n## ", 1)[0]
    assert "runner.py" not in section and "NotebookSpec" not in section   # the runner finds notebooks itself


def test_a_toy_model_added_by_the_recipe_runs_and_records(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "mmrec_core", copy / "mmrec_core", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "notebooks").mkdir()
    shutil.copy(REPO / "_toc.yml", copy / "_toc.yml")
    before = {p.relative_to(copy).as_posix(): p.read_bytes() for p in copy.rglob("*") if p.is_file()}

    # 1. the model file
    (copy / "mmrec_core" / "models" / "toy.py").write_text(TOY)
    # 2. one registry line, inside REGISTRY
    registry = copy / "mmrec_core" / "models" / "__init__.py"
    text = registry.read_text()
    end = text.index("\n)}", text.index("REGISTRY: dict"))
    line = '    ModelEntry("toy", "toy", "ToyConfig", "build_toy", "Toy", "ours", content="content_keys"),'
    registry.write_text(text[:end] + "\n" + line + text[end:])
    # 3. one notebook (as Jupyter saves it: with the kernel's metadata)
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({k: v for k, v in nbformat.read(str(REPO / "notebooks" / "23_aljunid.ipynb"), as_version=4)
                        .metadata.items() if k in ("kernelspec", "language_info")})
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(copy / "notebooks" / "50_toy.ipynb"))
    # 4. one _toc.yml line
    toc = copy / "_toc.yml"
    toc.write_text(toc.read_text().replace("      - file: book/notebooks/41_fusion_content\n",
                                           "      - file: book/notebooks/41_fusion_content\n"
                                           "      - file: book/notebooks/50_toy\n"))

    after = {p.relative_to(copy).as_posix(): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    touched = sorted(k for k in after if before.get(k) != after[k])
    assert touched == ["_toc.yml", "mmrec_core/models/__init__.py", "mmrec_core/models/toy.py", "notebooks/50_toy.ipynb"]
    assert after["mmrec_core/models/__init__.py"].decode().count("\n") == before["mmrec_core/models/__init__.py"].decode().count("\n") + 1

    env = {**os.environ, "PYTHONPATH": str(copy), "MMREC_CACHE": str(tmp_path / "cache"), "TQDM_DISABLE": "1"}
    env.pop("MMREC_RESULTS", None)
    listing = subprocess.run([sys.executable, "-m", "mmrec_core", "list"], cwd=copy, env=env, capture_output=True, text=True)
    assert listing.returncode == 0 and "50_toy" in listing.stdout and "run cache" in listing.stdout, listing.stderr
    out = subprocess.run([sys.executable, "-m", "mmrec_core", "run", "--profile", "quick", "--only", "50_toy",
                          "--output-dir", str(tmp_path / "nb"), "--results-dir", str(tmp_path / "res")],
                         cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "50_toy" in out.stdout and " ok" in out.stdout, out.stdout + out.stderr
    rows = pd.read_csv(tmp_path / "res" / "records" / "50_toy.csv", keep_default_na=False)
    toy = rows[(rows.model == "Toy") & (rows.metric == "rmse") & (rows.subset == "test")]
    assert sorted(toy.seed.astype(str)) == ["", "0", "1"]           # the mean and one row per run
    runs = toy[toy.seed.astype(str) != ""]
    assert (runs.epoch_cap == 30).all() and (runs.patience == 2).all() and runs.run_key.str.startswith("toy-").all()
    assert 0.5 < float(toy[toy.seed.astype(str) == ""].value.iloc[0]) < 1.5

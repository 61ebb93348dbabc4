"""``python -m mmrec_core results merge SOURCE``: bring another checkout's page results into this one.

Pages are often executed in a second worktree (or on another machine, then pushed to a branch) while
this checkout moves on. A page's results are its records file (``results/records/<page>.csv``,
which only that page writes), its provenance (``results/runs/<page>.json``), its training ledger,
its figures (``results/figures/<NN>_*.png``) and its executed notebook (``book/notebooks/<page>.ipynb``).
:func:`merge_results` takes them page by page, and refuses a page when

- **conflict**: one of its keys is written by another page here (one writer per row);
- **stale**: it was recorded from a modified tree, at a commit this repository does not have, or at
  a commit since which the code it depends on changed here (its notebook, and every package file
  its cells import: :func:`mmrec_core.runner.notebook_spec`; a benchmark script and its imports);
- **older**: the page's records here were created after the incoming ones.

Nothing of a refused page is written; the result lists what was taken and why anything was not.
Runs in the source's run store (``results/run_store/``, :mod:`mmrec_core.run_store`) that this
checkout's store lacks are copied too, whatever the pages: each is named by its run key, so a stored
run is only ever reused by the code and data that trained it.
SOURCE is a folder (a worktree or another clone) or a git ref of this repository (a branch, a commit).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .paths import REPO_ROOT
from .results import RECORDS, _key_frame, read_records_file
from .run_store import STORE
from .storage import write_bytes


@dataclass
class PageMerge:
    page: str
    status: str                      # taken | unchanged | conflict | stale | older
    reason: str = ""
    files: list = field(default_factory=list)   # what was (or would be) written, relative to the repository


class _Folder:
    """Files of another checkout on disk."""

    def __init__(self, root: Path):
        self.root = Path(root)
        if not (self.root / "results" / RECORDS).is_dir():
            raise FileNotFoundError(f"{self.root} has no results/{RECORDS}/ folder: give the root of a checkout "
                                    f"(a worktree or a clone) whose pages wrote records")

    def list(self, folder: str, dirs: bool = False) -> list[str]:
        base = self.root / folder
        return sorted(p.name for p in base.iterdir() if p.is_dir() == dirs) if base.is_dir() else []

    def read(self, rel: str) -> bytes | None:
        path = self.root / rel
        return path.read_bytes() if path.is_file() else None


class _GitRef:
    """Files of a commit or branch of the repository at ``repo``."""

    def __init__(self, ref: str, repo: Path):
        self.ref, self.repo = ref, repo
        if _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
            raise FileNotFoundError(f"{ref!r} is neither a folder nor a commit or branch of {repo}")

    def list(self, folder: str, dirs: bool = False) -> list[str]:
        out = _git(self.repo, "ls-tree", f"{self.ref}:{folder}")
        if out.returncode != 0:
            return []
        rows = [line.split(None, 3) for line in out.stdout.decode().splitlines()]
        return sorted(name for _, kind, _, name in rows if (kind == "tree") == dirs)

    def read(self, rel: str) -> bytes | None:
        out = _git(self.repo, "show", f"{self.ref}:{rel}")
        return out.stdout if out.returncode == 0 else None


def _git(repo: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True)


def page_code(page: str, repo: Path) -> list[str]:
    """Repository paths whose change since a page was recorded makes its records stale."""
    from .paths import package_imports
    from .runner import notebook_spec

    notebook = repo / "notebooks" / f"{page}.ipynb"
    script = repo / "benchmarks" / f"{page}.py"
    if notebook.exists():
        code = notebook_spec(notebook, repo).code
        own = notebook
    elif script.exists():
        code = package_imports(sources=[script.read_text()], repo_root=repo)
        own = script
    else:
        return []
    return [own.relative_to(repo).as_posix()] + [f"mmrec_core/{f}" for f in code]


def _stale(page: str, commits: set, repo: Path) -> str:
    """Why records made at ``commits`` are stale here, or ""."""
    bad = sorted(c for c in commits if not c or c == "unknown" or c.endswith("-dirty"))
    if bad:
        return f"recorded from a modified tree or no commit ({', '.join(bad)})"
    paths = page_code(page, repo)
    if not paths:
        return f"no notebook or benchmark script named {page} here"
    for c in sorted(commits):
        if _git(repo, "cat-file", "-e", f"{c}^{{commit}}").returncode != 0:
            return f"recorded at {c[:10]}, a commit this repository does not have (fetch it first)"
        changed = _git(repo, "diff", "--name-only", c, "--", *paths).stdout.decode().split()
        if changed:
            shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
            return f"recorded at {c[:10]}; since then {shown} changed here: re-run the page on this code"
    return ""


def merge_results(source: str | Path, repo: str | Path | None = None, dry_run: bool = False,
                  only=None) -> list[PageMerge]:
    """Take every page of ``source`` (or the pages named in ``only``) whose results are new here and
    neither conflicting nor stale."""
    repo = Path(repo) if repo is not None else REPO_ROOT
    src = _Folder(Path(source)) if Path(source).is_dir() else _GitRef(str(source), repo)
    here = repo / "results" / RECORDS
    ours = {p.stem: read_records_file(p) for p in sorted(here.glob("*.csv"))} if here.is_dir() else {}
    out = []
    for name in src.list(f"results/{RECORDS}"):
        if not name.endswith(".csv"):
            continue
        page = name[:-4]
        if only and page not in only:
            continue
        data = src.read(f"results/{RECORDS}/{name}")
        mine = here / name
        if mine.exists() and mine.read_bytes() == data:
            out.append(PageMerge(page, "unchanged"))
            continue
        theirs = read_records_file(f"{source}: results/{RECORDS}/{name}", data)
        keys = set(_key_frame(theirs))
        owners = sorted(other for other, frame in ours.items() if other != page and keys & set(_key_frame(frame)))
        if owners:
            out.append(PageMerge(page, "conflict", f"writes keys that {', '.join(owners)} writes here (one writer per row)"))
            continue
        why = _stale(page, set(theirs.commit), repo)
        if why:
            out.append(PageMerge(page, "stale", why))
            continue
        if page in ours and len(ours[page]) and ours[page].created.max() > theirs.created.max():
            out.append(PageMerge(page, "older", f"the records here were created {ours[page].created.max()}, "
                                                f"the incoming ones {theirs.created.max()}"))
            continue
        prefix = page.split("_", 1)[0]
        wanted = {f"results/{RECORDS}/{name}": data}
        for rel in (f"results/runs/{page}.json", f"results/training/{page}.json", f"book/notebooks/{page}.ipynb"):
            body = src.read(rel)
            if body is not None:
                wanted[rel] = body
        if prefix.isdigit():
            for fig in src.list("results/figures"):
                if fig.startswith(f"{prefix}_"):
                    wanted[f"results/figures/{fig}"] = src.read(f"results/figures/{fig}")
        if not dry_run:
            for rel, body in wanted.items():
                write_bytes(repo / rel, body)
            ours[page] = theirs
        out.append(PageMerge(page, "taken", f"{len(theirs)} rows recorded at "
                                            f"{', '.join(sorted(c[:10] for c in set(theirs.commit)))}",
                             sorted(wanted)))
    stored = _merge_run_store(src, repo, dry_run)
    if stored:
        out.append(PageMerge(STORE, "taken", f"{len(stored) // 2} stored run(s) this checkout lacked", sorted(stored)))
    return out


def _merge_run_store(src, repo: Path, dry_run: bool) -> list[str]:
    """Copy the source's stored runs that are not here (whole folders, never half of one)."""
    base = f"results/{STORE}"
    here = repo / base
    taken = []
    for name in src.list(base, dirs=True):
        if name.startswith(".") or (here / name / "result.json").exists():
            continue
        files = {f: src.read(f"{base}/{name}/{f}") for f in ("result.json", "predictions.npz")}
        if any(body is None for body in files.values()):
            continue                                   # an unfinished entry: nothing to take
        taken += [f"{base}/{name}/{f}" for f in files]
        if not dry_run:
            tmp = here / f".{name}.merge"
            tmp.mkdir(parents=True, exist_ok=True)
            for f, body in files.items():
                (tmp / f).write_bytes(body)
            tmp.rename(here / name)
    return taken


def print_merge(result: list[PageMerge], dry_run: bool = False) -> None:
    for m in result:
        verb = "would take" if dry_run and m.status == "taken" else m.status
        print(f"{m.page:<22} {verb:<10} {m.reason}")
        for f in m.files:
            print(f"    {f}")
    if not result:
        print("nothing to merge: the source has no page records")


__all__ = ["PageMerge", "merge_results", "page_code", "print_merge"]

"""Where the data home is: one search, the same for make, papermill, ``python -m mmrec_core`` and the API.

In order, the first that applies:

1. ``$MMREC_DATA`` (set and not empty);
2. ``data_home = "..."`` in ``mmrec.toml`` at the root of the checkout (a relative path is taken from
   that file's folder); the file is yours, not committed;
3. ``../shared/data`` beside the checkout (the project's machines keep a read-only mirror there);
4. ``~/.cache/mmrec/data`` (where ``python -m mmrec_core download`` puts the releases).

An explicit folder (a notebook's ``DATA_HOME``, ``--data-home``) comes before all of them. A setting
that names a missing folder is an error (a typo must not fall through to another copy of the data);
when none applies and no folder exists, :class:`DataHomeNotFound` lists every place tried and the fix.

:func:`use_data_home` also exports the folder found as ``MMREC_DATA`` for the rest of the process and
the kernels it starts, so that the loaders' own default (:func:`mmrec_core.paths.data_home`) and the
``$MMREC_DATA/...`` form of paths on pages agree with the search.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .paths import REPO_ROOT

ENV = "MMREC_DATA"
CONFIG_NAME = "mmrec.toml"
CONFIG_KEY = "data_home"


class DataHomeNotFound(FileNotFoundError):
    """No data home: the message lists each place tried and what to do."""

    def _render_traceback_(self) -> list[str]:
        return [f"DataHomeNotFound: {self}"]


def config_file(repo_root: Path | None = None) -> Path:
    """``mmrec.toml`` at the root of the checkout."""
    return (Path(repo_root) if repo_root is not None else REPO_ROOT) / CONFIG_NAME


def read_config_data_home(path: Path) -> Path | None:
    """``data_home`` of a ``mmrec.toml`` (relative to the file's folder), or None if it has none."""
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.10: the one key this file holds, as TOML writes it
        match = re.search(rf'^\s*{CONFIG_KEY}\s*=\s*(["\'])(.*?)\1\s*(#.*)?$', text, flags=re.M)
        value = match.group(2) if match else None
    else:
        try:
            value = tomllib.loads(text).get(CONFIG_KEY)
        except tomllib.TOMLDecodeError as exc:
            raise DataHomeNotFound(f"{path}: not valid TOML ({exc}). Write the data home as "
                                   f'{CONFIG_KEY} = "/path/to/data"') from None
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise DataHomeNotFound(f'{path}: {CONFIG_KEY} must be a folder path in quotes, e.g. {CONFIG_KEY} = "/path/to/data"')
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else (path.parent / folder)


def candidates(repo_root: Path | None = None) -> list[tuple[str, Path | None, str]]:
    """``(where, folder or None, why not)`` for each place of the search, in order (``why not`` is
    empty for a place that is set)."""
    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    out = []
    env = os.environ.get(ENV)
    out.append((f"${ENV}", Path(env).expanduser() if env else None, "" if env else "not set"))
    cfg = config_file(root)
    if cfg.is_file():
        folder = read_config_data_home(cfg)
        out.append((f"{CONFIG_KEY} in {cfg}", folder, "" if folder else f"no {CONFIG_KEY} key"))
    else:
        out.append((f"{CONFIG_KEY} in {cfg}", None, "no such file"))
    out.append(("../shared/data beside the checkout", root.parent / "shared" / "data", ""))
    out.append(("the default", Path.home() / ".cache" / "mmrec" / "data", ""))
    return out


def find_data_home(explicit: str | os.PathLike | None = None, *, must_exist: bool = True,
                   repo_root: Path | None = None) -> Path:
    """The data home (see the module's docstring for the order).

    ``must_exist=False`` (a download target, the runner's fingerprint): where data would go, the
    default ``~/.cache/mmrec/data`` when nothing else applies, without raising.
    """
    if explicit is not None:
        folder = Path(explicit).expanduser()
        if must_exist and not folder.is_dir():
            raise DataHomeNotFound(f"the data home given explicitly (DATA_HOME / --data-home), {folder}, does not "
                                   f"exist. Fix the path, or pass None to use the search ($MMREC_DATA, mmrec.toml, "
                                   f"../shared/data, ~/.cache/mmrec/data).")
        return folder
    tried = []
    places = candidates(repo_root)
    for i, (where, folder, why_not) in enumerate(places):
        if folder is None:
            tried.append(f"  {where}: {why_not}")
            continue
        if folder.is_dir():
            return folder
        set_explicitly = i < 2            # $MMREC_DATA or mmrec.toml name a folder that is not there
        if set_explicitly and must_exist:
            raise DataHomeNotFound(
                f"{where} is {folder}, which does not exist (or is not a folder).\n"
                f"Fix: correct it, or unset it to use the rest of the search (../shared/data, ~/.cache/mmrec/data).")
        if set_explicitly:
            return folder
        tried.append(f"  {where}: {folder} (not found)")
    if not must_exist:
        return places[-1][1]
    raise DataHomeNotFound(
        "no data home found. Places tried, in order:\n" + "\n".join(tried) + "\n"
        "Fix: download the data (python -m mmrec_core download ml-100k, into ~/.cache/mmrec/data), or "
        f"export {ENV}=/path/to/data, or write {CONFIG_KEY} = \"/path/to/data\" in {config_file(repo_root)}.")


def use_data_home(explicit: str | os.PathLike | None = None, *, must_exist: bool = True) -> Path:
    """:func:`find_data_home`, exported as ``$MMREC_DATA`` when no data home was given explicitly
    (so the loaders' default and the kernels a runner starts see the same folder)."""
    folder = find_data_home(explicit, must_exist=must_exist)
    if explicit is None and not os.environ.get(ENV) and folder.is_dir():
        os.environ[ENV] = str(folder.resolve())
    return folder


__all__ = ["CONFIG_NAME", "DataHomeNotFound", "candidates", "config_file", "find_data_home", "use_data_home"]

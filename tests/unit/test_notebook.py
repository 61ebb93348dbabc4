"""The notebook context: parameter checks, the paper profile's data rule, commit stamping, figures."""
from __future__ import annotations

import pytest

from mmrec_core import notebook as nbctx
from mmrec_core.notebook import ParameterError, check_parameters, declared_parameters, start


def _namespace(**over):
    ns = dict(declared_parameters("10_baselines"))
    ns.update(over)
    return ns


def test_declared_parameters_are_read_from_the_source_notebook():
    params = declared_parameters("10_baselines")
    assert {"PROFILE", "DATASET", "SPLIT_SEED", "MODEL_SEEDS"} <= set(params)
    assert params["PROFILE"] == "paper" and params["MODEL_SEEDS"] == [0, 1, 2]


def test_misspelt_parameter_name_stops_naming_the_closest_one():
    with pytest.raises(ParameterError, match=r"'DATSET' \(did you mean 'DATASET'\?\)"):
        check_parameters("10_baselines", _namespace(DATSET="ml-1m"))


def test_unknown_parameter_value_lists_the_allowed_ones():
    with pytest.raises(ParameterError, match=r"PROFILE must be one of \['paper', 'quick'\], got 'fast'"):
        check_parameters("10_baselines", _namespace(PROFILE="fast"))
    with pytest.raises(ParameterError, match="DATASET"):
        check_parameters("10_baselines", _namespace(DATASET="ml-20m"))


def test_values_are_never_replaced(tmp_path):
    ctx = start("20_xia_fusion", {**declared_parameters("20_xia_fusion"), "PROFILE": "quick", "EPOCHS": 5,
                                  "RESULTS_DIR": str(tmp_path / "r")}, show_banner=False)
    assert ctx.parameters["EPOCHS"] == 5 and ctx.quick
    assert (ctx.data_home / "ml-100k" / "u.data").exists() and ctx.results_dir == tmp_path / "r"


def test_paper_profile_refuses_a_synthetic_data_home(synthetic_home_ro):
    with pytest.raises(ParameterError, match="synthetic"):
        start("10_baselines", _namespace(DATA_HOME=str(synthetic_home_ro)), show_banner=False)


def test_record_refuses_when_the_checkout_moved(tmp_path, monkeypatch):
    from mmrec_core import results
    from mmrec_core.results import ProvenanceError, ResultRow

    ctx = start("10_baselines", _namespace(PROFILE="quick", RESULTS_DIR=str(tmp_path)), show_banner=False)
    row = ResultRow(paper="xia", table="table2", dataset="ml-100k", split="s", model="SVD", metric="rmse",
                    value=0.93, profile="quick")
    monkeypatch.setattr(results, "git_commit", lambda short=False: ctx.commit)
    assert "1 rows" in ctx.record([row])
    monkeypatch.setattr(results, "git_commit", lambda short=False: "0123456789abcdef")
    with pytest.raises(ProvenanceError, match="moved"):
        ctx.record([row])


def test_pages_show_paths_relative_to_the_repository(tmp_path):
    shown = nbctx.show_path(nbctx.REPO_ROOT / "results" / "summary.csv")
    assert shown == "results/summary.csv"
    assert not nbctx.show_path(tmp_path).startswith("/")
    ctx = start("10_baselines", _namespace(PROFILE="quick"), show_banner=False)
    assert str(nbctx.REPO_ROOT) not in repr(ctx)


def test_figure_uses_one_file_name_scheme(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg", force=True)   # this test only; notebooks keep their inline backend
    import matplotlib.pyplot as plt

    monkeypatch.setenv(nbctx.BATCH_ENV, "1")
    ctx = start("20_xia_fusion", {**declared_parameters("20_xia_fusion"), "PROFILE": "quick",
                                  "RESULTS_DIR": str(tmp_path)}, show_banner=False)
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    ctx.figure(fig, "curves")
    assert (tmp_path / "figures" / "20_ml-100k_curves.png").stat().st_size > 0


def test_display_notes_shows_one_note_per_entry(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    nbctx.display_notes({"ml-1m": "ratings.dat missing"})
    nbctx.display_notes({})
    assert shown == ["```{note}\n**ml-1m skipped.** ratings.dat missing\n```"]


def test_markdown_text_puts_dollar_paths_in_backticks():
    text = ("$MMREC_DATA/ml-1m/ratings.dat: file not found. ml-1m is not (fully) in the data home $MMREC_DATA. "
            "Run `python -m mmrec_core download ml-1m` or unzip it into the data home ($MMREC_DATA).")
    out = nbctx.markdown_text(text)
    assert out.startswith("`$MMREC_DATA/ml-1m/ratings.dat`: file not found.")
    assert "data home `$MMREC_DATA`. Run" in out and "(`$MMREC_DATA`)." in out
    assert "`python -m mmrec_core download ml-1m`" in out            # a code span is left as it is
    assert nbctx.markdown_text("see `$MMREC_CACHE/x` here") == "see `$MMREC_CACHE/x` here"
    assert nbctx.markdown_text("no dollar here") == "no dollar here"
    # no $ outside a code span is left for MyST's dollarmath to pair up
    import re

    assert not re.search(r"\$", re.sub(r"`[^`]*`", "", out))


def test_display_notes_shows_dollar_paths_literally(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    nbctx.display_notes({"ml-1m": "$MMREC_DATA/ml-1m/ratings.dat: file not found. Set $MMREC_DATA."})
    assert shown == ["```{note}\n**ml-1m skipped.** `$MMREC_DATA/ml-1m/ratings.dat`: file not found. "
                     "Set `$MMREC_DATA`.\n```"]


def test_comparison_display_is_compact():
    import html

    import pandas as pd

    from mmrec_core.papers import TSEM_DATASET, compare, rows_frame
    from mmrec_core.results import ResultRow

    rows = [ResultRow(paper="tsem", table="models", dataset="ml-100k", split="s", model=m, subset="test", metric=k,
                      value=v, std=0.01, n_seeds=5) for m in ("NN", "MF") for k, v in (("rmse", 1.0), ("mse", 1.0))]
    side = compare(rows_frame(rows))
    styler, notes = nbctx.comparison_display(side[side.paper == "tsem"])
    shown = styler.data
    # the paper's dataset and ours in separate places; ours (the same for every row of ours) said once
    assert "ours on" not in shown.columns and set(shown.dataset) >= {TSEM_DATASET}
    caption = html.unescape(styler.caption)
    assert "ours on ml-100k" in caption and "ours over 5 seeds" in caption and "subset test" in caption
    assert "variant" not in shown.columns and "encoders (text / image)" not in shown.columns   # blank everywhere
    assert {"model", "metric", "paper", "ours", "± std", "ours − paper", "notes"} <= set(shown.columns)
    assert not any("nan" in str(v).lower() for v in shown.to_numpy().ravel())
    assert notes and all(n[0].isdigit() for n in notes)
    # ours on another dataset than the paper's in only some rows: a column
    mixed = side[side.paper == "tsem"].copy()
    mixed.loc[mixed.index[0], "ours_dataset"] = "ml-1m"
    shown = nbctx.comparison_display(mixed)[0].data
    assert "ours on" in shown.columns and set(shown["ours on"]) >= {"ml-1m", "ml-100k"}
    assert isinstance(shown, pd.DataFrame)


def test_glue_names_a_number_by_page_for_the_prose(tmp_path, monkeypatch):
    import myst_nb

    glued = []
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display=True: glued.append((key, value, display)))
    ctx = start("20_xia_fusion", {**declared_parameters("20_xia_fusion"), "PROFILE": "quick",
                                  "RESULTS_DIR": str(tmp_path)}, show_banner=False)
    ctx.glue("untrained_loss", 1.829)
    assert glued == [("20-untrained_loss", 1.829, False)]
    # the page's prose refers to it by that key
    source = (nbctx.REPO_ROOT / "notebooks" / "20_xia_fusion.ipynb").read_text()
    assert "{glue:text}`20-untrained_loss:.3f`" in source and "log 5 = 1.609;" in source
    glued.clear()
    ctx.glue_all({"a": 1.0, "b": "above the figure"})
    assert glued == [("20-a", 1.0, False), ("20-b", "above the figure", False)]

"""Typed notebook parameters: the forms papermill delivers are converted, anything else is refused
in the first cell with the parameter, the value given and the expected form."""
from __future__ import annotations

import ast
import time

import nbformat
import pytest

from mmrec_core import notebook as nbctx
from mmrec_core.notebook import check_parameters, declared_parameters, declared_types, start
from mmrec_core.parameters import ParameterError, ParamType, coerce, type_of_annotation, type_of_default

SEEDS = ParamType("list", item=ParamType("int"))


def _ns(notebook="20_xia_fusion", **over):
    return {**declared_parameters(notebook), **over}


@pytest.mark.parametrize("given, expected", [
    ("[0, 1, 2, 3, 4]", [0, 1, 2, 3, 4]),     # -p SEEDS "[0, 1, 2, 3, 4]": papermill passes the text
    ("[0,1,2]", [0, 1, 2]),
    ([0, 1, 2], [0, 1, 2]),                    # -y "SEEDS: [0, 1, 2]" or -f config.yaml
    (3, [0, 1, 2]),                            # -p SEEDS 3: a count of seeds
    ("3", [0, 1, 2]),                          # the same, typed as text (-r SEEDS 3)
    ((4, 5), [4, 5]),
])
def test_seed_lists_accept_what_a_papermill_user_types(given, expected):
    assert coerce("20_xia_fusion", "SEEDS", given, SEEDS, [0, 1, 2, 3, 4]) == expected


@pytest.mark.parametrize("given", ["[0, 1, 2", "abc", 0, -2, 2.5, True, [0, "a"], [0, 1.5], None, {"a": 1}])
def test_bad_seed_values_are_refused_naming_the_parameter_value_and_form(given):
    with pytest.raises(ParameterError) as err:
        coerce("20_xia_fusion", "SEEDS", given, SEEDS, [0, 1, 2, 3, 4])
    msg = str(err.value)
    assert msg.startswith("20_xia_fusion: parameter SEEDS got ")
    assert repr(given) in msg or repr(list(given)) in msg if isinstance(given, (list, tuple)) else repr(given) in msg
    assert "expected a list of integers" in msg and '-p SEEDS "[0, 1, 2, 3, 4]"' in msg and "-p SEEDS 3" in msg
    assert len(msg.splitlines()) <= 3


def test_a_count_means_seeds_only_for_seed_lists():
    hidden = ParamType("list", item=ParamType("int"))
    with pytest.raises(ParameterError, match=r"HIDDEN got 256 \(an integer\); expected a list of integers \("):
        coerce("23_aljunid", "HIDDEN", 256, hidden, [128, 64])
    assert coerce("23_aljunid", "HIDDEN", "[256]", hidden, [128, 64]) == [256]


@pytest.mark.parametrize("ptype, given, expected", [
    (ParamType("int"), 7, 7),
    (ParamType("int"), "7", 7),
    (ParamType("float"), 1, 1.0),
    (ParamType("float"), "1e-3", 1e-3),
    (ParamType("float"), 5e-4, 5e-4),
    (ParamType("bool"), False, False),
    (ParamType("bool"), "false", False),
    (ParamType("bool"), "True", True),
    (ParamType("str"), "ml-1m", "ml-1m"),
    (ParamType("str", optional=True, folder=True), None, None),
    (ParamType("str", optional=True, folder=True), "none", None),
    (ParamType("int", optional=True), None, None),
    (ParamType("int", optional=True), "None", None),
    (ParamType("list", item=ParamType("float")), "[0.8, 0.1, 0.1]", [0.8, 0.1, 0.1]),
    (ParamType("list", item=ParamType("float")), [1, 0, 0], [1.0, 0.0, 0.0]),
    (ParamType("list", item=ParamType("bool")), "[false, true]", [False, True]),
    (ParamType("list", item=ParamType("str")), '["SVD", "SVDpp"]', ["SVD", "SVDpp"]),
])
def test_scalars_and_lists_are_converted(ptype, given, expected):
    out = coerce("nb", "X", given, ptype)
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize("ptype, given, fragment", [
    (ParamType("int"), "ten", "'ten' (a string that is not an integer)"),
    (ParamType("int"), 2.0, "2.0 (a number)"),
    (ParamType("int"), True, "True (a True/False flag)"),
    (ParamType("float"), "fast", "'fast' (a string that is not a number)"),
    (ParamType("bool"), 1, "1 (an integer)"),
    (ParamType("bool"), "yes", "'yes' (a string that is not True or False)"),
    (ParamType("str"), 3, "3 (an integer)"),
    (ParamType("str"), None, "got None"),
    (ParamType("list", item=ParamType("str")), "ml-1m", "'ml-1m' (a string that is not a list of strings)"),
])
def test_wrong_types_are_refused(ptype, given, fragment):
    with pytest.raises(ParameterError) as err:
        coerce("nb", "X", given, ptype)
    assert fragment in str(err.value) and f"expected {ptype.describe()}" in str(err.value)


def test_types_come_from_defaults_annotations_and_the_common_folders():
    assert type_of_default([0, 1]) == SEEDS and type_of_default(5e-4) == ParamType("float")
    assert type_of_default([1e-3, 1]) == ParamType("list", item=ParamType("float"))
    assert type_of_default(True) == ParamType("bool") and type_of_default(None) is None and type_of_default([]) is None
    ann = ast.parse("X: int | None = 1").body[0].annotation
    assert type_of_annotation(ann) == ParamType("int", optional=True)
    assert type_of_annotation(ast.parse("X: list[str] = []").body[0].annotation) == ParamType("list", item=ParamType("str"))
    assert type_of_annotation(ast.parse("X: dict = {}").body[0].annotation) is None
    types = declared_types("22_siet")
    assert types["NUM_THREADS"] == ParamType("int", optional=True) and types["DIVERSIFY"].item == ParamType("bool")
    assert types["DATA_HOME"].optional and types["DATA_HOME"].folder and types["SEEDS"] == SEEDS
    assert declared_types("01_features")["SHOW_POSTERS"] == ParamType("bool", optional=True)
    assert declared_types("23_aljunid")["THREADS"] == ParamType("int", optional=True)


def test_every_notebooks_defaults_pass_their_own_check():
    for path in sorted(nbctx.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        defaults = declared_parameters(path)
        assert check_parameters(path, dict(defaults)) == defaults, path.stem


def _notebook_with(tmp_path, source):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "95_toy.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_a_none_default_without_an_annotation_is_an_error_of_the_notebook(tmp_path):
    path = _notebook_with(tmp_path, 'PROFILE = "quick"\nLIMIT = None\n')
    with pytest.raises(ParameterError, match=r"95_toy: the parameters cell declares LIMIT = None.*annotate it, "
                                             r"e\.g\. `LIMIT: int \| None = None`"):
        declared_types(path)
    annotated = _notebook_with(tmp_path, 'PROFILE = "quick"\nLIMIT: int | None = None\n')
    assert check_parameters(annotated, {"PROFILE": "quick", "LIMIT": "12"}) == {"PROFILE": "quick", "LIMIT": 12}


def test_start_writes_the_typed_values_back_into_the_notebook(tmp_path):
    ns = _ns(PROFILE="quick", SEEDS="[0, 1]", EPOCHS="2", TABLE2_LR=1, BF16="False", RESULTS_DIR=str(tmp_path))
    ctx = start("20_xia_fusion", ns, show_banner=False)
    assert ns["SEEDS"] == [0, 1] and ns["EPOCHS"] == 2 and ns["TABLE2_LR"] == 1.0 and ns["BF16"] is False
    assert ctx.parameters["SEEDS"] == [0, 1]


def test_start_refuses_a_bad_value_within_a_second_before_touching_any_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    t0 = time.perf_counter()
    with pytest.raises(ParameterError, match="parameter SEEDS got '\\[0, 1, 2' "):
        start("20_xia_fusion", _ns(SEEDS="[0, 1, 2", RESULTS_DIR=str(tmp_path / "res")), show_banner=False)
    assert time.perf_counter() - t0 < 1.0
    assert not (tmp_path / "cache").exists() and not (tmp_path / "res").exists()


def test_the_kernel_shows_the_message_not_the_stack():
    err = ParameterError("20_xia_fusion: parameter SEEDS got 'x'")
    assert err._render_traceback_() == ["ParameterError: 20_xia_fusion: parameter SEEDS got 'x'"]


def test_check_only_mode_checks_and_generates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(nbctx.CHECK_ONLY_ENV, "1")
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    ctx = start("20_xia_fusion", _ns(PROFILE="quick", SEEDS=2, RESULTS_DIR=str(tmp_path / "res")))
    out = capsys.readouterr().out
    assert "MMREC_CHECK_ONLY: 20_xia_fusion checked, the other cells are skipped" in out and "SEEDS=[0, 1]" in out
    assert ctx.parameters["SEEDS"] == [0, 1]
    assert not (tmp_path / "cache" / "synthetic").exists()          # no synthetic home was generated
    with pytest.raises(ParameterError, match="EPOCHS"):
        start("20_xia_fusion", _ns(PROFILE="quick", EPOCHS="many", RESULTS_DIR=str(tmp_path / "res")))
    monkeypatch.setenv(nbctx.CHECK_ONLY_ENV, "0")
    assert not nbctx.check_only()


def test_check_only_empties_the_following_cells_in_a_kernel(tmp_path, monkeypatch):
    """In IPython the cells after ``start`` run empty (the README's commands are checked in seconds)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        monkeypatch.setattr(nbctx, "_ipython", lambda: shell)
        monkeypatch.setenv(nbctx.CHECK_ONLY_ENV, "1")
        start("20_xia_fusion", _ns(PROFILE="quick", RESULTS_DIR=str(tmp_path)), show_banner=False)
        shell.run_cell("TOUCHED = 1")
        assert "TOUCHED" not in shell.user_ns
    finally:
        InteractiveShell.clear_instance()

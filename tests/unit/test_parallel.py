"""``run --jobs N``: the training pages split into balanced single-thread queues, then the results pages."""
from __future__ import annotations

import json
import sys

import pytest

from mmrec_core import parallel


def test_queues_balance_the_recorded_costs_and_keep_the_book_order():
    costs = {"00_data": 5, "01_features": 120, "10_baselines": 300, "20_xia_fusion": 14000,
             "22_siet": 250, "30_tsem": 1000, "40_ours": 2000, "41_fusion_content": 12000}
    queues = parallel.plan_queues(costs, 2)
    assert sorted(sum(queues, [])) == sorted(costs) and len(queues) == 2
    assert all(q == sorted(q) for q in queues)                      # book order inside a queue
    loads = sorted(sum(costs[p] for p in q) for q in queues)
    assert "20_xia_fusion" in queues[0] and "41_fusion_content" in queues[1] or \
           "20_xia_fusion" in queues[1] and "41_fusion_content" in queues[0]       # the two big ones apart
    assert loads[1] - loads[0] <= max(costs.values())
    assert parallel.plan_queues({"a": 1.0}, 3) == [["a"]]            # no empty queue
    with pytest.raises(ValueError, match="at least 1"):
        parallel.plan_queues(costs, 0)


def test_a_page_costs_its_training_ledger_plus_its_wall_time(tmp_path):
    (tmp_path / "training").mkdir()
    (tmp_path / "runs").mkdir()
    (tmp_path / "training" / "20_x.json").write_text(json.dumps({"runs": {"a": {"seconds": 800.0}, "b": {"seconds": 200.0}}}))
    (tmp_path / "runs" / "20_x.json").write_text(json.dumps({"seconds": 17.0}))
    assert parallel.page_cost("20_x", tmp_path) == 1017.0
    assert parallel.page_cost("99_new", tmp_path) == 1.0


def test_queue_commands_pass_the_options_through():
    cmd = parallel.queue_command(["10_baselines", "30_tsem"], "quick", True, "out", "res", {"SEEDS": [0, 1]})
    assert cmd[:3] == [sys.executable, "-m", "mmrec_core"]
    assert cmd[3:] == ["run", "--profile", "quick", "--only", "10_baselines", "30_tsem", "--force",
                       "--output-dir", "out", "--results-dir", "res", "-p", "SEEDS", "[0, 1]"]


class _FakeProcess:
    def __init__(self, code):
        self.code = code

    def wait(self):
        return self.code


def test_training_queues_run_single_threaded_and_the_results_pages_after(monkeypatch):
    started, read = [], []

    def popen(cmd, env):
        started.append((cmd[cmd.index("--only") + 1:], env["OMP_NUM_THREADS"]))
        return _FakeProcess(0)

    monkeypatch.setattr("mmrec_core.runner.run_notebooks",
                        lambda profile, only, *a, **k: read.append(list(only)) or [{"status": "ok"}])
    code = parallel.run_parallel(2, "paper", only=["10_baselines", "30_tsem", "40_ours", "90_paper_vs_ours"],
                                 popen=popen)
    assert code == 0 and len(started) == 2 and all(threads == "1" for _, threads in started)
    assert sorted(p for cmd, _ in started for p in cmd if not p.startswith("-")) == ["10_baselines", "30_tsem", "40_ours"]
    assert read == [["90_paper_vs_ours"]]


def test_a_failed_queue_stops_the_results_pages(monkeypatch):
    read = []
    monkeypatch.setattr("mmrec_core.runner.run_notebooks", lambda *a, **k: read.append(a) or [])
    codes = iter([0, 1])
    assert parallel.run_parallel(2, "paper", only=["10_baselines", "30_tsem", "90_paper_vs_ours"],
                                 popen=lambda cmd, env: _FakeProcess(next(codes))) == 1
    assert read == []
    codes = iter([130, 0])
    assert parallel.run_parallel(2, "paper", only=["10_baselines", "30_tsem"],
                                 popen=lambda cmd, env: _FakeProcess(next(codes))) == 130


def test_the_command_line_refuses_zero_jobs(capsys):
    from mmrec_core.__main__ import main

    assert main(["run", "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err

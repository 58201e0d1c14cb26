"""``opsplan bench gui``: the synthetic plan and the measurement (numbers only checked for sanity)."""

from __future__ import annotations

import json

from opsplan.app.gui.bench import bench_gui, bench_scenario, main


def test_bench_scenario_has_exactly_the_requested_operations():
    assert bench_scenario(2000).n_operations == 2000
    sc = bench_scenario(2003)
    assert sc.n_operations == 2003 and len(sc.machines) == 20
    assert bench_scenario(7).n_operations == 7


def test_bench_gui_returns_sane_numbers(qtbot):
    r = bench_gui(bars=2000, steps=5)
    assert r["operations"] == 2000 and r["assignments"] == 2000 and r["lanes"] == 20
    assert r["open_ms"] > 0 and sum(r["open_breakdown_ms"].values()) <= r["open_ms"] + 1
    for key in ("zoom_ms", "pan_ms", "frame_ms"):
        st = r[key]
        assert 0 < st["median"] <= st["p90"] <= st["max"]
    assert r["zoom_ms"]["n"] == r["pan_ms"]["n"] == 5 and r["frame_ms"]["n"] == 10
    assert r["frames_painted"] >= 10  # every measured step painted the viewport
    assert r["env"]["platform"] and r["env"]["qt"].startswith("6.")


def test_main_prints_json(qtbot, capsys):
    assert main(["--bars", "300", "--steps", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["operations"] == 300 and out["steps"] == 2


def test_main_prints_a_report(qtbot, capsys):
    assert main(["gui", "--bars", "100", "--steps", "1"]) == 0
    text = capsys.readouterr().out
    assert "open + layout + first paint" in text and "zoom frames" in text

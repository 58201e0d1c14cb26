"""Policy training: the scoring network, ONNX export and card, self-labeling on generated instances."""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import inspect
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from opsplan.policies.features import FeatureSpec  # noqa: E402
from opsplan.policies.jobshop_env import JobShopEnv  # noqa: E402
from opsplan.policies.jobshop_features import JOBSHOP_V1  # noqa: E402
from opsplan.policies.training.export import (  # noqa: E402
    check_onnx,
    export_onnx,
    random_batch,
    read_metadata,
    write_card,
)
from opsplan.policies.training.model import MASKED_SCORE, ScoringNet  # noqa: E402
from opsplan.policies.training.train import (  # noqa: E402
    TrainConfig,
    _sample,
    evaluate,
    generate_instance,
    generate_instances,
    onnx_policy,
    replay,
    torch_policy,
    train,
    train_from_card,
)

SPEC = JOBSHOP_V1
MICRO = TrainConfig(
    iterations=3, instances=4, samples=4, jobs=(4, 4), machines=(4, 4), seed=7, eval_every=2, eval_instances=2
)
CARD_KEYS = {"name", "kind", "onnx", "sha256", "features", "architecture", "training", "quality", "speed"}
TRAINING_KEYS = {"method", "data", "instances", "iterations", "samples", "seed", "time_s", "command", "torch"}


@pytest.fixture(scope="module")
def net():
    """An untrained scoring network for the job-shop v1 spec (seed 3)."""
    return ScoringNet(SPEC.n_candidate, SPEC.n_global, hidden=32, seed=3).eval()


@pytest.fixture(scope="module")
def exported(net, tmp_path_factory):
    """``net`` exported to ONNX with its metadata."""
    return export_onnx(net, SPEC, tmp_path_factory.mktemp("onnx") / "net.onnx", "net")


@pytest.fixture(scope="module")
def micro(tmp_path_factory):
    """A micro self-labeling run (3 iterations of 4 tiny 4x4 instances, 4 samples); records every opened file."""
    opened: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kw):
        opened.append(str(file))
        return real_open(file, *args, **kw)

    out = tmp_path_factory.mktemp("micro")
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "open", spy)
        mp.setattr(io, "open", spy)
        card = train(MICRO, out, "micro", log=lines.append)
    return card, out, opened, lines


def _run(model, cand, mask, glob):
    with torch.no_grad():
        return model(torch.from_numpy(cand), torch.from_numpy(mask), torch.from_numpy(glob)).numpy()


# -- the network ------------------------------------------------------------------------------------
def test_scores_respect_the_mask(net):
    """Masked slots score MASKED_SCORE; padding values never change the feasible scores; order is equivariant."""
    rng = np.random.default_rng(0)
    cand, mask, glob = random_batch(9, 6, SPEC, rng)
    s = _run(net, cand, mask, glob)
    assert s.shape == mask.shape and s.dtype == np.float32
    assert (s[~mask] == MASKED_SCORE).all()
    assert np.isfinite(s[mask]).all() and (s[mask] > MASKED_SCORE / 2).all()
    noisy = cand + (~mask)[..., None] * rng.normal(size=cand.shape).astype(np.float32) * 100
    np.testing.assert_allclose(_run(net, noisy, mask, glob)[mask], s[mask], atol=1e-5)
    # the feasible candidates of row 0, reversed: their scores reverse too
    n = int(mask[0].sum())
    rev = cand[:1].copy()
    rev[0, :n] = cand[0, :n][::-1]
    np.testing.assert_allclose(_run(net, rev, mask[:1], glob[:1])[0, :n], s[0, :n][::-1], atol=1e-5)


def test_init_is_seeded():
    """The same seed gives the same parameters, another seed others."""
    a, b, c = (ScoringNet(SPEC.n_candidate, SPEC.n_global, seed=s) for s in (1, 1, 2))
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


# -- export --------------------------------------------------------------------------------------------
def test_onnx_agrees_with_torch(net, exported):
    """onnxruntime (CPU) and torch agree within 1e-4 on several batch/candidate sizes, K=1 and padded rows."""
    sizes = [(1, 1), (4, 1), (2, 2), (5, 7), (33, 19), (3, 40)]
    assert check_onnx(net, exported, SPEC, sizes, seed=1) < 1e-4


def test_onnx_inputs_outputs_and_metadata(exported):
    """The file has the contract's inputs (bool mask, dynamic axes), output and metadata; the spec round-trips."""
    sess = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    ins = {i.name: i for i in sess.get_inputs()}
    assert list(ins) == ["candidates", "mask", "globals"]
    assert ins["candidates"].type == "tensor(float)" and ins["globals"].type == "tensor(float)"
    assert ins["mask"].type == "tensor(bool)"
    assert ins["candidates"].shape[2] == SPEC.n_candidate and ins["globals"].shape[1] == SPEC.n_global
    assert all(isinstance(d, str) for d in ins["candidates"].shape[:2] + ins["mask"].shape)
    (out,) = sess.get_outputs()
    assert out.name == "scores" and out.type == "tensor(float)"
    meta = read_metadata(exported)
    assert meta["opsplan.kind"] == "jobshop"
    assert meta["opsplan.policy"] == "net"
    assert meta["opsplan.format"] == "1" and meta["opsplan.scheme"] == "active"
    assert FeatureSpec.from_dict(json.loads(meta["opsplan.features"])) == SPEC


def test_a_policy_trained_on_the_nondelay_scheme_runs_on_it(net, tmp_path):
    """The scheme a policy was trained on goes into its file, so the runtime does not fall back to 'active'."""
    from opsplan.policies.runtime import load_policy

    path = export_onnx(net, SPEC, tmp_path / "nd.onnx", "nd", scheme="nondelay")
    assert read_metadata(path)["opsplan.scheme"] == "nondelay"
    assert load_policy(path).scheme == "nondelay"


def test_card_sha256_matches_the_file(exported, net):
    """write_card puts <name>.json beside the file, with its SHA-256 and every field."""
    path, card = write_card("net", SPEC, exported, net.architecture(), {"method": "none"})
    assert path == exported.with_name("net.json")
    on_disk = json.loads(path.read_text())
    assert on_disk == card and set(card) == CARD_KEYS
    assert card["sha256"] == hashlib.sha256(exported.read_bytes()).hexdigest()
    assert card["onnx"] == "net.onnx" and FeatureSpec.from_dict(card["features"]) == SPEC


# -- instances -----------------------------------------------------------------------------------------
def test_generator_takes_only_numbers():
    """Training instances are generated from seeds and sizes only, reproducibly, within the configured ranges."""
    params = inspect.signature(generate_instance).parameters
    assert set(params) == {"seed", "n_jobs", "n_machines", "flexible", "low", "high", "name"}
    cfg = TrainConfig(instances=12, jobs=(6, 12), machines=(5, 8), flexible_fraction=0.5, seed=3)
    a, b = generate_instances(cfg, 2), generate_instances(cfg, 2)
    assert a == b and a != generate_instances(cfg, 3)
    assert {s.name for s in generate_instances(cfg, -1)}.isdisjoint({s.name for s in generate_instances(cfg, 1)})
    assert len({(len(sc.jobs), len(sc.machines)) for sc in a}) == 1  # one size per training iteration
    sizes = {(len(sc.jobs), len(sc.machines)) for i in range(8) for sc in generate_instances(cfg, i)}
    assert len(sizes) > 1 and len({(len(sc.jobs), len(sc.machines)) for sc in generate_instances(cfg, -1)}) > 1
    for sc in a + generate_instances(cfg, -1):
        assert sc.name.startswith("gen-")
        assert 6 <= len(sc.jobs) <= 12 and 5 <= len(sc.machines) <= 8
        durations = [m.duration for j in sc.jobs for o in j.operations for m in o.modes]
        assert 1 <= min(durations) and max(durations) <= 99
    assert any(len(o.modes) > 1 for sc in a for j in sc.jobs for o in j.operations)


def test_replay_reproduces_the_sampled_schedules():
    """Replaying recorded actions gives the same objective and one labelled decision per action."""
    scs = generate_instances(dataclasses.replace(MICRO, jobs=(5, 5), machines=(4, 4)), 0)
    env = JobShopEnv(scs, 3, SPEC)
    net = ScoringNet(SPEC.n_candidate, SPEC.n_global, hidden=16)
    actions = _sample(env, torch_policy(net), np.random.default_rng(0), 1.0, True)
    best = env.best_per_scenario()
    data, values = replay(scs, [actions[b.env] for b in best], SPEC, "active")
    assert values == [b.value for b in best]
    assert len(data) == sum(len(actions[b.env]) for b in best)
    assert all(0 <= lab < c.shape[0] for lab, c in zip(data.labels, data.candidates))


# -- training ------------------------------------------------------------------------------------------
def test_micro_training_returns_a_full_card(micro):
    """A micro run writes the ONNX file and a card with every field; the loss is finite; progress is logged."""
    card, out, _, lines = micro
    assert set(card) == CARD_KEYS and TRAINING_KEYS <= set(card["training"])
    tr = card["training"]
    assert tr["method"] == "self-labeling" and tr["iterations"] == 3 and tr["instances"] == 12
    assert tr["samples"] == 4 and tr["seed"] == 7 and tr["torch"] == torch.__version__
    assert "benchmark" in tr["data"] and tr["time_s"] >= 0
    assert [row["it"] for row in tr["curve"]] == [0, 1, 2]
    assert all(math.isfinite(row["loss"]) and row["loss"] >= 0 for row in tr["curve"])
    assert all(row["best_vs_mwkr"] <= row["greedy_vs_mwkr"] + 1e-9 for row in tr["curve"])
    assert sum(line.startswith("it ") for line in lines) == 3 and "mwkr" in lines[0]
    assert sum(line.startswith("eval after it") for line in lines) == 2  # after it 1 and after the last
    assert tr["selected"]["it"] in (1, 2) and tr["selected"]["heldout_vs_mwkr"] > 0
    onnx_file = out / card["onnx"]
    assert json.loads((out / "micro.json").read_text()) == card
    assert card["sha256"] == hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    assert read_metadata(onnx_file)["opsplan.policy"] == "micro"


def test_training_never_reads_the_benchmarks(micro):
    """Nothing under a benchmarks folder is opened during training (the data are generated)."""
    _, _, opened, _ = micro
    assert not [p for p in opened if "benchmark" in Path(p).as_posix().lower()]


def test_training_is_reproducible_from_its_card(micro, tmp_path):
    """Re-running the card's training gives the same losses and makespans (same seed, same machine)."""
    card, _, _, _ = micro
    again = train_from_card(card, tmp_path, log=lambda s: None)
    first = [{k: v for k, v in r.items() if k != "seconds"} for r in card["training"]["curve"]]
    second = [{k: v for k, v in r.items() if k != "seconds"} for r in again["training"]["curve"]]
    assert first == second
    assert again["training"]["config"] == card["training"]["config"]
    assert again["training"]["selected"] == card["training"]["selected"]


def test_bad_config_is_refused():
    """Impossible settings and unknown card keys raise."""
    with pytest.raises(ValueError, match="instances"):
        TrainConfig(instances=0)
    with pytest.raises(ValueError, match="jobs"):
        TrainConfig(jobs=(10, 5))
    with pytest.raises(ValueError, match="eval_every"):
        TrainConfig(eval_every=-1)
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"nonsense": 1})
    assert TrainConfig.from_dict(MICRO.as_dict()) == MICRO


def test_evaluate_torch_and_onnx_agree(net, exported):
    """Greedy evaluation against the best rule: a torch model and its ONNX file build the same schedules."""
    scs = generate_instances(MICRO, -1, count=2)
    by_torch = evaluate(net, scs, rules=["mwkr", "spt"])
    by_onnx = evaluate(onnx_policy(exported), scs, rules=["mwkr", "spt"])
    assert by_torch.policy == by_onnx.policy and by_torch.rules == by_onnx.rules
    assert len(by_onnx.ratios) == 2 and all(r > 0 for r in by_onnx.ratios)
    assert math.isclose(by_onnx.mean_ratio, float(np.mean(by_onnx.ratios)))
    assert all(name.split("/")[0] in {"mwkr", "spt"} for name in by_onnx.rule_names)


def test_publish_renames_and_keeps_the_weights(micro, tmp_path):
    """publish copies a trained policy under a new name: same scores, new metadata/card name, figures merged."""
    from opsplan.policies.runtime import load_policy
    from opsplan.policies.training.export import publish

    card, out, _, _ = micro
    path, new = publish(out / "micro.json", tmp_path / "shipped", "renamed", quality={"q": 1}, speed={"s": 2})
    assert path == tmp_path / "shipped" / "renamed.json" and new["name"] == "renamed"
    assert new["onnx"] == "renamed.onnx" and new["quality"]["q"] == 1 and new["speed"]["s"] == 2
    assert new["training"]["command"] == "opsplan policy train --card renamed.json"
    assert new["training"]["config"] == card["training"]["config"]
    onnx_file = tmp_path / "shipped" / "renamed.onnx"
    assert new["sha256"] == hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    assert read_metadata(onnx_file)["opsplan.policy"] == "renamed"
    a, b = load_policy(str(out / "micro.onnx")), load_policy(str(path))
    assert b.name == "renamed"
    from opsplan.models.jobshop.build import random_jobshop

    sc = random_jobshop(6, 4, seed=1)
    assert a.rollout([sc])[0].schedule.assignments == b.rollout([sc])[0].schedule.assignments

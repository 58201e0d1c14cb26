"""The ONNX policy runtime: quiet provider choice, validation on load, batched greedy and best-of-N rollouts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from opsplan.models import check, objective_value
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.jobshop.checker import DEADLINE_MISSED
from opsplan.policies import runtime
from opsplan.policies.jobshop_env import JobShopEnv
from opsplan.policies.jobshop_features import JOBSHOP_V1
from opsplan.policies.runtime import (
    CPU,
    CUDA,
    PolicyFileError,
    ProviderError,
    available_providers,
    choose_providers,
    load_policy,
)

from tests.policies import tiny_onnx
from tests.policies.tiny_onnx import SPT_WEIGHTS, model, weights, write

DUR = JOBSHOP_V1.candidate.index("duration")


@pytest.fixture
def spt_file(tmp_path):
    """A linear SPT policy (weight -1 on duration) with its card, in a temporary folder."""
    return write(tmp_path / "spt.onnx", card=True, name="spt")


@pytest.fixture
def shops():
    """Three small shops: classic 6x4, 8x5 and a flexible 5x3."""
    return [
        random_jobshop(6, 4, seed=1),
        random_jobshop(8, 5, seed=2),
        random_jobshop(5, 3, seed=3, flexible=2),
    ]


def _cells(schedule):
    return sorted((a.task, a.resource, a.start, a.end) for a in schedule.work())


def _no_ort_noise(err: str) -> None:
    for word in ("onnxruntime", "libcublas", "CUDAExecutionProvider", "Failed to load"):
        assert word not in err, err


# -- providers -------------------------------------------------------------------------------------
def test_loads_on_the_working_provider_without_noise(spt_file, capfd, monkeypatch):
    """The probe runs again here; the session reports the provider that really works and stderr stays clean."""
    monkeypatch.delenv(runtime.ENV_PROVIDER, raising=False)
    monkeypatch.setattr(runtime, "_PROBE", None)
    policy = load_policy(spt_file, cache=False)
    assert policy.name == "spt" and policy.kind == "jobshop" and policy.spec == JOBSHOP_V1
    assert policy.card is not None and policy.card["name"] == "spt"
    expected = CUDA if CUDA in available_providers() else CPU
    assert policy.provider == expected
    if runtime.cuda_unavailable_reason():  # no GPU here: onnxruntime-gpu falls back to the CPU
        assert policy.provider == CPU and available_providers() == (CPU,)
    out = capfd.readouterr()
    _no_ort_noise(out.err)
    assert out.out == ""


def test_fresh_process_is_quiet(spt_file):
    """In a new interpreter (the provider loader's first try) nothing of ONNX Runtime reaches stderr."""
    code = (
        "from opsplan.policies.runtime import load_policy\n"
        f"p = load_policy({str(spt_file)!r})\n"
        "print(p.provider)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != runtime.ENV_PROVIDER}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in (CPU, CUDA)
    _no_ort_noise(out.stderr)
    assert out.stderr.strip() == ""


def test_stderr_restored_after_a_failed_load(tmp_path, capfd):
    """A refused file leaves fd 2 as it was: later writes to stderr still arrive."""
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00not a model at all" * 10)
    with pytest.raises(PolicyFileError):
        load_policy(bad)
    os.write(2, b"still here\n")
    assert "still here" in capfd.readouterr().err


def test_forced_cpu(monkeypatch):
    """OPSPLAN_ORT_PROVIDER=cpu gives the CPU only; an unknown value is a clear error."""
    monkeypatch.setenv(runtime.ENV_PROVIDER, "cpu")
    assert choose_providers() == [CPU]
    assert choose_providers("CPUExecutionProvider") == [CPU]
    monkeypatch.setenv(runtime.ENV_PROVIDER, "tpu")
    with pytest.raises(ProviderError, match="unknown ONNX Runtime provider 'tpu'"):
        choose_providers()


def test_forced_cuda_without_gpu_is_a_clear_error(spt_file, monkeypatch, capfd):
    """OPSPLAN_ORT_PROVIDER=cuda where CUDA does not work: ProviderError saying why, no loader noise."""
    if CUDA in available_providers():
        pytest.skip("CUDA works on this machine")
    monkeypatch.setenv(runtime.ENV_PROVIDER, "cuda")
    with pytest.raises(ProviderError, match=r"OPSPLAN_ORT_PROVIDER=cuda.*CUDAExecutionProvider does not work here"):
        load_policy(spt_file, cache=False)
    with pytest.raises(ProviderError, match="CUDA was asked for"):
        choose_providers("cuda")
    _no_ort_noise(capfd.readouterr().err)


# -- scoring and rollouts ----------------------------------------------------------------------------
def test_score_masks_and_matches_the_linear_model(spt_file, shops):
    """One inference scores the whole batch: -duration on candidates, -inf on masked slots, float32."""
    policy = load_policy(spt_file)
    env = JobShopEnv(shops, rollouts=2)
    obs = env.observe()
    s = policy.score(obs)
    assert s.dtype == np.float32 and s.shape == obs.mask.shape
    assert np.isneginf(s[~obs.mask]).all()
    np.testing.assert_allclose(s[obs.mask], -obs.candidates[..., DUR][obs.mask], rtol=1e-6)


def test_greedy_rollout_equals_env_greedy(spt_file, shops):
    """The SPT-like policy's greedy rollout is the env's greedy rollout on the same scores, and it checks."""
    policy = load_policy(spt_file)
    got = policy.rollout(shops)
    env = JobShopEnv(shops)
    want = env.rollout(lambda obs: -obs.candidates[..., DUR])
    for sc, g, w in zip(shops, got, want, strict=True):
        assert _cells(g.schedule) == _cells(w)
        assert g.value == objective_value(sc, w)
        assert [v for v in check(sc, g.schedule) if v.code != DEADLINE_MISSED] == []
        assert g.rollouts == 1
    stats = got[0].stats
    assert stats["provider"] == policy.provider and stats["chunks"] == 1 and stats["rollouts"] == 3
    assert stats["inference_calls"] > 0 and stats["decisions"] >= stats["inference_calls"]
    assert stats["inference_s"] > 0 and stats["env_s"] > 0


def test_greedy_is_chunked_the_same(spt_file, shops):
    """max_batch only changes how many environments step together, never a greedy schedule."""
    policy = load_policy(spt_file)
    one = policy.rollout(shops, max_batch=1)
    assert one[0].stats["chunks"] == 3
    assert [_cells(r.schedule) for r in one] == [_cells(r.schedule) for r in policy.rollout(shops)]


@pytest.mark.parametrize("max_batch", [1024, 3])
def test_best_of_n_never_worse_than_greedy_and_deterministic(tmp_path, shops, max_batch):
    """Best of 8 (greedy first) is at most the greedy objective, and the same for the same seed."""
    rng = np.random.default_rng(7)
    path = write(tmp_path / "rand.onnx", w=rng.normal(size=(JOBSHOP_V1.n_candidate, 1)).astype(np.float32))
    policy = load_policy(path)
    greedy = policy.rollout(shops)
    best = policy.rollout(shops, samples=8, seed=11, max_batch=max_batch)
    again = policy.rollout(shops, samples=8, seed=11, max_batch=max_batch)
    for sc, g, b, a in zip(shops, greedy, best, again, strict=True):
        assert b.value <= g.value
        assert b.rollouts == 8
        assert b.value == objective_value(sc, b.schedule)
        assert check(sc, b.schedule) == []
        assert _cells(a.schedule) == _cells(b.schedule)
    assert best[0].stats["rollouts"] == 24


def test_rollout_stops_when_asked(spt_file, shops):
    """should_stop drops the running chunk and keeps the finished ones."""
    policy = load_policy(spt_file)
    seen = []
    calls = {"n": 0}

    def stop_after_first_chunk() -> bool:
        calls["n"] += 1
        return bool(seen)

    got = policy.rollout(shops, samples=4, max_batch=4, should_stop=stop_after_first_chunk, on_chunk=seen.append)
    assert len(seen) == 1 and got[0].stats["stopped"] and got[0].stats["chunks"] == 1
    assert got[0].schedule is not None and got[1].schedule is None and got[1].value is None


# -- loading: names, cards, refusals ------------------------------------------------------------------
def test_shipped_name_and_card_path(tmp_path, monkeypatch):
    """A name is looked up as shipped/<name>.json; a card path works too; unknown names list what is shipped."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    write(shipped / "fast.onnx", card=True, name="fast")
    monkeypatch.setattr(runtime, "shipped_dir", lambda: shipped)
    assert runtime.shipped_policies() == ("fast",)
    assert load_policy("fast").name == "fast"
    assert load_policy(shipped / "fast.json").card["onnx"] == "fast.onnx"
    with pytest.raises(PolicyFileError, match=r"nosuch\.json: no shipped policy named 'nosuch' \(shipped: fast\)"):
        load_policy("nosuch")


def test_card_is_optional(tmp_path):
    """A bare .onnx file loads without a card."""
    p = load_policy(write(tmp_path / "bare.onnx", name="bare"))
    assert p.card is None and p.name == "bare"


def _truncated(tmp_path):
    data = model()
    return write(tmp_path / "p.onnx", data[: len(data) // 2])


def _corrupted(tmp_path):
    data = bytearray(model())
    data[10:60] = bytes(range(200, 250))
    return write(tmp_path / "p.onnx", bytes(data))


def _sha_mismatch(tmp_path):
    return write(tmp_path / "p.onnx", card={"sha256": hashlib.sha256(b"other").hexdigest()})


REFUSALS = {
    "missing file": (lambda t: t / "none.onnx", "no such policy file"),
    "a folder": (lambda t: (t / "dir.onnx").mkdir() or t / "dir.onnx", "not a file"),
    "empty": (lambda t: write(t / "p.onnx", b""), "not a valid ONNX model: the file is empty"),
    "corrupted bytes": (_corrupted, "not a valid ONNX model"),
    "truncated": (_truncated, "not a valid ONNX model"),
    "wrong input name": (
        lambda t: write(t / "p.onnx", input_names=("cands", "mask", "globals")),
        r"input names .* do not match the policy contract .*missing \['candidates'\], unexpected \['cands'\]",
    ),
    "wrong rank": (
        lambda t: write(t / "p.onnx", shapes={"mask": ["batch", "n_candidates", 1]}),
        r"input 'mask' has rank 3 .* needs rank 2",
    ),
    "wrong element type": (
        lambda t: write(t / "p.onnx", mask_type=tiny_onnx.TensorProto.FLOAT),
        r"input 'mask' has element type tensor\(float\), the policy contract needs tensor\(bool\)",
    ),
    "F mismatch": (
        lambda t: write(t / "p.onnx", w=weights(SPT_WEIGHTS, JOBSHOP_V1.n_candidate + 1)),
        rf"input 'candidates' has shape .*axis 2 is {JOBSHOP_V1.n_candidate + 1}, the feature spec needs "
        rf"{JOBSHOP_V1.n_candidate}",
    ),
    "G mismatch": (
        lambda t: write(t / "p.onnx", shapes={"globals": ["batch", 2]}),
        rf"input 'globals' has shape .*axis 1 is 2, the feature spec needs {JOBSHOP_V1.n_global}",
    ),
    "fixed batch axis": (
        lambda t: write(t / "p.onnx", shapes={"candidates": [1, "n_candidates", JOBSHOP_V1.n_candidate]}),
        r"axis 0 is fixed to 1 \(must be dynamic\)",
    ),
    "feature spec version": (
        lambda t: write(t / "p.onnx", features={**JOBSHOP_V1.as_dict(), "id": "jobshop/v2", "version": 2}),
        r"policy features jobshop/v2 do not match the runtime's jobshop/v1: version 2 != 1",
    ),
    "feature list": (
        lambda t: write(
            t / "p.onnx",
            features={**JOBSHOP_V1.as_dict(), "candidate": ["setup_x", *JOBSHOP_V1.candidate[1:]]},
        ),
        r"candidate features: missing \['duration'\], unexpected \['setup_x'\]",
    ),
    "missing metadata": (
        lambda t: write(t / "p.onnx", metadata={"opsplan.features": None, "opsplan.policy": None}),
        r"missing metadata opsplan\.features, opsplan\.policy",
    ),
    "unsupported kind": (
        lambda t: write(t / "p.onnx", kind="fleet"),
        r"policy kind 'fleet' is not supported \(this runtime runs jobshop\)",
    ),
    "format": (lambda t: write(t / "p.onnx", metadata={"opsplan.format": "2"}), "policy format '2' is not supported"),
    "features not JSON": (
        lambda t: write(t / "p.onnx", metadata={"opsplan.features": "{nope"}),
        "metadata opsplan.features is not a feature specification",
    ),
    "sha mismatch with the card": (_sha_mismatch, r"p\.json: sha256 mismatch: the card says .* the file 'p\.onnx' has"),
    "card without sha": (lambda t: write(t / "p.onnx", card={"sha256": None}), "policy card has no sha256"),
    "card not JSON": (
        lambda t: (write(t / "p.onnx"), (t / "p.json").write_text("{"))[0],
        r"p\.json: policy card is not valid JSON",
    ),
    "card of another name": (
        lambda t: write(t / "p.onnx", card={"name": "other"}),
        r"policy card names 'other', the model's metadata 'tiny'",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_with_a_one_line_message_naming_the_file(tmp_path, case):
    """Every way a file can miss the contract is a PolicyFileError naming the file and the problem."""
    make, pattern = REFUSALS[case]
    path = make(tmp_path)
    with pytest.raises(PolicyFileError) as info:
        load_policy(path, cache=False)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(tmp_path) in msg
    assert msg.split(":")[0].endswith((".onnx", ".json")), msg
    assert re.search(pattern, msg), msg


def test_policy_file_error_is_an_opsplan_error():
    """The CLI reports it like any other file problem."""
    from opsplan.models.errors import FileFormatError, OpsPlanError

    assert issubclass(PolicyFileError, FileFormatError) and issubclass(PolicyFileError, OpsPlanError)


def test_changed_file_is_reloaded(tmp_path):
    """The session cache is keyed by the file's state: a rewritten file is validated again."""
    path = write(tmp_path / "p.onnx", name="first")
    assert load_policy(path).name == "first"
    data = model(name="second")
    path.write_bytes(data)
    os.utime(path, ns=(1, 1))
    assert load_policy(path).name == "second"
    json.dumps(load_policy(path).spec.as_dict())  # the spec stays plain data


def test_a_new_kind_runs_by_registering_its_environment_and_features(tmp_path, monkeypatch):
    """The runtime is kind-agnostic: a kind it has never heard of runs once its environment and feature
    specification are registered (here a toy kind whose environment wraps the job-shop one)."""
    import dataclasses

    from opsplan.policies import env as env_mod
    from opsplan.policies import features as feat_mod

    class ToyScenario:
        kind = "toyshop"

        def __init__(self, shop):  # noqa: ANN001
            self.shop = shop

    toy_spec = dataclasses.replace(JOBSHOP_V1, kind="toyshop")
    made = []

    def toy_env(scenarios, rollouts, spec, *, scheme, pinned, earliest):  # noqa: ANN001
        made.append((len(scenarios), rollouts, spec.id, scheme))
        return JobShopEnv([s.shop for s in scenarios], rollouts, JOBSHOP_V1, pinned=pinned, earliest=earliest)

    path = tmp_path / "toy.onnx"
    path.write_bytes(tiny_onnx.model(kind="toyshop", features=toy_spec.as_dict(), name="toy",
                                     metadata={"opsplan.scheme": "serial"}))
    with pytest.raises(PolicyFileError, match="policy kind 'toyshop' is not supported"):
        load_policy(path, cache=False)
    monkeypatch.setitem(feat_mod.SPECS, toy_spec.id, toy_spec)
    monkeypatch.setitem(env_mod.ENVIRONMENTS, "toyshop", env_mod.Environment("toyshop", toy_env, ("serial",)))
    session = load_policy(path, cache=False)
    assert session.kind == "toyshop" and "toyshop" in runtime.supported_kinds()
    shop = random_jobshop(6, 4, seed=2)
    out = session.rollout([ToyScenario(shop)], samples=3)[0]
    assert made == [(1, 3, "toyshop/v1", "serial")] and check(shop, out.schedule) == []
    with pytest.raises(ValueError, match="is for toyshop scenarios"):
        session.rollout([shop])


@pytest.mark.parametrize("features", ["jobshop/v1", ["duration", "x"]])
def test_a_card_whose_features_are_not_an_object_is_a_clean_error(tmp_path, features):
    path = write(tmp_path / "p.onnx", card=True, name="p")
    card_path = tmp_path / "p.json"
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "features": features}))
    with pytest.raises(PolicyFileError, match="card features do not match the model: malformed"):
        load_policy(path, cache=False)


def test_names_or_metadata_that_are_not_utf8_are_a_clean_error_and_nothing_reaches_stdout(tmp_path, capfd):
    src = (runtime.shipped_dir() / "jobshop-sl.onnx").read_bytes()
    bad_meta = bytearray(src)
    bad_meta[bad_meta.find(b"opsplan.policy") + 2] = 0x93
    path = tmp_path / "bad.onnx"
    path.write_bytes(bytes(bad_meta))
    with pytest.raises(PolicyFileError, match="not valid UTF-8"):
        load_policy(path, provider="cpu", cache=False)
    bad_node = bytearray(src)
    bad_node[58] = 0x93  # inside the first node's name: onnxruntime retries on another provider
    path.write_bytes(bytes(bad_node))
    try:
        load_policy(path, provider="cpu", cache=False)
    except PolicyFileError:
        pass
    out, _ = capfd.readouterr()
    assert out == ""  # `opsplan solve --json` prints its one object there


def test_a_symbolic_feature_axis_that_hides_a_wrong_count_is_refused_at_load(tmp_path):
    """A network made for 10 candidate features whose feature axis is declared symbolic ('F') passed the
    shape check and failed at the first decision with a raw onnxruntime error; now load refuses it."""
    w = np.ones((10, 1), np.float32)
    path = write(tmp_path / "f10.onnx", name="f10", w=w, shapes={"candidates": ["batch", "n_candidates", "F"]})
    with pytest.raises(PolicyFileError, match="does not take 18 candidate"):
        load_policy(path, cache=False)

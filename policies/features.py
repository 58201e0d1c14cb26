"""Versioned feature specifications shared by training and inference (kind-neutral).

A :class:`FeatureSpec` names, in order, the per-candidate and the global features
a policy was trained on. Training writes ``spec.as_dict()`` into the policy card
and the ONNX metadata; the runtime reads it back with :meth:`FeatureSpec.from_dict`
and refuses a policy whose spec differs from the one it computes
(:meth:`FeatureSpec.check` raises :class:`FeatureMismatch` naming the difference).

Each scenario kind has a *feature library*: a fixed set of named features, each
with one definition that never changes, in the kind's own module of this package
(registered by :mod:`opsplan.policies.registrations`). A spec selects names from
its kind's library; a new or changed definition gets a new name and the spec a new
version. Specs live in :data:`SPECS` (``"<kind>/v<version>"``), registered with
:func:`register` by the registration module (:mod:`opsplan.policies.registrations`,
imported on the first look-up), and :func:`spec_for` finds the latest one of a kind,
so a new kind registers its specs without touching this module or the runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from opsplan.models.errors import OpsPlanError
from opsplan.policies.registry import Registry


class FeatureMismatch(OpsPlanError):
    """A policy's feature specification differs from the one the runtime computes."""


@dataclass(frozen=True)
class FeatureSpec:
    """An ordered, versioned list of feature names for one scenario kind.

    Parameters
    ----------
    kind
        Scenario kind (the ``kind`` of its scenarios).
    version
        Integer version, starting at 1; bumped whenever the list or a definition changes.
    candidate
        Names of the per-candidate features, in column order.
    global_
        Names of the global (per-decision) features, in order.
    clip
        Every feature value is clipped to ``[-clip, clip]``.
    """

    kind: str
    version: int
    candidate: tuple[str, ...]
    global_: tuple[str, ...]
    clip: float = 10.0

    @property
    def id(self) -> str:
        """``"<kind>/v<version>"``."""
        return f"{self.kind}/v{self.version}"

    @property
    def n_candidate(self) -> int:
        """Number of per-candidate features ``F``."""
        return len(self.candidate)

    @property
    def n_global(self) -> int:
        """Number of global features ``G``."""
        return len(self.global_)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (for the policy card and ONNX metadata)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "version": self.version,
            "candidate": list(self.candidate),
            "global": list(self.global_),
            "clip": self.clip,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """The spec written by :meth:`as_dict`; raises :class:`FeatureMismatch` on malformed data."""
        if not isinstance(data, Mapping):
            raise FeatureMismatch(f"malformed feature specification {data!r}: expected an object with kind, "
                                  "version, candidate and global")
        try:
            spec = cls(
                kind=str(data["kind"]),
                version=int(data["version"]),
                candidate=tuple(str(n) for n in data["candidate"]),
                global_=tuple(str(n) for n in data["global"]),
                clip=float(data.get("clip", 10.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FeatureMismatch(f"malformed feature specification {dict(data)!r}: {exc!r}") from None
        if "id" in data and data["id"] != spec.id:
            raise FeatureMismatch(f"feature specification id '{data['id']}' does not match its kind/version {spec.id}")
        return spec

    def check(self, other: FeatureSpec, what: str = "policy") -> None:
        """Raise :class:`FeatureMismatch` when ``other`` (e.g. a policy file's spec) differs from this one.

        The message names every difference: kind, version, the feature lists
        (missing, extra or reordered names) and the clip.
        """
        diffs: list[str] = []
        if other.kind != self.kind:
            diffs.append(f"kind '{other.kind}' != '{self.kind}'")
        if other.version != self.version:
            diffs.append(f"version {other.version} != {self.version}")
        for label, theirs, ours in (
            ("candidate", other.candidate, self.candidate),
            ("global", other.global_, self.global_),
        ):
            if theirs == ours:
                continue
            missing = [n for n in ours if n not in theirs]
            extra = [n for n in theirs if n not in ours]
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"unexpected {extra}")
            if not parts:
                parts.append(f"order {list(theirs)} != {list(ours)}")
            elif len(theirs) != len(ours):
                parts.append(f"{len(theirs)} features != {len(ours)}")
            diffs.append(f"{label} features: {', '.join(parts)}")
        if other.clip != self.clip:
            diffs.append(f"clip {other.clip:g} != {self.clip:g}")
        if diffs:
            head = f"{what} features {other.id} do not match the runtime's {self.id}: "
            raise FeatureMismatch(head + "; ".join(diffs))


# -- registry ---------------------------------------------------------------------------------
SPECS: Registry[FeatureSpec] = Registry("feature specifications")


def register(spec: FeatureSpec) -> FeatureSpec:
    """Add ``spec`` to :data:`SPECS` (a spec id is registered once) and return it."""
    old = SPECS.get(spec.id)
    if old is not None and old != spec:
        raise FeatureMismatch(f"feature specification {spec.id} is already registered with other features")
    SPECS[spec.id] = spec
    return spec


def unregister(spec_id: str) -> None:
    """Remove the spec ``spec_id`` (``"<kind>/v<version>"``); tests that register a toy kind clean up with this."""
    SPECS.pop(spec_id, None)


def spec_for(kind: str, version: int | None = None) -> FeatureSpec:
    """The registered spec of ``kind`` at ``version`` (default: the latest)."""
    if version is not None:
        spec = SPECS.get(f"{kind}/v{version}")
        if spec is None:
            known = ", ".join(sorted(SPECS)) or "none"
            raise FeatureMismatch(f"no feature specification {kind}/v{version} (known: {known})")
        return spec
    versions = [s for s in SPECS.values() if s.kind == kind]
    if not versions:
        known = ", ".join(sorted({s.kind for s in SPECS.values()})) or "none"
        raise FeatureMismatch(f"no feature specification for kind '{kind}' (kinds with one: {known})")
    return max(versions, key=lambda s: s.version)


def clip_features(x: np.ndarray, clip: float) -> np.ndarray:
    """``x`` clipped to ``[-clip, clip]`` in place (+-inf too), nan set to 0, as float32: what a policy is fed."""
    np.clip(x, -clip, clip, out=x)  # also maps +-inf to +-clip
    if np.isnan(x).any():
        x[np.isnan(x)] = 0.0
    return x.astype(np.float32)


__all__ = [
    "SPECS",
    "FeatureMismatch",
    "FeatureSpec",
    "clip_features",
    "register",
    "spec_for",
    "unregister",
]

"""The candidate-scoring network of a learned dispatch policy.

Per decision the network sees the padded candidate features ``[B, K, F]``, the
mask ``[B, K]`` (True = feasible) and the global features ``[B, G]``, and
returns one score per candidate ``[B, K]``:

1. each candidate's features go through a two-layer MLP -> embedding ``e_k``;
2. a context ``c`` = MLP(globals, masked mean of ``e``, masked max of ``e``);
3. a head scores ``[e_k, c]`` candidate-wise;
4. masked candidates get :data:`MASKED_SCORE` (a large negative number).

With ``hidden=64`` and the job-shop v1 spec (F=18, G=6) it has about 22k
parameters: a batch of 1024 decisions x 20 candidates scores in milliseconds on a CPU.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

MASKED_SCORE = -1.0e9


class ScoringNet(nn.Module):
    """Candidate-wise scorer with a pooled context (permutation-equivariant over candidates).

    Parameters
    ----------
    n_candidate
        ``F``, the number of per-candidate features.
    n_global
        ``G``, the number of global features.
    hidden
        Width of every hidden layer.
    seed
        Seed of the parameter initialisation (the global torch generator is not touched).
    """

    def __init__(self, n_candidate: int, n_global: int, hidden: int = 64, seed: int = 0) -> None:
        super().__init__()
        self.n_candidate = int(n_candidate)
        self.n_global = int(n_global)
        self.hidden = int(hidden)
        h = self.hidden
        self.embed = nn.Sequential(nn.Linear(n_candidate, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.context = nn.Sequential(nn.Linear(n_global + 2 * h, h), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Linear(h, 1))
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int) -> None:
        """Deterministic initialisation from ``seed`` (PyTorch's default scheme, own generator)."""
        gen = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            for mod in self.modules():
                if isinstance(mod, nn.Linear):
                    bound = 1.0 / mod.in_features**0.5
                    mod.weight.uniform_(-bound, bound, generator=gen)
                    mod.bias.uniform_(-bound, bound, generator=gen)

    def forward(self, candidates: torch.Tensor, mask: torch.Tensor, globals_: torch.Tensor) -> torch.Tensor:
        """Scores ``[B, K]``; masked entries are :data:`MASKED_SCORE`.

        Parameters
        ----------
        candidates
            float32 ``[B, K, F]``.
        mask
            bool ``[B, K]``; rows without any True (finished environments) are allowed.
        globals_
            float32 ``[B, G]``.
        """
        m = mask.unsqueeze(-1)  # [B, K, 1]
        mf = m.to(candidates.dtype)
        e = self.embed(candidates) * mf  # padded slots contribute nothing
        count = mf.sum(dim=1).clamp(min=1.0)  # [B, 1]
        mean = e.sum(dim=1) / count
        # embeddings are >= 0 (ReLU) and padded ones are 0, so the plain max is the masked max
        # (0 for a row without candidates)
        mx = e.max(dim=1).values
        ctx = self.context(torch.cat([globals_, mean, mx], dim=-1))  # [B, h]
        ctx_k = ctx.unsqueeze(1).expand(-1, e.shape[1], -1)
        s = self.head(torch.cat([e, ctx_k], dim=-1)).squeeze(-1)  # [B, K]
        return torch.where(mask, s, torch.full_like(s, MASKED_SCORE))

    def architecture(self) -> dict[str, Any]:
        """Plain description for the policy card."""
        return {
            "type": "ScoringNet",
            "module": "opsplan.policies.training.model",
            "hidden": self.hidden,
            "n_candidate": self.n_candidate,
            "n_global": self.n_global,
            "layers": "embed MLP(F-h-h, ReLU); context MLP([G, mean, max]-h, ReLU); head MLP(2h-h-1, ReLU)",
            "pooling": "masked mean + max over candidate embeddings",
            "masked_score": MASKED_SCORE,
            "parameters": n_parameters(self),
        }


def n_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def model_from_architecture(arch: dict[str, Any], seed: int = 0) -> ScoringNet:
    """A fresh :class:`ScoringNet` shaped as described by a card's ``architecture``."""
    return ScoringNet(int(arch["n_candidate"]), int(arch["n_global"]), int(arch.get("hidden", 64)), seed=seed)


__all__ = ["MASKED_SCORE", "ScoringNet", "model_from_architecture", "n_parameters"]

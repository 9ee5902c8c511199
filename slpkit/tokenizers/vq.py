"""Vector quantizers: SOKE's EMA + dead-code-reset VQ and a plain VQ-VAE quantizer.

Both map latents ``z`` of shape ``(B, N, C)`` to the nearest of ``K`` codes
(Euclidean distance) and pass gradients straight through:
``z_q = z + sg(c_k - z)`` (van den Oord et al.; SOKE Eq. 1).

:class:`EMAResetQuantizer` (T2M-GPT ``QuantizeEMAReset``, used by MotionGPT and SOKE's public code;
``docs/reference.md``, "VQ-VAE tokenizer") does not learn the codebook by gradient:

* first training batch: codebook <- encoder outputs of that batch (tiled with small
  noise when the batch has fewer vectors than codes);
* every training step, with one-hot assignments ``E`` (K x M) and outputs ``X`` (M x C)::

      code_sum   <- mu * code_sum   + (1 - mu) * E @ X
      code_count <- mu * code_count + (1 - mu) * E.sum(1)
      codebook_k <- code_sum_k / code_count_k        if code_count_k >= threshold (1.0)
                    random encoder output of the batch otherwise   (dead-code reset)

* loss: commitment only, ``mse(z, sg(z_q))`` (SOKE's code weights it 0.02).

Under DDP (``torch.distributed`` initialised, e.g. Lightning ``strategy='ddp'``) the per-step
``E @ X`` / ``E.sum(1)`` are all-reduced (summed), so the EMA follows the global batch exactly as
one process would, and the first-batch init and the dead-code replacement rows are rank 0's,
broadcast: every rank keeps an identical codebook. Every rank must then run the same number of
training-mode forwards (as DDP does). Without a process group nothing changes.

:class:`VectorQuantizer` learns the codebook with the VQ-VAE losses
``||sg(z) - e||^2 + beta ||z - sg(e)||^2`` (the embedding + commitment losses of SOKE Sec. 3.2).

Common API: ``forward(z) -> QuantizerOutput``, ``quantize(z) -> (z_q, indices)`` (no state
change), ``encode_indices(z)``, ``decode_indices(indices)``, ``codebook_size``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class QuantizerOutput:
    """What every slpkit quantizer returns.

    ``z_q`` (B, N, C) straight-through quantized latents; ``indices`` (B, N) int64;
    ``loss`` the quantizer's weighted auxiliary loss, added as is to the reconstruction loss
    (EMA: ``commit_weight * commit``; plain VQ: ``codebook + beta * commit``; FSQ: 0);
    ``commit_loss`` raw ``mse(z, sg(z_q))`` and ``codebook_loss`` raw ``mse(sg(z), e)`` for logging;
    ``perplexity`` ``exp(-sum p log p)`` of the batch's code histogram.
    """

    z_q: torch.Tensor
    indices: torch.Tensor
    loss: torch.Tensor
    commit_loss: torch.Tensor
    codebook_loss: torch.Tensor
    perplexity: torch.Tensor


def perplexity_from_indices(indices: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """``exp(-sum_k p_k log p_k)`` of the code histogram (T2M-GPT adds 1e-7 inside the log)."""
    counts = torch.bincount(indices.reshape(-1), minlength=codebook_size).float()
    p = counts / counts.sum().clamp_min(1.0)
    return torch.exp(-(p * torch.log(p + 1e-7)).sum())


def _nearest(flat: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Index of the nearest code for every row of ``flat`` (M, C) -> (M,) int64."""
    dist = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ codebook.t() + codebook.pow(2).sum(1)[None, :])
    return dist.argmin(dim=1)


def _distributed() -> bool:
    """True inside an initialised ``torch.distributed`` process group (DDP)."""
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _check_indices(indices, size: int, who: str) -> torch.Tensor:
    """Code indices as long, in ``[0, size)``; floats, bools and out-of-range ids raise (not an IndexError)."""
    t = torch.as_tensor(indices)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{who} indices must be integers, got dtype {t.dtype}")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= size):
        raise ValueError(f"{who} indices lie in [{int(t.min())}, {int(t.max())}], outside the codebook's [0, {size})")
    return t.long()


def _check_latent(z: torch.Tensor, dim: int, who: str) -> None:
    if z.ndim != 3 or z.shape[-1] != dim:
        raise ValueError(f"{who} expects latents of shape (B, N, {dim}), got {tuple(z.shape)}")


class EMAResetQuantizer(nn.Module):
    """SOKE / T2M-GPT quantizer: EMA codebook updates and dead-code reset (see module doc).

    Args:
        codebook_size: ``K`` (SOKE: body 96, hands 192).
        code_dim: ``C`` (SOKE 512).
        mu: EMA decay (0.99).
        reset_threshold: codes whose EMA count falls below it are reset (1.0).
        commit_weight: weight of the commitment loss in ``QuantizerOutput.loss`` (SOKE 0.02).
        generator: optional ``torch.Generator`` for the random choices (init / reset rows).

    State (buffers, saved in checkpoints): ``codebook`` (K, C), ``code_sum`` (K, C),
    ``code_count`` (K,), ``initted`` (bool). Updates happen only in ``train()`` mode, in
    float32 even under autocast. Under an initialised ``torch.distributed`` process group the
    statistics are all-reduced and the random rows broadcast from rank 0 (see module doc).
    """

    def __init__(self, codebook_size: int, code_dim: int, mu: float = 0.99, reset_threshold: float = 1.0,
                 commit_weight: float = 0.02, generator: torch.Generator | None = None):
        super().__init__()
        if codebook_size < 1 or code_dim < 1:
            raise ValueError(f"codebook_size and code_dim must be >= 1, got {codebook_size}, {code_dim}")
        if not 0.0 <= mu < 1.0:
            raise ValueError(f"mu must be in [0, 1), got {mu}")
        self.codebook_size, self.code_dim = int(codebook_size), int(code_dim)
        self.mu, self.reset_threshold, self.commit_weight = float(mu), float(reset_threshold), float(commit_weight)
        self.generator = generator
        self.register_buffer("codebook", torch.zeros(codebook_size, code_dim))
        self.register_buffer("code_sum", torch.zeros(codebook_size, code_dim))
        self.register_buffer("code_count", torch.zeros(codebook_size))
        self.register_buffer("initted", torch.tensor(False))
        self.last_reset = torch.zeros(codebook_size, dtype=torch.bool)  # which codes the last update reset

    # -- helpers -----------------------------------------------------------------------------
    def _random_rows(self, x: torch.Tensor) -> torch.Tensor:
        """``K`` rows drawn from ``x`` (M, C): a random permutation, tiled with noise of std
        ``0.01 / sqrt(C)`` when ``M < K`` (T2M-GPT ``_tile``)."""
        m = x.shape[0]
        gen = self.generator
        perm = torch.randperm(m, generator=gen, device="cpu").to(x.device)
        out = x[perm]
        if m < self.codebook_size:
            reps = (self.codebook_size + m - 1) // m
            out = out.repeat(reps, 1)
            noise = torch.randn(out.shape, generator=gen, device="cpu").to(x.device)
            out = out + noise * (0.01 / self.code_dim**0.5)
        return out[: self.codebook_size]

    @torch.no_grad()
    def init_codebook(self, flat: torch.Tensor) -> None:
        """Codebook <- random encoder outputs of ``flat`` (M, C); counts <- 1."""
        rows = self._random_rows(flat.float())
        if _distributed():
            torch.distributed.broadcast(rows, src=0)
        self.codebook.copy_(rows)
        self.code_sum.copy_(rows)
        self.code_count.fill_(1.0)
        self.initted.fill_(True)

    @torch.no_grad()
    def update_codebook(self, flat: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """One EMA step + dead-code reset (equations in the module doc); returns the perplexity."""
        flat = flat.float()
        onehot = F.one_hot(idx, self.codebook_size).to(flat.dtype).t()  # (K, M)
        code_sum = onehot @ flat
        code_count = onehot.sum(1)
        code_rand = self._random_rows(flat)
        dist = _distributed()
        if dist:  # global-batch statistics: one all-reduce of [E @ X | E.sum(1)]
            stats = torch.cat([code_sum, code_count[:, None]], 1)
            torch.distributed.all_reduce(stats)
            code_sum, code_count = stats[:, :-1], stats[:, -1]
        self.code_sum.mul_(self.mu).add_((1.0 - self.mu) * code_sum)
        self.code_count.mul_(self.mu).add_((1.0 - self.mu) * code_count)
        usage = (self.code_count >= self.reset_threshold)
        if dist and not bool(usage.all()):  # same decision on every rank (counts are global)
            torch.distributed.broadcast(code_rand, src=0)
        code_update = self.code_sum / self.code_count.clamp_min(1e-12)[:, None]
        self.codebook.copy_(torch.where(usage[:, None], code_update, code_rand))
        self.last_reset = ~usage.cpu()
        p = code_count / code_count.sum()
        return torch.exp(-(p * torch.log(p + 1e-7)).sum())

    # -- API ---------------------------------------------------------------------------------
    def encode_indices(self, z: torch.Tensor) -> torch.Tensor:
        """``(B, N, C) -> (B, N)`` nearest code indices (no state change)."""
        _check_latent(z, self.code_dim, type(self).__name__)
        return _nearest(z.reshape(-1, self.code_dim).float(), self.codebook).view(z.shape[:-1])

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """``(B, N) -> (B, N, C)`` codebook vectors."""
        return F.embedding(_check_indices(indices, self.codebook_size, type(self).__name__), self.codebook)

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Nearest codes without updating anything: ``(z_q, indices)``."""
        idx = self.encode_indices(z)
        return F.embedding(idx, self.codebook).to(z.dtype), idx

    def forward(self, z: torch.Tensor) -> QuantizerOutput:
        _check_latent(z, self.code_dim, type(self).__name__)
        with torch.autocast(device_type=z.device.type, enabled=False):
            zf = z.float()
            flat = zf.reshape(-1, self.code_dim)
            if self.training and not bool(self.initted):
                self.init_codebook(flat.detach())
            idx = _nearest(flat.detach(), self.codebook)
            zq = F.embedding(idx, self.codebook).view_as(zf)
            if self.training:
                perplexity = self.update_codebook(flat.detach(), idx)
            else:
                perplexity = perplexity_from_indices(idx, self.codebook_size)
            commit = F.mse_loss(zf, zq.detach())
            zq = zf + (zq - zf).detach()
        return QuantizerOutput(zq.to(z.dtype), idx.view(z.shape[:-1]), self.commit_weight * commit, commit,
                               zf.new_zeros(()), perplexity)


class VectorQuantizer(nn.Module):
    """Plain VQ-VAE quantizer with a learned codebook (van den Oord et al. 2017).

    ``codebook_loss = mse(sg(z), e)``; ``commit_loss = mse(z, sg(e))``;
    ``loss = codebook_loss + beta * commit_loss``. Codebook initialised ``U(-1/K, 1/K)``.
    """

    def __init__(self, codebook_size: int, code_dim: int, beta: float = 0.25):
        super().__init__()
        if codebook_size < 1 or code_dim < 1:
            raise ValueError(f"codebook_size and code_dim must be >= 1, got {codebook_size}, {code_dim}")
        self.codebook_size, self.code_dim, self.beta = int(codebook_size), int(code_dim), float(beta)
        self.embedding = nn.Embedding(codebook_size, code_dim)
        nn.init.uniform_(self.embedding.weight, -1.0 / codebook_size, 1.0 / codebook_size)

    @property
    def codebook(self) -> torch.Tensor:
        return self.embedding.weight

    def encode_indices(self, z: torch.Tensor) -> torch.Tensor:
        _check_latent(z, self.code_dim, type(self).__name__)
        return _nearest(z.reshape(-1, self.code_dim).float(), self.codebook.float()).view(z.shape[:-1])

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        return self.embedding(_check_indices(indices, self.codebook_size, type(self).__name__))

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.encode_indices(z)
        return self.embedding(idx).to(z.dtype), idx

    def forward(self, z: torch.Tensor) -> QuantizerOutput:
        idx = self.encode_indices(z)
        e = self.embedding(idx).to(z.dtype)
        codebook_loss = F.mse_loss(e, z.detach())
        commit = F.mse_loss(z, e.detach())
        zq = z + (e - z).detach()
        return QuantizerOutput(zq, idx, codebook_loss + self.beta * commit, commit, codebook_loss,
                               perplexity_from_indices(idx, self.codebook_size))

"""Scale-out through Lightning DDP: shared Trainer options, a real 2-process CPU DDP run (gloo) of a tokenizer
(whose ranks must end with identical EMA codebooks) and of a SOKE generator trained on it (identical weights
on both ranks), and the quantizer's reduction math.

The 2-process test runs this file as a script (``python tests/test_ddp.py OUT``) with
``devices=2, strategy='ddp'``: Lightning's own launcher re-runs the script as rank 1, exactly as it
does on a multi-GPU machine. A subprocess keeps pytest's process free of process groups and lets
a hang end in a timeout instead of a stuck test run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import torch

from slpkit.tokenizers.vq import EMAResetQuantizer

TINY = dict(width=32, depth=2, res_depth=1, batch_size=16, window=16, max_steps=4, max_epochs=-1,
            codebook_sizes={"body": 32, "lhand": 32, "rhand": 32})


def _batch(seed: int = 0) -> torch.Tensor:
    return torch.randn(2, 12, 4, generator=torch.Generator().manual_seed(seed))


def _math_quantizer() -> EMAResetQuantizer:
    """8 codes, initialised, threshold 0 (no resets): its update is a pure function of the batch statistics."""
    q = EMAResetQuantizer(8, 4, mu=0.9, reset_threshold=0.0).train()
    init = torch.linspace(-1, 1, 32).view(8, 4)
    q.codebook.copy_(init)
    q.code_sum.copy_(init)
    q.code_count.fill_(1.0)
    q.initted.fill_(True)
    return q


# ------------------------------------------------------------------------------- worker (script mode)
def _worker(out: Path) -> None:
    """One DDP rank: train a tiny tokenizer through ``train_tokenizer`` (devices=2, 'ddp') and a tiny SOKE
    generator on it through ``train_generator``, then run the quantizer on this rank's half of a fixed batch;
    save what the parent test compares."""
    import torch.distributed as dist

    from slpkit.data.synthsign import SynthSignConfig, generate
    from slpkit.generators.soke.module import SokeConfig, train_generator
    from slpkit.tokenizers.module import TokenizerConfig, train_tokenizer

    torch.set_num_threads(1)
    corpus = generate(SynthSignConfig.for_mode("smoke", seed=0, sentences_per_language=20))
    cfg = TokenizerConfig.for_mode("smoke", **TINY, devices=2, strategy="ddp")
    module = train_tokenizer(corpus, cfg, cache=True, device="cpu", progress=False)
    gcfg = SokeConfig.for_mode("smoke", d_model=32, layers=1, heads=2, ffn=64, max_steps=6, warmup_steps=2,
                               batch_size=8, max_decode_steps=12, devices=2, strategy="ddp")
    torch.manual_seed(0)
    gen = train_generator(corpus, module, gcfg, device="cpu", progress=False)
    rank, world = dist.get_rank(), dist.get_world_size()
    quantizers = {name: q for name, q in module.tokenizer.named_modules() if isinstance(q, EMAResetQuantizer)}
    q = _math_quantizer()
    q(_batch().chunk(world, 0)[rank])  # each rank sees half of the batch; the update must equal the full batch's
    torch.save({"rank": rank, "world_size": world, "pid": os.getpid(), "first_loss": module.history[0]["loss"],
                "codebooks": {n: q_.codebook.clone() for n, q_ in quantizers.items()},
                "resets": {n: int(q_.last_reset.sum()) for n, q_ in quantizers.items()},
                "math": q.state_dict(), "checkpoint": str(module.checkpoint_path),
                "generator": {k: v.detach().clone() for k, v in gen.model.state_dict().items()},
                "generator_losses": [h["loss"] for h in gen.history]}, out / f"rank{rank}.pt")
    dist.barrier()
    if rank == 0:  # let Lightning's launched rank 1 finish before this process (and the test) returns
        for proc in getattr(module.trainer.strategy.launcher, "procs", []):
            proc.wait(timeout=60)


# ------------------------------------------------------------------------------- tests
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_tokenizer_keeps_identical_codebooks(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "RANK")}
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), OMP_NUM_THREADS="1",
               SLPKIT_CACHE=str(tmp_path / "cache"), PL_GLOBAL_SEED="0")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(tmp_path)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=240)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    assert (r0["rank"], r1["rank"], r0["world_size"], r1["world_size"]) == (0, 1, 2, 2)
    assert r0["pid"] != r1["pid"]  # two processes
    assert r0["first_loss"] != r1["first_loss"]  # the ranks trained on different data ...
    assert set(r0["codebooks"]) == {"quantizers.body", "quantizers.lhand", "quantizers.rhand"}
    for name, cb in r0["codebooks"].items():  # ... yet keep bit-identical codebooks
        assert torch.equal(cb, r1["codebooks"][name]), name
    assert sum(r0["resets"].values()) > 0  # the dead-code reset (broadcast path) ran
    # the cached checkpoint (written once, by rank 0) holds the same codebooks
    ckpt = torch.load(r0["checkpoint"], map_location="cpu", weights_only=False)["state_dict"]
    for name, cb in r0["codebooks"].items():
        assert torch.equal(ckpt[f"{name}.codebook"], cb)
    assert not list(Path(r0["checkpoint"]).parent.glob("*.tmp"))
    # the generator: each rank saw its half of every global batch, DDP kept the weights identical
    g0, g1 = r0["generator"], r1["generator"]
    assert all(torch.equal(g0[k], g1[k]) for k in g0)
    assert len(r0["generator_losses"]) == 6 and r0["generator_losses"] != r1["generator_losses"]
    # reduction math: two half batches under DDP == one process with the full batch
    ref = _math_quantizer()
    ref(_batch())
    for r in (r0, r1):
        for k in ("codebook", "code_sum", "code_count"):
            torch.testing.assert_close(r["math"][k], ref.state_dict()[k], rtol=1e-6, atol=1e-6)
    print(f"2-process DDP run: {seconds:.1f} s")


def test_quantizer_under_one_process_group_is_bit_identical(tmp_path):
    """With an initialised 1-process gloo group the collectives run and change nothing."""
    import torch.distributed as dist

    def run() -> tuple[dict, list]:
        q = EMAResetQuantizer(16, 4, generator=torch.Generator().manual_seed(1)).train()
        outs = [q(_batch(i)[:, : 3 + i % 4]).z_q for i in range(12)]  # tiny batches: init tiling + resets
        return q.state_dict(), outs

    plain_state, plain_outs = run()
    assert not dist.is_initialized()
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'pg'}", rank=0, world_size=1)
    try:
        dist_state, dist_outs = run()
    finally:
        dist.destroy_process_group()
    assert all(torch.equal(plain_state[k], dist_state[k]) for k in plain_state)
    assert all(torch.equal(a, b) for a, b in zip(plain_outs, dist_outs))


def test_trainer_options_and_global_batch():
    import pytest

    from slpkit.config import per_device_batch, trainer_options

    assert trainer_options("cpu") == {"accelerator": "cpu", "devices": 1, "strategy": "auto", "num_nodes": 1}
    opts = trainer_options("cpu", devices=4, strategy="ddp", precision="bf16-mixed")
    assert (opts["devices"], opts["strategy"], opts["precision"]) == (4, "ddp", "bf16-mixed")
    assert per_device_batch(320, 4) == 80 and per_device_batch(32, 1) == 32
    with pytest.raises(ValueError, match="divisible"):
        per_device_batch(320, 3)


def test_scale_out_fields_do_not_change_cache_keys():
    import dataclasses

    from slpkit.config import config_hash, result_fields
    from slpkit.eval.backtranslation import BackTranslatorConfig
    from slpkit.tokenizers.module import TokenizerConfig

    for cfg in (TokenizerConfig.smoke(), BackTranslatorConfig.smoke()):
        ddp = dataclasses.replace(cfg, devices=4, strategy="ddp")
        assert config_hash(result_fields(cfg)) == config_hash(result_fields(ddp))
    # the keys of default configs are what they were before these fields existed
    legacy = {k: v for k, v in dataclasses.asdict(TokenizerConfig.smoke()).items() if k not in ("devices", "strategy")}
    assert config_hash(result_fields(TokenizerConfig.smoke())) == config_hash(legacy)


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))

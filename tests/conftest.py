"""Shared test setup: one torch thread per xdist worker, headless matplotlib, one cache per test session."""

import os

import matplotlib
import pytest
import torch

from slpkit.notebook.runner import SCHEDULE

matplotlib.use("Agg")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def corpus():
    """The smoke SynthSign corpus (seed 0), generated once per worker and shared read-only."""
    from slpkit.data.synthsign import SynthSignConfig, generate

    return generate(SynthSignConfig.for_mode("smoke", seed=0))


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    # One cache folder for the whole test session, shared by the xdist workers: a model one test or notebook
    # trained is loaded by the next one with the same config (slpkit.training.cached holds a file lock while
    # training, so two workers asking for the same artifact train it once). Fresh for every session.
    base = tmp_path_factory.getbasetemp()
    path = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "slpkit-cache"
    path.mkdir(exist_ok=True)
    old = os.environ.get("SLPKIT_CACHE")
    os.environ["SLPKIT_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SLPKIT_CACHE", None)
    else:
        os.environ["SLPKIT_CACHE"] = old


def _rank(item) -> tuple[int, int]:
    if not item.get_closest_marker("notebooks"):
        return (1, 0)
    prefix = getattr(item.callspec.params.get("nb"), "name", "")[:2] if hasattr(item, "callspec") else ""
    return (0, SCHEDULE.index(prefix) if prefix in SCHEDULE else len(SCHEDULE))


def pytest_collection_modifyitems(config, items):
    # The notebook runs are the longest tests (minutes each): hand them out first, in the runner's SCHEDULE
    # (slpkit.notebook.runner; stable sort: the other tests keep their order).
    items.sort(key=_rank)

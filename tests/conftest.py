"""Shared test setup: one torch thread per xdist worker, headless matplotlib, one cache per test session."""

import os

import matplotlib
import pytest
import torch

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


#: order in which the notebook runs are handed out. The longest come first, so the two xdist workers finish
#: together; notebooks that load models another notebook trains (same config, same cache key) come after it, so a
#: worker does not sit on the cache lock while the other trains: 05, 08, 09 reuse 04's SOKE generators, 02 reuses
#: 05's tokenizers, 07 08's segmenter, 10 everything.
NOTEBOOK_ORDER = ("04", "03", "05", "06", "02", "09", "01", "08", "07", "11", "00", "10")


def _rank(item) -> tuple[int, int]:
    if not item.get_closest_marker("notebooks"):
        return (1, 0)
    nb = item.callspec.params.get("nb") if hasattr(item, "callspec") else None
    prefix = getattr(nb, "name", str(nb))[:2]
    return (0, NOTEBOOK_ORDER.index(prefix) if prefix in NOTEBOOK_ORDER else len(NOTEBOOK_ORDER))


def pytest_collection_modifyitems(config, items):
    # The notebook runs are the longest tests (minutes each): hand them out first (stable sort: the other
    # tests keep their order).
    items.sort(key=_rank)

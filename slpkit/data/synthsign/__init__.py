"""SynthSign: a seeded synthetic 3D sign-language benchmark (ASL / CSL / DGS with English / Chinese / German).

``generate(SynthSignConfig.for_mode('smoke', seed=0)) -> Corpus``; see :mod:`.generator`
for the language design and :mod:`.phonology`, :mod:`.lexicon`, :mod:`.grammar`,
:mod:`.motion` for the parts.
"""

from slpkit.data.synthsign.config import SynthSignConfig
from slpkit.data.synthsign.generator import SynthSign, generate, render_citation

__all__ = ["SynthSignConfig", "SynthSign", "generate", "render_citation"]

"""SynthSign grammar: sentence templates, sign order per language, spoken text.

A sentence is drawn as an abstract plan (template, subject, verb, object, adjective,
time, wh-word, negation) and realised twice: as a sign sequence in the sign language's
order and as spoken text in its spoken language.

Sign order (glosses are concepts' sign labels):

=========  =====================================  ======================  =====================
template   ASL (topic-comment, SVO, wh-final)     CSL (SVO, wh in situ)   DGS (SOV, wh-final)
=========  =====================================  ======================  =====================
statement  [T] S V O [A]  or topic: O [A] [T] S V  [T] S V [A] O           [T] S O [A] V
negation   [T] S V O [A] NOT                       [T] S NOT V [A] O       [T] S O [A] V NOT
yes/no q   as statement (no topic)                 as statement            as statement
wh: what   [T] S V WHAT                            [T] S V WHAT            [T] S V WHAT
wh: where  [T] S V WHERE                           [T] S WHERE V           [T] S V WHERE
wh: who    [T] V O [A] WHO                         [T] WHO V [A] O         [T] O [A] V WHO
predicate  [T] S ADJ (NOT)                         [T] S (NOT) ADJ         [T] S ADJ (NOT)
=========  =====================================  ======================  =====================

(``T`` time, ``S`` subject, ``V`` verb, ``O`` object noun, ``A`` adjective.) Grammatical
non-manuals span parts of the sentence (returned as ``nmf``): ``yn_question`` (brow raise,
head forward) and ``wh_question`` (brow furrow) over the whole sentence, ``negation``
(head shake) from the predicate to the end, ``topic`` (brow raise, head back) over a
topicalised ASL object. Spoken text is real English / Chinese / German with the
inflections of :mod:`slpkit.data.text` (``en_verb``, ``de_verb``, ``de_adjective``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slpkit.data.synthsign.lexicon import Lexicon
from slpkit.data.text import SPOKEN, de_adjective, de_verb, en_verb

TEMPLATES: dict[str, float] = {
    "statement": 0.34, "intransitive": 0.1, "predicate": 0.1, "negation": 0.16, "yn_question": 0.14, "wh_question": 0.16,
}


@dataclass
class SentencePlan:
    template: str
    concepts: list  # concept ids in signing order
    text: str
    nmf: list = field(default_factory=list)  # (kind, first_sign, last_sign) inclusive
    roles: dict = field(default_factory=dict)


_TEMPLATE_NAMES = tuple(TEMPLATES)
_TEMPLATE_CUM = np.cumsum([TEMPLATES[k] for k in _TEMPLATE_NAMES]) / sum(TEMPLATES.values())
_KIND_CUM = np.cumsum([0.55, 0.2, 0.25])
_WH_CUM = np.cumsum([0.45, 0.3, 0.25])


def _choose(rng: np.random.Generator, items, cum) -> str:
    return items[min(int(np.searchsorted(cum, rng.random(), side="right")), len(items) - 1)]


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _compatible(lex: Lexicon, pos: str, head: str) -> list:
    """Concepts of ``pos`` whose selectional classes meet those of ``head`` (cached on the lexicon)."""
    cache = lex.__dict__.setdefault("_compatible", {})
    key = (pos, head)
    if key not in cache:
        hc = set(lex.concepts[head].classes)
        cache[key] = [c for c in lex.by_pos(pos) if set(lex.concepts[c].classes) & hc]
    return cache[key]


def sample_plan(rng: np.random.Generator, lex: Lexicon, topic_prob: float = 0.3) -> SentencePlan:
    """Draw one sentence of ``lex.language`` (abstract roles, sign order and text)."""
    template = _choose(rng, _TEMPLATE_NAMES, _TEMPLATE_CUM)
    C = lex.concepts
    kind = template
    neg = template == "negation"
    yn = template == "yn_question"
    wh = None
    if template in ("negation", "yn_question"):
        kind = _choose(rng, ("statement", "intransitive", "predicate"), _KIND_CUM)
    if template == "wh_question":
        wh = _choose(rng, ("WHAT", "WHERE", "WHO"), _WH_CUM)
        kind = {"WHAT": "statement", "WHERE": "intransitive", "WHO": "statement"}[wh]
    subj = _pick(rng, lex.by_pos("pron", "person")) if wh != "WHO" else "WHO"
    time = _pick(rng, lex.by_pos("time")) if rng.random() < 0.3 else None
    verb = obj = adj = pred = None
    if kind == "statement":
        verb = _pick(rng, lex.by_pos("vt"))
        obj = _pick(rng, _compatible(lex, "obj", verb))
        adjs = _compatible(lex, "adj", obj)
        if adjs and rng.random() < 0.4 and wh != "WHAT":
            adj = _pick(rng, adjs)
        if wh == "WHAT":
            obj = None
    elif kind == "intransitive":
        verb = _pick(rng, lex.by_pos("vi"))
    else:
        pred = _pick(rng, lex.by_pos("pred"))
    roles = dict(subj=subj, verb=verb, obj=obj, adj=adj, pred=pred, time=time, wh=wh, neg=neg, yn=yn)
    topic = (lex.language == "asl" and template == "statement" and obj is not None and rng.random() < topic_prob)
    roles["topic"] = bool(topic)
    concepts, nmf = _sign_order(lex.language, roles)
    text = _realise(lex, roles)
    return SentencePlan(template=template, concepts=concepts, text=text, nmf=nmf, roles=roles)


# ----------------------------------------------------------------------------- sign order
def _sign_order(lang: str, r: dict) -> tuple[list, list]:
    T = [r["time"]] if r["time"] else []
    S, V, O, A, P, W = r["subj"], r["verb"], r["obj"], r["adj"], r["pred"], r["wh"]
    NP = ([O] + ([A] if A else [])) if O else []  # noun-adjective (ASL, DGS)
    NPc = (([A] if A else []) + [O]) if O else []  # adjective-noun (CSL)
    nmf = []
    if P:  # predicate adjective
        body = [S, P, "NOT"] if r["neg"] and lang != "csl" else ([S, "NOT", P] if r["neg"] else [S, P])
        seq = T + body
        if r["neg"]:
            nmf.append(("negation", len(T) + 1, len(seq) - 1))
    elif W == "WHO":
        seq = T + ({"asl": [V] + NP + ["WHO"], "csl": ["WHO", V] + NPc, "dgs": NP + [V, "WHO"]}[lang])
    elif W == "WHAT":
        seq = T + [S, V, "WHAT"]
    elif W == "WHERE":
        seq = T + ([S, "WHERE", V] if lang == "csl" else [S, V, "WHERE"])
    elif lang == "asl":
        if r["topic"]:
            seq = NP + T + [S, V]
            nmf.append(("topic", 0, len(NP) - 1))
        else:
            seq = T + [S, V] + NP + (["NOT"] if r["neg"] else [])
    elif lang == "csl":
        seq = T + [S] + (["NOT"] if r["neg"] else []) + [V] + NPc
    else:
        seq = T + [S] + NP + [V] + (["NOT"] if r["neg"] else [])
    if r["neg"] and not P:
        first = len(T) + 1  # predicate starts after the subject
        nmf.append(("negation", first, len(seq) - 1))
    if r["yn"]:
        nmf.append(("yn_question", 0, len(seq) - 1))
    if W:
        nmf.append(("wh_question", 0, len(seq) - 1))
    return seq, nmf


# ----------------------------------------------------------------------------- text
_EN_BE = {"1s": "am", "2s": "are", "3s": "is", "1p": "are"}
_DE_BE = {"1s": "bin", "2s": "bist", "3s": "ist", "1p": "sind"}
_DE_ART_NOM = {"m": "der", "f": "die", "n": "das"}
_DE_ART_ACC = {"m": "den", "f": "die", "n": "das"}


def _person(lex: Lexicon, cid: str) -> str:
    c = lex.concepts.get(cid)
    return c.classes if c is not None and c.pos == "pron" else "3s"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _realise(lex: Lexicon, r: dict) -> str:
    lang = SPOKEN[lex.language]
    return {"en": _en, "zh": _zh, "de": _de}[lang](lex, r)


def _en(lex: Lexicon, r: dict) -> str:
    C = lex.concepts
    w = lambda cid: C[cid].en  # noqa: E731
    person = _person(lex, r["subj"])
    fut = r["time"] is not None and C[r["time"]].classes == "fut"
    subj = "who" if r["subj"] == "WHO" else (w(r["subj"]) if C[r["subj"]].pos == "pron" else "the " + w(r["subj"]))
    obj = ("the " + (w(r["adj"]) + " " if r["adj"] else "") + w(r["obj"])) if r["obj"] else ""
    time = w(r["time"]) if r["time"] else ""
    verb = w(r["verb"]) if r["verb"] else ""
    do = "do" if person != "3s" else "does"
    if r["pred"]:
        adj = w(r["pred"])
        if r["yn"]:
            s = (f"will {subj} be {adj}" if fut else f"{_EN_BE[person]} {subj} {adj}") + (f" {time}" if time else "") + "?"
        else:
            cop = ("will not be" if fut else f"{_EN_BE[person]} not") if r["neg"] else ("will be" if fut else _EN_BE[person])
            s = (f"{time}, " if time else "") + f"{subj} {cop} {adj}."
        return _cap(s)
    if r["wh"] == "WHO":
        vp = (f"will {verb}" if fut else en_verb(verb, "3s")) + (f" {obj}" if obj else "")
        return _cap(f"who {vp}" + (f" {time}" if time else "") + "?")
    if r["wh"]:
        aux = "will" if fut else do
        return _cap(f"{w(r['wh'])} {aux} {subj} {verb}" + (f" {time}" if time else "") + "?")
    if r["yn"]:
        aux = "will" if fut else do
        return _cap(f"{aux} {subj} {verb}" + (f" {obj}" if obj else "") + (f" {time}" if time else "") + "?")
    if r["neg"]:
        vp = (f"will not {verb}" if fut else f"{do} not {verb}")
    else:
        vp = f"will {verb}" if fut else en_verb(verb, person)
    return _cap((f"{time}, " if time else "") + f"{subj} {vp}" + (f" {obj}" if obj else "") + ".")


def _zh(lex: Lexicon, r: dict) -> str:
    C = lex.concepts
    w = lambda cid: C[cid].zh  # noqa: E731
    time = w(r["time"]) if r["time"] else ""
    subj = w(r["subj"])
    obj = ((w(r["adj"]) + "的" if r["adj"] else "") + w(r["obj"])) if r["obj"] else ""
    if r["pred"]:
        if r["yn"]:
            return f"{time}{subj}{w(r['pred'])}吗？"
        return f"{time}{subj}{'不' if r['neg'] else '很'}{w(r['pred'])}。"
    verb = w(r["verb"])
    if r["wh"] == "WHO":
        return f"{time}谁{verb}{obj}？"
    if r["wh"] == "WHAT":
        return f"{time}{subj}{verb}什么？"
    if r["wh"] == "WHERE":
        return f"{time}{subj}在哪里{verb}？"
    core = f"{time}{subj}{'不' if r['neg'] else ''}{verb}{obj}"
    return core + ("吗？" if r["yn"] else "。")


def _de_np(lex: Lexicon, cid: str, acc: bool, adj: str | None = None) -> str:
    c = lex.concepts[cid]
    if c.pos == "pron":
        return c.de
    art = (_DE_ART_ACC if acc else _DE_ART_NOM)[c.de_gender]
    a = (de_adjective(lex.concepts[adj].de, strong_en=acc and c.de_gender == "m") + " ") if adj else ""
    return f"{art} {a}{c.de}"


def _de(lex: Lexicon, r: dict) -> str:
    C = lex.concepts
    person = _person(lex, r["subj"])
    time = C[r["time"]].de if r["time"] else ""
    subj = "wer" if r["subj"] == "WHO" else _de_np(lex, r["subj"], acc=False)
    obj = _de_np(lex, r["obj"], acc=True, adj=r["adj"]) if r["obj"] else ""
    nicht = " nicht" if r["neg"] else ""
    if r["pred"]:
        cop, adj = _DE_BE[person], C[r["pred"]].de
        if r["yn"]:
            return _cap(f"{cop} {subj}" + (f" {time}" if time else "") + f" {adj}?")
        head = f"{time} {cop} {subj}" if time else f"{subj} {cop}"
        return _cap(f"{head}{nicht} {adj}.")
    c = C[r["verb"]]
    verb = de_verb(c.de, person, dict(c.de_irregular))
    if r["wh"] == "WHO":
        return _cap(f"wer {verb}" + (f" {time}" if time else "") + (f" {obj}" if obj else "") + "?")
    if r["wh"]:
        return _cap(f"{C[r['wh']].de} {verb} {subj}" + (f" {time}" if time else "") + "?")
    if r["yn"]:
        return _cap(f"{verb} {subj}" + (f" {time}" if time else "") + (f" {obj}" if obj else "") + "?")
    head = f"{time} {verb} {subj}" if time else f"{subj} {verb}"
    return _cap(head + (f" {obj}" if obj else "") + nicht + ".")

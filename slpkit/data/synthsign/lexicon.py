"""SynthSign lexicons: a concept word bank and per-language sign forms.

The word bank (:data:`WORD_BANK`) lists concepts with real English, Chinese and
German words (German gender and irregular present-tense forms included) and a part
of speech / selectional class. :func:`build_lexicons` draws, for every language, a
sign form per concept from the seeded phonology (:mod:`.phonology`), so the same
concept is signed differently in ASL, CSL and DGS, except for a shared set
(``shared_fraction`` of the open-class concepts, "cold" always among them) whose
form is identical in all three (SOKE Sec. 4.3: "the sign for 'cold' in CSL and DGS
shares similar body movements"). Each lexicon also holds

- ``minimal_pairs``: concept pairs whose forms differ only in handshape;
- ``nmf_pairs``: "confusing" pairs (M3T Sec. 4.5, NMFs-CSL) whose manual forms are
  identical and which differ only in mouthing (face latent 3..7 and jaw opening), i.e.
  mostly in the 100-dim SMPL-FX expression, faintly in SMPL-X's 10 expression dims.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from slpkit.data.synthsign.phonology import HANDSHAPE_NAMES, SignForm, sample_form, sample_mouthing
from slpkit.data.text import SPOKEN, check_language

# concept|pos|classes|en|zh|de|de_gender|de_irregular (person:form,...)
# pos: pron (classes = person), person, obj (classes: m media, f food, d drink, t thing, a animal),
# vt (object classes it takes), vi, adj (noun classes it modifies), pred (predicative, people),
# time (now | fut), wh (obj | loc | subj), neg
WORD_BANK = """I|pron|1s|I|我|ich||
YOU|pron|2s|you|你|du||
HE|pron|3s|he|他|er||
SHE|pron|3s|she|她|sie||
WE|pron|1p|we|我们|wir||
TEACHER|person|3s|teacher|老师|Lehrer|m|
STUDENT|person|3s|student|学生|Student|m|
DOCTOR|person|3s|doctor|医生|Arzt|m|
MOTHER|person|3s|mother|妈妈|Mutter|f|
FATHER|person|3s|father|爸爸|Vater|m|
CHILD|person|3s|child|孩子|Kind|n|
FRIEND|person|3s|friend|朋友|Freund|m|
BROTHER|person|3s|brother|哥哥|Bruder|m|
SISTER|person|3s|sister|姐姐|Schwester|f|
MAN|person|3s|man|男人|Mann|m|
WOMAN|person|3s|woman|女人|Frau|f|
BABY|person|3s|baby|宝宝|Baby|n|
NEIGHBOUR|person|3s|neighbour|邻居|Nachbar|m|
BOSS|person|3s|boss|老板|Chef|m|
GRANDMOTHER|person|3s|grandmother|奶奶|Oma|f|
GRANDFATHER|person|3s|grandfather|爷爷|Opa|m|
BOOK|obj|m|book|书|Buch|n|
LETTER|obj|m|letter|信|Brief|m|
NEWSPAPER|obj|m|newspaper|报纸|Zeitung|f|
SONG|obj|m|song|歌曲|Lied|n|
FILM|obj|m|film|电影|Film|m|
PHOTO|obj|m|photo|照片|Foto|n|
STORY|obj|m|story|故事|Geschichte|f|
MAP|obj|m|map|地图|Karte|f|
APPLE|obj|f|apple|苹果|Apfel|m|
BREAD|obj|f|bread|面包|Brot|n|
RICE|obj|f|rice|米饭|Reis|m|
FISH|obj|fa|fish|鱼|Fisch|m|
CAKE|obj|f|cake|蛋糕|Kuchen|m|
EGG|obj|f|egg|鸡蛋|Ei|n|
BANANA|obj|f|banana|香蕉|Banane|f|
SOUP|obj|f|soup|汤|Suppe|f|
CHEESE|obj|f|cheese|奶酪|Käse|m|
MEAT|obj|f|meat|肉|Fleisch|n|
NOODLES|obj|f|noodles|面条|Nudel|f|
SALAD|obj|f|salad|沙拉|Salat|m|
WATER|obj|d|water|水|Wasser|n|
TEA|obj|d|tea|茶|Tee|m|
COFFEE|obj|d|coffee|咖啡|Kaffee|m|
MILK|obj|d|milk|牛奶|Milch|f|
JUICE|obj|d|juice|果汁|Saft|m|
BEER|obj|d|beer|啤酒|Bier|n|
WINE|obj|d|wine|葡萄酒|Wein|m|
HOUSE|obj|t|house|房子|Haus|n|
CAR|obj|t|car|汽车|Auto|n|
BICYCLE|obj|t|bicycle|自行车|Fahrrad|n|
BALL|obj|t|ball|球|Ball|m|
COMPUTER|obj|t|computer|电脑|Computer|m|
PHONE|obj|t|phone|手机|Handy|n|
MONEY|obj|t|money|钱|Geld|n|
FLOWER|obj|ta|flower|花|Blume|f|
DOOR|obj|t|door|门|Tür|f|
WINDOW|obj|t|window|窗户|Fenster|n|
TABLE|obj|t|table|桌子|Tisch|m|
CHAIR|obj|t|chair|椅子|Stuhl|m|
BAG|obj|t|bag|包|Tasche|f|
SHOE|obj|t|shoe|鞋|Schuh|m|
HAT|obj|t|hat|帽子|Hut|m|
KEY|obj|t|key|钥匙|Schlüssel|m|
CLOCK|obj|t|clock|钟|Uhr|f|
CUP|obj|t|cup|杯子|Tasse|f|
CAMERA|obj|t|camera|相机|Kamera|f|
UMBRELLA|obj|t|umbrella|雨伞|Schirm|m|
GAME|obj|t|game|游戏|Spiel|n|
BOX|obj|t|box|盒子|Kiste|f|
SHIRT|obj|t|shirt|衬衫|Hemd|n|
JACKET|obj|t|jacket|夹克|Jacke|f|
BED|obj|t|bed|床|Bett|n|
LAMP|obj|t|lamp|灯|Lampe|f|
PEN|obj|t|pen|笔|Stift|m|
TICKET|obj|t|ticket|票|Ticket|n|
GIFT|obj|t|gift|礼物|Geschenk|n|
BOAT|obj|t|boat|船|Boot|n|
CAT|obj|a|cat|猫|Katze|f|
DOG|obj|a|dog|狗|Hund|m|
BIRD|obj|a|bird|鸟|Vogel|m|
HORSE|obj|a|horse|马|Pferd|n|
RABBIT|obj|a|rabbit|兔子|Hase|m|
COW|obj|a|cow|牛|Kuh|f|
PIG|obj|a|pig|猪|Schwein|n|
MOUSE|obj|a|mouse|老鼠|Maus|f|
BUY|vt|fdtma|buy|买|kaufen||
EAT|vt|f|eat|吃|essen||2s:isst,3s:isst
DRINK|vt|d|drink|喝|trinken||
READ|vt|m|read|读|lesen||2s:liest,3s:liest
SEE|vt|tam|see|看见|sehen||2s:siehst,3s:sieht
NEED|vt|fdt|need|需要|brauchen||
LOVE|vt|fdtam|love|爱|lieben||
WANT|vt|fdtam|want|想要|wollen||1s:will,2s:willst,3s:will
COOK|vt|f|cook|煮|kochen||
CARRY|vt|t|carry|搬|tragen||2s:trägst,3s:trägt
SELL|vt|fdt|sell|卖|verkaufen||
PAINT|vt|ta|paint|画|malen||
SHOW|vt|tm|show|展示|zeigen||
OPEN|vt|t|open|打开|öffnen||
BUILD|vt|t|build|建造|bauen||
LEARN|vt|m|learn|学|lernen||
PLAY|vt|t|play|玩|spielen||
HEAR|vt|ma|hear|听见|hören||
BRING|vt|fdt|bring|带来|bringen||
WASH|vt|t|wash|洗|waschen||2s:wäschst,3s:wäscht
FIND|vt|ta|find|找到|finden||
WRITE|vt|m|write|写|schreiben||
HOLD|vt|ta|hold|拿着|halten||2s:hältst,3s:hält
ORDER|vt|fd|order|点|bestellen||
USE|vt|t|use|使用|benutzen||
TAKE|vt|fdt|take|拿|nehmen||2s:nimmst,3s:nimmt
FEED|vt|a|feed|喂|füttern||
CLEAN|vt|t|clean|打扫|putzen||
PACK|vt|t|pack|收拾|packen||
SEND|vt|m|send|寄|schicken||
SLEEP|vi||sleep|睡觉|schlafen||2s:schläfst,3s:schläft
WORK|vi||work|工作|arbeiten||
RUN|vi||run|跑步|laufen||2s:läufst,3s:läuft
LAUGH|vi||laugh|笑|lachen||
CRY|vi||cry|哭|weinen||
SWIM|vi||swim|游泳|schwimmen||
WAIT|vi||wait|等待|warten||
DANCE|vi||dance|跳舞|tanzen||
SING|vi||sing|唱歌|singen||
TRAVEL|vi||travel|旅行|reisen||
COME|vi||come|来|kommen||
STUDY|vi||study|复习|studieren||
REST|vi||rest|休息|ruhen||
TALK|vi||talk|说话|reden||
JUMP|vi||jump|跳|springen||
RED|adj|ta|red|红色|rot||
BLUE|adj|ta|blue|蓝色|blau||
GREEN|adj|ta|green|绿色|grün||
BLACK|adj|ta|black|黑色|schwarz||
WHITE|adj|ta|white|白色|weiß||
YELLOW|adj|ta|yellow|黄色|gelb||
BIG|adj|ta|big|大|groß||
SMALL|adj|ta|small|小|klein||
NEW|adj|tm|new|新|neu||
OLD|adj|ta|old|旧|alt||
BEAUTIFUL|adj|tam|beautiful|漂亮|schön||
CHEAP|adj|fdt|cheap|便宜|billig||
HOT|adj|fd|hot|热|heiß||
COLD|adj|fd|cold|冷|kalt||
GOOD|adj|fdtm|good|好|gut||
BAD|adj|fm|bad|坏|schlecht||
FRESH|adj|fd|fresh|新鲜|frisch||
SWEET|adj|fd|sweet|甜|süß||
LONG|adj|m|long|长|lang||
FAST|adj|t|fast|快|schnell||
TIRED|pred|p|tired|累|müde||
HAPPY|pred|p|happy|高兴|glücklich||
SAD|pred|p|sad|难过|traurig||
HUNGRY|pred|p|hungry|饿|hungrig||
EXCITED|pred|p|excited|兴奋|aufgeregt||
ANGRY|pred|p|angry|生气|wütend||
BUSY|pred|p|busy|忙|beschäftigt||
THIRSTY|pred|p|thirsty|渴|durstig||
NERVOUS|pred|p|nervous|紧张|nervös||
LAZY|pred|p|lazy|懒|faul||
TODAY|time|now|today|今天|heute||
TOMORROW|time|fut|tomorrow|明天|morgen||
NOW|time|now|now|现在|jetzt||
LATER|time|fut|later|以后|später||
WHAT|wh|obj|what|什么|was||
WHERE|wh|loc|where|哪里|wo||
WHO|wh|subj|who|谁|wer||
NOT|neg||not|不|nicht||
"""

#: closed classes: always in the vocabulary, never in minimal / NMF pairs or the shared set
CLOSED_POS = ("pron", "time", "wh", "neg")
#: spoken function words that have no sign of their own
FUNCTION_WORDS: dict[str, frozenset] = {
    "asl": frozenset({"the", "a", "do", "does", "will", "be", "is", "am", "are"}),
    "csl": frozenset({"的", "很", "吗", "在"}),
    "dgs": frozenset({"der", "die", "das", "den", "ist", "bin", "bist", "sind"}),
}


@dataclass(frozen=True)
class Concept:
    id: str
    pos: str
    classes: str
    en: str
    zh: str
    de: str
    de_gender: str
    de_irregular: tuple  # ((person, form), ...)

    def word(self, language: str) -> str:
        """Lemma in the spoken language of ``language`` (lower-case except Chinese)."""
        lang = SPOKEN[check_language(language)]
        w = getattr(self, lang)
        return w if lang == "zh" else w.lower()

    def surface(self, language: str) -> str:
        """Dictionary spelling (German nouns capitalised, English 'I')."""
        return getattr(self, SPOKEN[check_language(language)])


@lru_cache(maxsize=None)
def word_bank() -> tuple[Concept, ...]:
    out = []
    for line in WORD_BANK.strip().splitlines():
        cid, pos, classes, en, zh, de, gender, irr = line.split("|")
        irr_t = tuple(tuple(x.split(":")) for x in irr.split(",") if x)
        out.append(Concept(cid, pos, classes, en, zh, de, gender, irr_t))
    return tuple(out)


def known_words(language: str) -> tuple[frozenset, dict]:
    """(lemmas of the whole word bank, {irregular form: lemma}) for ``language``'s spoken language."""
    lang = SPOKEN[check_language(language)]
    lemmas = frozenset(c.word(language) for c in word_bank())
    irr = {}
    if lang == "de":
        for c in word_bank():
            for _, form in c.de_irregular:
                irr[form] = c.word(language)
    return lemmas, irr


def gloss_of(concept: Concept, language: str) -> str:
    """Gloss label: upper-case lemma for ASL / DGS, the Chinese word for CSL (as in CSL-Daily)."""
    w = concept.surface(language)
    return w if SPOKEN[language] == "zh" else w.upper()


def _key(*parts) -> list[int]:
    return [zlib.crc32(str(p).encode()) for p in parts]


def sub_rng(seed: int, *parts) -> np.random.Generator:
    """Deterministic generator for a named sub-stream (no global state)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, *_key(*parts)])


@dataclass
class Lexicon:
    """Concepts of one sign language with their gloss, word and sign form."""

    language: str
    concepts: dict  # concept id -> Concept
    forms: dict  # concept id -> SignForm
    glosses: dict  # concept id -> gloss
    shared: tuple = ()
    minimal_pairs: tuple = ()  # ((concept_a, concept_b), ...) differing only in handshape
    nmf_pairs: tuple = ()  # ((concept_a, concept_b), ...) differing only in face
    form_keys: dict = field(default_factory=dict)  # concept -> seed key (pair partners share it)

    def word(self, cid: str) -> str:
        return self.concepts[cid].word(self.language)

    def by_pos(self, *pos: str) -> list[str]:
        cache = self.__dict__.setdefault("_by_pos", {})
        if pos not in cache:
            cache[pos] = [c for c, k in self.concepts.items() if k.pos in pos]
        return cache[pos]

    def concept_of_gloss(self) -> dict:
        return {g: c for c, g in self.glosses.items()}


def select_vocabulary(seed: int, vocab_fraction: float) -> list[Concept]:
    """Closed classes + a seeded ``vocab_fraction`` of every open class (verbs keep >= 1 object class)."""
    bank = word_bank()
    rng = sub_rng(seed, "vocab")
    chosen: list[Concept] = []
    by_pos: dict[str, list[Concept]] = {}
    for c in bank:
        by_pos.setdefault(c.pos, []).append(c)
    for pos, items in by_pos.items():
        if pos in CLOSED_POS or vocab_fraction >= 1.0:
            chosen += items
            continue
        n = max(2, int(round(vocab_fraction * len(items))))
        idx = np.sort(rng.choice(len(items), size=min(n, len(items)), replace=False))
        keep = [items[i] for i in idx]
        if pos == "adj" and not any(c.id == "COLD" for c in keep):  # SOKE's shared example
            keep[-1] = next(c for c in items if c.id == "COLD")
        chosen += keep
    obj_classes = set("".join(c.classes for c in chosen if c.pos == "obj"))
    chosen = [c for c in chosen if c.pos != "vt" or set(c.classes) & obj_classes]
    order = {c.id: i for i, c in enumerate(bank)}
    return sorted(chosen, key=lambda c: order[c.id])


def build_lexicons(seed: int, languages=("asl", "csl", "dgs"), vocab_fraction: float = 1.0,
                   shared_fraction: float = 0.2, n_minimal_pairs: int = 6, n_nmf_pairs: int = 6) -> dict:
    """One :class:`Lexicon` per language, all from ``seed``."""
    concepts = select_vocabulary(seed, vocab_fraction)
    open_ids = [c.id for c in concepts if c.pos not in CLOSED_POS]
    rng = sub_rng(seed, "shared")
    n_shared = int(round(shared_fraction * len(open_ids)))
    shared = set(rng.choice(open_ids, size=n_shared, replace=False).tolist()) if n_shared else set()
    if "COLD" in open_ids and n_shared:
        shared.add("COLD")
    shared_forms = {}
    for cid in sorted(shared):
        shared_forms[cid] = sample_form(sub_rng(seed, "shared-form", cid))
    lexicons = {}
    for lang in languages:
        check_language(lang)
        lrng = sub_rng(seed, "lexicon", lang)
        forms: dict[str, SignForm] = {}
        used = {f.manual_key() for f in shared_forms.values()}
        for c in concepts:
            if c.id in shared_forms:
                forms[c.id] = shared_forms[c.id]
                continue
            for _ in range(1000):
                f = sample_form(lrng)
                if f.manual_key() not in used:
                    break
            used.add(f.manual_key())
            forms[c.id] = f
        keys = {cid: (f"shared:{cid}" if cid in shared else f"{lang}:{cid}") for cid in forms}
        # minimal pairs among non-shared open concepts
        cand = [cid for cid in open_ids if cid not in shared]
        order = lrng.permutation(len(cand))
        cand = [cand[i] for i in order]
        n_hs = min(n_minimal_pairs, len(cand) // 4)
        n_nmf = min(n_nmf_pairs, len(cand) // 4)
        mp, nmf = [], []
        for i in range(n_hs):
            a, b = cand[2 * i], cand[2 * i + 1]
            fa = forms[a]
            for _ in range(1000):
                hs = str(lrng.choice(HANDSHAPE_NAMES))
                fb = fa.with_handshape(hs)
                if hs not in (fa.handshape, fa.handshape_end) and fb.manual_key() not in used:
                    break
            used.add(fb.manual_key())
            forms[b] = fb
            keys[b] = keys[a]
            mp.append((a, b))
        off = 2 * n_hs
        for i in range(n_nmf):
            a, b = cand[off + 2 * i], cand[off + 2 * i + 1]
            fa = forms[a]
            for _ in range(1000):
                m, syl, jaw, lex = sample_mouthing(lrng)
                if np.linalg.norm(np.subtract(m, fa.mouth)) > 1.2:
                    break
            used.discard(forms[b].manual_key())
            forms[b] = fa.with_face(m, syl, jaw, fa.lexical_face)  # mouthing (and jaw) only
            keys[b] = keys[a]
            nmf.append((a, b))
        cmap = {c.id: c for c in concepts}
        lexicons[lang] = Lexicon(
            language=lang, concepts=cmap, forms=forms, glosses={c.id: gloss_of(c, lang) for c in concepts},
            shared=tuple(sorted(shared)), minimal_pairs=tuple(mp), nmf_pairs=tuple(nmf), form_keys=keys,
        )
    return lexicons

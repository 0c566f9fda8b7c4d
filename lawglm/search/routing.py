"""Legal-area and governing-law routing of a question: what kind of matter it is and which documents govern
it.

Stable interface (other parts of lawglm build on it — retrieval's preference for governing documents, the
answer's 下一步 forum and deadline):

    from lawglm.search.routing import AREAS, Routing, route
    r = route("公司把我辞退了，干了三年半，月薪八千，能要多少赔偿？")
    r.area         # one of AREAS: "labor_dismissal"
    r.laws         # documents that govern the area, most governing first (full corpus titles), () for "other"
    r.confidence   # 0..1: the top area's share of the cue evidence, damped when the evidence is thin
    r.scores       # every area with evidence -> its score (the cue weights found in the question)
    r.runner_up    # the second area ("" when none), for questions that span two areas
    r.unsure       # confidence < settings.ROUTING_UNSURE_BELOW (or a tie) and another area has evidence
    r.candidates   # (area,) when sure; when unsure also every area scoring at least ROUTING_CLOSE_SHARE
                   # of the top one, and the runner-up: 下一步 shows the shortest of their deadlines first

AREAS is a closed set: labor_dismissal, wages, work_injury, tenancy, consumer, online_shopping, marriage,
inheritance, loans, traffic, neighbours, privacy, criminal, administrative, other ("other": no cue found;
confidence 0). The cue words and governing documents are data (`lawglm/data/routing.json`), written from the
statutes and from how people put things (被炒了, 房东扣押金, 城管收了我的三轮车); routing is a weighted cue
count (no model), so it costs well under a millisecond and never fails. A cue found only inside a longer cue
of another area, or inside a `neutral` phrase, does not count (出租 in 跑出租车, 走了 in 让我走了): the
longer words say what the question is about.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from lawglm.settings import PACKAGE_DIR, ROUTING_CLOSE_SHARE, ROUTING_UNSURE_BELOW

ROUTING_FILE = PACKAGE_DIR / "data" / "routing.json"
OTHER = "other"
AREAS = ("labor_dismissal", "wages", "work_injury", "tenancy", "consumer", "online_shopping", "marriage",
         "inheritance", "loans", "traffic", "neighbours", "privacy", "criminal", "administrative", OTHER)
# evidence (sum of cue weights) at which confidence stops being damped for thinness
FULL_EVIDENCE = 6.0


@dataclass(frozen=True)
class Routing:
    """Where a question belongs: its legal area, the documents that govern it, and how sure routing is."""

    area: str
    laws: tuple[str, ...] = ()
    confidence: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    runner_up: str = ""

    @property
    def unsure(self) -> bool:
        """Confidence under settings.ROUTING_UNSURE_BELOW with another area in sight."""
        return len(self.candidates) > 1

    @property
    def candidates(self) -> tuple[str, ...]:
        """The area, then — when confidence is under ROUTING_UNSURE_BELOW or the runner-up ties — every other
        area (not `other`) whose score is at least ROUTING_CLOSE_SHARE of the top one, by score, and the
        runner-up."""
        out = [self.area]
        top = self.scores.get(self.area, 0.0)
        tied = bool(self.runner_up) and self.scores.get(self.runner_up, 0.0) >= top
        if self.area == OTHER or (self.confidence >= ROUTING_UNSURE_BELOW and not tied):
            return tuple(out)
        out += [a for a, s in sorted(self.scores.items(), key=lambda kv: (-kv[1], AREAS.index(kv[0])))
                if a not in out and a != OTHER and s >= ROUTING_CLOSE_SHARE * top]
        if self.runner_up and self.runner_up not in out and self.runner_up != OTHER:
            out.append(self.runner_up)
        return tuple(out)

    def to_dict(self) -> dict:
        return {"area": self.area, "laws": list(self.laws), "confidence": round(self.confidence, 3),
                "scores": self.scores, "runner_up": self.runner_up, "unsure": self.unsure,
                "candidates": list(self.candidates)}


Cue = tuple[str, str, float]  # (words, area — "" for a neutral phrase —, weight)


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[Cue, ...], dict[str, tuple[str, ...]]]:
    """(every cue, longest first; area -> its governing documents)."""
    raw = json.loads(ROUTING_FILE.read_text(encoding="utf-8"))
    cues: list[Cue] = [(_normalise(str(w)), "", 0.0) for w in raw.get("neutral", ())]
    laws = {}
    for area, spec in raw["areas"].items():
        if area not in AREAS or area == OTHER:
            raise ValueError(f"{ROUTING_FILE}: unknown area {area!r}")
        for c in spec["cues"]:
            words, weight = (c, 1.0) if isinstance(c, str) else (str(c[0]), float(c[1]))
            cues.append((_normalise(words), area, weight))
        laws[area] = tuple(spec.get("laws", ()))
    best: dict[tuple[str, str], float] = {}  # App and APP are one cue once normalised: the higher weight
    for w, a, wt in cues:
        best[(w, a)] = max(wt, best.get((w, a), wt))
    return tuple(sorted(((w, a, wt) for (w, a), wt in best.items()), key=lambda c: -len(c[0]))), laws


def _normalise(question: str) -> str:
    """Full-width letters and digits as ASCII, lower case, no white space (ＨＲ, hr and HR are one cue)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", question or "").lower())


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _spans(q: str, words: str) -> list[tuple[int, int]]:
    """Where `words` occurs in `q`; a cue that begins or ends with a letter or digit (996, hr, lpr) only where
    it is not part of a longer run of them (1996年 is no 996, chrome no hr)."""
    out, i = [], q.find(words)
    while i >= 0:
        j = i + len(words)
        if not ((_ascii_alnum(words[0]) and i > 0 and _ascii_alnum(q[i - 1]))
                or (_ascii_alnum(words[-1]) and j < len(q) and _ascii_alnum(q[j]))):
            out.append((i, j))
        i = q.find(words, i + 1)
    return out


def cue_matches(question: str) -> list[tuple[str, str, float]]:
    """The cues that count in `question`: (words, area, weight), each cue once, longest first. A cue whose
    every occurrence lies inside a longer cue of another area (or a neutral phrase) does not count."""
    q = _normalise(question)
    found = [(w, a, wt, _spans(q, w)) for w, a, wt in _table()[0] if w and w in q]
    starts: dict[int, list[tuple[int, str, int]]] = {}  # start -> (end, area, length) of every occurrence
    longest = 0
    for w, a, _, spans in found:
        longest = max(longest, len(w))
        for i, j in spans:
            starts.setdefault(i, []).append((j, a, len(w)))

    def covered(i: int, j: int, area: str) -> bool:
        return any(e >= j and a2 != area and n > j - i
                   for s0 in range(max(0, j - longest), i + 1) for e, a2, n in starts.get(s0, ()))

    return [(w, a, wt) for w, a, wt, spans in found if a and any(not covered(i, j, a) for i, j in spans)]


def route(question: str) -> Routing:
    """The legal area of `question`, the documents governing it and a confidence (see the module doc)."""
    scores: dict[str, float] = {}
    for _, area, weight in cue_matches(question):
        scores[area] = scores.get(area, 0.0) + weight
    scores = {a: s for a, s in scores.items() if s > 0}
    if not scores:
        return Routing(OTHER)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], AREAS.index(kv[0])))
    area, top = ranked[0]
    total = sum(scores.values())
    confidence = (top / total) * min(1.0, top / FULL_EVIDENCE)
    return Routing(area, _table()[1][area], round(confidence, 4), dict(ranked),
                   ranked[1][0] if len(ranked) > 1 else "")

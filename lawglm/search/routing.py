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

AREAS is a closed set: labor_dismissal, wages, work_injury, tenancy, consumer, online_shopping, marriage,
inheritance, loans, traffic, neighbours, privacy, criminal, administrative, other ("other": no cue found;
confidence 0). The cue words and governing documents are data (`lawglm/data/routing.json`), written from the
statutes; routing is a weighted cue count (no model), so it costs well under a millisecond and never fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from lawglm.settings import PACKAGE_DIR

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

    def to_dict(self) -> dict:
        return {"area": self.area, "laws": list(self.laws), "confidence": round(self.confidence, 3),
                "scores": self.scores, "runner_up": self.runner_up}


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[tuple[tuple[str, float], ...], tuple[str, ...]]]:
    data = json.loads(ROUTING_FILE.read_text(encoding="utf-8"))["areas"]
    out = {}
    for area, spec in data.items():
        if area not in AREAS:
            raise ValueError(f"{ROUTING_FILE}: unknown area {area!r}")
        cues = tuple((c, 1.0) if isinstance(c, str) else (str(c[0]), float(c[1])) for c in spec["cues"])
        out[area] = (cues, tuple(spec.get("laws", ())))
    return out


def _normalise(question: str) -> str:
    return re.sub(r"\s+", "", question or "")


def route(question: str) -> Routing:
    """The legal area of `question`, the documents governing it and a confidence (see the module doc)."""
    q = _normalise(question)
    scores: dict[str, float] = {}
    for area, (cues, _) in _table().items():
        s = sum(w for cue, w in cues if cue in q)
        if s:
            scores[area] = s
    if not scores:
        return Routing(OTHER)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], AREAS.index(kv[0])))
    area, top = ranked[0]
    total = sum(scores.values())
    confidence = (top / total) * min(1.0, top / FULL_EVIDENCE)
    return Routing(area, _table()[area][1], round(confidence, 4), dict(ranked),
                   ranked[1][0] if len(ranked) > 1 else "")


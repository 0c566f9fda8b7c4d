"""A character-level CRF that tags field values in a request (one model per template), trained only on
requests synthesised from the templates' own schemas (synth.py).

Owns `features(text)` (per character: the character and its neighbours, its jieba word and the words
around it, whether a date / amount / percentage / duration / organisation / address recogniser covers it,
and the nearest cue or role word before it in its clause), `train(...)`, `tag(tpl, text)` and
`model_extract(tpl, text) -> {field: (value, spans)}`: each labelled span parsed into the field's loose
input form by the same parsers the rules use (amounts, dates, durations, percentages), item rows and
payment stages grouped in order. Models live in lawglm/contracts/models/<template>.crfsuite and are
loaded on first use; `python -m lawglm.contracts.tagger --out DIR` trains them
(python-crfsuite; one thread).
"""

from __future__ import annotations

import argparse
import functools
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

from .money import format_number, parse_amount
from .parties import find_orgs
from .places import addresses_in
from .scalars import AMOUNT_RE, DURATION_RE, PERCENT_RE, _duration, dates_in, percent_value
from .schema import BUILT_IN, Template, load_templates
from .words import word_spans

MODELS_DIR = Path(__file__).resolve().parent / "models"
CLAUSE = re.compile(r"[，,。；;！!？?\n：:、\s]")
HYBRID_CONFIDENCE = (
    0.8  # hybrid keeps a model span only this sure (chosen on the dev parts: P rises, R barely moves)
)
CN_DIGITS = set("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟")


def _char_class(ch: str) -> str:
    if ch.isdigit():
        return "D"
    if ch in CN_DIGITS:
        return "N"
    if "\u4e00" <= ch <= "\u9fff":
        return "C"
    if ch.isascii() and ch.isalpha():
        return "L"
    return "P" if not ch.isspace() else "S"


@functools.lru_cache(maxsize=1)
def _cue_regex() -> re.Pattern:
    words = set()
    for tpl in load_templates().values():
        for f in tpl.fields.values():
            words |= {c for c in f.cues if not c.startswith("re:") and len(c) >= 2}
            if f.type == "party":
                words |= {w for w in (f.role, f.title, *f.aliases, *f.after, *f.before) if w}
        words |= set(tpl.person_anchors())
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))


def _covered(n: int, spans) -> list[bool]:
    out = [False] * n
    for s, e in spans:
        for i in range(max(0, s), min(n, e)):
            out[i] = True
    return out


def features(text: str) -> list[list[str]]:
    """One feature list per character."""
    n = len(text)
    marks = {
        "date": _covered(n, [(s, e) for s, e, _ in dates_in(text)]),
        "amount": _covered(n, [m.span() for m in AMOUNT_RE.finditer(text)]),
        "pct": _covered(n, [m.span() for m in PERCENT_RE.finditer(text)]),
        "dur": _covered(n, [m.span() for m in DURATION_RE.finditer(text)]),
        "org": _covered(n, [(m.start, m.end) for m in find_orgs(text)]),
        "addr": _covered(n, [(s, e) for s, e, _ in addresses_in(text)]),
    }
    words = word_spans(text)
    word_of = [0] * n
    for k, (s, e) in enumerate(words):
        for i in range(s, e):
            word_of[i] = k
    last_cue = [""] * n
    cue = ""
    cues = {m.end(): m.group(0) for m in _cue_regex().finditer(text)}
    for i, ch in enumerate(text):
        if CLAUSE.match(ch):
            cue = ""
        if i in cues:
            cue = cues[i]
        last_cue[i] = cue
    out = []
    for i, ch in enumerate(text):
        k = word_of[i]
        s, e = words[k]
        w = text[s:e]
        f = [
            f"c={ch}",
            f"k={_char_class(ch)}",
            f"c-1={text[i - 1] if i else '^'}",
            f"c+1={text[i + 1] if i + 1 < n else '$'}",
            f"c-2={text[i - 2] if i > 1 else '^'}",
            f"c+2={text[i + 2] if i + 2 < n else '$'}",
            f"b-={text[max(0, i - 1) : i + 1]}",
            f"b+={text[i : i + 2]}",
            f"wp={'S' if e - s == 1 else 'B' if i == s else 'E' if i == e - 1 else 'M'}",
            f"w-1={text[words[k - 1][0] : words[k - 1][1]] if k else '^'}",
            f"w+1={text[words[k + 1][0] : words[k + 1][1]] if k + 1 < len(words) else '$'}",
            f"cue={last_cue[i]}",
        ]
        if len(w) <= 6:
            f.append(f"w={w}")
        f += [name for name, covered in marks.items() if covered[i]]
        out.append(f)
    return out


def bio(text: str, spans: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * len(text)
    for s, e, label in spans:
        tags[s] = f"B-{label}"
        for i in range(s + 1, e):
            tags[i] = f"I-{label}"
    return tags


# --- training ---------------------------------------------------------------------------------
def train(out_dir: Path, per_template: int = 3000, seed: int = 0, names: list[str] | None = None,
          max_iterations: int = 150, log=print) -> dict[str, float]:
    """Train one CRF per template on synthesised requests; returns seconds per template."""
    import pycrfsuite

    from .synth import synthesize

    out_dir.mkdir(parents=True, exist_ok=True)
    took = {}
    for tpl in load_templates().values():
        if names and tpl.name not in names:
            continue
        t0 = time.perf_counter()
        rng = random.Random(f"{seed}-{tpl.name}")
        trainer = pycrfsuite.Trainer(verbose=False)
        for _ in range(per_template):
            s = synthesize(tpl, rng)
            trainer.append(features(s.text), bio(s.text, s.spans))
        trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": max_iterations, "feature.minfreq": 2,
                            "feature.possible_transitions": True})
        trainer.train(str(out_dir / f"{tpl.name}.crfsuite"))
        took[tpl.name] = time.perf_counter() - t0
        log(f"{tpl.name}: {per_template} synthesised requests, {took[tpl.name]:.0f} s")
    return took


# --- tagging and decoding ---------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _tagger(path: str):
    import pycrfsuite

    t = pycrfsuite.Tagger()
    t.open(path)
    return t


def model_path(tpl: Template, models_dir: Path | None = None) -> Path:
    return (models_dir or MODELS_DIR) / f"{tpl.name}.crfsuite"


def available(tpl: Template, models_dir: Path | None = None) -> bool:
    """A model trained for this template (a user template, even one named like a built-in, has none)."""
    return tpl.source == BUILT_IN and model_path(tpl, models_dir).exists()


def tag(tpl: Template, text: str, models_dir: Path | None = None) -> list[tuple[int, int, str]]:
    """Labelled spans (start, end, label) the template's model finds in the text."""
    if not text:
        return []
    return [(s, e, label) for s, e, label, _ in tag_scored(tpl, text, models_dir)]


def tag_scored(tpl: Template, text: str, models_dir: Path | None = None) -> list[tuple[int, int, str, float]]:
    """Labelled spans with the model's confidence: the lowest marginal probability of the span's tags."""
    if not text:
        return []
    tagger = _tagger(str(model_path(tpl, models_dir)))
    tags = tagger.tag(features(text))
    spans, start, label = [], None, ""
    for i, t in enumerate(tags + ["O"]):
        if start is not None and (t == "O" or t.startswith("B-") or t[2:] != label):
            spans.append((start, i, label, min(tagger.marginal(tags[j], j) for j in range(start, i))))
            start = None
        if t.startswith("B-") or (t.startswith("I-") and start is None):
            start, label = i, t[2:]
    return spans


def _scalar(spec, piece: str) -> Any:
    if spec.type == "money":
        return format_number(parse_amount(piece))
    if spec.type == "date":
        found = dates_in(piece)
        return found[0][2] if found else None
    if spec.type == "integer":
        m = DURATION_RE.search(piece)
        return (_duration(spec, m) if m else piece if piece.isdigit() else None)
    if spec.type == "percent":
        m = PERCENT_RE.search(piece)
        return percent_value(m) if m else None
    if spec.type == "number":
        m = re.search(r"\d+(?:\.\d+)?", piece)
        return m.group(0) if m else None
    if spec.type == "choice":
        from .extract import choice_value

        return choice_value(spec, piece)
    return piece.strip() or None


def _rows(spans: list[tuple[int, int, str]], text: str, field: str) -> list[dict]:
    rows: list[dict] = []
    for s, e, label in spans:
        key = label.split(".", 1)[1]
        if key == "name" or not rows or key in rows[-1]:
            if key != "name" and rows and "name" not in rows[-1]:
                rows[-1][key] = text[s:e]
                continue
            rows.append({})
        rows[-1][key] = text[s:e]
    return [r for r in rows if r.get("name")]


def model_extract(tpl: Template, text: str, models_dir: Path | None = None,
                  min_confidence: float = 0.0) -> dict[str, tuple[Any, list]]:
    """{field: (value in loose input form, spans)} from the template's model, spans the model is at least
    min_confidence sure of (the lowest marginal probability of their tags); {} without a model."""
    if not available(tpl, models_dir):
        return {}
    spans = [(s, e, label) for s, e, label, p in tag_scored(tpl, text, models_dir) if p >= min_confidence]
    out: dict[str, tuple[Any, list]] = {}
    for name, spec in tpl.fields.items():
        mine = [x for x in spans if x[2] == name or x[2].startswith(name + ".")]
        if not mine:
            continue
        where = [(s, e) for s, e, _ in mine]
        if spec.type == "party":
            out[name] = ({"name": text[mine[0][0]:mine[0][1]]}, where[:1])
        elif spec.type == "items":
            rows = _rows(mine, text, name)
            if rows:
                out[name] = (rows, where)
        elif spec.type == "dispute":
            court = [text[a:b] for a, b, label in mine if label.endswith(".court")]
            commission = [text[a:b] for a, b, label in mine if label.endswith(".commission")]
            out[name] = ({"method": "诉讼", "court": court[0]} if court else
                         {"method": "仲裁", "commission": commission[0]}, where[:1])
        elif spec.type == "schedule":
            stages = [{"stage": f"第{i + 1}期", "percent": p} for i, (s, e, _) in enumerate(mine)
                      if (m := PERCENT_RE.search(text[s:e])) and (p := percent_value(m)) is not None]
            if stages:
                out[name] = (stages, where)
        else:
            try:
                value = _scalar(spec, text[mine[0][0]:mine[0][1]])
            except ValueError:
                value = None
            if value not in (None, ""):
                out[name] = (value, where[:1])
    return out


def _overlaps(spans: list, used: list) -> bool:
    return any(s < d and c < e for s, e in spans for c, d in used)


def with_model(tpl: Template, ex, mode: str, models_dir: Path | None = None):
    """The rules' Extraction with the model's values: `model` keeps only the model's; `hybrid` adds a model
    value (a span the model is HYBRID_CONFIDENCE sure of) for a field the rules left empty, when its words
    are not already used by another field. A model value is the request's own span, parsed by the rules'
    parsers, and is validated like every extracted value. Returns (extraction, notes)."""
    from .extract import Extraction

    if not available(tpl, models_dir):
        return ex, [
            (f"no trained field tagger for {tpl.name} (lawglm/contracts/models); fields were extracted by "
             "rules")
        ]
    if mode == "model":
        found = model_extract(tpl, ex.text, models_dir)
        out = Extraction(text=ex.text, asked=set(ex.asked))
        for name, (value, spans) in found.items():
            out.put(name, value, spans)
        out.evidence["_parties"] = [
            sp for n, (v, sps) in found.items() if tpl.fields[n].type == "party" for sp in sps
        ]
        return out, []
    used = [sp for n, sps in ex.evidence.items() if n in ex.values or n == "_parties" for sp in sps]
    found = model_extract(tpl, ex.text, models_dir, HYBRID_CONFIDENCE)
    for name, (value, spans) in found.items():
        if name not in ex.values and not _overlaps(spans, used):
            ex.put(name, value, spans)
            if tpl.fields[name].type == "party":
                ex.evidence["_parties"] = ex.evidence.get("_parties", []) + list(spans)
            used += spans
    return ex, []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="train the contract field taggers on synthesised requests")
    ap.add_argument("--out", default=str(MODELS_DIR))
    ap.add_argument("--per-template", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--only", default="", help="comma-separated template names")
    args = ap.parse_args(argv)
    took = train(Path(args.out), args.per_template, args.seed, [n for n in args.only.split(",") if n] or None,
                 args.iterations)
    print(f"trained {len(took)} taggers in {sum(took.values()):.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

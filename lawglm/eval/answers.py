"""`lawglm eval answers`: does an answer decide the question? Key-fact accuracy and harm, answer modes side
by side (retrieval-only and model modes), on bench/data/answers/answers.jsonl (schema in its README).

Key facts, each scored from the answer text a person reads (so every mode is scored the same way):
- `yes_no`: the verdict of the 结论's first sentence (`verdict`: 不可以/不能/无权/违法/无效… -> no,
  可以/能/有权/合法/有效/应当… -> yes; none -> not answered);
- `article`: the gold law + number is the first article the answer cites (the one it puts forward as
  deciding); `article_any` (cited anywhere) and `clause` (the gold 款/项 named with it) are reported too;
- `forum`: the gold first forum is named in the first step of 下一步 (the whole text when there is none) as a
  place to go now — a mention as a later step or ruled out (对仲裁裁决不服的，再向人民法院起诉; 不能直接向法院
  起诉) does not count; for 行政复议 the step must not offer direct litigation (not even "where the law
  allows it");
- `deadline`: the gold period (value + unit, 一年 / 1年 / 六十日 / 60天 …) is stated;
- `deadline_end`: a date stated within ±1 day of the gold last day;
- `amount`: a figure of the 结论 (any figure of the answer when it has no 结论) within ±1% or ±1 元.
Accuracy = matched / scored over every non-null key fact of every row (also per fact).

Harm (the issue's definition): a stated yes/no opposite to the gold one; a first step that sends the person
to court before 劳动仲裁 / 行政复议 / 工伤认定 where that must come first (or offers direct litigation where
行政复议 must come first); a first stated period longer than the true one.
Echoes: 结论 sentences that copy the question back (answer/clauses.is_echo).

Held-back third: rows with int(sha1(id), 16) % 3 == 0; `--split dev` (default) never reads their answers'
scores into anything but the held-back report. ROUGE-L against lawyers' answers (LawBench-style, chars) is a
secondary column when `--rouge-data` names a file of {question, answer} rows, with the top-two-article quote
as the baseline it must not fall below.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lawglm.errors import DataError

FACTS = ("yes_no", "article", "forum", "deadline", "deadline_end", "amount")
SPLITS = ("dev", "heldout", "all")
DEFAULT_TODAY = date(2026, 12, 7)  # the day bench/data/answers questions are asked on (its README)


def held_back(row_id: str) -> bool:
    return int(hashlib.sha1(row_id.encode()).hexdigest(), 16) % 3 == 0


def read_rows(path: str | Path, split: str = "dev", limit: int | None = None) -> list[dict]:
    """The rows of an answers file for the split (dev: not held back; heldout: held back; all)."""
    if split not in SPLITS:
        raise DataError(f"split: {split!r} is none of {', '.join(SPLITS)}")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or not row.get("id") or not row.get("question"):
                raise DataError(f"{path}:{n}: a row needs an id and a question")
            if split == "all" or (split == "heldout") == held_back(row["id"]):
                rows.append(row)
    return rows[:limit] if limit else rows


# --- reading an answer ----------------------------------------------------------------------------
_NO = re.compile(
    r"不可以|不能|不得|无权|不合法|违法|无效|不需要|不用|不必|不属于|不构成|不算|不应|没有权利|不予支持|"
    r"不会|不行|否"
)
_YES = re.compile(r"可以|能够|^能|有权|合法|有效|应当|需要|属于|构成|算|会|是的|^是[，。,]")
_CN_UNITS = {"years": ("年",), "months": ("个月",), "days": ("日", "天")}


def sections_of(text: str) -> dict[str, str]:
    """The answer's 结论 / 计算 / 法律依据 / 下一步 parts (empty when the answer has no such heads)."""
    out, current = {}, None
    for line in text.split("\n"):
        m = re.match(r"^(结论|计算|法律依据|下一步)：(.*)$", line)
        if m:
            current = m.group(1)
            out[current] = m.group(2)
        elif current:
            out[current] += "\n" + line
    return out


def verdict(conclusion: str) -> str | None:
    """yes / no / None from the 结论's first sentence (outside quotations)."""
    first = re.split(r"[。！？\n]", re.sub(r"“[^”]*”|「[^」]*」", "", conclusion).strip(), maxsplit=1)[0]
    head = first[:12]
    if _NO.search(head):
        return "no"
    if _YES.search(head):
        return "yes"
    return None


def _period_words(value: int, unit: str) -> list[str]:
    from lawglm.numerals import int_to_cn

    out = []
    for number in (str(value), int_to_cn(value)):
        for u in _CN_UNITS[unit]:
            out.append(number + u)
    if unit == "years" and value == 1:
        out.append("一年")
    if value == 2:  # 两年 / 两个月 / 两日: the statutes' own way of writing 2 (国家赔偿法第三十九条)
        out += ["两" + u for u in _CN_UNITS[unit]]
    return out


def stated_periods(text: str) -> list[tuple[int, str]]:
    """Periods stated in the text, in order: (days upper bound, words)."""
    from lawglm.numerals import cn_to_int

    out = []
    for m in re.finditer(r"([0-9]+|[一二三四五六七八九十两]+)\s*(年|个月|日|天)", text):
        date_part = re.match(r"\s*\d{1,2}\s*月", text[m.end():]) or (
            m.group(2) == "日" and text[:m.start()].endswith("月"))
        if date_part:
            continue  # a date (2025年6月1日), not a period
        try:
            n = int(m.group(1)) if m.group(1).isdigit() else cn_to_int(m.group(1).replace("两", "二"))
        except ValueError:
            continue
        unit = {"年": 366, "个月": 31, "日": 1, "天": 1}[m.group(2)]
        out.append((n * unit, m.group()))
    return out


def _dates(text: str) -> list[date]:
    out = []
    for m in re.finditer(r"((?:19|20)\d{2})年(\d{1,2})月(\d{1,2})日", text):
        try:
            out.append(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            pass
    return out


def _amounts(text: str) -> list[float]:
    out = []
    for m in re.finditer(r"(\d[\d,]*(?:\.\d+)?)\s*(万)?\s*元", text):
        try:
            v = float(m.group(1).replace(",", ""))
        except ValueError:
            continue
        out.append(v * 10000 if m.group(2) else v)
    return out


FORUM_WORDS = {
    "劳动仲裁": (r"劳动争议仲裁委员会|劳动仲裁|申请仲裁",),
    "法院": (r"人民法院|法院|起诉",),
    "行政复议或行政诉讼": (r"行政复议", r"行政诉讼|人民法院|起诉"),
    "行政复议": (r"行政复议",),
    "消费者协会/12315/市场监管": (r"消费者协会|12315|市场监督管理|市场监管",),
    "公安": (r"公安|报警|报案|派出所|110",),
    "工伤认定(社保行政部门)": (r"工伤认定", r"社会保险行政部门|社保"),
    "协商调解": (r"协商|调解",),
}
MANDATORY_FIRST = {"劳动仲裁": r"劳动争议仲裁委员会|劳动仲裁|仲裁", "行政复议": r"行政复议",
                   "工伤认定(社保行政部门)": r"工伤认定"}
COURT = r"人民法院|法院|起诉|行政诉讼"
# direct litigation offered (可以直接起诉, 也可以向人民法院提起行政诉讼): wrong where 行政复议 must come first
DIRECT_SUIT = r"直接[^，。；]{0,8}(?:起诉|行政诉讼|人民法院)|也可以[^，。；]{0,10}(?:起诉|行政诉讼)"
# a forum named as a later step or ruled out, not as a first one: the words before it in its clause
# (不能直接向法院起诉; 对仲裁裁决不服的，再向人民法院起诉; 对裁决不服再起诉)
_NOT_FIRST = re.compile(r"(?:不能|不得|不可|无需|不需要|不必|不用|而非|而不是)(?:直接|先|再|马上)?"
                        r"(?:向|去|到)?(?:人民法院|法院|劳动争议仲裁委员会|行政复议机关)?(?:提起|申请)?$|"
                        r"不服[^。；]{0,10}$|(?:再|之后|然后|才能?)[^，。；]{0,6}$")


def first_mentions(pattern: str, step: str) -> list[int]:
    """Where the step names `pattern` as a place to go now: mentions presented as a later step or ruled
    out (不能直接向法院起诉, 对裁决不服的，再向人民法院起诉) do not count."""
    out = []
    for m in re.finditer(pattern, step):
        clause = re.split(r"[，。；,;]", step[:m.start()])[-1]
        if not _NOT_FIRST.search(clause):
            out.append(m.start())
    return out


def forum_named_first(forum: str, step: str) -> bool:
    """The gold first forum is named in the step as a place to go now (each of its words, not as a later
    step); for 行政复议 the step must not offer direct litigation."""
    ok = all(first_mentions(p, step) for p in FORUM_WORDS.get(forum, (re.escape(forum),)))
    return ok and not (forum == "行政复议" and first_mentions(DIRECT_SUIT, step))


def court_before_mandatory(forum: str, step: str) -> bool:
    """Harm: where `forum` must come first, the step sends the person to court before it (or offers direct
    litigation where 行政复议 must come first)."""
    mandatory = MANDATORY_FIRST.get(forum)
    if mandatory is None:
        return False
    court = first_mentions(COURT, step)
    first = first_mentions(mandatory, step)
    if forum == "行政复议" and first_mentions(DIRECT_SUIT, step):
        return True
    return bool(court) and (not first or min(court) < min(first))


def first_step(text: str) -> str:
    steps = sections_of(text).get("下一步")
    if not steps:
        return text
    lines = [x for x in steps.split("\n") if re.match(r"^\s*\d+\.", x)]
    return lines[0] if lines else steps


def cited_articles(answer: Any) -> list[tuple[str, int, int | None]]:
    """(law, article_no, paragraph) of the answer's verified citations, in the order written."""
    cites = sorted(
        (c for c in answer.citations if c.verified and c.article is not None), key=lambda c: c.span
    )
    return [(c.article.law, c.article_no, c.paragraph) for c in cites]


@dataclass
class Scored:
    id: str
    mode: str
    facts: dict[str, bool | None] = field(default_factory=dict)  # None: not scored (gold null)
    harm: list[str] = field(default_factory=list)
    echo: bool = False
    seconds: float = 0.0
    article_any: bool | None = None
    clause: bool | None = None


def _same_law(a: str, b: str, corpus: Any) -> bool:
    ra = corpus.resolve_law(a) if corpus is not None else None
    rb = corpus.resolve_law(b) if corpus is not None else None
    return (ra or a) == (rb or b) or a.endswith(b) or b.endswith(a)


def score_answer(row: dict, text: str, cited: Sequence[tuple[str, int, int | None]], corpus: Any = None,
                 mode: str = "", seconds: float = 0.0) -> Scored:
    """Every key fact of one row against one answer (see module doc)."""
    from lawglm.answer.clauses import is_echo
    from lawglm.answer.grounded import sentences

    parts = sections_of(text)
    concl = parts.get("结论", "")
    s = Scored(row["id"], mode, seconds=seconds)
    gold = row.get("yes_no")
    said = verdict(concl) if concl else None
    if gold is not None:
        s.facts["yes_no"] = said == gold
        if said is not None and said != gold:
            s.harm.append("yes_no")
    art = row.get("article")
    if art:
        hits = [c for c in cited if c[1] == art["article_no"] and _same_law(c[0], art["law"], corpus)]
        s.facts["article"] = (
            bool(cited) and cited[0][1] == art["article_no"] and _same_law(cited[0][0], art["law"], corpus)
        )
        s.article_any = bool(hits)
        if art.get("clause"):
            s.clause = s.facts["article"] and art["clause"] in text
    forum = row.get("forum")
    step = first_step(text)
    if forum is not None:
        s.facts["forum"] = forum_named_first(forum, step)
        if court_before_mandatory(forum, step):
            s.harm.append("forum")
    dl = row.get("deadline")
    periods = stated_periods(parts.get("下一步", "") or text)
    if dl:
        unit = next(u for u in ("days", "months", "years") if dl.get(u))
        s.facts["deadline"] = any(w in text for w in _period_words(dl[unit], unit))
        true_days = dl[unit] * {"days": 1, "months": 31, "years": 366}[unit]
        if periods and periods[0][0] > true_days:
            s.harm.append("deadline")
    end = row.get("deadline_end")
    if end:
        want = date.fromisoformat(end)
        s.facts["deadline_end"] = any(abs((d - want).days) <= 1 for d in _dates(text))
    amount = row.get("amount")
    if amount and amount.get("value") is not None:
        v = float(amount["value"])
        shown = _amounts(concl) if concl else _amounts(text)
        s.facts["amount"] = any(abs(x - v) <= max(1.0, 0.01 * abs(v)) for x in shown)
    s.echo = any(is_echo(x, row["question"]) for x in sentences(concl))
    return s


# --- running modes -------------------------------------------------------------------------------
def summarize(scored: Sequence[Scored]) -> dict[str, Any]:
    per = {}
    for f in FACTS:
        vals = [x.facts[f] for x in scored if x.facts.get(f) is not None]
        per[f] = (round(sum(vals) / len(vals), 3), len(vals)) if vals else (None, 0)
    allv = [v for x in scored for v in x.facts.values() if v is not None]
    secs = [x.seconds for x in scored if x.seconds]
    any_ = [x.article_any for x in scored if x.article_any is not None]
    clause = [x.clause for x in scored if x.clause is not None]
    return {
        "n": len(scored),
        "key_fact_accuracy": round(sum(allv) / len(allv), 3) if allv else None,
        "facts_scored": len(allv),
        **{f: per[f][0] for f in FACTS},
        **{f"n_{f}": per[f][1] for f in FACTS},
        "article_any": round(sum(any_) / len(any_), 3) if any_ else None,
        "clause": round(sum(clause) / len(clause), 3) if clause else None,
        "harm": sum(bool(x.harm) for x in scored),
        "harm_yes_no": sum("yes_no" in x.harm for x in scored),
        "harm_forum": sum("forum" in x.harm for x in scored),
        "harm_deadline": sum("deadline" in x.harm for x in scored),
        "echoes": sum(x.echo for x in scored),
        "seconds_median": round(statistics.median(secs), 3) if secs else None,
    }


REPORT_KEYS = (
    "n",
    "key_fact_accuracy",
    "facts_scored",
    *FACTS,
    "article_any",
    "clause",
    "harm",
    "harm_yes_no",
    "harm_forum",
    "harm_deadline",
    "echoes",
    "seconds_median",
    "rougeL",
    "rougeL_top2_quote",
)


def evaluate_answers(
    data: str,
    modes: Sequence[str],
    settings: Any,
    split: str = "dev",
    limit: int | None = None,
    today: date = DEFAULT_TODAY,
    rouge_data: str | None = None,
    rouge_limit: int | None = 40,
    out_path: str | None = None,
    progress: bool = True,
    rouge_offset: int = 0,
) -> dict[str, Any]:
    """Every mode answers every row of the split; per-mode summaries (and per-row scores in `rows`)."""
    from tqdm import tqdm

    from lawglm.eval.generation import GenEvalConfig, load_assistants

    rows = read_rows(data, split, limit)
    cfg = GenEvalConfig(data=data, modes=list(modes), progress=progress)
    assistants = load_assistants(cfg, settings)
    for assistant, _ in assistants.values():
        assistant.today = lambda: today
    corpus = next(iter(assistants.values()))[0].retriever.corpus
    scored: dict[str, list[Scored]] = {m: [] for m in modes}
    with ExitStack() as stack:
        out = stack.enter_context(open(out_path, "w", encoding="utf-8")) if out_path else None
        for row in tqdm(rows, desc="answering", disable=not progress):
            for mode in modes:
                assistant, adapter = assistants[mode]
                t0 = time.perf_counter()
                answer = assistant.ask(row["question"], temperature=0, adapter=adapter)
                secs = time.perf_counter() - t0
                s = score_answer(row, answer.answer, cited_articles(answer), corpus, mode, secs)
                scored[mode].append(s)
                if out is not None:
                    out.write(
                        json.dumps(
                            {
                                "id": row["id"],
                                "mode": mode,
                                "answer": answer.answer,
                                "facts": s.facts,
                                "harm": s.harm,
                                "echo": s.echo,
                                "seconds": round(secs, 3),
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
    report = {"data": data, "split": split, "rows": len(rows), "today": today.isoformat(),
              "modes": {m: summarize(v) for m, v in scored.items()}}
    if rouge_data:
        report["rouge"] = {"data": rouge_data, "offset": rouge_offset, "limit": rouge_limit}
        for m, r in rouge_scores(rouge_data, assistants, rouge_limit, today, rouge_offset).items():
            report["modes"][m].update(r)
    return report


def rouge_scores(path: str, assistants: dict, limit: int | None, today: date,
                 offset: int = 0) -> dict[str, dict]:
    """ROUGE-L (characters) of each mode's answer, and of quoting the top two retrieved articles, against
    the lawyers' answers of a {question, answer} file (`limit` rows from row `offset`, 0-based: a second
    slice checks that a change did not fit the first)."""
    from lawglm.eval.generation import chars, read_dev, rouge_l

    rows = read_dev(path)[offset:]
    rows = rows[:limit] if limit else rows
    out = {}
    for mode, (assistant, adapter) in assistants.items():
        ours, quote = [], []
        for row in rows:
            answer = assistant.ask(row["question"], temperature=0, adapter=adapter)
            ours.append(rouge_l(chars(answer.answer), chars(row["answer"])))
            top2 = "".join(h.article.text for h in answer.retrieved[:2])
            quote.append(rouge_l(chars(top2), chars(row["answer"])))
        out[mode] = {"rougeL": round(100 * statistics.mean(ours), 2) if ours else None,
                     "rougeL_top2_quote": round(100 * statistics.mean(quote), 2) if quote else None}
    return out


def format_report(report: dict[str, Any]) -> str:
    modes = list(report["modes"])
    width = max(16, *(len(m) + 2 for m in modes))
    lines = [
        (f"answers eval: {report['data']} split={report['split']} rows={report['rows']} "
         f"today={report['today']}"),
        f"  {'metric':<20}" + "".join(f"{m:>{width}}" for m in modes),
    ]
    if report.get("rouge"):
        r = report["rouge"]
        lines.insert(1, f"  rougeL against {r['data']}: {r['limit'] or 'all'} rows from row {r['offset']}")
    for k in REPORT_KEYS:
        if all(k not in report["modes"][m] for m in modes):
            continue
        lines.append(f"  {k:<20}" + "".join(f"{report['modes'][m].get(k)!s:>{width}}" for m in modes))
    lines.append(
        "  key facts scored from the text: yes_no (结论's first sentence), article (first cited), forum "
        "(first "
        "step of 下一步), deadline (period stated), deadline_end (±1 day), amount (结论, ±1%); harm = wrong "
        "yes/no, court before a mandatory step, first period longer than the true one"
    )
    return "\n".join(lines)


def parse_today(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"today: {text!r} is not a date (YYYY-MM-DD)") from None


"""下一步 by the question's legal area (search/routing.py), not by the laws that happened to be retrieved.

Each area (lawglm/data/areas.json) names the forum in the order the law requires (劳动仲裁 before court,
行政复议 / 行政诉讼, 消费者协会 / 12315 / 市场监管, 公安 for crimes, 工伤认定 at 社会保险行政部门), the steps,
the statutory periods that bind the person and the evidence that matters. Periods are quoted from the
corpus (answer/deadlines.py) and, when the question gives the date they run from, their last day is
computed. When routing is unsure, the periods of every candidate area are compared and the shortest one is
shown first, with the reason: a wrong area must never make the person think they have longer than they do.
A special period governs over the general one (民法典第一百八十八条: 法律另有规定的，依照其规定): the
period of the specific matter the question raises (areas.json `topics`; a later step's period, such as the
十五日 to sue after an award, is the current one when the question is at that step) comes first; when the
question asks about a time limit that no topic covers, the periods the retrieved articles state for a step
the person takes are compared with the area's and the shortest is shown first, with why. A period that
binds someone else (the employer's 30日 to apply for 工伤认定) is shown for what it is, never as the
person's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from lawglm.answer.deadlines import Period, last_day, start_date, stated_periods
from lawglm.numerals import article_label
from lawglm.records import Article
from lawglm.settings import PACKAGE_DIR, PERIOD_MIN_SHARED, PERIOD_SOURCES, ROUTING_CLOSE_SHARE

AREAS_FILE = PACKAGE_DIR / "data" / "areas.json"
# areas whose periods are short enough that any cue of theirs makes them a candidate, however sure routing is
ALWAYS_CANDIDATES = ("administrative",)
# an authority the person may be in a dispute with, or an act only the state does (被罚 / 吊销 / 没收 …)
AUTHORITY = re.compile(r"局|城管|交警|警察|公安|派出所|政府|街道办|乡镇|镇上|村委|税务|执法|行政|监管|"
                       r"市场监督|工商|环保|住建|规划|人社|社保|卫健|车管所|海关|机关|部门|有关单位|管委会|罚|"
                       r"处罚|吊销|没收|扣押|查封|拘留|强拆|责令|决定书")
CALENDAR_LAW = "中华人民共和国民法典"  # 第二百零一条 — 第二百零三条: how the computed last day is counted


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(AREAS_FILE.read_text(encoding="utf-8"))


def periods() -> dict[str, Period]:
    return {k: Period(**v) for k, v in _data()["periods"].items()}


def area_spec(area: str) -> dict:
    areas = _data()["areas"]
    return areas.get(area, areas["other"])


@dataclass
class Deadline:
    """One statutory period as shown: the period, its article and 款 text, and — when the question gives
    the date it runs from — that date and the last day."""

    period: Period
    article: Article | None  # None: the corpus does not hold the article (the period is named, not stated)
    clause: object = None  # the answer/clauses.Clause that states it
    start: date | None = None
    end: date | None = None
    start_assumed_year: bool = False
    specific: bool = False  # the period of the specific matter the question raises (a topic's)
    from_source: bool = False  # stated by a retrieved article (asked a time limit no topic covers)

    @property
    def current(self) -> bool:
        """The period runs for the step the person is at: not a later step's, unless the question is at it."""
        return self.specific or not self.period.later

    @property
    def own(self) -> bool:
        """A period of the person's current step that binds the person (not the employer's 30日)."""
        return self.current and not self.period.party

    @property
    def citation(self) -> str:
        if self.article is None or self.clause is None:  # named, not cited: the corpus does not hold it
            return f"{self.period.law.removeprefix('中华人民共和国')}{article_label(self.period.article_no)}"
        return self.clause.citation

    def to_dict(self) -> dict:
        n, unit = self.period.length
        return {"name": self.period.name, "length": n, "unit": unit, "words": self.period.words,
                "citation": self.citation, "in_corpus": self.article is not None,
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}


def _cn(n: int) -> str:
    from lawglm.numerals import int_to_cn

    return int_to_cn(n)


def _meets(spec: dict, question: str) -> bool:
    """The question has one of the spec's `cues`, one of its `only_if` words (when given) and none of its
    `unless` words."""
    if not re.search(spec["cues"], question):
        return False
    if "only_if" in spec and not re.search(spec["only_if"], question):
        return False
    return not ("unless" in spec and re.search(spec["unless"], question))


def topic_periods(question: str) -> tuple[list[str], tuple[str, ...]]:
    """(names of the periods of the specific matters the question raises, their event words)."""
    names, events = [], []
    for topic in _data().get("topics", []):
        if _meets(topic, question):
            names += [n for n in topic["periods"] if n not in names]
            events += topic.get("events", [])
    return names, tuple(events)


def topic_notes(question: str) -> list[str]:
    """Why the specific periods the question raises come in the order shown (a topic's `note`: which
    facts decide between two periods, when the question does not say)."""
    return [t["note"] for t in _data().get("topics", []) if "note" in t and _meets(t, question)]


def forum_rules(question: str, area: str) -> tuple[dict | None, list[dict]]:
    """(the first of areas.json's `forum_rules` with a `forum` for the area whose cues the question meets —
    a matter for which the law sets the first forum apart from the area's usual one: a retiree's work is
    劳务, not 劳动, so court, not 劳动仲裁; the cases of 行政复议法第二十三条 go to 行政复议 first; … —, the
    matching rules without a forum, whose step is added after the first)."""
    first, added = None, []
    for rule in _data().get("forum_rules", []):
        if (not rule.get("areas") or area in rule["areas"]) and _meets(rule, question):
            if "forum" not in rule:
                added.append(rule)
            elif first is None:
                first = rule
    return first, added


def evidence_for(question: str, spec: dict, rule: dict | None = None) -> str:
    """The evidence that matters: a forum rule's, else that of the kind of harm the question describes
    (areas.json `evidence_rules`: 催收骚扰, 偷拍 …, whatever the area), else the area's."""
    if rule is not None and rule.get("evidence"):
        return rule["evidence"]
    found = next((r for r in _data().get("evidence_rules", []) if re.search(r["cues"], question)), None)
    return found["evidence"] if found else spec["evidence"]


def _shown(step: dict, question: str) -> bool:
    """A step with `only_if` is shown only when the question has those words (支付令 only for wages owed),
    one with `unless` only when it lacks them."""
    if "only_if" in step and not re.search(step["only_if"], question):
        return False
    return not ("unless" in step and re.search(step["unless"], question))


@dataclass
class NextSteps:
    """The 下一步 section: lines to show, the articles they quote, the forum in order, the deadlines."""

    area: str
    lines: list[str] = field(default_factory=list)
    quoted: list[Article] = field(default_factory=list)
    forum: list[str] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    unsure: bool = False
    candidates: tuple[str, ...] = ()
    rule: str = ""  # the forum rule (areas.json `forum_rules`) that set the first forum, if any
    first_required: bool = False  # the rule's first forum must come before any other (行政复议法第二十三条)
    court_direct: bool = False  # the rule sends the person's claim to court directly (a retiree's 劳务, …)
    rule_article: Article | None = None  # the article the forum rule quotes (劳动争议解释（一）第三十二条 …)

    def to_dict(self) -> dict:
        return {"area": self.area, "forum": self.forum, "deadlines": [d.to_dict() for d in self.deadlines],
                "unsure": self.unsure, "candidates": list(self.candidates)}


def _deadline(period: Period, corpus, question: str, events: tuple[str, ...], today: date | None,
              specific: bool = False, source: Article | None = None) -> Deadline:
    """The period as shown, quoted from the corpus (or from `source`, the retrieved article that states
    it), with its last day when the question dates the event it runs from."""
    found = period.resolve_in(source) if source is not None else period.resolve(corpus)
    from_source = source is not None
    d = Deadline(period, found[0] if found else None, found[1] if found else None, specific=specific,
                 from_source=from_source)
    mention = start_date(question, events, today) if d.current else None
    if mention is not None and d.article is not None:
        n, unit = period.length
        d.start, d.end, d.start_assumed_year = (
            mention.day,
            last_day(mention.day, n, unit),
            not mention.year_given,
        )
    return d


def _sentence_with(paragraph: str, words: str) -> str:
    from lawglm.answer.grounded import sentences

    for s in sentences(paragraph):
        if words in s:
            return s
    return paragraph


def _calendar_words(corpus) -> str:
    """（期间计算：民法典第二百零一条 “…”、第二百零二条 “…”；第二百零三条 “…”）, quoted from the corpus."""
    from lawglm.answer.clauses import fragment

    hints = {
        201: "开始的当日不计入",
        202: "没有对应日的，月末日为期间的最后一日",
        203: "法定休假日结束的次日",
    }
    parts = []
    for no, hint in hints.items():
        a = corpus.get(CALENDAR_LAW, no) if corpus is not None else None
        if a is None:
            return ""
        parts.append(f"第{_cn(no)}条：“{fragment(a.text, hint)}”")
    return (
        f"（期间计算：《{CALENDAR_LAW}》" + "；".join(parts) + "；最后一日是法定休假日的会顺延，这里未顺延）"
    )


def deadline_line(d: Deadline, today: date | None, corpus=None, calendar: bool = True) -> str:
    """One 期限 line: the period quoted from its article; the last day when the start date is known."""
    p = d.period
    if d.article is None:
        return (
            f"期限：{p.name}由{p.law.removeprefix('中华人民共和国')}规定，本法规库未收录该条文，无法引用原文；"
            "请尽早办理，不要等到期限届满。"
        )
    from lawglm.answer.clauses import ITEM_RE, fragment

    words = fragment(ITEM_RE.sub("", d.clause.text), p.words + p.runs_from)
    if p.words not in words:
        words = ITEM_RE.sub("", _sentence_with(d.clause.text, p.words))
    # the length named outside the quote too: it stays when a quote 法律依据 already shows is elided
    whose = f"（这是{p.party}的期限）" if p.party else ""
    line = f"期限：{p.name}（{p.words}）{whose}——{d.citation}：“{words}”。"
    if d.end is not None:
        year_note = "（您未写年份，按最近的这一天计算）" if d.start_assumed_year else ""
        how = _calendar_words(corpus) if calendar else "（计算方法同上）"
        line += f"按您所说的{_day(d.start)}{year_note}起算，最后一日为{_day(d.end)}{how}"
        if today is not None:
            left = (d.end - today).days
            if left >= 0:
                line += f"，距今还有{left}天"
            elif p.party:
                line += f"，{p.party}的这一期限按此计算已经届满"
            else:
                line += "，按此计算已经届满，请尽快咨询律师是否有中断、中止等情形"
        line += "。"
    return line


def _day(x: date) -> str:
    return f"{x.year}年{x.month}月{x.day}日"


def _cited(spec_cite, corpus) -> Article | None:
    if not spec_cite or corpus is None:
        return None
    law, no = spec_cite
    a = corpus.get(corpus.resolve_law(law) or law, no)
    return a if a is not None and a.is_current else None


# a question against an administrative body (告环保局不作为, 城管扣了车) is administrative whatever the matter
_AGAINST_AUTHORITY = re.compile(r"告.{0,4}(?:局|政府|机关|部门|城管|派出所|公安)|"
                                r"(?:局|政府|机关|部门|城管|派出所)[^。？]{0,16}(?:不作为|不处理|没动静|不管|不予|拒绝)")


# the question asks about a time limit: a specific period may govern that the table does not know
ASKS_DEADLINE = re.compile(r"期限|多久|多长时间|最晚|哪天|几天|多少天|几个月|多少个月|什么时候之前|截止|"
                           r"时效|来得及|有没有时间限制|时间限制")
UNKNOWN_SPECIFIC = ("您问的期限可能由专门的规定确定，下面列出的是这类纠纷的一般期限，"
                    "不一定适用于您要做的这一步；在弄清之前请尽快行动，不要按较长的期限拖延，必要时咨询执业律师。")


def area_of(question: str, routing) -> str:
    """The area whose forum and steps apply: routing's, unless the question is against an administrative
    body."""
    if routing.area != "administrative" and _AGAINST_AUTHORITY.search(question):
        return "administrative"
    return routing.area


def candidates(routing, question: str = "") -> tuple[str, ...]:
    """The routed area, then — when routing is unsure (search/routing.Routing.candidates: confidence under
    settings.ROUTING_UNSURE_BELOW) — the areas that came close, and any area of ALWAYS_CANDIDATES with a cue
    in the question. The administrative area is a candidate beside another only when the question names an
    authority (a 营业执照 or 许可证 of the shop one bought from is not a dispute with the state)."""
    out = list(routing.candidates)
    scores = dict(routing.scores or {})
    if question and routing.area != "administrative" and not AUTHORITY.search(question):
        scores.pop("administrative", None)
        out = [a for a in out if a != "administrative"] or out
    out += [a for a in ALWAYS_CANDIDATES if a in scores and a not in out]
    # however sure routing is, an area that came close and whose first period is shorter is a candidate: a
    # wrong area must never mean a longer deadline
    top, own = scores.get(routing.area, 0.0), first_period_days(routing.area)
    out += [a for a, s in sorted(scores.items(), key=lambda kv: -kv[1]) if a not in out and a != "other"
            and s >= ROUTING_CLOSE_SHARE * top and first_period_days(a) < own]
    return tuple(out)


def first_period_days(area: str) -> float:
    """The most days the shortest period of the area that runs from the person's own events and binds the
    person can last (inf: none)."""
    table = periods()
    return min((table[n].days_upper_bound() for n in area_spec(area)["periods"]
                if not table[n].later and not table[n].party), default=float("inf"))


def source_periods(question: str, sources: Sequence[Article],
                   known: Sequence[Period]) -> list[tuple[Period, Article]]:
    """The periods the top settings.PERIOD_SOURCES retrieved articles state for a step the person takes
    (deadlines.stated_periods), in a clause sharing at least settings.PERIOD_MIN_SHARED content bigrams with
    the question, that are shorter than every period of `known` that binds the person now (a longer one
    would not make the person act sooner: it is left to the articles shown) and not among `known`. A period
    whose article names the event it runs from (收到复议决定书之日) is kept only when the question names
    that event too (a content bigram of it beyond the words of any event: 知道, 收到, 决定 …)."""
    from lawglm.answer.clauses import _question_grams, score, split

    q = _question_grams(question)
    seen = {(p.law, p.article_no, p.paragraph, p.item, p.words) for p in known}
    bound = min((p.days_upper_bound() for p in known if not p.later and not p.party), default=float("inf"))
    out = []
    for article in list(sources)[:PERIOD_SOURCES]:
        if not article.is_current:
            continue
        clauses = {(c.paragraph, c.item): c for c in split(article)}
        for p in stated_periods(article):
            key = (p.law, p.article_no, p.paragraph, p.item, p.words)
            clause = clauses.get((p.paragraph, p.item))
            if (key in seen or clause is None or p.days_upper_bound() >= bound
                    or score(clause, q) < PERIOD_MIN_SHARED or not _event_named(p.runs_from, q)):
                continue
            seen.add(key)
            out.append((p, article))
    return out


# words of any event a period runs from (知道, 收到, 送达 …): the event itself is what is left (复议决定书)
_CALENDAR_WORDS = re.compile(r"知道|应当|或者|之日|之后|以后|收到|送达|决定|通知|提出|起|后|时|日")


def _event_named(runs_from: str, q: set[str]) -> bool:
    """The question names the event a period runs from (or the article names none)."""
    from lawglm.answer.clauses import _grams

    own = _grams(_CALENDAR_WORDS.sub(" ", runs_from))
    return not own or bool(own & q)


def next_steps_for(question: str, routing, corpus, today: date | None = None,
                   sources: Sequence[Article] = ()) -> NextSteps:
    """下一步 for the question's area. The period of the specific matter the question raises comes first;
    when routing is unsure, or the question asks a time limit no topic covers and the retrieved `sources`
    state periods for a step the person takes, the periods are compared and the shortest is shown first with
    the reason; the forum and steps are those of the routed area (or of the matter's forum rule)."""
    area = area_of(question, routing)
    spec = area_spec(area)
    cands = candidates(routing, question)
    if area != routing.area:
        cands = (area, *[a for a in cands if a != area])
    unsure = len(cands) > 1
    out = NextSteps(area, forum=list(spec["forum"]), unsure=unsure, candidates=cands)
    from lawglm.answer.clauses import fragment

    steps, names = [x for x in spec["steps"] if _shown(x, question)], list(spec["periods"])
    rule, added = forum_rules(question, area)
    if rule is not None:  # the matter's own first forum and step replace the area's (`replaces` of them)
        out.forum, out.rule = list(rule["forum"]), rule["name"]
        out.first_required = bool(rule.get("first_required"))
        out.court_direct = bool(rule.get("court_direct"))
        steps = [rule, *steps[rule.get("replaces", len(steps)):]]
        names = list(rule.get("periods", names))
    steps[1:1] = added
    for step in steps:
        article = _cited(step.get("cite"), corpus)
        if article is None:
            out.lines.append(step["text"])
            continue
        body = step["text"].removesuffix("。")
        words = fragment(article.text, step.get("quote", step["text"]))
        out.lines.append(f"{body}（{article.citation}：“{words}”）。")
        out.quoted.append(article)
        if step is rule:
            out.rule_article = article
    table = periods()
    if unsure and (rule or {}).get("periods") != []:  # a stage's rule (an appeal …): its topic's period only
        for other in cands[1:]:
            names += [n for n in area_spec(other)["periods"] if n not in names]
    events = tuple(spec["events"])
    specific, topic_events = topic_periods(question)
    deadlines = [_deadline(table[n], corpus, question, topic_events or events, today, specific=True)
                 for n in specific]
    deadlines = [d for d in deadlines if d.article is not None]  # a specific period is shown only when stated
    deadlines += [_deadline(table[n], corpus, question, events, today) for n in names if n not in specific]
    asks = ASKS_DEADLINE.search(question) is not None
    stated = [] if specific or not asks else source_periods(question, sources, [d.period for d in deadlines])
    # no last day for an article's period: the event it runs from may not be the one the question dates
    deadlines += [_deadline(p, corpus, question, events, None, source=a) for p, a in stated]
    deadlines = [d for d in deadlines if not d.from_source or d.article is not None]
    n_specific = sum(d.specific for d in deadlines)
    # the person's own periods shortest first, after the specific ones (which govern, in the topic's order)
    deadlines.sort(key=lambda d: (not d.specific, not d.own,
                                  0 if d.specific else d.period.days_upper_bound()))
    if not n_specific and (unsure or any(d.from_source for d in deadlines)):
        general = [d for d in deadlines if not d.from_source]
        # the shorter period to keep: one the corpus states (never a length it does not give)
        shortest = next((d for d in deadlines if d.own and d.article is not None), None)
        own = [d.period.days_upper_bound() for d in general if d.own]
        if shortest is not None and shortest.from_source and (not own or shortest.period.days_upper_bound()
                                                              < min(own)):
            out.lines.append(f"检索到的{shortest.citation.split('》')[0]}》对这一步规定了专门的期限，专门规定"
                             f"优先于一般规定；哪一个期限适用于您，取决于您要做的是哪一步，为稳妥起见，请按其中"
                             f"较短的{shortest.period.words}准备，不要按较长的期限拖延。")
        elif unsure and shortest is not None and (not own or shortest.period.days_upper_bound() <= min(own)) \
                and shortest.period.days_upper_bound() < first_period_days(area):
            titles = "、".join(area_spec(a)["title"] for a in cands)
            out.lines.append(f"您的问题可能涉及{titles}，适用的期限不同；为稳妥起见，请按其中较短的"
                             f"{shortest.period.name}（{shortest.period.words}）准备，不要按较长的期限拖延。")
    if not specific and asks and not any(d.from_source for d in deadlines):
        out.lines.append(UNKNOWN_SPECIFIC)
    if n_specific:
        out.lines += topic_notes(question)
    calendar = True
    for d in deadlines:
        out.lines.append(deadline_line(d, today, corpus, calendar))
        calendar = calendar and d.end is None
        if d.article is not None:
            out.quoted.append(d.article)
        if d.end is not None and corpus is not None:
            out.quoted += [a for n in (201, 202, 203) if (a := corpus.get(CALENDAR_LAW, n)) is not None
                           and a not in out.quoted]
    out.deadlines = deadlines
    evidence = evidence_for(question, spec, rule)
    if evidence:  # none for an unknown area: a list of everything (书面材料、付款记录…) tells nothing
        out.lines.append(f"证据：{evidence}。")
    return out

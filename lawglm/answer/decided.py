"""An answer that decides the question, assembled from parts the system can vouch for: the question's
legal area (search/routing.py), the deciding clause of the retrieved articles (clauses.py), the person's
numbers (calculators.py), 下一步 by area with its deadlines (areas.py), and 法律依据 with the deciding
clause first and the articles that do not bear on the question folded away.

`decide_answer(question, sources, corpus, today)` -> `Decision`; `Decision.conclusion` is the 结论 built from
the clause's own words (plus the headline figure), or one honest sentence when no clause decides;
`Decision.with_model(sentences)` keeps a model's sentences only where the clause bears them out
(`clauses.supported_by_clause`) and never an echo of the question. Used by the grounded shape (model
modes) and by the retrieval-only answer alike, so the two differ only in what the model adds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lawglm.answer.areas import ASKS_DEADLINE, NextSteps, next_steps_for
from lawglm.answer.calculators import Calculation, calculate, money, ref_article, render
from lawglm.answer.chooser import Chooser, default_chooser
from lawglm.answer.clauses import (
    ITEM_RE,
    NO_CLAUSE,
    WEAK_HINT,
    Clause,
    _question_grams,
    conclusion,
    decide_scored,
    is_echo,
    score,
    split,
    stated,
    supported_by_clause,
)
from lawglm.answer.override import consequence_of, denied, meets, override
from lawglm.answer.yesno import clause_verdict, deciding_fact, facts_in_clause, forum_verdict
from lawglm.records import Article, Citation, Sections
from lawglm.settings import (
    ANSWERED_MIN_SCORE,
    DECIDING_MIN_MARGIN,
    DECIDING_MIN_SCORE,
    DECIDING_WORDS_MIN_PROBABILITY,
    OVERRIDE_SURE_MEETS,
)

BEARS_MIN = 4  # content bigrams an article's best clause must share with the question to stay in 法律依据
MAX_BEARING = 1  # articles quoted in full beside the deciding one; other bearing ones are named (另见)
CLOSEST_SHOWN = 2  # no clause decides and none bears: the best-ranked articles, in full, to compare with
CALC_HEAD = "计算："
WEAK_TAIL = "请对照下列条文，必要时咨询执业律师。"


@dataclass
class Decision:
    question: str
    area: str
    clause: Clause | None
    conclusion: str
    calculations: list[tuple[Calculation, list[str]]] = field(default_factory=list)
    next: NextSteps | None = None
    basis: list[Article] = field(default_factory=list)  # deciding article first, then those bearing on it
    folded: list[Article] = field(default_factory=list)  # retrieved but not bearing on the question
    cited: list[Article] = field(default_factory=list)  # articles the calculations and 下一步 cite
    model_sentences: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    also: list[Article] = field(default_factory=list)  # bearing too, beyond MAX_BEARING: named, not quoted
    sure: bool = False  # the 结论 says the clause decides (起决定作用; settings.DECIDING_*): not just closest
    origin: str = "none"  # where the clause came from: calculation, asked (下一步's rule), matched,
    # answered (matched weakly, but its consequence is the point asked), override (a clause limiting the
    # matched one, or more specific to the facts: answer/override.py), forum_rule, none
    score: float = 0.0  # matched: the clause's score (content bigrams shared with the question)
    margin: float = 0.0  # matched: its score over the best clause of another article (all of it if none)
    probability: float = 0.0  # matched: the chooser's probability that the clause's article decides

    @property
    def headline(self) -> Calculation | None:
        return next((c for c, _ in self.calculations if c.headline and c.amount is not None), None)

    def with_model(self, sentences: Sequence[str]) -> str:
        """The 结论 with the model's sentences that the deciding clause bears out (each checked on its own);
        the others are recorded in `dropped` with the reason."""
        kept = []
        for s in sentences:
            why = self.unkept(s)
            if why is not None:
                self.dropped.append((s, why))
            else:
                kept.append(s)
        self.model_sentences = kept
        return self.conclusion + "".join(kept)

    def unkept(self, sentence: str) -> str | None:
        """Why a model's sentence cannot stand beside the clause (echo, repeats_clause, not_in_clause), or
        None when the clause bears it out."""
        from lawglm.answer.grounded import norm

        if is_echo(sentence, self.question):
            return "echo"
        if self.clause is not None and norm(sentence) in norm(self.clause.words):
            return "repeats_clause"  # the clause's own words: 法律依据 shows them
        if self.clause is None or not supported_by_clause(sentence, self.clause, self.question):
            return "not_in_clause"
        return None

    def calc_lines(self) -> list[str]:
        """The working of each calculation; an alternative figure whose steps the first one already shows
        is one line."""
        out, shown = [], set()
        for calc, lines in self.calculations:
            out.append(f"{calc.title}：" + ("" if calc.amount is None else money(calc.amount)))
            new = [x for x in lines if x not in shown]
            if calc.headline or len(new) == len(lines):
                out += [f"  {x}" for x in new]
            elif new:
                out[-1] += "（计算步骤见上）"
            shown.update(lines)
        return out

    def to_sections(self) -> dict:
        return {"area": self.area,
                "deciding": self.clause.to_dict() if self.clause is not None else None,
                "calculations": [dict(c.to_dict(), lines=lines) for c, lines in self.calculations],
                "routing": self.next.to_dict() if self.next is not None else None,
                "folded": [a.citation for a in self.folded]}


def _bears(article: Article, question: str) -> bool:
    q = _question_grams(question)
    return any(score(c, q) >= BEARS_MIN for c in split(article))


_CLAIM = re.compile(r"(?:我|能|可以|还能).{0,6}(?:要|要求|拿|获得|主张|索赔|赔)[^，。？]{0,12}(?:吗|？|多少)|"
                    r"有没有(?:补偿|赔偿|加班费)|能要多少|要赔吗|能赔多少|赔多少|给多少|该给多少|能拿多少|能要点什么")
_ABOUT_THEM = re.compile(r"能这么|能这样|合法吗|对吗|有效吗|算数吗|支持吗|行不行|管用吗|是不是")
# what a clause must speak of to decide a question asking what the person can claim (_CLAIM)
_MONEY = re.compile(r"支付|赔偿|补偿|工资|报酬|费用|退还|返还|价款|利息|罚款|赔付|待遇|补助")
_STILL = re.compile(r"还能|还来得及|还可以|还有效|现在.{0,8}(?:能|可以).{0,12}吗")
# asked whether they can take the step a specific period governs (能申请复核吗, 可以上诉吗): its period
# decides
_STEP = re.compile(r"(?:能|可以|能不能|可不可以)(?:申请|提出?|上诉|起诉|退货?|撤销|复核|复议|再审)"
                   r"[^。？，]{0,10}吗")


def verdict(question: str, head: Calculation | None, nxt: NextSteps | None, today: date | None,
            rule: Calculation | None = None) -> str:
    """The yes / no a person can rely on, only where it follows mechanically from what the system
    computed (else ""): a claim to money the calculation shows (可以), the answer the rule the facts
    select gives (`Calculation.answer`: 彩礼 given without 结婚登记 is returned), or whether a period the
    question runs from has passed (还来得及 / 已经过了; 能申请复核吗 where the step's own period is dated)."""
    if rule is not None and rule.answer and rule.asked:  # its calculator read the very point asked
        return rule.answer
    if head is not None and head.amount and _CLAIM.search(question) and not _ABOUT_THEM.search(question):
        return "可以。"
    if rule is not None and rule.answer and _CLAIM.search(question) and not _ABOUT_THEM.search(question):
        return rule.answer
    first = next(
        (d for d in (nxt.deadlines if nxt else []) if d.own and d.end is not None), None
    )
    if first is not None and today is not None and (
            _STILL.search(question) or (first.specific and _STEP.search(question))):
        if first.end < today:
            return (f"一般不能了：按您说的日期，{first.period.name}已于{_day(first.end)}届满"
                "（是否有中断、中止等情形请咨询律师）。")
        return f"可以，{first.period.name}还没有届满（最后一日为{_day(first.end)}）。"
    return ""


_HOW = re.compile(r"怎么办|怎么维权|如何维权|怎样维权|怎么处理|如何处理|去哪|向哪|告哪|怎么告|到哪|哪个部门|"
                  r"怎么投诉|什么程序|该怎么做|怎么做|应该怎么|什么途径|哪些途径")
# what a person does at each first forum of areas.json (lawglm's wording)
FORUM_ACTIONS = {"劳动争议仲裁委员会": "申请劳动仲裁", "人民法院": "起诉", "社会保险行政部门": "申请工伤认定",
                 "经营者": "协商", "电子商务平台": "投诉", "消费者协会": "投诉", "市场监督管理部门": "投诉",
                 "人民调解委员会": "申请调解", "公安机关交通管理部门": "申请处理", "公安机关": "报案",
                 "行政复议机关": "申请行政复议"}
# areas whose first forum the law makes a step that must come first (劳动争议调解仲裁法第五条, 工伤认定)
FIRST_REQUIRED_AREAS = ("labor_dismissal", "wages", "work_injury")


def procedure(question: str, nxt: NextSteps | None) -> str:
    """For a question asking what to do or where to go (怎么办 / 去哪告): the first forum and the first period
    that binds the person, in one sentence of the 结论 (the steps, with the articles they rest on, are in
    下一步). Nothing when routing is unsure of the area (下一步 then explains the shorter period)."""
    if nxt is None or nxt.unsure or not nxt.forum or not _HOW.search(question):
        return ""
    first = nxt.forum[0]
    if first not in FORUM_ACTIONS:
        return ""
    must = nxt.first_required or (nxt.area in FIRST_REQUIRED_AREAS and not nxt.court_direct)
    text = f"怎么办：{'须先' if must else '可以先'}向{first}{FORUM_ACTIONS[first]}"
    if must and len(nxt.forum) > 1 and nxt.forum[1] == "人民法院":
        text += "，对结果不服再向人民法院起诉"
    # the first period that binds the person now; one the corpus lacks is not replaced by a later one
    period = next((d for d in nxt.deadlines if not d.period.later and not d.period.party), None)
    if period is not None and period.article is not None:
        text += f"；{period.period.name}为{period.period.words}"
        if period.end is not None:
            text += f"，按您说的日期，最后一日为{_day(period.end)}"
    return text + "（详见下一步）。"


def _day(x: date) -> str:
    return f"{x.year}年{x.month}月{x.day}日"


def asked_clause(question: str, nxt: NextSteps | None) -> tuple[Clause | None, str]:
    """(the clause that decides what the question asks when 下一步 already holds it, words that pick its
    sentence to run): asked where to go (能直接起诉吗) where a forum rule quotes its article (劳动争议解释
    （一）第三十二条 for a retiree) — its clause that best matches the question; asked when (期限 / 哪天 /
    来得及) where the question raises a specific period (辞职预告, 冷静期, 受遗赠 …) — the clause that states
    it."""
    if nxt is None:
        return None, ""
    if nxt.rule_article is not None and forum_verdict(question, nxt):
        return _rule_clause(question, nxt), ""
    if ASKS_DEADLINE.search(question):
        for d in nxt.deadlines:
            if d.specific and d.clause is not None:
                return d.clause, d.period.name + d.period.words
    return None, ""


_FORUM_WORDS = (("仲裁", re.compile("仲裁")), ("法院", re.compile("法院|起诉|诉讼")),
                ("复议", re.compile("复议")))


def _first_forum(text: str) -> str | None:
    """The forum (仲裁 / 法院 / 复议) a text names first, or None."""
    found = [(m.start(), kind) for kind, pat in _FORUM_WORDS for m in [pat.search(text)] if m]
    return min(found)[1] if found else None


def contradicts(clause: Clause, nxt: NextSteps | None) -> bool:
    """The clause sends the person first to another forum than the one 下一步's forum rule (chosen by the
    question's facts: a wage IOU goes to court directly) puts first — 工资支付暂行规定第十九条's 仲裁 beside
    劳动争议解释（一）第十五条. The 结论 must not state such a clause as deciding."""
    if nxt is None or not nxt.rule or not nxt.forum:
        return False
    if nxt.rule_article is not None and _same(clause.article, [nxt.rule_article]):
        return False
    said, ruled = _first_forum(clause.words), _first_forum(nxt.forum[0])
    return said is not None and ruled is not None and said != ruled


def _rule_clause(question: str, nxt: NextSteps) -> Clause:
    """The clause of 下一步's forum-rule article that best matches the question (its first if none)."""
    found, _ = decide_scored(question, [nxt.rule_article])
    return found or split(nxt.rule_article)[0]


def _same(a: Article, among: Sequence[Article]) -> bool:
    return any((a.law, a.article_no, a.sub_no) == (b.law, b.article_no, b.sub_no) for b in among)


def _calc_clause(calc: Calculation, corpus: Any) -> Clause | None:
    """The clause that decides a computed amount (the calculation's `deciding` rule), from the corpus."""
    found = ref_article(calc.deciding, corpus) if calc.deciding is not None else None
    return found[1] if found else None


def decide_answer(question: str, sources: Sequence[Article], corpus: Any, today: date | None = None,
                  routing: Any = None, scores: Sequence[float] | None = None,
                  chooser: Chooser | None = None) -> Decision:
    """The parts of an answer that decides `question` from `sources` (see module doc). Without a
    calculation's or 下一步's rule, the deciding article is the chooser's pick (answer/chooser.py: a
    logistic model over retrieval rank and score, clause overlap and margin, the article's subject named in
    the question …) with its best-matching 款/项. It is stated as deciding (起决定作用) when the clause shares
    at least BEARS_MIN content bigrams with the question and either the chooser's probability reaches its
    sure_at, or the words alone decide (DECIDING_MIN_SCORE bigrams, DECIDING_MIN_MARGIN more than any other
    candidate's) and the probability is at least settings.DECIDING_WORDS_MIN_PROBABILITY; else it is named
    as the closest one. `scores`: retrieval's scores of `sources` when they are the learned ranker's (None:
    each rank's typical score); `chooser`: the shipped one when None. A chosen clause whose condition the
    question denies (我没怀孕) is passed over; one that another clause of its law limits (不得依照本法第四十条
    … for 女职工在孕期), or that a clause on the same act fits more specifically, gives way to that clause
    when the facts meet its condition (answer/override.py; the limiting article from the corpus where it
    was not retrieved).
    """
    from lawglm.search.routing import route

    routing = routing or route(question)
    calcs = []
    for calc in calculate(question, routing.area, today):
        shown = render(calc, corpus)
        if shown is not None:
            calcs.append((calc, shown[0], shown[1]))
    if calcs and not any(c.headline for c, _, _ in calcs):
        calcs[0][0].headline = True
    head = next((c for c, _, _ in calcs if c.headline and c.amount is not None), None)
    # without a figure, the rule the facts select (彩礼: not registered; a loan's overdue interest) decides
    rule = head or next((c for c, _, _ in calcs if c.headline and c.deciding is not None), None)
    clause = _calc_clause(rule, corpus) if rule is not None else None
    nxt = next_steps_for(question, routing, corpus, today, sources)
    hint = ""
    origin = "calculation" if clause is not None else "none"
    if clause is None:
        clause, hint = asked_clause(question, nxt)
        origin = "asked" if clause is not None else "none"
    sure, matched, margin, probability = clause is not None, 0.0, 0.0, 0.0
    then = None  # the clause of its law that attaches the consequence asked for to the deciding one
    if clause is None:
        chooser = chooser or default_chooser()
        choice = chooser.choose(question, sources, scores)
        keep = list(range(len(sources)))
        while choice is not None and denied(question, choice.clause):  # 我没怀孕 for 女职工在孕期的
            keep = [i for i in keep if not _same(sources[i], [choice.clause.article])]
            choice = chooser.choose(question, [sources[i] for i in keep],
                                    [scores[i] for i in keep] if scores is not None else None)
        if choice is not None:
            clause, matched, margin, origin = choice.clause, choice.score, choice.margin, "matched"
            limited = override(question, clause, sources, corpus)
            probability = choice.probability
            words = matched >= DECIDING_MIN_SCORE and margin >= DECIDING_MIN_MARGIN
            sure = matched >= BEARS_MIN and (probability >= chooser.sure_at or (
                words and probability >= DECIDING_WORDS_MIN_PROBABILITY))
            answers = clause_verdict(question, clause, True)  # its consequence is the very point asked
            if not sure and matched >= ANSWERED_MIN_SCORE and answers and facts_in_clause(question, clause):
                sure, origin = True, "answered"  # ... on facts that are the clause's
            if limited is not None and limited.why == "tie":
                sure = False  # 可以 and 不得 on the same act, the facts meeting both alike: neither decides
            elif limited is not None:  # a rule limiting the chosen one (or more specific to the facts)
                clause, origin = limited.clause, "override"
                sure = limited.why != "specific" or meets(question, clause) >= OVERRIDE_SURE_MEETS
                answers = clause_verdict(question, clause, True)
            claim = _CLAIM.search(question) and not _ABOUT_THEM.search(question)
            if claim and not _MONEY.search(clause.text):
                then = consequence_of(clause, corpus, _MONEY)  # 38 applied -> 46(1) 经济补偿
                answers = answers or (clause_verdict(question, then, True) if then is not None else "")
            if sure and not answers and then is None and _CLAIM.search(question) \
                    and not _MONEY.search(clause.text):
                sure = False  # asked what they can claim; a clause that awards nothing cannot decide it
                # (one whose consequence is the very claim asked does: yesno.clause_verdict)
            if contradicts(clause, nxt):  # 下一步's forum rule sends the person elsewhere: its article
                sure = False  # decides where the corpus holds it; else the clause is only the closest one
                if nxt.rule_article is not None:
                    clause, sure, origin = _rule_clause(question, nxt), True, "forum_rule"
    text = conclusion(clause, question + hint, sure) if clause is not None else NO_CLAUSE
    if then is not None:
        text = (text.replace(WEAK_HINT, "") + f"其后果见{stated(then, question)}。"
                + ("" if sure else WEAK_HINT))
    if head is not None:
        text += f"按您给的数字，{head.title}为{money(head.amount)}（计算见下）。"
    # a calculation that weighed the facts and gave no yes/no (a rate against a cap that needs the LPR)
    # leaves none: its clause's bare consequence (应予支持 …除外 → 一般会) would overstate it
    said = (verdict(question, head, nxt, today, rule) or forum_verdict(question, nxt)
            or ("" if rule is not None else clause_verdict(question, clause, sure))
            or (clause_verdict(question, then, sure) if then is not None else ""))
    fact = "" if said else deciding_fact(question, clause)  # no yes/no follows: what would decide it
    if fact and not is_echo(fact, question):  # never the person's own words handed back
        text = text.replace(WEAK_HINT, "") + _unrepeated(fact, text) + ("" if sure else WEAK_TAIL)
    text = said + text + procedure(question, nxt)
    deciding = [clause.article] if clause is not None else []
    if then is not None and not _same(then.article, deciding):
        deciding.append(then.article)  # shown beside the deciding article (from the corpus)
    bearing = [a for a in sources if not _same(a, deciding) and _bears(a, question)]
    if not deciding and not bearing:  # nothing decides: the best-ranked ones to compare with (NO_CLAUSE)
        bearing = list(sources[:CLOSEST_SHOWN])
    elif sources and not _same(sources[0], deciding) and sources[0] not in bearing:
        # the retriever's first article is never folded away: it may match by meaning, not words (正当防卫
        # for 打伤了闯进家里抢劫的人), and what it says is for the person to see
        bearing.insert(0, sources[0])
    shown = MAX_BEARING if deciding else CLOSEST_SHOWN
    bearing, also = bearing[:shown], bearing[shown:]
    folded = [a for a in sources if not _same(a, deciding) and a not in bearing and a not in also]
    cited = []
    for _, _, arts in calcs:
        cited += [a for a in arts if a not in cited]
    return Decision(question, routing.area, clause, text, [(c, lines) for c, lines, _ in calcs], nxt,
                    deciding + bearing, folded, cited, also=also, sure=sure and clause is not None,
                    origin=origin, score=matched, margin=margin, probability=probability)


def _unrepeated(fact: str, text: str) -> str:
    """The deciding-fact sentence without its bracketed condition when the 结论 has just stated those
    words (结论取决于…该款的条件（<the clause's condition, again>）。 -> …该款的条件。)."""
    from lawglm.answer.grounded import norm

    m = re.search(r"（([^（）]+)）(?=。$)", fact)
    if m and len(norm(m.group(1))) >= 4 and norm(m.group(1)) in norm(text):
        return fact[:m.start()] + fact[m.end():]
    return fact


# --- the answer text ------------------------------------------------------------------------------
ALSO_NOTE = "另见{cites}（全文见“全部条文”）。"  # the articles retrieved that do not bear on it are not named
IN_CONCLUSION = "原文见结论"  # an article whose every sentence the 结论 has just stated: named, not quoted
DECIDING_MARK = "决定本问题"
BASIS_FULL_CHARS = 500  # an article quoted in 法律依据 in full up to this length; a longer one is excerpted


def deciding_mark(decision: Decision, article: Article) -> str:
    """决定本问题 (the clause is the whole article) or 决定本问题的是第二款 / 第（二）项."""
    clause = decision.clause
    part = clause.label.removeprefix(article.label) if clause is not None else ""
    return DECIDING_MARK + (f"的是{part}" if part else "")


def basis_lines(decision: Decision, corpus: Any, full: bool = False,
                conclusion: str = "") -> tuple[list[str], list[Article]]:
    """(法律依据 lines, the articles they cite, in order): the deciding article first, in full, its head
    naming the deciding 款/项; then the articles bearing on the question most, in full (an article over
    BASIS_FULL_CHARS gives its deciding clause or the paragraphs that matter for the question, unless
    `full`); the other bearing ones named in one line (those that do not bear are left to 全部条文, where the
    page greys them). A sentence the
    `conclusion` has just stated is not said again (……, as every repeat in a quotation; 原文见结论 when
    it was all of the article), unless `full`."""
    from lawglm.answer.grounded import drop_repeats
    from lawglm.answer.prompts import excerpt
    from lawglm.statutes.amendments import shown_status

    lines, arts = [], []
    seen = set() if full else stated_sentences(conclusion, decision.basis)
    clause = decision.clause
    shown = [*decision.basis, *((*decision.also, *decision.folded) if full else ())]
    for n, a in enumerate(shown, 1):
        status = shown_status(a, corpus)
        text = a.text.strip()
        if clause is not None and a is clause.article:
            if not full:  # a long article: the paragraphs of the deciding clause (and its lead-in) first
                text = excerpt(text, clause.words + decision.question, BASIS_FULL_CHARS)
            status += "，" + deciding_mark(decision, a)
        elif a in decision.folded:
            status += "，与本问题关系不大"
        elif not full:
            text = excerpt(text, decision.question, BASIS_FULL_CHARS)
        quoted = drop_repeats(text, seen, verbatim=True)
        if quoted.strip("…\n "):
            lines.append(f"{n}. {a.citation}（{status}）：“{quoted}”")
        else:
            lines.append(f"{n}. {a.citation}（{status}，{IN_CONCLUSION}）")
        arts.append(a)
    if decision.also and not full:
        lines.append(ALSO_NOTE.format(cites=_named(decision.also)))
    arts += decision.also if not full else []
    return lines, arts


def stated_sentences(conclusion: str, articles: Sequence[Article]) -> set[str]:
    """The sentences of the articles (norm()ed, as drop_repeats compares them) that the 结论 states in full —
    a 款 run into it with its punctuation changed (。；→，) is still that 款. A list's lead-in (…：) is kept
    for its items, and a short common phrase is never taken for a statement."""
    from lawglm.answer.grounded import MIN_RESTATED_CHARS, norm, sentences

    said = norm(conclusion)
    out = set()
    for a in articles:
        keys = {norm(s) for s in sentences(a.text)} - {""}
        if keys and all(k in said for k in keys) and sum(map(len, keys)) >= MIN_RESTATED_CHARS:
            out |= keys
    return out


# the question tells of the person's own matter (facts, people, amounts, what to do): 下一步 is shown; a
# question about the law in general (姓名权和名称权有什么差别？) gets the rule and its articles, no procedure
_OWN_MATTER = re.compile(
    r"我|咱|俺|本人|自己|您|怎么办|怎么处理|如何处理|怎样处理|找谁|去哪|向谁|维权|该怎么|索赔|起诉|投诉|仲裁|报警|"
    r"期限|多久|来得及|最晚|哪天|能要|能拿|赔多少|(?<![为除])[了过](?!解)|\d|"
    r"[一二三四五六七八九十两几百千万]+(?:块|元|万|个月|年|天|日|岁|次)|"
    r"老公|老婆|丈夫|妻子|媳妇|孩子|儿子|女儿|父母|爸|妈|奶奶|爷爷|外婆|姥姥|哥哥|姐姐|弟弟|妹妹|"
    r"男朋友|女朋友|房东|老板|邻居|同事")


def own_matter(question: str) -> bool:
    """The question is about the person's own matter, so 下一步 (forum, periods, evidence) applies."""
    return _OWN_MATTER.search(question) is not None


def _named(articles: Sequence[Article]) -> str:
    """《甲法》第一条、第三条、《乙法》第二条: each law named once, before its articles."""
    out, law = [], None
    for a in articles:
        out.append(a.label if a.law == law else a.citation)
        law = a.law
    return "、".join(out)


def compose_decided(
    decision: Decision, conclusion: str, corpus: Any, full: bool = False
) -> tuple[str, list[Article]]:
    """(the whole answer text, the articles the system quotes in it after the 结论, in order)."""
    from lawglm.answer.grounded import BASIS_HEAD, CONCLUSION_HEAD, DISCLAIMER, NEXT_HEAD, drop_repeats

    parts = [CONCLUSION_HEAD + conclusion]
    if decision.calculations:
        parts += ["", CALC_HEAD, *decision.calc_lines()]
    lines, arts = basis_lines(decision, corpus, full, conclusion)
    parts += ["", BASIS_HEAD, *lines]
    steps = decision.next.lines if decision.next is not None and own_matter(decision.question) else []
    if steps:
        parts += ["", NEXT_HEAD, *[f"{i}. {s}" for i, s in enumerate(steps, 1)]]
    parts += ["", DISCLAIMER]
    cited = [*decision.cited, *arts, *(decision.next.quoted if decision.next is not None else [])]
    # a period quoted from an article shown above (法律依据, an earlier period) reads ……: point there
    text = _ELIDED_PERIOD.sub("——原文见上文。", drop_repeats("\n".join(parts)))
    return text, cited


# (a quotation cut to …… may lose its closing mark when the repeated sentence ended it)
_ELIDED_PERIOD = re.compile(r"——《[^》\n]+》[^：\n]{0,30}：“……(?:”。?)?")


def basis_full(decision: Decision, corpus: Any) -> list[dict]:
    """Every retrieved article in full, deciding first, with the deciding clause marked (for the page's
    one-tap full text and the API); `quoted`: 法律依据 quotes it, `bears`: it bears on the question."""
    from lawglm.statutes.amendments import shown_status

    out = []
    for a in [*decision.basis, *decision.also, *decision.folded]:
        item = {"citation": a.citation, "law": a.law, "article_no": a.article_no, "label": a.label,
                "status": shown_status(a, corpus), "text": a.text.strip(), "bears": a not in decision.folded,
                "quoted": a in decision.basis}
        if decision.clause is not None and a is decision.clause.article:
            item["clause"] = decision.clause.to_dict()
        out.append(item)
    return out


# --- the checked answer -------------------------------------------------------------------------
def decided_text(question: str, sources: Sequence[Any], corpus: Any, today: date,
                   context_law: str | None = None, decision: Any = None,
                   model_sentences: Sequence[str] = (), scores: Sequence[float] | None = None,
                   ) -> tuple[str, list, Sections]:
    """(text, checked citations, sections) of the answer that decides `question` from `sources`, with the
    model's sentences that the deciding clause bears out (none in retrieval-only mode)."""
    from lawglm.answer.grounded import DISCLAIMER
    from lawglm.answer.support import check_support, outside_quotes
    from lawglm.statutes.citations import verify

    decision = decision or decide_answer(question, sources, corpus, today, scores=scores)
    conclusion = decision.with_model(model_sentences) if model_sentences else decision.conclusion
    text, quoted = compose_decided(decision, conclusion, corpus)
    cites = outside_quotes(text, verify(text, corpus, context_law=context_law))
    cites = _clause_checked(text, cites, decision)
    cites = _unlisted(text, cites)
    text, cites = check_support(text, cites, [*sources, *quoted], corpus)
    _recheck_clause(text, cites, decision)
    origin = "clause" if decision.clause is not None else "none"
    sections = Sections(conclusion=conclusion,
                        conclusion_from=origin + ("+model" if decision.model_sentences else ""),
                        basis=[a.citation for a in decision.basis],
                        next_steps=decision.next.lines if own_matter(question) else [],
                        disclaimer=DISCLAIMER, **decision.to_sections(),
                        basis_full=basis_full(decision, corpus))
    return text, cites, sections


def _conclusion_clause_span(text: str, decision: Any) -> tuple[int, int] | None:
    """Where the 结论 names the deciding clause and runs its words: (citation start, end of its words)."""
    if decision.clause is None:
        return None
    at = text.find(decision.clause.citation)
    end = text.find("\n", at) if at >= 0 else -1
    return (at, end) if at >= 0 and end > at else None


def _clause_checked(text: str, cites: list, decision: Any) -> list:
    """The citations without the references inside the deciding clause's own words (本法第三十六条 in the
    结论): they are the clause's words, not citations the answer makes."""
    span = _conclusion_clause_span(text, decision)
    if span is None:
        return cites
    start = span[0] + len(decision.clause.citation)
    return [c for c in cites if not start <= c.span[0] < span[1]]


def _unlisted(text: str, cites: list) -> list:
    """The citations without the names of the 另见 line (it points to articles, 全部条文, without saying
    anything of them to check) and of a 法律依据 entry that points to the 结论 for its words (原文见结论: the
    结论's own citation of the article is the one checked)."""
    pointers = []
    for m in re.finditer(r"(?m)^.*$", text):
        line = m.group()
        if line.startswith(ALSO_NOTE.split("{")[0]) or line.endswith(f"，{IN_CONCLUSION}）"):
            pointers.append((m.start(), m.end()))
    return [c for c in cites if not any(a <= c.span[0] < b for a, b in pointers)]


def _recheck_clause(text: str, cites: list, decision: Any) -> None:
    """The 结论's citation of the deciding clause is checked at 款/项 grain: the words it runs after the
    citation against the clause itself (support.clause_support)."""
    from lawglm.answer.support import clause_support

    span = _conclusion_clause_span(text, decision)
    if span is None:
        return
    clause = decision.clause
    line = text[span[0] + len(clause.citation):span[1]]
    words = line.lstrip("：:").split("。")[0]
    for c in cites:
        if c.span[0] == span[0] or (c.span[0] < span[0] + len(clause.citation) <= c.span[1]):
            own = clause.text
            if clause.item:
                own = clause.lead.rstrip("：:") + "……" + ITEM_RE.sub("", clause.text)
            c.support = clause_support(words.replace("——", "……"), own, clause.label)
            break


# --- the whole shape ---------------------------------------------------------------------------
@dataclass
class GroundedAnswer:
    """A grounded answer's final text and checked citations, its parts (`sections`, as the APIs return
    them) and what the gate did (`usage`, merged into the answer's usage)."""

    text: str
    citations: list[Citation]
    sections: Sections
    usage: dict  # the gate's fields of Usage (shape, gate, unattributed, dropped, finish_reason)


def _until_unkept(sentences: Iterator[str], decision: Decision) -> list[str]:
    """The gate's sentences up to the first one the clause does not bear out (which with_model then drops):
    the model is stopped there rather than left to write sentences that cannot be kept."""
    kept = []
    try:
        for s in sentences:
            if s:
                kept.append(s)
                if decision.unkept(s) is not None:
                    break
    finally:
        close = getattr(sentences, "close", None)
        if close is not None:
            close()  # the gate closes the model's stream
    return kept


def model_may_add(decision: Decision, when: str) -> bool:
    """Whether to ask the model for a sentence beside the decided 结论 (settings.model_addition): `unsure`
    only when a clause matched the question weakly; `always` whenever there is a clause to tie it to."""
    if when == "off" or decision.clause is None:
        return False
    return when == "always" or not decision.sure


def stream(question: str, sources: Sequence[Article], corpus: Any, chunks: Iterator[str] | None, stats: Any,
           *, context_law: str | None = None, cancel: Any = None, today: date | None = None,
           decision: Decision | None = None, gate_sources: Sequence[Article] | None = None,
           ) -> Iterator[str | GroundedAnswer]:
    """The answer's text as it is final, then one GroundedAnswer: the decided answer (answer/decided.py:
    the deciding clause, the person's numbers, 法律依据, 下一步 by area) — streamed first — with the model's
    sentences that pass the gate and then the deciding clause's check. `chunks`: the model's reply as it
    streams (not read when there are no sources), filling in `stats`; None: the model was not asked (gate
    `not_asked`); `cancel` is checked after the model
    has stopped; `today`: the day deadlines count to; `decision`: decide_answer's, when the caller made it
    (to know whether to ask the model at all); `gate_sources`: the articles the model was shown."""
    from lawglm.answer.grounded import CONCLUSION_HEAD, NO_SOURCES, SentenceGate
    from lawglm.answer.prompts import check_cancel

    if not sources:
        yield NO_SOURCES
        yield GroundedAnswer(NO_SOURCES, [], Sections(), {"shape": "grounded", "gate": "empty",
                                                          "unattributed": 0, "dropped": [],
                                                          "finish_reason": "stop"})
        return
    gate = SentenceGate(question, gate_sources or sources, corpus)
    decision = decision or decide_answer(question, sources, corpus, today)
    head = CONCLUSION_HEAD + decision.conclusion
    yield head
    kept = _until_unkept(gate.run(chunks), decision) if chunks is not None else []
    check_cancel(cancel)
    text, cites, sections = decided_text(question, sources, corpus, today, context_law, decision, kept)
    yield text[len(head):]
    usage = {"shape": "grounded", "gate": gate.verdict() if chunks is not None else "not_asked",
             "unattributed": gate.unattributed,
             "dropped": [{"sentence": s, "reason": r} for s, r in [*gate.dropped, *decision.dropped]],
             "finish_reason": "stop"}  # the gate (or the clause check) stopping the model is a normal stop
    yield GroundedAnswer(text, cites, sections, usage)

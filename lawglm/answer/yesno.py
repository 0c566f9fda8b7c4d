"""Yes / no on the question's main point, read from the deciding clause's own words — or, where they do not
decide it, the one fact that would.

Owns
- `asked(question)`: the question's main yes/no question (the first sentence that asks 能…吗 / 能不能 /
  有效吗 / 法院会支持吗 …), its kind and the words it asks about (the predicate after the modal);
- `clause_verdict(question, clause)`: 「能」/「不能」/「可以」/「无效」… only where the clause states a
  consequence for exactly what is asked: the predicate shares words with the clause's consequence, the
  consequence is one-sided (不予支持 / 不得 / 无效 … or 应予支持 / 可以 / 有权 / 应当准予 …, never both), and
  the question asks about a single, positive point (no 全部 / 都 / 不用 …: a partial or negated point is
  where a yes/no goes wrong). A clause with an exception (但是 … 除外) gives 「一般…」. Nothing else is
  stated: a wrong yes/no costs the person a right, an unanswered one does not;
- `deciding_fact(question, clause)`: where no yes/no follows, the one sentence that names the clause's own
  condition as the fact that decides it
  (「结论取决于您的情况是否符合该项的条件（因感情不和分居满二年）。」; never an echo of the question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lawglm.answer.clauses import ITEM_RE, Clause, _grams, expand

# the question's yes/no: (kind, pattern of the modal); the predicate is what follows the modal up to 吗
_ASKS = re.compile(
    r"(?P<modal>法院(?:会不会|会|能不能|能)|能不能|可不可以|能否|可否|还能|能|可以|有权)"
    r"(?P<pred>[^，。？！?!；]{1,30}?)(?:(?:吗|呢)?[？?]|吗(?=[，,]\s*还是))"
    r"|(?P<valid>(?:还)?有效吗|算数吗|管用吗|是否有效|有没有效)"
    r"|(?P<whole>[^，。？！?!；]{2,30})[，,]\s*(?:行不行|行吗|可以吗|能行吗)[？?]"
)
_KINDS = {"能不能": "able", "可不可以": "may", "能否": "able", "可否": "may", "还能": "able", "能": "able",
          "可以": "may", "有权": "may"}
_WORDS = {"able": ("能", "不能"), "may": ("可以", "不可以"), "court": ("会", "不会"),
          "valid": ("有效", "无效")}
# a point asked about in part or in the negative: the clause's yes/no does not answer it as asked
_PARTIAL = re.compile(r"全部|全额|都|所有|完全|一切|一点|一分|不用|不必|不需要|不是|没有|不算|不|别")
# the predicate's own words that carry no content (这样 / 直接 …): left out of the match
_EMPTY = re.compile(r"这样|这么|那样|随便|直接|单方面|真的|就|再|也|还|要求|请求|让|去|我|他|她|们|吗|呢")
# the consequences a clause states, by what they answer: a claim before a court; a person's act (the words
# after the modal); a claim against the one the clause makes liable
COURT = {True: re.compile(r"应予支持|予以支持|应当支持|应当准予|准予"),
         False: re.compile(r"不予支持|不予受理|不予准许")}
ACT = {True: re.compile(r"可以|有权"), False: re.compile(r"不得|禁止|无权")}
LIABLE = re.compile(r"应当(?:承担|赔偿|支付|返还|给予)|承担(?:连带)?(?:赔偿)?责任")
_CLAIM_WORDS = re.compile(r"请求|要求|主张|追偿|赔偿|返还|撤销|解除|退货|继承")
_CLAIM_VERB = re.compile(r"^(?:要求|请求|让|找|要|索赔|主张|申请|起诉|告|退|追|拿|获得|得到)")
_EXCEPTION = re.compile(r"但[是书]?[^。；]*除外|但是")
ITEM_OWN_MIN = 2  # content bigrams an item's own words must share with the question (the facts match it)
PRED_MIN = 1  # content bigrams the predicate must share with the clause's consequence
VALID_FACTS_MIN = 3  # content bigrams the question must share with the condition of a clause's 无效 / 有效


@dataclass(frozen=True)
class Asked:
    kind: str  # able / may / court / valid
    predicate: str  # the words asked about ("" for valid)
    sentence: str


def asked(question: str) -> Asked | None:
    """The question's first yes/no question (see module doc), or None (a 多少 / 怎么办 question)."""
    for sentence in re.findall(r"[^。？！?!；\n]*[？?]", question):
        m = _ASKS.search(sentence)
        if m is None:
            continue
        if m.group("valid"):
            return Asked("valid", "", sentence)
        if m.group("whole"):
            pred = re.sub(r"^(?:我|我们)?(?:想|打算|准备|要)?", "", m.group("whole"))
            return Asked("may", pred, sentence)
        modal = m.group("modal")
        return Asked("court" if modal.startswith("法院") else _KINDS[modal], m.group("pred"), sentence)
    return None


def _consequence(clause: Clause, question: str) -> tuple[str, str]:
    """(the clause's words the 结论 runs — an item with its lead-in, a long 款's sentence that matches the
    question — up to its exception; its exception: 但是… / ……除外, or "")."""
    from lawglm.answer.clauses import best_sentence

    if clause.item:
        words = clause.lead.rstrip("：:") + "，" + ITEM_RE.sub("", clause.text)
    else:
        words = best_sentence(clause.text, question)
    m = _EXCEPTION.search(words)
    return (words[:m.start()], words[m.start():]) if m else (words, "")


def _findings(ask: Asked, main: str) -> set[bool]:
    """The polarities of the clause's consequences that answer what is asked: a court's 支持 / 不予支持 of the
    claim the clause describes, a person's 可以 / 不得 when the act after it is the one asked about, a
    liability when a claim is asked about (see module doc)."""
    pred = _EMPTY.sub("", ask.predicate)
    asked_grams = _grams(pred)
    if not asked_grams:
        return set()
    bare = re.sub(r"^(?:直接|还|再|也|就|去)+", "", ask.predicate)
    claim = bool(_CLAIM_VERB.match(bare)) or ask.kind == "court"
    found = set()
    claim_grams = _grams(expand(pred))  # a claim in everyday words (要回彩礼) against the statute's (返还)
    for polarity, pattern in COURT.items():
        if pattern.search(main) and len(claim_grams & _grams(main)) >= PRED_MIN:
            found.add(polarity)
    if ask.kind == "court":
        return found
    for polarity, pattern in ACT.items():
        if polarity is False and claim:
            continue  # 不得 binds the other side's conduct: it does not answer whether the person may claim
        for m in pattern.finditer(main):
            act = re.split(r"[，。；：,;:]", main[m.end():], maxsplit=1)[0]
            # the act must be the one asked about: a claim's 可以 must be a claim (请求 / 要求 …); another act
            # must be the same doing (撤回 … 撤回), not only the same thing (拒绝上夜班 is not 安排夜班)
            same = _CLAIM_WORDS.search(act) if claim else pred[:2] in act
            if same and len(asked_grams & _grams(act)) >= PRED_MIN:
                found.add(polarity)
    if claim and LIABLE.search(main) and len(claim_grams & _grams(main)) >= PRED_MIN:
        found.add(True)
    return found


def clause_verdict(question: str, clause: Clause | None, sure: bool) -> str:
    """「能。」/「一般不能。」/「无效。」… where the clause decides what is asked (module doc), else ""."""
    ask = asked(question)
    if clause is None or not sure or ask is None:
        return ""
    if clause.item and len(_grams(ITEM_RE.sub("", clause.text)) & _grams(expand(question))) < ITEM_OWN_MIN:
        return ""
    main, exception = _consequence(clause, question)
    if ask.kind == "valid":
        said = {("无效" not in main)} if re.search(r"无效|有效", main) else set()
        condition = main[:re.search(r"无效|有效", main).start()] if said else ""
        if len(_grams(question) & _grams(condition)) < VALID_FACTS_MIN:
            said = set()  # the facts must meet the clause's condition in its words, not just name the deed
    elif _PARTIAL.search(ask.predicate):
        said = set()
    else:
        said = _findings(ask, main)
    if len(said) != 1:
        return ""
    word = _WORDS[ask.kind][0 if said.pop() else 1]
    return ("一般" + word if exception else word) + "。"


def condition_words(clause: Clause) -> str:
    """The clause's own condition: an item's words, or a 款's words before its first 「…的，」 (if short)."""
    if clause.item:
        return ITEM_RE.sub("", clause.text).rstrip("；;。，,")
    m = re.match(r"([^。；]{4,60}?的)，", clause.text)
    return m.group(1) if m else ""


def deciding_fact(question: str, clause: Clause | None) -> str:
    """Where the question asks yes/no and no verdict follows: the sentence naming the clause's condition as
    what decides it ("" when the question asks no yes/no or the clause states no condition)."""
    if clause is None or asked(question) is None:
        return ""
    cond = condition_words(clause)
    if not cond:
        return ""
    unit = "该项" if clause.item else "该款" if clause.many_paragraphs else "该条"
    return f"结论取决于您的情况是否符合{unit}的条件（{cond}）。"  # one sentence: a quotation would split off


# the step that must come first, by the forum 下一步 puts first (劳动争议 always; 工伤 before its benefits;
# the cases of 行政复议法第二十三条, which a forum rule marks first_required)
_MUST_FIRST = {"劳动争议仲裁委员会": "申请劳动仲裁", "社会保险行政部门": "申请工伤认定",
               "行政复议机关": "申请行政复议"}
_COURT_ASKED = re.compile(r"起诉|告|打官司|法院")


def forum_verdict(question: str, nxt) -> str:
    """「不能。…」/「能。」 when the question asks whether the person can go to court (or 劳动仲裁) directly
    and 下一步's forum — the area's order the law requires, or a forum rule of areas.json quoting its
    article — decides it: a court question where another forum must come first is 不能; a forum rule that
    sends the person to court (a retiree's 劳务, a wage IOU) answers a court question 能 and an arbitration
    question 不能. Else ""."""
    ask = asked(question)
    if ask is None or nxt is None or not nxt.forum or ask.kind == "valid":
        return ""
    first, pred = nxt.forum[0], ask.predicate
    always = first == "劳动争议仲裁委员会" or nxt.area == "work_injury"
    mandatory = first in _MUST_FIRST and (always or nxt.first_required)
    if _COURT_ASKED.search(pred) and "直接" in ask.sentence and mandatory:
        return f"不能，须先{_MUST_FIRST[first]}（见下一步）。"
    if nxt.court_direct:
        if "仲裁" in pred:
            return "不能，应当直接向人民法院起诉（见下一步）。"
        if _COURT_ASKED.search(pred):
            return "能（见下一步）。"
    return ""

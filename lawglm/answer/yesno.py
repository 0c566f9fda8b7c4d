"""Yes / no on the question's main point, read from the deciding clause's own words — or, where they do not
decide it, the one fact that would.

Owns
- `asked(question)`: the question's main yes/no question (the first sentence that asks 能…吗 / 能不能 /
  有效吗 / 法院会支持吗 / 有…吗 / 要…吗 / 会…吗 / 算…吗 / 是不是 / 合法吗 …, with or without its ？), its kind
  and the words it asks about (the predicate after the modal); a 多少 / 什么 question asks no yes/no;
- `clause_verdict(question, clause)`: 「能」/「不能」/「可以」/「应当有」/「需要」/「无效」… only where the
  clause states a consequence for exactly what is asked: the predicate shares words with the clause's
  consequence, the consequence is one-sided (不予支持 / 不得 / 无效 … or 应予支持 / 可以 / 有权 / 应当准予 …,
  never both), the one it binds fits (a 不得 on the other side answers 我可以拒绝…吗; one on the party the
  person is (`asker_roles`) answers their own act; a claim against a party the clause does not name is
  not answered), and the question asks about a single, positive point (no 全部 / 都 / 不用 …: a partial or
  negated point is where a yes/no goes wrong — save all of it where the clause gives it within a limit:
  no). A clause with an exception (但是 … 除外, 一般, a list's lead-in with its own condition) gives
  「一般…」. The facts are held against the clause's condition (`condition_check`): a threshold they fail
  gives nothing, a 非… they affirm gives 「一般不…」 with the exclusion named. Nothing else is stated: a
  wrong yes/no costs the person a right, an unanswered one does not;
- `facts_in_clause(question, clause)`: the question's facts are the clause's (decided.py lets a clause that
  answers the point decide on them);
- `deciding_fact(question, clause)`: where no yes/no follows, the one sentence that names the clause's own
  condition as the fact that decides it
  (「结论取决于您的情况是否符合该项的条件（因感情不和分居满二年）。」; never an echo of the question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lawglm.answer.clauses import ITEM_RE, Clause, _grams, expand

# the question's yes/no: (kind, pattern of the modal); the predicate is what follows the modal up to 吗.
# Alternatives are tried left to right at each position, so a modal (能 / 可以 …) wins over the forms after
# it: 有…吗 / 有没有 (have: is the person entitled to a thing), 要 / 需要 / 得…吗 (must: is someone bound to
# do it), 会…吗 (will), 算 / 属于 / 构成 / 是不是 (is: does the facts' deed fall under the clause's term)
_END = r"(?:(?:吗|呢)?[？?]|吗(?=[，,]\s*还是))"
_ASKS = re.compile(
    r"(?P<modal>法院(?:会不会|会|能不能|能)|能不能|可不可以|能否|可否|还能|能|可以|有权)"
    r"(?P<pred>[^，。？！?!；]{1,30}?)" + _END +
    r"|(?P<valid>(?:还)?有效吗|算数吗|管用吗|是否有效|有没有效)"
    r"|(?P<whole>[^，。？！?!；]{2,30})[，,]\s*(?:行不行|行吗|可以吗|能行吗)[？?]"
    r"|有没有(?P<have>[^，。？！?!；]{2,20}?)[？?]"
    r"|(?<![没还])有(?!效|权|道理|没有|什么|哪些|多少|期限|时效|办法|用)"
    r"(?P<have2>[^，。？！?!；]{2,20}?)吗[？?]"
    r"|(?:需不需要|要不要|用不用)(?P<must2>[^，。？！?!；]{1,20}?)[？?]"
    r"|(?:需要|必须|(?<=[我他她你])得|(?<![还不想])要(?!求|点|多|回))(?P<must>[^，。？！?!；]{1,20}?)吗[？?]"
    r"|(?P<legal>合法吗|违法吗|合不合法|是否合法|是不是违法|是否违法)"
    r"|(?<!法院)(?:会不会|(?<=[还也就都我他她这那])会)(?P<will>[^，。？！?!；]{2,20}?)吗?[？?]"
    r"|(?P<term>算不算|算|属不属于|属于|构不构成|构成|是不是)(?P<is>[^，。？！?!；]{2,20}?)(?:吗|呢)?[？?]"
)
_KINDS = {"能不能": "able", "可不可以": "may", "能否": "able", "可否": "may", "还能": "able", "能": "able",
          "可以": "may", "有权": "may"}
# the words that say yes / no for each kind; is: by the term asked (算 / 属于 / 构成 / 是)
_WORDS = {"able": ("能", "不能"), "may": ("可以", "不可以"), "court": ("会", "不会"),
          "valid": ("有效", "无效"), "have": ("应当有", "没有"), "must": ("需要", "不需要"),
          "will": ("会", "不会"), "算": ("算", "不算"), "属于": ("属于", "不属于"),
          "构成": ("构成", "不构成"), "是": ("是", "不是"), "合法": ("合法", "不合法")}
_TERM = {"算不算": "算", "算": "算", "属不属于": "属于", "属于": "属于", "构不构成": "构成", "构成": "构成",
         "是不是": "是"}
# a point asked about in part or in the negative: the clause's yes/no does not answer it as asked
_PARTIAL = re.compile(r"(?<!安)全|全部|全额|都|所有|完全|一切|一点|一分|不用|不必|不需要|不是|没有|不算|"
                      r"^[先就也都还再]?(?:不|别|没)")  # (不合格 inside: the facts' word, not a negation)
_ALL = re.compile(r"全部|全额|所有|一切")
# a consequence given only within a limit: asked for all of it, the answer is no
_LIMITED = re.compile(r"范围内|限额内|相应的|适当|部分|为限")
# the predicate's own words that carry no content (这样 / 直接 …): left out of the match
_EMPTY = re.compile(r"这样|这么|那样|随便|直接|单方面|真的|坚持|就|再|也|还|要求|请求|让|去|我|他|她|们|"
                    r"吗|呢")
# the consequences a clause states, by what they answer: a claim before a court; a person's act (the words
# after the modal); a claim against the one the clause makes liable
COURT = {True: re.compile(r"应予支持|予以支持|应当支持|应当准予|准予|依法支持"),
         False: re.compile(r"不予支持|不予受理|不予准许")}
ACT = {True: re.compile(r"可以|有权"), False: re.compile(r"不得|禁止|无权")}
LIABLE = re.compile(r"应当(?:承担|赔偿|支付|返还|给予)|承担(?:连带)?(?:赔偿)?责任")
# have: the other side must give the thing, or the person has a right to it; must: a duty; will: a
# consequence that follows or not; is: the term the clause gives the deed, or denies it
GRANT = re.compile(r"(?<!不)应当|有权|享受|享有|(?<!不)给予")
DENY = re.compile(r"不享受|无权|不得享受|不享有")
DUTY = {True: re.compile(r"(?<!不)应当|须|(?<!不)承担"),
        False: re.compile(r"不承担|无需|不需要|不必|免除|不负")}
WILL = {True: re.compile(r"(?<!不)应当|应予|给予|予以"), False: re.compile(r"不予|免予|不再")}
TERM = {True: re.compile(r"(?<!不)(?:应当)?认定为|视同|(?<!不)属于|(?<!不)构成"),
        False: re.compile(r"不(?:得|应|予)?认定为|不属于|不构成|不视为|不以")}
# a consequence that gives the point (for a condition the facts fail: the point is then not given)
AFFIRM = re.compile(r"(?<!不)(?:应当|应予|可以|有权|准予)|(?<!不)认定为|视同")
# everyday words for a point asked, with the statutes' words for the same consequence (general vocabulary)
_POINT_WORDS = ((re.compile(r"判离|判决离婚|判离婚"), "准予离婚"), (re.compile(r"要回|退回|还回"), "返还"),
                (re.compile(r"赔"), "赔偿 赔偿责任 侵权责任"), (re.compile(r"担责|负责"), "承担责任"),
                (re.compile(r"罚款|拘留"), "处罚"), (re.compile(r"^退$"), "退货 退款"))
_CLAIM_WORDS = re.compile(r"请求|要求|主张|追偿|赔偿|返还|撤销|解除|退货|继承")
_CLAIM_VERB = re.compile(r"^(?:要求|请求|让|找|要|索赔|主张|申请|起诉|告|退|追|拿|获得|得到)")
_EXCEPTION = re.compile(r"但[是书]?[^。；]*除外|但是")
ITEM_OWN_MIN = 2  # content bigrams an item's own words must share with the question (the facts match it)
PRED_MIN = 1  # content bigrams the predicate must share with the clause's consequence
VALID_FACTS_MIN = 3  # content bigrams the question must share with the condition of a clause's 无效 / 有效
LEGAL_FACTS_MIN = 2  # content bigrams the act the question tells of shares with an act the clause forbids
FACTS_MIN = 2  # content bigrams beyond the point's that the question shares with a clause it answers


@dataclass(frozen=True)
class Asked:
    kind: str  # able / may / court / valid / have / must / will / is
    predicate: str  # the words asked about ("" for valid)
    sentence: str
    term: str = ""  # is: the term asked (算 / 属于 / 构成 / 是), which words the answer


# a question written without its question mark (…还能认工伤吗 / 我能拒绝吗。。): its 吗 ends it
_BARE_END = re.compile(r"(吗|呢|行不行|要不要[^，。？！?!；\s]{1,8}|合法|对吧)"
                       r"(?=[。.！!~～\s]*$|[。.！!~～]+)")
# a predicate that asks what or how much: not a yes/no
_OPEN = re.compile(r"多少|几|什么|怎么|哪|多久|多长")
# the other side's act asked about in the person's words before: 能这样吗 / 能这么做吗
_THIS = re.compile(r"^(?:这样|这么做|这么干|这样做|这么|这样子)$")


def asked(question: str) -> Asked | None:
    """The question's first yes/no question (see module doc), or None (a 多少 / 怎么办 question)."""
    question = _BARE_END.sub(r"\1？", question)
    for sentence in re.findall(r"[^。？！?!；\n]*[？?]", question):
        m = _ASKS.search(sentence)
        if m is None:
            continue
        if m.group("valid"):
            return Asked("valid", "", sentence)
        if m.group("legal"):
            return Asked("legal", "", sentence, "合法")
        if m.group("whole"):
            pred = re.sub(r"^(?:我|我们)?(?:想|打算|准备|要)?", "", m.group("whole"))
            return Asked("may", pred, sentence)
        for kind in ("have", "have2", "must", "must2", "will"):
            if m.group(kind):
                return Asked(kind.rstrip("2"), m.group(kind), sentence)
        if m.group("is"):
            return Asked("is", m.group("is"), sentence, _TERM[m.group("term")])
        modal, pred = m.group("modal"), m.group("pred")
        if _OPEN.search(pred):
            continue
        term = re.match(r"算|属于|构成|认定为|认定|认", pred)
        if term and not modal.startswith("法院"):  # 这能算工伤吗: whether the deed falls under the term
            return Asked("is", pred[term.end():], sentence, "算" if "认" in term.group() else term.group())
        if _THIS.match(pred):  # 他能这样吗: whether the act the question tells of is allowed
            return Asked("legal", "", sentence, _KINDS.get(modal, "able"))
        return Asked("court" if modal.startswith("法院") else _KINDS[modal], pred, sentence)
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


def _segment(main: str, at: int) -> str:
    """The words of the clause from `at` up to the next comma, full stop or colon (one act)."""
    return re.split(r"[，。；：,;:]", main[at:], maxsplit=1)[0]


def _point_grams(pred: str) -> set[str]:
    """The content bigrams of the point asked, with the statutes' words for its everyday ones."""
    extra = " ".join(words for pattern, words in _POINT_WORDS if pattern.search(pred))
    return _grams(expand(pred) + " " + extra)


def _acts(main: str, pattern: re.Pattern, point: set[str], need: int = PRED_MIN) -> bool:
    """Some act the pattern (应当 / 不得 …) heads in the clause is the point asked about."""
    acts = (m.group() + _segment(main, m.end()) for m in pattern.finditer(main))
    return any(len(point & _grams(act)) >= need for act in acts)


_PARTY = re.compile(r"^(?:找|让|向|要|跟)(?P<who>[^，。\s]{2,8}?)(?:赔|退|还|要|给|支付|承担|交|把)")


def _same_party(pred: str, act: str) -> bool:
    """A claim against a party the question names (找店家赔) is the one the clause's act names
    (向网络交易平台提供者要求赔偿): they share words; a pronoun (对方 / 他) or an act naming no one passes."""
    m = _PARTY.match(pred)
    who = m.group("who") if m else ""
    named = re.search(r"向(?P<to>[^，。]{2,20}?)(?:请求|要求|主张|追偿|索赔)", act)
    if not who or not named or re.fullmatch(r"对方|他|她|他们|她们|对方当事人", who):
        return True
    return bool(_grams(who) & _grams(named.group("to")))


def _facts(question: str, ask: Asked) -> set[str]:
    """The content bigrams of what the question tells (not of the words that ask)."""
    asking = re.split(r"[，,]", ask.sentence)[-1]  # 我可以解除合同吗: the words that ask, not facts
    told = question.replace(asking, "，") if asking else question
    return {g for g in _grams(told) if "的" not in g}


# the party the person is, from how they speak of the other (我老婆 → 男方) or of themselves (我是房东)
_ROLES = ((re.compile(r"老婆|妻子|媳妇|前妻"), "男方"), (re.compile(r"老公|丈夫|前夫"), "女方"),
          (re.compile(r"我是房东|我是出租人|我的房子租给|租客"), "出租人"),
          (re.compile(r"我是租客|我是承租人|我租的|租的房|房东"), "承租人"))


def asker_roles(question: str) -> set[str]:
    """The parties a statute names that the person is (none where both of a pair are read)."""
    roles = {role for pattern, role in _ROLES if pattern.search(question)}
    for pair in ({"男方", "女方"}, {"出租人", "承租人"}):
        if pair <= roles:
            roles -= pair  # 房东 said by a 租客 and 租客 said by a 房东: who is who is not read
    return roles


def _bound(main: str, m: re.Match) -> str:
    """The party a 不得 / 可以 binds: the words before it back to the last comma (男方不得提出离婚 → 男方)."""
    return re.split(r"[，。；：,;:]", main[:m.start()])[-1]


def _findings(ask: Asked, main: str, question: str = "") -> set[bool]:
    """The polarities of the clause's consequences that answer what is asked: a court's 支持 / 不予支持 of the
    claim the clause describes, a person's 可以 / 不得 when the act after it is the one asked about, a
    liability when a claim is asked about; refusing what the clause forbids the other side to do; a thing
    the other side must give (have); a duty (must); the term the clause gives or denies the deed (is)."""
    if ask.kind == "legal":  # the act the question tells of is one the clause forbids: not allowed
        told = _facts(question, ask)
        return {False} if _acts(main, ACT[False], told, LEGAL_FACTS_MIN) else set()
    pred = _EMPTY.sub("", ask.predicate)
    asked_grams = _grams(pred)
    point = _point_grams(pred)
    if len(pred) == 1 and ask.kind in ("able", "may"):
        asked_grams = point  # a one-character verb (退): its statute words (退货 / 退款)
    if not asked_grams and ask.kind not in ("must", "will"):
        return set()
    if ask.kind == "have":  # the other side's duty to give it, or the person's own right to it
        need = min(2, len(asked_grams))
        pairs = ((True, GRANT), (False, DENY))
        return {pol for pol, pattern in pairs if _acts(main, pattern, asked_grams, need)}
    if ask.kind in ("must", "will", "is"):
        words = DUTY if ask.kind == "must" else WILL if ask.kind == "will" else TERM
        # a duty or a consequence is read after the clause's condition (…给予行政拘留的，应当依法折抵: the
        # 给予 is the condition's, not what follows)
        said = main if ask.kind == "is" else main.rsplit("的，", 1)[-1]
        return {pol for pol, pattern in words.items() if _acts(said, pattern, point)}
    bare = re.sub(r"^(?:直接|还|再|也|就|去)+", "", ask.predicate)
    if bare.startswith("拒绝"):  # refusing an act the clause forbids the other side (不得安排夜班): may
        refused = _grams(bare[2:])
        found = set()
        for m in ACT[False].finditer(main):
            act = _segment(main, m.end())
            if len(refused & _grams(act)) >= PRED_MIN:
                found.add(not act.startswith("拒绝"))  # 不得拒绝: the person may not
        return found
    claim = bool(_CLAIM_VERB.match(bare)) or ask.kind == "court"
    found = set()
    claim_grams = point  # a claim in everyday words (要回彩礼) against the statute's (返还)
    for polarity, pattern in COURT.items():
        if pattern.search(main) and len(claim_grams & _grams(main)) >= PRED_MIN and _same_party(bare, main):
            found.add(polarity)
    if ask.kind == "court":
        return found
    roles = asker_roles(question)
    for m in ACT[False].finditer(main):  # a prohibition on the party the person is, of the act asked
        if _bound(main, m) in roles and len(asked_grams & _grams(_segment(main, m.end()))) >= PRED_MIN:
            found.add(False)
    for polarity, pattern in ACT.items():
        if polarity is False and claim:
            continue  # 不得 binds the other side's conduct: it does not answer whether the person may claim
        for m in pattern.finditer(main):
            act = _segment(main, m.end())
            # the act must be the one asked about: a claim's 可以 must be a claim (请求 / 要求 …); another act
            # must be the same doing (撤回 … 撤回), not only the same thing (拒绝上夜班 is not 安排夜班)
            same = _CLAIM_WORDS.search(act) if claim else pred[:2] in act
            if same and len(asked_grams & _grams(act)) >= PRED_MIN and _same_party(bare, act):
                found.add(polarity)
    if claim and _acts(main, LIABLE, point):  # what the clause makes the liable one do is what is claimed
        found.add(True)
    return found


# --- the facts against the clause's condition -----------------------------------------------------------
_NUM = r"[0-9]+|[一二三四五六七八九十两]+"
_UNITS = {"个月": "month", "年": "year", "周岁": "age", "岁": "age", "日": "day", "天": "day", "小时": "hour"}
# a threshold in the clause: the two characters before it name what is counted (怀孕7个月以上, 分居满二年)
_THRESHOLD = re.compile(rf"(?P<ctx>[\u4e00-\u9fff]{{2}})(?P<pre>已满|未满|不满|满)?(?P<n>{_NUM})"
                        rf"(?P<unit>个月|周岁|岁|年|日|天|小时)(?P<post>以上|以下)?")
# a number in the question: 7个半月, 两年多, 15岁
_FACT = re.compile(rf"(?P<n>{_NUM})(?P<unit>个半月|个多月|个月|年半|年多|多年|周岁|岁|年|天|日|小时)"
                   r"(?P<more>半|多)?")
_EXCLUDED = re.compile(r"非(?P<term>[\u4e00-\u9fff]{2,10}?)(?=的|，|。|$)")  # 非本人主要责任的
CONTEXT_WINDOW = 8  # characters before a question's number searched for what the clause counts
_NOT_BEFORE = re.compile(r"(?:非|不|没|无|未|不是|并非|次要)$")


def _number(text: str) -> float | None:
    from lawglm.numerals import cn_to_int

    try:
        return float(text) if text.isdigit() else float(cn_to_int(text.replace("两", "二")))
    except ValueError:
        return None


def _facts_numbers(question: str, ctx: str, unit: str) -> list[float]:
    """The question's numbers in `unit` counting the thing `ctx` names (its words just before them)."""
    out = []
    for m in _FACT.finditer(question):
        u = m.group("unit")
        kind = _UNITS.get(u.replace("个半月", "个月").replace("个多月", "个月").replace("年半", "年")
                          .replace("年多", "年").replace("多年", "年"))
        n = _number(m.group("n"))
        if kind != unit or n is None or ctx not in question[max(0, m.start() - CONTEXT_WINDOW):m.start()]:
            continue
        if re.search(r"半|多", u) or m.group("more"):
            n += 0.5  # 7个半月, 两年多: more than the whole number, less than the next
        out.append(n)
    return out


def condition_check(question: str, condition: str) -> str:
    """How the question's facts stand to the clause's condition: "excluded" where the clause excludes what
    the question affirms (非本人主要责任 against 我负主要责任); "unmet" where a threshold on what the
    question counts too fails (7个月以上 against 怀孕5个月); "met" where such thresholds hold (怀孕7个半月);
    else "unknown"."""
    verdicts = []
    for m in _THRESHOLD.finditer(condition):
        pre, post = m.group("pre") or "", m.group("post") or ""
        if not (pre or post):
            continue  # a number, not a threshold (安排1小时哺乳时间)
        n, ctx = _number(m.group("n")), m.group("ctx")
        facts = _facts_numbers(question, ctx, _UNITS[m.group("unit")]) if n is not None else []
        if not facts:
            continue
        below = pre in ("未满", "不满") or post == "以下"
        ok = any((f <= n if post == "以下" else f < n) if below else f >= n for f in facts)
        verdicts.append(ok)
    for m in _EXCLUDED.finditer(condition):
        term = m.group("term")
        core = re.sub(r"^(?:本人|自己|其)", "", term)
        if len(core) < 2:
            continue
        for q in re.finditer(re.escape(core), question):
            before = question[max(0, q.start() - 6):q.start()]
            if _NOT_BEFORE.search(before) or (core != term and "我" not in before):
                continue  # negated, or (非本人…) not said of the person
            return "excluded"
    if False in verdicts:
        return "unmet"
    return "met" if verdicts else "unknown"


def _hedged(clause: Clause, main: str, exception: str) -> bool:
    """The consequence holds only in general: an exception (但是…除外, 法律另有规定的…), 一般, or a list's
    lead-in with a condition of its own (有下列情形之一，调解无效的，…)."""
    lead_condition = clause.item and re.search(r"之一[，,][^：:]*的[，,]", clause.lead)
    return bool(exception or re.search(r"一般|另有规定|另有约定", main) or lead_condition)


def facts_in_clause(question: str, clause: Clause) -> bool:
    """The question's facts are the clause's: its thresholds hold for the question's numbers, or the
    question shares at least FACTS_MIN content bigrams with the clause's words beyond those of the point
    asked (the person's facts in the statute's own words, not only the thing asked about)."""
    ask = asked(question)
    main = _consequence(clause, question)[0]
    if ask is None or condition_check(question, main) == "met":
        return ask is not None
    return len(_facts(question, ask) & _grams(main)) >= FACTS_MIN


# a consequence that follows a period's lapse (逾期…不予受理, 超过…期限的): it answers only with the dates,
# which the 下一步 periods compute (decided.verdict), never from the clause's words alone
_LAPSE = re.compile(r"逾期(?:提出|申请|起诉|上诉|提起|行使)|超过[^，。；]{0,12}(?:期限|时效)|"
                    r"时效期间(?:已)?届满|(?:申请|起诉|上诉)期限(?:已)?届满")


def clause_verdict(question: str, clause: Clause | None, sure: bool) -> str:
    """「能。」/「一般不能。」/「无效。」… where the clause decides what is asked (module doc), else ""."""
    ask = asked(question)
    if clause is None or not sure or ask is None:
        return ""
    if clause.item and len(_grams(ITEM_RE.sub("", clause.text)) & _grams(expand(question))) < ITEM_OWN_MIN:
        return ""
    main, exception = _consequence(clause, question)
    if _LAPSE.search(main):
        return ""  # the consequence follows a period's lapse: whether it lapsed is the deadline's to say
    if ask.kind == "valid":
        said = {("无效" not in main)} if re.search(r"无效|有效", main) else set()
        condition = main[:re.search(r"无效|有效", main).start()] if said else ""
        if len(_grams(question) & _grams(condition)) < VALID_FACTS_MIN:
            said = set()  # the facts must meet the clause's condition in its words, not just name the deed
    elif _ALL.search(ask.predicate) and _findings(ask, _ALL.sub("", main), question) == {True} \
            and _LIMITED.search(main):
        return _WORDS[ask.term or ask.kind][1] + "。"  # all of it, where the clause gives it within a limit
    elif _PARTIAL.search(ask.predicate):
        said = set()
    else:
        said = _findings(ask, main, question)
    words = _WORDS[ask.term or ask.kind]
    check = condition_check(question, main) if ask.kind != "valid" else "unknown"
    if check == "unmet":
        return ""  # below the clause's threshold the clause says nothing; another rule may still apply
    if check == "excluded":
        # the clause gives the point only to those it does not exclude, and the facts put the person among
        # the excluded: in general, no (never from a clause that denies it, nor for a partial/negated point)
        affirms = said == {True} or (not said and not _PARTIAL.search(ask.predicate)
                                     and _acts(main, AFFIRM, _point_grams(_EMPTY.sub("", ask.predicate))))
        if not affirms:
            return ""
        term = _EXCLUDED.search(main)
        why = f"——该规定只适用于“{term.group()}”的情形，与您所说的不符" if term else ""
        return "一般" + words[1] + why + "。"
    if len(said) != 1:
        return ""
    positive = said.pop()
    if ask.kind == "is" and positive:
        return ""  # whether the deed meets the term's other conditions is not read: never a bare 算
    word = words[0 if positive else 1]
    if ask.kind == "able" and positive and _hedged(clause, main, exception):
        word = "可以"  # 一般可以 reads better than 一般能
    return ("一般" + word if _hedged(clause, main, exception) else word) + "。"


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

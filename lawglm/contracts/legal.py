"""Legal checks on a draft's values, with every figure read from the corpus at run time.

Owns `legal_warnings(tpl, values, request, corpus, lpr)` -> list of warnings (strings) for Draft.notes.
Which checks run, and on which fields, is the template's own `legal:` list (YAML); the kinds are:
  interest_cap {field}, probation {field, law, article, term_months/term_start/term_end/term_type},
  min_share / max_share {field, of, law, article} (百分之N parsed from the article),
  words {words, law, article, contains} (the request mentions one of the words),
  if_missing {field, law, article, contains} (the field is blank), reminder {law, article, contains[, when]};
  each quotes the corpus sentence holding `contains`, never text of ours. Every template also gets:
  - interest (loan annual_rate / late_rate): 民法典 第六百八十条 as the corpus has it, plus the cap of a
    loaded judicial interpretation on private lending (a law whose name has 民间借贷): either a fixed
    year rate (年利率N% / 百分之N) or a multiple of the one-year LPR (…报价利率N倍), compared with the
    LPR the user configured (LAWGLM_CONTRACT_LPR) or, without one, stated as the LPR below which
    the rate is over the cap. Without such an interpretation the warning says that it is missing.
  - probation (labor probation_months): the limits of 劳动合同法 第十九条 parsed from its text
    (期限X以上不满Y的，试用期不得超过Z; 不满X / 以完成一定工作任务为期限的，不得约定试用期), against
    the term (term_months, the term dates, or the term type); 第二十条's minimum probation wage.
  - deposits: 定金 over 民法典 第五百八十六条's share of the contract amount; a 押金/保证金 asked of a
    worker (劳动合同法 第九条).
Each warning names the article it relies on; an article the corpus lacks is said to be missing,
never assumed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from ..numerals import article_label, cn_to_int
from .money import AMOUNT, format_number, parse_amount, parse_number
from .render import base_amount, items_total

CIVIL, LABOR = "中华人民共和国民法典", "中华人民共和国劳动合同法"
PREFIX = "法律提示："
_SPAN = r"([一二两三四五六七八九十\d]+)\s*(个月|年)"
RULE_RANGE = re.compile(rf"期限{_SPAN}以上不满{_SPAN}的，试用期不得超过{_SPAN}")
RULE_LONG = re.compile(rf"{_SPAN}以上固定期限和无固定期限的劳动合同，试用期不得超过{_SPAN}")
RULE_NONE = re.compile(rf"以完成一定工作任务为期限的劳动合同或者劳动合同期限不满{_SPAN}的，不得约定试用期")
MULTIPLE = re.compile(r"贷款市场报价利率\s*([一二两三四五六七八九十\d]+)\s*倍")
FIXED = re.compile(r"年利率\s*(\d+(?:\.\d+)?)\s*%|年利率超过百分之([一二三四五六七八九十]+)")
PERCENT_OF = re.compile(r"不得(?:超过|低于)[^。；]{0,40}?百分之([一二三四五六七八九十]+)")


def _months(num: str, unit: str) -> int:
    n = int(num) if num.isdigit() else cn_to_int(num)
    return n * 12 if unit == "年" else n


def _article(corpus, law: str, no: int):
    try:
        return corpus.get(law, no) if corpus is not None else None
    except Exception:  # noqa: BLE001 - a corpus without the law is a missing article, not a crash
        return None


def _label(no: int) -> str:
    return article_label(no)


# --- interest ----------------------------------------------------------------------------------
def lending_cap(corpus) -> tuple[str, int, Decimal | None, Decimal | None] | None:
    """(law, article, fixed year rate %, LPR multiple) from a loaded interpretation on private lending."""
    if corpus is None:
        return None
    for law in corpus.laws():
        if "民间借贷" not in law:
            continue
        for a in corpus.law_articles(law):
            if not a.is_current or "利率" not in a.text:
                continue
            m, f = MULTIPLE.search(a.text), FIXED.search(a.text)
            if m:
                return law, a.article_no, None, Decimal(int(parse_number(m.group(1))))
            if f:
                return law, a.article_no, Decimal(f.group(1) or cn_to_int(f.group(2))), None
    return None


def interest_warnings(values: dict, corpus, lpr: float | None, field: str = "annual_rate") -> list[str]:
    rate = values.get(field)
    if rate is None or rate <= 0:
        return []
    art = _article(corpus, CIVIL, 680)
    basis = (f"《民法典》{_label(680)}（{art.status}）：“{art.text.splitlines()[0].rstrip('。')}”" if art
             else f"语料库中没有《民法典》{_label(680)}")
    cap = lending_cap(corpus)
    shown = format_number(rate)
    if cap is None:
        return [
            (
                f"{PREFIX}年利率{shown}%。{basis}。语料库中没有载明利率上限的民间借贷司法解释（可加载《最高人民法院关于审理"
                f"民间借贷案件适用法律若干问题的规定》），无法据以核对该利率是否受保护，请人工核对。"
            )
        ]
    law, no, fixed, multiple = cap
    where = f"《{law}》{_label(no)}"
    if fixed is not None:
        if rate > fixed:
            return [
                f"{PREFIX}年利率{shown}%超过{where}规定的年利率{format_number(fixed)}%，超过部分不受保护。{basis}。"
            ]
        return []
    if lpr:
        limit = multiple * Decimal(str(lpr))
        if rate > limit:
            return [
                (
                    f"{PREFIX}年利率{shown}%超过{where}规定的上限：一年期贷款市场报价利率（LPR，按设置为{lpr}%）的"
                    f"{format_number(multiple)}倍，即{format_number(limit)}%；超过部分不受保护。{basis}。"
                )
            ]
        return []
    at = rate / multiple
    return [
        (
            f"{PREFIX}{where}以合同成立时一年期贷款市场报价利率（LPR）的{format_number(multiple)}倍为上限；年利率{shown}%"
            f"只有在签约时LPR不低于{format_number(at.quantize(Decimal('0.01')))}%时才在上限之内。请核对签约时的LPR"
            f"（可用 LAWGLM_CONTRACT_LPR 设置）。{basis}。"
        )
    ]


# --- probation ------------------------------------------------------------------------------------
def probation_rules(corpus, art=None) -> tuple[list[tuple[int, float, int]], int | None, int | None] | None:
    """([(term from, term below, max probation months)], months below which none, months from which the
    open-ended limit applies) parsed from the article (劳动合同法 第十九条); None when the corpus lacks it."""
    art = art if art is not None else _article(corpus, LABOR, 19)
    if art is None:
        return None
    rules = [(_months(*m.groups()[0:2]), _months(*m.groups()[2:4]), _months(*m.groups()[4:6]))
             for m in RULE_RANGE.finditer(art.text)]
    long_from = None
    for m in RULE_LONG.finditer(art.text):
        long_from = _months(m.group(1), m.group(2))
        rules.append((long_from, float("inf"), _months(m.group(3), m.group(4))))
    none = RULE_NONE.search(art.text)
    return rules, (_months(*none.groups()) if none else None), long_from


def term_months(values: dict) -> float | None:
    if values.get("term_type") == "无固定期限":
        return float("inf")
    if values.get("term_months"):
        return float(values["term_months"])
    start, end = values.get("term_start"), values.get("term_end")
    if isinstance(start, date) and isinstance(end, date) and start < end:
        after = end + timedelta(days=1)
        return (after.year - start.year) * 12 + after.month - start.month + (after.day - start.day) / 31
    return None


def probation_warnings(values: dict, corpus, check: dict | None = None) -> list[str]:
    check = check or {}
    months = values.get(check.get("field", "probation_months"))
    if not months:
        return []
    law, art = _resolve(corpus, check.get("law", LABOR), check.get("article", 19))
    parsed = probation_rules(corpus, art) if art is not None else None
    if parsed is None:
        return [
            (f"{PREFIX}试用期{months}个月：语料库中没有《{law}》{_ref_label(check.get('article', 19))}，"
             "无法核对试用期上限。")
        ]
    rules, none_below, _ = parsed
    where = f"《{law}》{_label(art.article_no)}"
    keys = {k: check.get(k, k) for k in ("term_months", "term_start", "term_end", "term_type")}
    values = {k: values.get(v) for k, v in keys.items()}
    if values.get("term_type") == "以完成一定工作任务为期限":
        return [
            f"{PREFIX}以完成一定工作任务为期限的劳动合同不得约定试用期（{where}），本合同约定了{months}个月。"
        ]
    term = term_months(values)
    if term is None:
        return [f"{PREFIX}试用期{months}个月：合同期限未写明，无法按{where}核对试用期上限，请补充合同期限。"]
    if none_below and term < none_below:
        return [
            f"{PREFIX}合同期限不满{none_below}个月的不得约定试用期（{where}），本合同约定了{months}个月。"
        ]
    for lo, hi, cap in rules:
        if lo <= term < hi and months > cap:
            span = "无固定期限或" + f"{lo}个月以上" if hi == float("inf") else f"{lo}个月以上不满{hi}个月"
            return [f"{PREFIX}试用期{months}个月超过{where}对{span}合同规定的上限{cap}个月。"]
    return []


# --- deposits ---------------------------------------------------------------------------------------
DINGJIN = re.compile(
    rf"定金(?:为|是|：|:)?\s*(?:(?P<amount>{AMOUNT})|(?:合同总价|总价款|总价|价款|合同金额)?的?(?P<pct>\d+(?:\.\d+)?)\s*%)"
)


def deposit_warnings(tpl, values: dict, request: str, corpus) -> list[str]:
    """定金 stated in the request over 民法典 第五百八十六条's share of the contract amount (every template)
    ."""
    out: list[str] = []
    m = DINGJIN.search(request or "")
    art = _article(corpus, CIVIL, 586)
    if not m or art is None:
        return out
    share = PERCENT_OF.search(art.text)
    total = _contract_amount(tpl, values)
    if not share or total is None:
        return out
    pct = Decimal(cn_to_int(share.group(1)))
    paid = parse_amount(m.group("amount")) if m.group("amount") else total * Decimal(m.group("pct")) / 100
    if paid > total * pct / 100:
        out.append(f"{PREFIX}定金{format_number(paid)}元超过合同金额{format_number(total)}元的百分之{share.group(1)}，"
                   f"超过部分不产生定金的效力（《民法典》{_label(586)}）。")
    return out


def _contract_amount(tpl, values: dict) -> Decimal | None:
    for name, spec in tpl.fields.items():
        if spec.type == "items" and values.get(name):
            return items_total(values[name])
        if spec.type == "schedule" and spec.base:
            return base_amount(tpl, values, spec.base)
    return None


# --- the checks a template declares ------------------------------------------------------------------
def _resolve(corpus, law: str, article) -> tuple[str, object | None]:
    """(the law's name as shown, the article or None) for a template's short name (劳动合同法 / 民法典)."""
    from lawglm.statutes.citations import verify_one

    try:
        c = verify_one(corpus, str(law), str(article)) if corpus is not None else None
    except Exception:  # noqa: BLE001 - a corpus that cannot answer is a missing article
        c = None
    short = str(law).removeprefix("中华人民共和国")
    if c is None or not c.verified or c.article is None:
        return short, None
    return short, c.article


def sentence_with(text: str, words: str) -> str:
    """The sentence (or clause, between 。；) of an article that holds the words; '' if none."""
    for piece in re.split(r"(?<=[。；;])", text):
        if words in piece:
            return piece.strip().rstrip("。；;")
    return ""


def _missing(law: str, article) -> str:
    return f"{PREFIX}语料库中没有《{law}》{_ref_label(article)}，无法核对，请人工核对。"


def _ref_label(article) -> str:
    from ..numerals import parse_article_no

    try:
        return article_label(*parse_article_no(str(article)))
    except ValueError:
        return str(article)


def _quoted(check: dict, corpus) -> tuple[str, str] | None:
    """(《law》第N条（status）, “the sentence with `contains`”) or None when the corpus lacks it."""
    law, art = _resolve(corpus, check["law"], check["article"])
    if art is None:
        return None
    said = sentence_with(art.text, str(check.get("contains", ""))) if check.get("contains") else ""
    return f"《{law}》{article_label(art.article_no, getattr(art, 'sub_no', 0) or 0)}（{art.status}）", said


def _share_check(tpl, values: dict, check: dict, corpus, minimum: bool) -> list[str]:
    a, base = values.get(check["field"]), values.get(check["of"])
    if a is None or base is None:
        return []
    if tpl.fields[check["of"]].type == "items":
        base = items_total(base)
        if base is None:
            return []
    law, art = _resolve(corpus, check["law"], check["article"])
    if art is None:
        return [_missing(law, check["article"])]
    m = PERCENT_OF.search(art.text)
    if not m:
        return []
    pct = cn_to_int(m.group(1))
    where = f"《{law}》{article_label(art.article_no)}"
    label, of = tpl.fields[check["field"]].label, tpl.fields[check["of"]].label
    if minimum and a < base * pct / 100:
        return [
            f"{PREFIX}{label}{format_number(a)}元低于{of}{format_number(base)}元的百分之{m.group(1)}（{where}）。"
        ]
    if not minimum and a > base * pct / 100:
        return [f"{PREFIX}{label}{format_number(a)}元超过{of}{format_number(base)}元的百分之{m.group(1)}，"
                f"超过部分不产生{label}的效力（{where}）。" if "定金" in label else
                f"{PREFIX}{label}{format_number(a)}元超过{of}{format_number(base)}元的百分之{m.group(1)}（{where}）。"]
    return []


def _quote_check(tpl, values: dict, request: str, check: dict, corpus) -> list[str]:
    kind = check["check"]
    if kind == "words" and not any(w in (request or "") for w in check["words"]):
        return []
    if kind == "if_missing" and values.get(check["field"]) is not None:
        return []
    if kind == "reminder" and check.get("when") and values.get(check["when"]) is None:
        return []
    quoted = _quoted(check, corpus)
    if quoted is None:
        return [_missing(str(check["law"]).removeprefix("中华人民共和国"), check["article"])]
    where, said = quoted
    if not said:
        return []
    if kind == "words":
        lead = f"请求提到「{next(w for w in check['words'] if w in request)}」："
    elif kind == "if_missing":
        lead = f"未填写{tpl.fields[check['field']].label}："
    else:
        lead = ""
    return [f"{PREFIX}{check.get('message', '') if kind == 'reminder' else ''}{lead}{where}规定“{said}”。"]


def legal_warnings(tpl, values: dict, request: str | None, corpus, lpr: float | None = None) -> list[str]:
    """The template's declared legal checks, then the 定金 check every contract gets."""
    out: list[str] = []
    for check in tpl.legal:
        kind = check["check"]
        if kind == "interest_cap":
            out += interest_warnings(values, corpus, lpr, check["field"])
        elif kind == "probation":
            out += probation_warnings(values, corpus, check)
        elif kind in ("min_share", "max_share"):
            out += _share_check(tpl, values, check, corpus, minimum=kind == "min_share")
        else:
            out += _quote_check(tpl, values, request or "", check, corpus)
    return out + deposit_warnings(tpl, values, request or "", corpus)

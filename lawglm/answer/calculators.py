"""The person's numbers: amounts the deciding articles give a formula for, computed from the question's
facts, with the working — every step naming the article (and 款/项) it applies.

Pure functions (each tested against hand-worked cases):
- `severance` 经济补偿 (劳动合同法第四十七条: a month's wage per full year, six months or more count as a
year,
  less than six as half a month; above three times the local average monthly wage the base is capped at
  three times that average and the years at twelve — applied only when the person gives the average) and
  `wrongful_dismissal` 赔偿金 (第八十七条: twice the 经济补偿);
- `overtime` 加班费 (劳动法第四十四条: 150% / 200% / 300%);
- `no_written_contract` 二倍工资 (劳动合同法第八十二条第一款 with 第十条第二款、第十四条第三款: the extra wage
for at
  most eleven months);
- `probation_floor` (劳动合同法第二十条: at least 80% of the agreed wage; the local minimum wage is named, not
  invented);
- `deposit` 定金 (民法典第五百八十六条第二款: at most 20% of the main contract; 第五百八十七条: double return)
;
- `fraud_damages` (消费者权益保护法第五十五条第一款: three times, at least 500 元) and `food_damages`
  (食品安全法第一百四十八条第二款: ten times the price, at least 1000 元).
Each `Step.ref` names the article and the words of its 款 that carry the rule; `render` shows a calculation
only when the corpus article holds those words (so a rule lawglm would have to type is never shown).
`calculate(question)` reads the facts (amounts, years of service, hours, days) from the question and
returns the calculations they allow. Rates the law leaves to published figures (LPR, 当地最低工资标准,
上年度职工月平均工资) are never invented: the step says the person must supply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from lawglm.numerals import cn_to_int

LABOR_CONTRACT = "中华人民共和国劳动合同法"
LABOR = "中华人民共和国劳动法"
CIVIL = "中华人民共和国民法典"
CONSUMER = "中华人民共和国消费者权益保护法"
FOOD = "中华人民共和国食品安全法"
WORK_INJURY = "工伤保险条例"
PERSONAL_INJURY = "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释"
MAX_CAPPED_YEARS = 12  # 劳动合同法第四十七条第二款: 年限最高不超过十二年
MAX_DOUBLE_WAGE_MONTHS = 11  # 第八十二条第一款 "超过一个月不满一年": months 2..12


@dataclass(frozen=True)
class Ref:
    """An article's 款 (1-based; item 0 = the whole 款) and the words in it that carry the rule."""

    law: str
    article_no: int
    paragraph: int
    words: str
    item: int = 0


@dataclass
class Step:
    text: str
    ref: Ref | None = None


@dataclass
class Calculation:
    """One computed amount: what it is, its value in 元, the working, and notes (what the person must
    supply, conditions)."""

    kind: str
    title: str
    amount: float | None
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headline: bool = False  # the figure the conclusion states (others are shown as alternatives)
    deciding: Ref | None = None  # the rule that decides the amount (the conclusion names it)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "title": self.title, "amount": self.amount, "headline": self.headline,
                "steps": [s.text for s in self.steps], "notes": self.notes}


def money(x: float) -> str:
    """12000 -> 12,000元; 1034.483 -> 1,034.48元."""
    x = round(x, 2)
    return (f"{x:,.0f}" if x == int(x) else f"{x:,.2f}") + "元"


def _months_text(n: float) -> str:
    return (f"{n:g}" if n != int(n) else str(int(n))) + "个月"


# --- labor ---------------------------------------------------------------------------------------
def service_months(years: int, months: int) -> tuple[float, str]:
    """(months of wage owed as 经济补偿, the rule applied) for years + months of service (第四十七条第一款)
    ."""
    if years < 0 or months < 0:
        raise ValueError("service cannot be negative")
    years, months = years + months // 12, months % 12
    if months == 0:
        return float(years), f"满{years}年，每满一年支付一个月工资"
    if months >= 6:
        return float(years + 1), f"{years}年{months}个月，其中{months}个月为六个月以上不满一年，按一年计算"
    return years + 0.5, f"{years}年{months}个月，其中{months}个月不满六个月，支付半个月工资"


def severance(years: int, months: int, wage: float, local_average: float | None = None) -> Calculation:
    """经济补偿 under 劳动合同法第四十七条 (see module doc)."""
    n, rule = service_months(years, months)
    steps = [
        Step(
            f"工作年限：{rule}，共{_months_text(n)}工资。",
            Ref(LABOR_CONTRACT, 47, 1, "每满一年支付一个月工资"),
        )
    ]
    base, notes = wage, []
    if local_average is not None and wage > 3 * local_average:
        base = 3 * local_average
        capped = min(n, MAX_CAPPED_YEARS)
        steps.append(Step(f"月工资{money(wage)}高于当地上年度职工月平均工资{money(local_average)}的三倍"
                          f"（{money(3 * local_average)}），按三倍即{money(base)}计算，年限最高十二年："
                          f"按{_months_text(capped)}计。", Ref(LABOR_CONTRACT, 47, 2, "三倍")))
        n = capped
    elif local_average is not None:
        steps.append(
            Step(
                f"月工资{money(wage)}不高于当地上年度职工月平均工资的三倍（{money(3 * local_average)}），"
                "不封顶。",
                Ref(LABOR_CONTRACT, 47, 2, "三倍"),
            )
        )
    steps.append(
        Step(
            f"经济补偿：{_months_text(n)} × {money(base)} = {money(n * base)}。"
            "月工资指解除或终止前十二个月的平均工资。",
            Ref(LABOR_CONTRACT, 47, 3, "前十二个月的平均工资"),
        )
    )
    if local_average is None:
        steps.append(
            Step(
                "如果您的月工资高于当地（直辖市、设区的市）公布的上年度职工月平均工资的三倍，按三倍封顶、"
                "年限最高十二年；请以当地公布的数字核对，这里不替您假设。",
                Ref(LABOR_CONTRACT, 47, 2, "三倍"),
            )
        )
    return Calculation("severance", "经济补偿", round(n * base, 2), steps, notes,
                       deciding=Ref(LABOR_CONTRACT, 47, 1, "每满一年支付一个月工资"))


def wrongful_dismissal(
    years: int, months: int, wage: float, local_average: float | None = None
) -> Calculation:
    """赔偿金 under 劳动合同法第八十七条: twice the 第四十七条 经济补偿 (instead of it, when the worker does
    not ask
    to keep the job — 第四十八条)."""
    base = severance(years, months, wage, local_average)
    amount = round(2 * base.amount, 2)
    steps = [
        *base.steps,
        Step(
            f"违法解除的赔偿金为经济补偿标准的二倍：2 × {money(base.amount)} = {money(amount)}"
            "（您不要求继续履行劳动合同时）。",
            Ref(LABOR_CONTRACT, 87, 1, "二倍"),
        ),
    ]
    return Calculation("wrongful_dismissal", "违法解除赔偿金", amount, steps, base.notes,
                       deciding=Ref(LABOR_CONTRACT, 87, 1, "二倍"))


OVERTIME = {  # kind -> (percent, 劳动法第四十四条 item, what it is)
    "extended": (150, 1, "延长工作时间"),
    "rest_day": (200, 2, "休息日工作又不能安排补休"),
    "holiday": (300, 3, "法定休假日工作"),
}


def overtime(kind: str, units: float, unit_wage: float, unit: str = "小时") -> Calculation:
    """加班费 under 劳动法第四十四条: units (hours or days) × the wage for one unit × the percentage."""
    percent, item, what = OVERTIME[kind]
    amount = round(units * unit_wage * percent / 100, 2)
    words = f"百分之{ {150: '一百五十', 200: '二百', 300: '三百'}[percent]}"
    steps = [
        Step(
            f"{what}：不低于工资的{percent}%。{units:g}{unit} × {money(unit_wage)}/{unit} × {percent}% = "
            f"{money(amount)}。",
            Ref(LABOR, 44, 1, words, item),
        )
    ]
    return Calculation("overtime", "加班费", amount, steps, deciding=Ref(LABOR, 44, 1, words, item))


def no_written_contract(months_without: int, wage: float) -> Calculation:
    """二倍工资 under 劳动合同法第八十二条第一款: from the second month of work without a written contract, at
    most eleven months (after a full year the contract is deemed open-ended, 第十四条第三款)."""
    owed = max(0, min(months_without - 1, MAX_DOUBLE_WAGE_MONTHS))
    amount = round(owed * wage, 2)
    steps = [
        Step(
            "用工之日起一个月内应当订立书面劳动合同，第一个月不计。", Ref(LABOR_CONTRACT, 10, 2, "一个月内")
        ),
        Step(
            f"超过一个月不满一年未订立的，每月支付二倍工资，即在已发工资之外每月再付一倍：未签合同{months_without}个月，"
            f"计{owed}个月（最多十一个月）× {money(wage)} = {money(amount)}。",
            Ref(LABOR_CONTRACT, 82, 1, "二倍的工资"),
        ),
    ]
    notes = []
    if months_without > 12:
        notes.append("满一年仍未订立书面合同的，视为已订立无固定期限劳动合同（第十四条第三款）。")
    return Calculation("double_wage", "未签书面劳动合同的二倍工资差额", amount, steps, notes,
                       deciding=Ref(LABOR_CONTRACT, 82, 1, "二倍的工资"))


def probation_floor(agreed_wage: float, probation_wage: float | None = None) -> Calculation:
    """劳动合同法第二十条: the probation wage is at least 80% of the agreed wage (and the local minimum wage)
    ."""
    floor = round(0.8 * agreed_wage, 2)
    steps = [
        Step(
            f"试用期工资不得低于劳动合同约定工资的百分之八十：{money(agreed_wage)} × 80% = {money(floor)}。",
            Ref(LABOR_CONTRACT, 20, 1, "百分之八十"),
        )
    ]
    notes = ["还不得低于本单位相同岗位最低档工资的百分之八十和当地最低工资标准（请以当地公布的标准核对）。"]
    amount = floor
    if probation_wage is not None:
        short = round(max(0.0, floor - probation_wage), 2)
        if short > 0:
            steps.append(Step(f"实发{money(probation_wage)}，每月少发{money(short)}。"))
        else:
            steps.append(Step(f"实发{money(probation_wage)}，不低于该标准。"))
    return Calculation("probation", "试用期工资下限", amount, steps, notes,
                       deciding=Ref(LABOR_CONTRACT, 20, 1, "百分之八十"))


# --- contracts and consumers ---------------------------------------------------------------------
def deposit(paid: float, contract_amount: float, receiver_breached: bool = True) -> Calculation:
    """定金: at most 20% of the main contract (民法典第五百八十六条第二款); the receiver who breaches returns
    double (第五百八十七条); money paid above the cap is not 定金 and is returned as it is."""
    cap = round(0.2 * contract_amount, 2)
    effective = min(paid, cap)
    steps = [Step(f"定金不得超过主合同标的额的百分之二十：{money(contract_amount)} × 20% = {money(cap)}"
                  + (f"；超出的{money(paid - cap)}不产生定金的效力。" if paid > cap else "。"),
                  Ref(CIVIL, 586, 2, "百分之二十"))]
    if receiver_breached:
        back = round(2 * effective + max(0.0, paid - cap), 2)
        steps.append(Step(f"收受定金的一方违约致使不能实现合同目的，应当双倍返还定金：2 × {money(effective)}"
                          + (f" + 超出部分{money(paid - cap)}" if paid > cap else "") + f" = {money(back)}。",
                          Ref(CIVIL, 587, 1, "双倍返还定金")))
        return Calculation("deposit", "可要回的定金", back, steps, deciding=Ref(CIVIL, 586, 2, "百分之二十"))
    return Calculation(
        "deposit", "有效的定金数额", effective, steps, deciding=Ref(CIVIL, 586, 2, "百分之二十")
    )


def fraud_damages(price: float) -> Calculation:
    """消费者权益保护法第五十五条第一款: extra damages of three times the price, at least 500 元."""
    extra = max(round(3 * price, 2), 500.0)
    steps = [
        Step(
            f"经营者有欺诈行为的，增加赔偿价款的三倍：3 × {money(price)} = {money(3 * price)}"
            + ("；不足五百元的，为五百元。" if 3 * price < 500 else "。"),
            Ref(CONSUMER, 55, 1, "三倍"),
        )
    ]
    return Calculation("fraud", "欺诈的增加赔偿", extra, steps, ["另可要求退还货款（退货）。"],
                       deciding=Ref(CONSUMER, 55, 1, "三倍"))


def food_damages(price: float) -> Calculation:
    """食品安全法第一百四十八条第二款: ten times the price (or three times the loss), at least 1000 元."""
    extra = max(round(10 * price, 2), 1000.0)
    steps = [
        Step(
            f"不符合食品安全标准的食品，可以要求支付价款十倍的赔偿金：10 × {money(price)} = "
            f"{money(10 * price)}"
            + ("；不足一千元的，为一千元。" if 10 * price < 1000 else "。"),
            Ref(FOOD, 148, 2, "十倍"),
        )
    ]
    return Calculation(
        "food",
        "食品安全的惩罚性赔偿",
        extra,
        steps,
        ["也可以选择按损失的三倍计算，另可要求赔偿损失。"],
        deciding=Ref(FOOD, 148, 2, "十倍"),
    )


# --- injury and death ----------------------------------------------------------------------------
# 伤残等级 -> (工伤保险条例 article, months of 本人工资); checked against the corpus words before shown
INJURY_GRADES = {1: (35, 27), 2: (35, 25), 3: (35, 23), 4: (35, 21), 5: (36, 18), 6: (36, 16), 7: (37, 13),
                 8: (37, 11), 9: (37, 9), 10: (37, 7)}


def injury_lump_sum(grade: int, own_wage: float, area_average: float | None = None) -> Calculation:
    """一次性伤残补助金 (工伤保险条例第三十五—三十七条第一款第（一）项: months of 本人工资 by grade);
    本人工资 is kept between 60% and 300% of the area's average wage when the person gives it
    (第六十四条第二款)."""
    from lawglm.numerals import int_to_cn

    article, months = INJURY_GRADES[grade]
    base, steps = own_wage, []
    if area_average is not None:
        base = min(max(own_wage, 0.6 * area_average), 3 * area_average)
        steps.append(Step(f"本人工资{money(own_wage)}，按统筹地区职工月平均工资{money(area_average)}的60%至300%"
                          f"计，为{money(base)}。", Ref(WORK_INJURY, 64, 2, "300%")))
    amount = round(months * base, 2)
    rule = f"{int_to_cn(grade)}级伤残为{months}个月的本人工资"
    steps.append(Step(f"{rule}：{months} × {money(base)} = {money(amount)}。",
                      Ref(WORK_INJURY, article, 1, rule, 1)))
    return Calculation("injury_lump_sum", "一次性伤残补助金", amount, steps,
                       deciding=Ref(WORK_INJURY, article, 1, f"{int_to_cn(grade)}级伤残为{months}个月", 1))


def work_death_benefit(national_income: float) -> Calculation:
    """一次性工亡补助金: 20 times the national urban per-capita disposable income (工伤保险条例第三十九条)."""
    amount = round(20 * national_income, 2)
    rule = Ref(WORK_INJURY, 39, 1, "20倍", 3)
    steps = [Step(f"上一年度全国城镇居民人均可支配收入的20倍：20 × {money(national_income)} = "
                  f"{money(amount)}。", rule)]
    return Calculation("work_death", "一次性工亡补助金", amount, steps, deciding=rule)


def death_compensation(age: int, income: float) -> Calculation:
    """死亡赔偿金 (人身损害赔偿解释第十五条): twenty years of the per-capita disposable income, a year
    less for each year of age over sixty, five years from seventy-five."""
    years = 20 if age < 60 else 5 if age >= 75 else 20 - (age - 60)
    amount = round(years * income, 2)
    why = "按二十年计算" if age < 60 else "七十五周岁以上按五年计算" if age >= 75 else \
        f"六十周岁以上每增加一岁减少一年：20 − ({age} − 60) = {years}年"
    steps = [Step(f"{age}岁，{why}；{years} × {money(income)} = {money(amount)}。",
                  Ref(PERSONAL_INJURY, 15, 1, "按二十年计算"))]
    return Calculation("death_compensation", "死亡赔偿金", amount, steps,
                       deciding=Ref(PERSONAL_INJURY, 15, 1, "按二十年计算"))


def funeral_costs(monthly_average: float) -> Calculation:
    """丧葬费 (人身损害赔偿解释第十四条): six months of the average monthly wage."""
    amount = round(6 * monthly_average, 2)
    steps = [Step(f"以六个月总额计算：6 × {money(monthly_average)} = {money(amount)}。",
                  Ref(PERSONAL_INJURY, 14, 1, "六个月总额"))]
    return Calculation("funeral", "丧葬费", amount, steps, deciding=Ref(PERSONAL_INJURY, 14, 1, "六个月总额"))


# --- reading the facts from a question ------------------------------------------------------------
_NUM = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"
_MONEY = re.compile(_NUM + r"\s*(万|千)?\s*(\d)?\s*(?:元|块|块钱)?")


def _num(text: str) -> float:
    return float(text) if re.match(r"\d", text) else float(cn_to_int(text.replace("两", "二")))


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(万|千)?\s*(\d)?(?![\d.])\s*(元|块)?")


def amount_after(question: str, keys: str, span: int = 10, unit: bool = False) -> float | None:
    """The money amount written within `span` characters after one of the key words (月薪8000, 1.2万,
    8万8); `unit`: only an amount written with 元 / 块 / 万."""
    for m in re.finditer(keys, question):
        rest = question[m.end():m.end() + span]
        mm = _AMOUNT.search(rest)
        if mm is None or (not re.match(r"\d", mm.group(1)) and not mm.group(2) and not
                          re.search(r"[百千]", mm.group(1))):
            continue
        if unit and not (mm.group(2) or mm.group(4)):
            continue
        value = _value(mm)
        if value is not None:
            return value
    return None


def _value(mm: re.Match) -> float | None:
    try:
        value = _num(mm.group(1))
    except ValueError:
        return None
    if mm.group(2) == "万":
        return value * 10000 + (float(mm.group(3)) * 1000 if mm.group(3) else 0)
    return value * 1000 if mm.group(2) == "千" else value


def amount_before(question: str, keys: str, span: int = 8) -> float | None:
    """The money amount written right before one of the key words (交了3万定金)."""
    for m in re.finditer(keys, question):
        head = question[max(0, m.start() - span):m.start()]
        found = list(_AMOUNT.finditer(head))
        if found and found[-1].end() >= len(head) - 1 and re.match(r"\d", found[-1].group(1)):
            return _value(found[-1])
    return None


_SERVICE = re.compile(r"(?:干了|做了|工作了|上班|干|做|工龄|入职|在这干满|干满|满)?\s*" + _NUM +
                      r"\s*年\s*(?:(半)|(?:零|又)?\s*(?:" + _NUM + r"\s*个\s*月)?)")
_ONLY_MONTHS = re.compile(r"(?:干了|做了|工作了|入职|上了|干)\s*(?:" + _NUM + r"\s*个\s*月|(半)\s*年)")


def service(question: str) -> tuple[int, int] | None:
    """(years, months) of service written in the question (干了3年7个月, 9年零4个月, 15年的老员工,
    入职8个月), or None."""
    for m in _SERVICE.finditer(question):
        after = question[m.end():m.end() + 6]
        before = question[max(0, m.start() - 8):m.start() + 4]
        if re.search(r"合同|试用|竞业|分居|刑|以内|以上|之内|前|后", after[:3]) and not re.search(
            r"工|员工", after
        ):
            continue
        if not re.search(r"干|做|工作|上班|工龄|入职|老员工|在这|满", before + after):
            continue
        if re.match(r"\s*\d{1,2}\s*月\s*\d", question[m.end() - len(m.group(0)) + m.group(0).find("年") + 1:]
                                                     if "年" in m.group(0) else ""):
            continue  # a date (2025年3月1日), not years of service
        try:
            years = int(_num(m.group(1)))
            # 三年半: 3 years and 6 months
            months = 6 if m.group(2) else int(_num(m.group(3))) if m.group(3) else 0
        except ValueError:
            continue
        if years > 60:
            continue
        return years, months
    m = _ONLY_MONTHS.search(question)
    if m:
        try:
            return 0, 6 if m.group(2) else int(_num(m.group(1)))
        except ValueError:
            return None
    return None


_WAGE_KEYS = r"月薪|月工资|工资是|工资|平均工资|每月"
_AVG_KEYS = r"(?:职工)?月平均工资(?:按|是|为)?|社平工资(?:按|是|为)?"
_ILLEGAL = re.compile(
    r"违法|随便|随意|没理由|没有理由|无理由|任何理由|无故|怀孕|孕期|哺乳|产假|工伤|别来了|不用来了|硬辞|强行|"
    r"不适合|不太适合|双倍|2N|二倍|两倍"
)


def _local_average(question: str) -> float | None:
    return amount_after(question, r"职工月平均工资|社会平均工资|社平工资", 6)


def _wage(question: str) -> float | None:
    q = re.sub(r"(?:上年度)?职工月平均工资[^，。；]{0,8}", "", question)  # the local average is not the wage
    return amount_after(q, r"离职前12个月平均工资|离职前十二个月平均工资|平均工资|月薪|月工资|工资", 6)


def calculate(question: str, area: str, today: date | None = None) -> list[Calculation]:
    """The calculations the question's facts allow, for its area (see module doc). The first one marked
    `headline` is the figure the conclusion states. `today` reads dates written without a year."""
    out: list[Calculation] = []
    if area in ("labor_dismissal", "wages"):
        out += _labor(question, today)
    if area in ("work_injury", "traffic", "other"):
        out += _injury(question)
    if area in ("tenancy", "consumer", "online_shopping", "loans", "other") and re.search(r"定金", question):
        paid = amount_before(question, r"定金", 6) or amount_after(question, r"定金", 6, unit=True)
        total = amount_after(question, r"租金总共|总共|总价|总价款|合同金额|房款|货款|价款|租金", 8)
        if paid and total:
            out.append(
                deposit(paid, total, receiver_breached=bool(re.search(r"反悔|不租|不卖|违约|毁约", question)))
            )
    if area in ("consumer", "online_shopping"):
        price = amount_after(question, r"花了|花|买了|买的|价格|价值", 6, unit=True)
        if price is None:
            m = re.search(r"(\d+(?:\.\d+)?)\s*(?:块|元)", question)
            price = float(m.group(1)) if m else None
        if price:
            if re.search(r"过期|变质|非法添加|不符合食品安全|添加了|有毒|发霉", question) and \
                    re.search(r"吃|食品|牛奶|零食|保健品|饮料|酒|肉|奶粉|饼干|面包|药", question):
                out.append(food_damages(price))
            elif re.search(r"假货|假的|冒充|翻新|以次充好|欺诈|骗", question):
                out.append(fraud_damages(price))
    if out:
        out[0].headline = True
    return out


def service_from_dates(question: str, today: date | None) -> tuple[int, int] | None:
    """(years, months) between the date written after 入职 and the next date written (the end), in whole
    months (a started month left out: the half-year rule only needs whole months)."""
    from lawglm.answer.deadlines import dates_in

    found = dates_in(question, today)
    for i, m in enumerate(found):
        if "入职" in question[max(0, m.span[0] - 4):m.span[1] + 4] and i + 1 < len(found):
            a, b = m.day, found[i + 1].day
            months = (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)
            return (months // 12, months % 12) if months >= 0 else None
    return None


def _labor(question: str, today: date | None = None) -> list[Calculation]:
    out: list[Calculation] = []
    wage = _wage(question)
    avg = _local_average(question)
    served = service(question) or service_from_dates(question, today)
    asks_money = re.search(r"补偿|赔偿|N\+1|\bN\b|多少|给我|要点什么|能要|双倍|二倍", question)
    if (
        served
        and wage
        and asks_money
        and re.search(r"辞|解除|解约|裁|开除|不续|到期|终止|补偿|赔偿|N", question)
    ):
        if _ILLEGAL.search(question):
            out.append(wrongful_dismissal(*served, wage, avg))
            out.append(severance(*served, wage, avg))
        else:
            out.append(severance(*served, wage, avg))
    m = re.search(r"(?:没签|未签|没有签|不签)[^。，]{0,6}合同", question)
    if m and wage:
        months = _months_worked(question)
        if months:
            out.append(no_written_contract(months, wage))
    ot = _overtime(question, wage)
    if ot is not None:
        out.append(ot)
    if re.search(r"试用期", question):
        agreed = amount_after(question, r"转正后月薪|转正后工资|转正工资|合同(?:写的|约定)?(?:月薪|工资)", 8)
        paid = amount_after(question, r"试用期(?:只发|发|工资|月薪)", 6)
        if agreed:
            out.append(probation_floor(agreed, paid))
    return out


def _injury(question: str) -> list[Calculation]:
    out: list[Calculation] = []
    grade = re.search(r"([一二三四五六七八九十]|10|[1-9])\s*级伤残", question)
    own = amount_after(question, r"平均月缴费工资|月缴费工资|本人工资", 6)
    if grade and own:
        n = int(grade.group(1)) if grade.group(1).isdigit() else cn_to_int(grade.group(1))
        if n in INJURY_GRADES:
            avg = amount_after(question, r"统筹地区职工月平均工资|职工月平均工资", 6)
            out.append(injury_lump_sum(n, own, avg))
    if re.search(r"工亡|因工死亡", question):
        income = amount_after(question, r"全国城镇居民人均可支配收入", 8)
        if income:
            out.append(work_death_benefit(income))
    if re.search(r"死亡|去世|身亡|撞死|走了", question) and not re.search(r"工亡|因工", question):
        age = re.search(r"(\d{1,3})\s*岁", question)
        income = amount_after(question, r"城镇居民人均可支配收入|人均可支配收入", 8)
        if age and income and re.search(r"死亡赔偿金", question):
            out.append(death_compensation(int(age.group(1)), income))
        avg = amount_after(question, r"职工月平均工资", 6)
        if avg and re.search(r"丧葬", question):
            out.append(funeral_costs(avg))
    return out


def _months_worked(question: str) -> int | None:
    m = re.search(r"(?:干了|做了|工作了|入职|上了)\s*" + _NUM + r"\s*个\s*月", question)
    if m:
        try:
            return int(_num(m.group(1)))
        except ValueError:
            return None
    s = service(question)
    return s[0] * 12 + s[1] if s else None


def _overtime(question: str, wage: float | None) -> Calculation | None:
    if not re.search(r"加班|加了|在岗|值班|上班", question):
        return None
    if re.search(r"法定|国庆|春节|元旦|五一|劳动节|中秋|清明|端午", question):
        kind = "holiday"
    elif re.search(r"周末|周六|周日|星期六|星期天|休息日|双休", question):
        kind = "rest_day"
    elif re.search(r"晚上|加班|延长", question):
        kind = "extended"
    else:
        return None
    daily = amount_after(question, r"日工资|日薪|每天工资|一天工资", 6)
    hourly = amount_after(question, r"时薪|小时工资|每小时", 6)
    hours = next((h for h in re.finditer(_NUM + r"\s*(?:个)?\s*小时", question)
                  if not re.search(r"每天|每日|一天", question[max(0, h.start() - 3):h.start()])), None)
    days = re.search(_NUM + r"\s*天", question)
    if kind == "holiday" or kind == "rest_day":
        span = re.search(r"(\d+)\s*(?:号|日)\s*到\s*(\d+)\s*(?:号|日)", question)
        n_days = (
            (int(span.group(2)) - int(span.group(1)) + 1) if span else (_num(days.group(1)) if days else None)
        )
        if daily and n_days:
            return overtime(kind, n_days, daily, "天")
    if hours:
        n_hours = _num(hours.group(1))
        if hourly:
            return overtime(kind, n_hours, hourly)
        per_month = re.search(r"每月\s*(\d+(?:\.\d+)?)\s*天", question)
        per_day = re.search(r"每天\s*(\d+(?:\.\d+)?)\s*(?:个)?\s*小时", question)
        if wage and per_month and per_day:
            unit = wage / float(per_month.group(1)) / float(per_day.group(1))
            calc = overtime(kind, n_hours, round(unit, 4))
            calc.steps.insert(0, Step(f"小时工资按您给的折算：{money(wage)} ÷ {per_month.group(1)}天 ÷ "
                                      f"{per_day.group(1)}小时 = {unit:.2f}元/小时。"))
            return calc
        if wage:
            return Calculation(
                "overtime",
                "加班费",
                None,
                [
                    Step(
                        "加班费以小时工资为基数；月工资折算为小时工资的天数与小时数由劳动行政部门的规定确定，"
                        "法规库未收录，请提供您的小时工资或折算方式后再算。",
                        Ref(LABOR, 44, 1, "百分之一百五十", 1),
                    )
                ],
            )
    return None


# --- showing a calculation ----------------------------------------------------------------------
def ref_article(ref: Ref, corpus):
    """The current corpus article of `ref` when its 款 (and 项) holds the rule's words; else None."""
    if corpus is None:
        return None
    article = corpus.get(corpus.resolve_law(ref.law) or ref.law, ref.article_no)
    if article is None or not article.is_current:
        return None
    from lawglm.answer.clauses import split

    clauses = [c for c in split(article) if c.paragraph == ref.paragraph and (c.item == ref.item)]
    if not clauses or ref.words not in clauses[0].text + (clauses[0].lead if ref.item else ""):
        return None
    return article, clauses[0]


def render(calc: Calculation, corpus) -> tuple[list[str], list] | None:
    """(lines, the articles cited) of a calculation whose every cited rule the corpus holds; None when one
    is missing (the calculation is then not shown)."""
    lines, cited = [], []
    for step in calc.steps:
        if step.ref is None:
            lines.append(step.text)
            continue
        found = ref_article(step.ref, corpus)
        if found is None:
            return None
        article, clause = found
        from lawglm.answer.clauses import fragment

        words = fragment(clause.text, step.ref.words + step.text)
        if step.ref.words not in words:
            words = next((f for f in [fragment(clause.text, step.ref.words)] if step.ref.words in f), words)
        body = step.text.removesuffix("。")
        lines.append(f"{body}（{clause.citation}：“{words}”）。")
        if article not in cited:
            cited.append(article)
    return lines + calc.notes, cited

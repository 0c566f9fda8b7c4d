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
- `unused_leave` 未休年休假 (职工带薪年休假条例第三条、第五条第三款; 实施办法第十条、第十一条: the extra
  200%);
- `lost_earnings` 误工费, `nursing_costs` 护理费 (人身损害赔偿解释第七条、第八条), `disability_compensation`
  残疾赔偿金 (第十二条: the years by age; the grade's share only when the person gives it);
- `deposit` 定金 (民法典第五百八十六条第二款: at most 20% of the main contract; 第五百八十七条: double return)
;
- `fraud_damages` (消费者权益保护法第五十五条第一款: three times, at least 500 元) and `food_damages`
  (食品安全法第一百四十八条第二款: ten times the price, at least 1000 元).
- `loan_interest` (民间借贷规定第二十五条: the agreed rate — 月息2分, 年息两成, 日利率万分之五 read
  into a rate a year — against four times the one-year LPR at the contract's making, computed only when
  the person gives the LPR, else the formula and the LPR that would make the rate lawful; 砍头息 under
  民法典第六百七十条 and 第二十六条; contracts before 2020-08-20 under 第三十一条第二款),
  `no_interest_agreed` (第二十四条第一款) and `overdue_interest` (第二十八条, 第二十九条: overdue
  interest, 违约金 and fees together under the same cap);
- `penalty_check` (民法典第五百八十五条第二款; 合同编通则解释第六十五条第二款: above the loss + 30 % is
  in general 过分高于 — the reduced amount is the court's, not computed) and `penalty_or_deposit`
  (民法典第五百八十八条);
- `bride_price` 彩礼 (婚姻家庭编解释（一）第五条, 彩礼规定第五条、第六条): the rule the facts select, the
  factors it names, no share invented;
- `promised_damages` (假一赔十: a seller's promise above the statutory figure binds it —
  网络消费纠纷规定（一）第十条 online, 食品安全民事纠纷解释（一）第八条 for food);
- `estate_debts` (民法典第一千一百六十一条: heirs pay debts up to the estate's value) and `statutory_shares`
  (第一千一百五十三条 the spouse's half, 第一千一百二十七条 first-order heirs, 第一千一百三十条 equal shares),
  computed only when the question names every first-order heir (or says who is gone), the asset's kind
  (marital or not), one figure and no will.
Amounts in these last three groups are Decimal arithmetic; only exact figures compute (十几万 does not).
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
from decimal import ROUND_HALF_UP, Decimal

from lawglm.numerals import NumeralError, cn_to_int

LABOR_CONTRACT = "中华人民共和国劳动合同法"
LABOR = "中华人民共和国劳动法"
CIVIL = "中华人民共和国民法典"
CONSUMER = "中华人民共和国消费者权益保护法"
FOOD = "中华人民共和国食品安全法"
WORK_INJURY = "工伤保险条例"
ANNUAL_LEAVE = "职工带薪年休假条例"
ANNUAL_LEAVE_RULES = "企业职工带薪年休假实施办法"
PAY_DAYS_A_MONTH = Decimal("21.75")  # 企业职工带薪年休假实施办法第十一条第一款: 月计薪天数（21.75天）
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
    answer: str = ""  # the yes / no the deciding rule gives on these facts (可以。), where it follows
    asked: bool = False  # `answer` answers the question as asked (its calculator read what is asked)

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
def service_months(years: int, months: int, rough: bool = False) -> tuple[float, str]:
    """(months of wage owed as 经济补偿, the rule applied) for years + months of service (第四十七条第一款)
    . `rough`: "N年多", the months beyond the years not said — the lower figure (under six months), the
    rule saying what six months or more would give."""
    if years < 0 or months < 0:
        raise ValueError("service cannot be negative")
    if rough:
        return years + 0.5, (f"{years}年多，多出的部分不满六个月的，支付半个月工资"
                             f"（满六个月的按一年计算，共{_months_text(years + 1)}）")
    years, months = years + months // 12, months % 12
    if months == 0:
        return float(years), f"满{years}年，每满一年支付一个月工资"
    if months >= 6:
        return float(years + 1), f"{years}年{months}个月，其中{months}个月为六个月以上不满一年，按一年计算"
    return years + 0.5, f"{years}年{months}个月，其中{months}个月不满六个月，支付半个月工资"


def severance(years: int, months: int, wage: float, local_average: float | None = None,
              rough: bool = False) -> Calculation:
    """经济补偿 under 劳动合同法第四十七条 (see module doc); `rough`: see `service_months`."""
    n, rule = service_months(years, months, rough)
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
    years: int, months: int, wage: float, local_average: float | None = None, rough: bool = False
) -> Calculation:
    """赔偿金 under 劳动合同法第八十七条: twice the 第四十七条 经济补偿 (instead of it, when the worker does
    not ask
    to keep the job — 第四十八条)."""
    base = severance(years, months, wage, local_average, rough)
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


LABOR_CONTRACT_RULES = "中华人民共和国劳动合同法实施条例"


def with_notice_pay(base: Calculation, wage: float) -> Calculation:
    """N+1: a dismissal under 劳动合同法第四十条 without thirty days' written notice — a month's wage on top
    of the 经济补偿 (第四十条; 实施条例第二十条: last month's wage)."""
    amount = round(base.amount + wage, 2)
    steps = [*base.steps,
             Step(f"没有提前三十日书面通知的，额外支付一个月工资（按上一个月的工资标准）："
                  f"{money(base.amount)} + {money(wage)} = {money(amount)}。",
                  Ref(LABOR_CONTRACT, 40, 1, "额外支付劳动者一个月工资")),
             Step("额外支付的工资按劳动者上一个月的工资标准确定。",
                  Ref(LABOR_CONTRACT_RULES, 20, 1, "上一个月的工资标准"))]
    return Calculation("notice_pay", "经济补偿加一个月工资（N+1）", amount, steps, base.notes,
                       deciding=Ref(LABOR_CONTRACT, 40, 1, "额外支付劳动者一个月工资"))


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


def probation_floor(agreed_wage: float, probation_wage: float | None = None,
                    months: int | None = None) -> Calculation:
    """劳动合同法第二十条: the probation wage is at least 80% of the agreed wage (and the local minimum wage).
    With the wage paid and the months of probation, the amount is the total paid short over them."""
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
        if short > 0 and months:
            total = round(short * months, 2)
            steps.append(Step(f"实发{money(probation_wage)}，每月少发{money(floor)} − "
                              f"{money(probation_wage)} = "
                              f"{money(short)}；试用期{months}个月共少发{money(short)} × {months} = "
                              f"{money(total)}。"))
            return Calculation("probation", "试用期少发的工资", total, steps, notes,
                               deciding=Ref(LABOR_CONTRACT, 20, 1, "百分之八十"))
        if short > 0:
            steps.append(Step(f"实发{money(probation_wage)}，每月少发{money(short)}。"))
        else:
            steps.append(Step(f"实发{money(probation_wage)}，不低于该标准。"))
    return Calculation("probation", "试用期工资下限", amount, steps, notes,
                       deciding=Ref(LABOR_CONTRACT, 20, 1, "百分之八十"))


_LEAVE_WORDS = {0: "已满1年不满10年的", 5: "已满1年不满10年的，年休假5天",
                10: "已满10年不满20年的，年休假10天", 15: "已满20年的，年休假15天"}


def leave_days(years: int) -> int:
    """职工带薪年休假条例第三条第一款: days of annual leave by the years worked in all."""
    return 0 if years < 1 else 5 if years < 10 else 10 if years < 20 else 15


def unused_leave(years: int, unused: int | None, daily: float | None = None,
                 monthly: float | None = None) -> Calculation:
    """未休年休假工资报酬: 300% of the daily wage for each day not taken (职工带薪年休假条例第五条第三款), of
    which the normal 100% is already in the wage paid (企业职工带薪年休假实施办法第十条第一款) — the amount
    is the extra 200%, the 300% named beside it; a monthly wage is turned into a day's with 21.75 days
    (第十一条第一款). `unused` None: none of the year's leave was taken."""
    entitled = leave_days(years)
    days = entitled if unused is None else min(unused, entitled)
    steps = [Step(f"累计工作{years}年，每年年休假{entitled}天。",
                  Ref(ANNUAL_LEAVE, 3, 1, _LEAVE_WORDS[entitled]))]
    if daily is None and monthly is not None:
        daily = float((_d(monthly) / PAY_DAYS_A_MONTH).quantize(CENT, rounding=ROUND_HALF_UP))
        steps.append(Step(f"日工资按月工资除以21.75天折算：{money(monthly)} ÷ 21.75 = {money(daily)}。",
                          Ref(ANNUAL_LEAVE_RULES, 11, 1, "21.75天")))
    total = round(3 * days * daily, 2)
    extra = round(2 * days * daily, 2)
    steps.append(Step(f"应休未休的{days}天，按日工资的300%支付：{days} × {money(daily)} × 300% = "
                      f"{money(total)}。",
                      Ref(ANNUAL_LEAVE, 5, 3, "日工资收入的300%")))
    steps.append(Step(f"其中包含正常工作期间的工资（100%，已随工资发放），另应补发200%：{days} × "
                      f"{money(daily)} × 200% = {money(extra)}。",
                      Ref(ANNUAL_LEAVE_RULES, 10, 1, "其中包含用人单位支付职工正常工作期间的工资收入")))
    return Calculation("annual_leave", "未休年休假应另付的工资报酬", extra, steps,
                       [f"连同已发的正常工资共{money(total)}。"],
                       deciding=Ref(ANNUAL_LEAVE, 5, 3, "日工资收入的300%"))


# --- contracts and consumers ---------------------------------------------------------------------
def deposit(paid: float, contract_amount: float, receiver_breached: bool = True,
            payer_breached: bool = False) -> Calculation:
    """定金: at most 20% of the main contract (民法典第五百八十六条第二款); the receiver who breaches returns
    double (第五百八十七条); money paid above the cap is not 定金 and is returned as it is — all the payer
    who breaches gets back (第五百八十七条: 无权请求返还定金)."""
    cap = round(0.2 * contract_amount, 2)
    effective = min(paid, cap)
    steps = [Step(f"定金不得超过主合同标的额的百分之二十：{money(contract_amount)} × 20% = {money(cap)}"
                  + (f"；超出的{money(paid - cap)}不产生定金的效力。" if paid > cap else "。"),
                  Ref(CIVIL, 586, 2, "百分之二十"))]
    if payer_breached:
        back = round(max(0.0, paid - cap), 2)
        steps.append(Step(f"给付定金的一方不履行致使不能实现合同目的的，无权请求返还定金（{money(effective)}）"
                          + (f"；超出上限的{money(back)}不是定金，可以要回。" if back else "。"),
                          Ref(CIVIL, 587, 1, "无权请求返还定金")))
        return Calculation("deposit", "可要回的金额", back, steps,
                           deciding=Ref(CIVIL, 586, 2, "超过部分不产生定金的效力"))
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


# kind -> (multiple, statutory floor, the floor's rule, title, the multiple's words)
FLOORS = {"food": (10, 1000, Ref(FOOD, 148, 2, "不足一千元的，为一千元"), "食品安全的惩罚性赔偿", "十倍"),
          "fraud": (3, 500, Ref(CONSUMER, 55, 1, "不足五百元的，为五百元"), "欺诈的增加赔偿", "三倍")}


def below_floor(ceiling: float, kind: str) -> Calculation | None:
    """A price given only roughly (二十多块) whose multiple stays under the statutory floor whatever its exact
    value: the floor is the amount (食品安全法第一百四十八条第二款 一千元; 消费者权益保护法第五十五条第一款
    五百元). None when the multiple could reach the floor (the exact price is then needed)."""
    times, floor, rule, title, words = FLOORS[kind]
    if times * ceiling > floor:
        return None
    steps = [Step(f"价款不到{money(ceiling)}，{words}也不到{money(times * ceiling)}；增加赔偿的金额不足"
                  f"{money(floor)}的，为{money(floor)}。", rule)]
    notes = ["另可要求退还货款。"] if kind == "fraud" else ["另可要求退还货款、赔偿损失。"]
    return Calculation(kind, title, float(floor), steps, notes, deciding=rule)


def price_ceiling(question: str) -> float | None:
    """The bound a rough price stays under (二十多块 → 30, 几十块 → 100, 十几元 → 20, 100多 → 200) or None."""
    m = re.search(r"(几十|十几|[一二两三四五六七八九]十多|\d+多|\d+来)\s*(?:块|元)", question)
    if m is None:
        return None
    text = m.group(1)
    if text == "几十":
        return 100.0
    if text == "十几":
        return 20.0
    n = cn_to_int(text[:-1]) if not text[0].isdigit() else int(text[:-1])
    digits = str(n)
    return float(n + 10 ** (len(digits) - len(digits.rstrip("0"))))  # 150多 < 160, 100多 < 200


ONLINE_CONSUMER = "最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）"
FOOD_CIVIL = "最高人民法院关于审理食品安全民事纠纷案件适用法律若干问题的解释（一）"
# where the corpus holds the rule that a seller's own promise above the statutory standard binds it
PROMISE_RULES = {"online": Ref(ONLINE_CONSUMER, 10, 1, "承诺的赔偿标准高于相关法定赔偿标准"),
                 "food": Ref(FOOD_CIVIL, 8, 1, "承诺的赔偿标准高于食品安全法第一百四十八条规定的赔偿标准")}


def promised_damages(price: float, times: int, statutory: Calculation, where: str) -> Calculation | None:
    """A seller who promised more than the law gives (假一赔十) is held to its promise (网络消费纠纷规定（一）
    第十条 for a platform seller; 食品安全民事纠纷解释（一）第八条 for food); None when the promise is not
    above the statutory figure."""
    promised = round(times * price, 2)
    if statutory.amount is None or promised <= statutory.amount:
        return None
    rule = PROMISE_RULES[where]
    steps = statutory.steps + [Step(
        f"商家承诺的赔偿标准高于法定标准的，可以要求按承诺赔偿：{times} × {money(price)} = "
        f"{money(promised)}，高于法定的{money(statutory.amount)}。", rule)]
    return Calculation("promise", "按商家承诺的赔偿", promised, steps, statutory.notes, deciding=rule)


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


def lost_earnings(units: float, rate: float, unit: str) -> Calculation:
    """误工费 (人身损害赔偿解释第七条): the time off the medical certificate states × the income lost — for a
    fixed income, the income actually lost (第三款): a monthly wage × months, or a daily wage × days."""
    amount = round(units * rate, 2)
    per = "月" if unit == "个月" else "天"
    steps = [Step(f"误工时间按医疗机构出具的证明确定：{units:g}{unit}。",
                  Ref(PERSONAL_INJURY, 7, 2, "误工时间根据受害人接受治疗的医疗机构出具的证明确定")),
             Step(f"有固定收入的，按实际减少的收入计算：{money(rate)}/{per} × {units:g}{unit} = "
                  f"{money(amount)}。",
                  Ref(PERSONAL_INJURY, 7, 3, "误工费按照实际减少的收入计算"))]
    return Calculation("lost_earnings", "误工费", amount, steps,
                       ["没有固定收入的，按最近三年的平均收入计算（第七条第三款）。"],
                       deciding=Ref(PERSONAL_INJURY, 7, 3, "误工费按照实际减少的收入计算"))


def nursing_costs(days: float, daily: float, hired: bool) -> Calculation:
    """护理费 (人身损害赔偿解释第八条第二款): a carer with an income — as 误工费 (the income lost); a hired
    carer (护工) — the carer's pay; × the days of care."""
    amount = round(days * daily, 2)
    if hired:
        rule = Ref(PERSONAL_INJURY, 8, 2, "雇佣护工的，参照当地护工从事同等级别护理的劳务报酬标准计算")
        text = f"雇佣护工的，按护工的劳务报酬计算：{money(daily)}/天 × {days:g}天 = {money(amount)}。"
    else:
        rule = Ref(PERSONAL_INJURY, 8, 2, "护理人员有收入的，参照误工费的规定计算")
        text = (f"护理人员有收入的，参照误工费按其减少的收入计算：{money(daily)}/天 × {days:g}天 = "
                f"{money(amount)}。")
    steps = [Step(text, rule)]
    return Calculation("nursing", "护理费", amount, steps,
                       ["护理人员原则上为一人；护理期限以医疗机构的意见为准（第八条）。"], deciding=rule)


def compensation_years(age: int) -> tuple[int, str]:
    """(years, why) of per-capita income a 残疾 / 死亡赔偿金 counts (人身损害赔偿解释第十二条、第十五条):
    twenty, a year less for each year of age over sixty, five from seventy-five."""
    years = 20 if age < 60 else 5 if age >= 75 else 20 - (age - 60)
    why = "按二十年计算" if age < 60 else "七十五周岁以上按五年计算" if age >= 75 else \
        f"六十周岁以上每增加一岁减少一年：20 − ({age} − 60) = {years}年"
    return years, why


def disability_compensation(age: int, income: float, ratio: float | None = None) -> Calculation:
    """残疾赔偿金 (人身损害赔偿解释第十二条第一款): the per-capita disposable income the person gives × the
    years by age, by the degree of lost working capacity or the disability grade — the share for each grade
    is not in the corpus, so the amount is computed only with the share the person gives (`ratio`, 0-1);
    else the twenty-year (age-adjusted) full figure is shown and the amount left open."""
    years, why = compensation_years(age)
    full = round(years * income, 2)
    steps = [Step(f"{age}岁，{why}：{years} × {money(income)} = {money(full)}（全部丧失劳动能力时的数额）。",
                  Ref(PERSONAL_INJURY, 12, 1, "自定残之日起按二十年计算"))]
    rule = Ref(PERSONAL_INJURY, 12, 1, "根据受害人丧失劳动能力程度或者伤残等级")
    if ratio is None:
        steps.append(Step("残疾赔偿金按丧失劳动能力程度或者伤残等级确定；各伤残等级对应的比例法规库未收录，这里不替您"
                          "假设，请以鉴定意见和当地法院的标准为准。", rule))
        return Calculation("disability", "残疾赔偿金", None, steps, deciding=rule)
    amount = round(full * ratio, 2)
    steps.append(Step(f"按您给的比例{ratio * 100:g}%：{money(full)} × {ratio * 100:g}% = {money(amount)}。",
                      rule))
    return Calculation("disability", "残疾赔偿金", amount, steps, deciding=rule)


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


_DIGITS = "一二三四五六七八九"
_RANGE = re.compile(r"([一二两三四五六七八九])([一二三四五六七八九])[十百千]?")


def _count(text: str) -> float | None:
    """_num, or None for numerals that give a range, not a figure (三四天, 七八十个小时: two neighbouring
    digits) or no number at all."""
    m = _RANGE.fullmatch(text)
    if m and _DIGITS.index(m.group(2)) == _DIGITS.index(m.group(1).replace("两", "二")) + 1:
        return None
    try:
        return _num(text)
    except NumeralError:
        return None


# after 万 a trailing digit is thousands (8万8, 一万二 = 12,000); a longer tail is read whole (一万两千五百)
_CN = r"[一二两三四五六七八九十百千]+"
# a tail that is itself a count of something (八千一个月: 8,000 a month, not 8,100) is not a tail
_NOT_TAIL = r"(?!\s*(?:个|年|天|日|号|月|倍|成|分|小时))"
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?|" + _CN + r")\s*(万|千)?\s*(\d|" + _CN + r")?(?![\d.])" + _NOT_TAIL
                     + r"\s*(元|块)?")


def _amounts(question: str, keys: str, span: int):
    """(the amount match, the text searched) for each key word with an amount within `span` after it."""
    for m in re.finditer(keys, question):
        rest = question[m.end():m.end() + span + 6]  # an amount that starts within `span` is read whole
        mm = _AMOUNT.search(rest)
        if mm is not None and mm.start() < span and not re.match(r"\s*[%％]", rest[mm.end():]):
            yield mm, rest  # a percentage (只有转正的60%) is no amount


def _approximate(mm: re.Match, rest: str) -> bool:
    """The amount is written as an approximation (十几万, 10多万, 一万多, 5万左右)."""
    return bool(_APPROX.match(rest[mm.end(1):]) or _APPROX_AFTER.match(rest[mm.end():]))


def amount_after(question: str, keys: str, span: int = 10, unit: bool = False) -> float | None:
    """The money amount written within `span` characters after one of the key words (月薪8000, 1.2万,
    8万8); `unit`: only an amount written with 元 / 块 / 万."""
    for mm, rest in _amounts(question, keys, span):
        if not re.match(r"\d", mm.group(1)) and not mm.group(2) and not re.search(r"[百千]", mm.group(1)):
            continue
        if _approximate(mm, rest):
            return None  # 一万多, 8000左右: no exact figure to compute with
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
    tail = mm.group(3) or ""
    if mm.group(2) == "万":
        if re.search(r"[十百千]", tail):
            return value * 10000 + _num(tail)
        return value * 10000 + (_num(tail) * 1000 if tail else 0)
    if mm.group(2) == "千":
        return value * 1000 + (_num(tail) * 100 if tail and not re.search(r"[十百千]", tail) else 0)
    return value


def amount_before(question: str, keys: str, span: int = 8) -> float | None:
    """The money amount written right before one of the key words (交了3万定金)."""
    for m in re.finditer(keys, question):
        head = question[max(0, m.start() - span):m.start()]
        found = list(_AMOUNT.finditer(head))
        if found and re.fullmatch(r"\s*的?", head[found[-1].end():]) and re.match(r"\d", found[-1].group(1)):
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
        right_after = re.split(r"[，。,；;]", after)[0][:3]  # 3年合同: a contract's length
        if re.search(r"合同|试用|竞业|分居|刑|以内|以上|之内|前|后", right_after) and \
                not re.search(r"工|员工", after):
            continue
        if not re.search(r"干|做|工作|上班|工龄|入职|老员工|在这|满", before + after):
            continue
        if re.match(r"\s*\d{1,2}\s*月", question[m.end() - len(m.group(0)) + m.group(0).find("年") + 1:]
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
        if not months and re.match(r"[多来]", question[m.end():]):
            return None  # 两年多: the months beyond are not said (read as rough by _labor)
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
_ROUGH_YEARS = re.compile(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*年多")
_ILLEGAL = re.compile(
    r"因为[^。，]{0,8}(?:婚假|病假|产检|丧假|年假|请假)|违法|随便|随意|没理由|没有理由|无理由|任何理由|无故|怀孕|孕期|哺乳|产假|工伤|别来了|不用来了|硬辞|强行|"
    r"不适合|不太适合|双倍|2N|二倍|两倍"
)


def _local_average(question: str) -> float | None:
    return amount_after(question, r"职工月平均工资|社会平均工资|社平工资", 6)


def _wage(question: str) -> float | None:
    q = re.sub(r"(?:上年度)?职工月平均工资[^，。；]{0,8}", "", question)  # the local average is not the wage
    return amount_after(q, r"离职前12个月平均工资|离职前十二个月平均工资|平均工资|月薪|月工资|工资", 6)


def plain_digits(question: str) -> str:
    """Thousands separators and full-width digits dropped from numbers (12,000元 / 12，000元 / １２０００ ->
    12000元), so every reader sees one way of writing a figure."""
    q = question.translate(_FULL_WIDTH)
    q = re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", q)
    q = re.sub(r"(?<![A-Za-z])(\d+(?:\.\d+)?)\s*[wW](?![A-Za-z])", r"\1万", q)  # 1.2w: 12,000
    return re.sub(r"(?<![A-Za-z])(\d+(?:\.\d+)?)\s*[kK](?![A-Za-z])", r"\1千", q)  # 12k: 12,000


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


def calculate(question: str, area: str, today: date | None = None) -> list[Calculation]:
    """The calculations the question's facts allow, for its area (see module doc). The first one marked
    `headline` is the figure the conclusion states. `today` reads dates written without a year."""
    question = plain_digits(question)
    out: list[Calculation] = []
    if area in ("labor_dismissal", "wages"):
        out += _labor(question, today)
    if area in ("work_injury", "traffic", "other"):
        out += _injury(question)
    else:  # 误工费 / 护理费 named: the injury's own rules, whatever area the question was routed to
        out += _personal_injury(question)
    if area not in _LABOR_AREAS and "定金" in question and "违约金" not in question:
        out += _deposit(question)
    if area in ("consumer", "online_shopping") or (area == "other" and _BOUGHT.search(question)):
        # a total beside a unit price (一盒398块，两盒796 / 一共796): the total is the price paid
        price = exact_amount_after(question, _BOUGHT_TOTAL, 4, bare=True)
        price = float(price) if price is not None else None
        if price is None:
            price = amount_after(question, r"花了|花|买了|买的|价格|价值", 6, unit=True)
        if price is None:
            m = re.search(r"(\d+(?:\.\d+)?)\s*(?:块|元)(?!多)", question)
            price = float(m.group(1)) if m and not price_ceiling(question) else None
        ceiling = None if price else price_ceiling(question)
        if ceiling:
            food = _FOOD_BAD.search(question) and _FOOD.search(question)
            kind = "food" if food else "fraud" if _FRAUD.search(question) else None
            rough = below_floor(ceiling, kind) if kind else None
            out += [rough] if rough else []
        if price:
            law = None
            if _FOOD_BAD.search(question) and _FOOD.search(question):
                law, where = food_damages(price), "food"
            elif _FRAUD.search(question):
                law, where = fraud_damages(price), "online" if _ONLINE.search(question) else ""
            times = _promised_times(question)
            promise = promised_damages(price, times, law, where) if law and times and where else None
            out += [c for c in (promise, law) if c is not None]
    if area in ("loans", "other", "marriage") or re.search(r"借条|借款|利息|利率|月息|年息", question):
        out += _loans(question, today)
    out += _penalty(question, area)
    out += _bride(question)
    if area in ("inheritance", "marriage", "other") or re.search(r"遗产|继承|遗嘱", question):
        out += _inheritance(question)
    if out:
        out[0].headline = True
    return out


_BOUGHT_TOTAL = (r"一共|总共|共计|合计|总价|(?:[两二三四五六七八九十]|\d{1,2})\s*"
                 r"(?:盒|瓶|箱|袋|件|个|包|罐|桶|份|斤|支|台|双|套)(?:一共|总共|共)?(?:是|花了)?")
_FOOD_BAD = re.compile(r"过期|变质|非法添加|不符合食品安全|添加了|有毒|发霉")
_FOOD = re.compile(r"吃|食品|牛奶|零食|保健品|饮料|酒|肉|奶粉|饼干|面包|药|月饼|蛋糕|水果|罐头|食物|"
                   r"茶叶|食用油|大米|面粉|鸡蛋|海鲜|巧克力|咖啡|调料|酱油|醋|糖果|粽子|熟食|外卖")
_FRAUD = re.compile(r"假货|假的|冒充|翻新|以次充好|欺诈|骗|山寨|高仿|冒牌|仿冒|假冒|A货|不是正品|"
                    r"以假充真|掺假|"
                    r"(?:标着|标的|标明|写着|写的|宣传|号称|说是)[^。？]{0,24}(?:检测|鉴定|实际|结果|其实)"
                    r"[^。？]{0,10}(?:是|为|只有|不是)")
# a purchase from a seller (a question routed elsewhere still gets the consumer rules)
_BOUGHT = re.compile(r"(?:买了|买的|购买|花了|网购)[^。？]{0,30}(?:商家|店|老板|商场|卖家|超市|专卖|平台)|"
                     r"(?:商家|店|老板|商场|卖家|超市)[^。？]{0,30}(?:买了|买的|购买)")
_ONLINE = re.compile(r"网上|网购|网店|平台|店铺|直播|淘宝|京东|拼多多|抖音|快手|下单")
_TIMES = r"(\d+|[二三四五六七八九十])"
_PROMISE = re.compile(r"假一赔" + _TIMES + r"|(?:承诺|保证|写着|标着)[^，。？]{0,10}?赔" + _TIMES + "倍")


_TOTAL = r"总价款|总价|合同金额|标的额|合同价|[车房]价|房款|货款|价款|租金总共|总共|一共|租金|价格"
_PAYER_BREACH = re.compile(r"我[^，。？]{0,8}?(?:不想要|不要了|不买了|不租了|不想买|不想租|不想做|不想装|"
                           r"反悔了|违约了|毁约了)")
_RECEIVER_BREACH = re.compile(r"反悔|不租|不卖|违约|毁约|卖给别人|卖给了别人|租给别人|租给了别人|"
                              r"不给我(?:做|干|装|发货)|不做了|不干了|排不上|跑路|不履行|不交房|不交车|不发货")


def _deposit(question: str) -> list[Calculation]:
    """定金 facts: the sum paid (交了3万定金, 定金3万, 三成定金 / 30%的定金 of the total), the main contract's
    amount, and who broke the contract (我不想要了: the payer; 卖给别人了 / 不给我做了: the receiver)."""
    q = question
    total = amount_after(q, _TOTAL, 8)
    paid = amount_before(q, r"定金", 6) or amount_after(q, r"定金", 6, unit=True) or \
        amount_after(q, r"定金(?:是|为|交了|付了)?", 2)
    share = re.search(r"(" + _CN + r"|\d{1,2})\s*成(?:的)?定金|(\d{1,2})\s*%\s*(?:的)?定金", q)
    if paid is None and share and total:
        try:
            paid = total * (_num(share.group(1)) / 10 if share.group(1) else int(share.group(2)) / 100)
        except ValueError:
            return []
    if not (paid and total):
        return []
    payer = bool(_PAYER_BREACH.search(q))
    receiver = not payer and bool(_RECEIVER_BREACH.search(q))
    return [deposit(paid, total, receiver_breached=receiver, payer_breached=payer)]


def _promised_times(question: str) -> int | None:
    """The multiple a seller promised (假一赔十, 承诺假货赔三倍), or None."""
    m = _PROMISE.search(question)
    if m is None:
        return None
    n = m.group(1) or m.group(2)
    return int(n) if n.isdigit() else cn_to_int(n)


_MONTH_MENTION = re.compile(r"(?:((?:19|20)\d\d|(?<!\d)\d\d)\s*年|(今年|去年|前年))?\s*(\d{1,2})\s*月份?"
                            r"(?:\s*[)）]?\s*(\d{1,2})\s*[日号])?")
_DOTTED = re.compile(r"(?<!\d)((?:19|20)\d\d)[./-](\d{1,2})(?:[./-](\d{1,2}))?(?![\d%])")
_JOINED = (r"入职|进的公司|进公司|进了公司|进厂|进的厂|来的公司|来公司|到公司|开始上班|开始干|开始在|"
           r"上的班|上班")
_NOW = re.compile(r"至今|到现在|到今天|干到现在|做到现在")


def _month_mentions(question: str, today: date | None) -> list[tuple[int, int, int | None, int, int]]:
    """(year, month, day or None, start and end position) of each date written to the month at least
    (2022年9月, 今年11月30号, 去年3月, 这个月（12月）1号); a month without a year is in `today`'s year
    (skipped without `today`)."""
    out = []
    for m in _DOTTED.finditer(question):  # 2023.3入职, 2026.11.20
        month, day = int(m.group(2)), int(m.group(3)) if m.group(3) else None
        if 1 <= month <= 12 and (day is None or 1 <= day <= 31):
            out.append((int(m.group(1)), month, day, m.start(), m.end()))
    for m in _MONTH_MENTION.finditer(question):
        if any(a <= m.start() < b for *_, a, b in out):
            continue
        month = int(m.group(3))
        if not 1 <= month <= 12 or re.match(r"\s*(?:工资|的工资|薪)", question[m.end():]):
            continue
        if m.group(1):
            year = int(m.group(1))
            if year < 100:  # 23年3月: 2023
                year += 2000 if today is None or year <= today.year % 100 + 1 else 1900
        elif today is None:
            continue
        else:
            year = today.year - {"今年": 0, "去年": 1, "前年": 2}.get(m.group(2) or "今年", 0)
        day = int(m.group(4)) if m.group(4) else None
        if day is not None and not 1 <= day <= 31:
            continue
        out.append((year, month, day, m.start(), m.end()))
    if today is not None:  # 上个月 / 这个月: the month before today's, today's
        for m in re.finditer(r"上个?月|这个月|本月", question):
            if any(a <= m.start() < b for *_, a, b in out):
                continue
            back = 1 if m.group(0).startswith("上") else 0
            y, mo = (today.year, today.month - back) if today.month > back else (today.year - 1, 12)
            out.append((y, mo, None, m.start(), m.end()))
        out.sort(key=lambda x: x[3])
    return out


def service_from_dates(question: str, today: date | None) -> tuple[int, int] | None:
    """(years, whole months) from the date the person started (2022年9月入职, 2021年3月进的公司, 入职时间是
    2022年9月) to the next date written (做到今年11月30号, 12月1号被辞) or today (至今). A day not written
    counts the started month out (the lower figure): the half-year rule only needs whole months."""
    found = _month_mentions(question, today)
    for i, (y, mo, d, start, end) in enumerate(found):
        joined = re.match(r"\s*(?:的时候|时|就)?\s*(?:" + _JOINED + ")", question[end:end + 8]) or \
            re.search(r"(?:入职|进公司)(?:时间|日期)?(?:是|为|于|在)?\s*$", question[max(0, start - 8):start])
        if not joined:
            continue
        if i + 1 < len(found):
            y2, mo2, d2 = found[i + 1][:3]
        elif today is not None and _NOW.search(question):
            y2, mo2, d2 = today.year, today.month, today.day
        else:
            return None
        months = (y2 - y) * 12 + mo2 - mo
        if d is None or d2 is None or d2 < d:
            months -= 1
        return (months // 12, months % 12) if months >= 0 else None
    return None


def _labor(question: str, today: date | None = None) -> list[Calculation]:
    out: list[Calculation] = []
    wage = _wage(question)
    avg = _local_average(question)
    served = service(question) or service_from_dates(question, today)
    rough = served is None and _ROUGH_YEARS.search(question)
    if rough:
        n = rough.group(1)
        served = (int(n) if n.isdigit() else cn_to_int(n.replace("两", "二")), 0)
    asks_money = re.search(r"补偿|赔偿|N\+1|\bN\b|多少|给我|要点什么|能要|双倍|二倍", question)
    if (
        served
        and wage
        and asks_money
        and re.search(r"辞|解除|解约|裁|开除|开了|不续|到期|终止|补偿|赔偿|N|不用来了|别来了|走人", question)
    ):
        unlawful = _ILLEGAL.search(question) or (  # 第四十条第（二）项 needs training or another post first
            re.search(r"不胜任|干不好|能力不行|业绩不好", question)
            and re.search(r"(?:没有?|未|也没|没给|不给)(?:经过|安排|给我|让我)?(?:培训|调岗|调整岗位|换岗)",
                          question))
        kinds = (wrongful_dismissal, severance) if unlawful else (severance,)
        ended = re.search(r"裁员|倒闭|破产|到期|不续|终止", question)  # not a 第四十条 dismissal
        notice = not unlawful and not rough and not ended and re.search(
            r"N\s*\+\s*1|代通知金|没(?:有)?提前(?:三十天|30天|一个月|30日|三十日)?(?:书面)?通知|"
            r"(?:当天|当场|直接)(?:就)?(?:通知|让我|叫我)(?:走|离开|走人)", question, re.IGNORECASE)
        if notice:
            out.append(with_notice_pay(severance(*served, wage, avg), wage))
        for kind in kinds:
            calc = kind(*served, wage, avg, rough=bool(rough))
            if rough:  # the figure if the months beyond the years are six or more
                more = kind(served[0], 6, wage, avg)
                calc.notes.append(f"多出的部分满六个月的，{calc.title}为{money(more.amount)}。")
                calc.title += "（至少）"
            out.append(calc)
    m = re.search(r"(?:没|未|不)(?:有)?(?:跟我|和我|与我|给我|同我)?(?:签|订立|订)[^。，]{0,6}合同", question)
    if m and wage:
        months = _months_worked(question, today)
        if months:
            out.append(no_written_contract(months, wage))
    ot = _overtime(question, wage)
    if ot is not None:
        out.append(ot)
    leave = _annual_leave(question, wage)
    if leave is not None:
        out.append(leave)
    if re.search(r"试用期", question):
        agreed = amount_after(question, r"转正后月薪|转正后工资|转正工资|合同(?:写的|约定)?(?:月薪|工资)", 8)
        paid = amount_after(question, r"试用期(?:每个月|每月|一个月)?"
                            r"(?:只发了|只发|发了|发|只给|给我|给|工资|月薪)", 6)
        months = re.search(r"试用期(?:是|为|约定|定了|定的)?\s*(" + _CN + r"|\d{1,2})\s*个\s*月", question)
        if agreed:
            n = int(_num(months.group(1))) if months and paid is not None else None
            out.append(probation_floor(agreed, paid, n))
    return out


_DAYS_OFF = r"(?:休息|休养|误工|不能干活|不能上班|没法上班|干不了活|陪护|护理|照顾|住院|病假)"


def _time_off(question: str, words: str) -> tuple[float, str] | None:
    """(number, 天 / 个月) of a period written near `words` (休息两个月, 45天不能干活, 陪护18天)."""
    for m in re.finditer(r"(\d+(?:\.\d+)?|" + _CN + r")\s*(天|个月)", question):
        near = question[max(0, m.start() - 12):m.end() + 8]
        if re.search(words, near):
            try:
                return _num(m.group(1)), m.group(2)
            except ValueError:
                continue
    return None


def _personal_injury(question: str) -> list[Calculation]:
    """误工费 and 护理费 when the question names them and gives the time and the income (see the
    calculators)."""
    q, out = question, []
    if re.search(r"误工", q):
        period = _time_off(q, _DAYS_OFF)
        daily = amount_after(q, r"日薪(?:固定)?|日工资|每天(?:工资|收入)?|一天(?:工资|收入)?", 6)
        monthly = amount_after(q, r"月薪|月工资|月收入|每月(?:工资|收入)?|工资", 6)
        if period and period[1] == "天" and daily:
            out.append(lost_earnings(period[0], daily, "天"))
        elif period and period[1] == "个月" and monthly:
            out.append(lost_earnings(period[0], monthly, "个月"))
    if re.search(r"护理费|陪护|护工", q):
        period = _time_off(q, r"陪护|护理|照顾|看护|陪床")
        hired = bool(re.search(r"护工", q))
        daily = amount_after(q, r"护工(?:费)?(?:一天|每天)?|一天|每天|日工资|日薪", 6)
        if period and period[1] == "天" and daily:
            out.append(nursing_costs(period[0], daily, hired))
    return out


def _injury(question: str) -> list[Calculation]:
    out: list[Calculation] = _personal_injury(question)
    grade = re.search(r"([一二三四五六七八九十]|10|[1-9])\s*级伤残", question) or re.search(
        r"(?:伤残|鉴定|评定|评为|定为|定了|评了)[^，。？\d]{0,3}?([一二三四五六七八九十]|10|[1-9])\s*级",
        question)
    own = amount_after(question, r"平均月缴费工资|月缴费工资|本人工资|缴费基数|社保基数|基数", 6)
    if grade and own:
        n = int(grade.group(1)) if grade.group(1).isdigit() else cn_to_int(grade.group(1))
        if n in INJURY_GRADES:
            avg = amount_after(question, r"统筹地区职工月平均工资|职工月平均工资", 6)
            out.append(injury_lump_sum(n, own, avg))
    if re.search(r"工亡|因工死亡", question):
        income = amount_after(question, r"全国城镇居民人均可支配收入", 8)
        if income:
            out.append(work_death_benefit(income))
    if re.search(r"残疾赔偿金", question):
        age = re.search(r"(\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:周)?岁", question)
        income = amount_after(question, r"城镇居民人均可支配收入|人均可支配收入", 8)
        share = re.search(r"(?:比例|系数|赔偿指数|按)[^，。？\d]{0,4}(\d+(?:\.\d+)?)\s*(%)?", question)
        ratio = None
        if share:
            value = float(share.group(1))
            ratio = value / 100 if share.group(2) else value if value <= 1 else None
        if age and income:
            out.append(disability_compensation(int(_num(age.group(1))), income, ratio))
    if re.search(r"死亡|去世|身亡|撞死|走了", question) and not re.search(r"工亡|因工", question):
        age = re.search(r"(\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:周)?岁", question)
        income = amount_after(question, r"城镇居民人均可支配收入|人均可支配收入", 8)
        if age and income and re.search(r"死亡赔偿金", question):
            out.append(death_compensation(int(_num(age.group(1))), income))
        avg = amount_after(question, r"职工月平均工资", 6)
        if avg and re.search(r"丧葬", question):
            out.append(funeral_costs(avg))
    return out


_LEAVE = r"年假|年休假"


def _annual_leave(question: str, wage: float | None) -> Calculation | None:
    """未休年休假: the years worked in all (累计工作12年, 工龄12年, 参加工作12年), the days not taken
    (一天年假都没休: all of them; 还有3天年假没休) and a daily (日工资400) or monthly wage."""
    q = question
    if not re.search(_LEAVE, q) or not re.search(r"没(?:有|让|给)?(?:我)?休|未休|没休|不让休|没安排|补", q):
        return None
    m = re.search(r"(?:累计工作|累计|工龄|参加工作|工作)(?:已经|已)?(?:满|了|有)?\s*" + _NUM
                  + r"\s*年(?!\s*\d)", q)
    if m is None:
        return None
    try:
        years = int(_num(m.group(1)))
    except ValueError:
        return None
    if years > 60:
        return None
    days = re.search(_NUM + r"\s*天(?:的)?(?:" + _LEAVE + r")(?:都|还)?(?:没|未)", q) or \
        re.search(r"(?:还有|剩|剩下|剩了)\s*" + _NUM + r"\s*天(?:的)?(?:" + _LEAVE + ")", q)
    unused = None
    if days and not re.search(r"一天" + f"(?:{_LEAVE})?" + r"都没", q):
        try:
            unused = int(_num(days.group(1)))
        except ValueError:
            return None
    elif not re.search(r"一天(?:的)?(?:" + _LEAVE + r")?(?:也|都)?(?:没|不|未)|"
                       r"(?:全|都)(?:没|未)休|一天都没|没休过", q):
        return None
    daily = amount_after(q, r"日工资|日薪|每天工资|一天工资", 6)
    if daily is None and wage is None:
        return None
    return unused_leave(years, unused, daily, None if daily else wage)


def _months_worked(question: str, today: date | None = None) -> int | None:
    m = re.search(r"(?:干了|做了|工作了|入职|上了)(?:到现在|至今|已经|快|有|了)*\s*" + _NUM + r"\s*个\s*月",
                  question)
    if m:
        try:
            return int(_num(m.group(1)))
        except ValueError:
            return None
    s = service(question) or service_from_dates(question, today)
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
                  if not re.search(r"每天|每日|一天|每晚", question[max(0, h.start() - 5):h.start()])), None)
    days = re.search(_NUM + r"\s*天", question)
    if kind == "holiday" or kind == "rest_day":
        span = re.search(r"(\d+)\s*(?:号|日)\s*到\s*(\d+)\s*(?:号|日)", question)
        n_days = (int(span.group(2)) - int(span.group(1)) + 1) if span else None
        if n_days is None and days:
            n_days = _count(days.group(1))
        if daily and n_days:
            return overtime(kind, n_days, daily, "天")
    if hours and _count(hours.group(1)) is None:
        return None  # 七八十个小时: a range people give, not a count to compute with
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


# --- loans, 违约金, 彩礼 (Decimal arithmetic) -------------------------------------------------------------
LENDING = "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"
CONTRACT_GENERAL = "最高人民法院关于适用《中华人民共和国民法典》合同编通则若干问题的解释"
BRIDE_PRICE = "最高人民法院关于审理涉彩礼纠纷案件适用法律若干问题的规定"
MARRIAGE_FIRST = "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）"
LPR_TIMES = Decimal(4)  # 民间借贷规定第二十五条第一款: 一年期贷款市场报价利率四倍
LPR_RULE_START = date(2020, 8, 20)  # 民间借贷规定第三十一条第二款
PENALTY_EXCESS = Decimal("0.30")  # 合同编通则解释第六十五条第二款: 超过造成损失的百分之三十
DAYS_A_YEAR = 365  # a rate per day is turned into a year's rate (and a span of days into years) with it
CENT = Decimal("0.01")


def _d(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _yuan(x: Decimal) -> Decimal:
    return _d(x).quantize(CENT, rounding=ROUND_HALF_UP)


def pct(x: Decimal) -> str:
    """Decimal('13.80') -> 13.8%; at most four decimals."""
    q = _d(x).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()
    return f"{q:f}%"


def dmoney(x: Decimal) -> str:
    return money(float(_yuan(x)))


@dataclass(frozen=True)
class Rate:
    """An agreed interest rate read from the question: the rate a year in percent, and how it was read."""

    annual: Decimal
    words: str  # the question's words (月息2分)
    reading: str  # our reading of them (月利率2%，折合年利率24%)
    loose: bool = False  # a spoken form (2分利, 一毛利) whose reading the 借条 may not bear out

    def said(self) -> str:
        return f"“{self.words}”" + ("" if self.reading == self.words else f"，即{self.reading}")


@dataclass(frozen=True)
class Span:
    """How long interest runs: days, months or years (exactly one is set), as the question gives it."""

    years: Decimal = Decimal(0)
    months: int = 0
    days: int = 0

    def fraction(self) -> Decimal:
        """The span in years (days over DAYS_A_YEAR)."""
        if self.days:
            return Decimal(self.days) / DAYS_A_YEAR
        if self.months:
            return Decimal(self.months) / 12
        return self.years

    def text(self) -> str:
        if self.days:
            return f"{self.days}天（按一年{DAYS_A_YEAR}天折算为{self.days}/{DAYS_A_YEAR}年）"
        if self.months:
            return f"{self.months}个月（{self.months}/12年）"
        return f"{self.years.normalize():f}年"


def loan_interest(principal, rate: Rate | None = None, lpr=None, span: Span | None = None,
                  written=None, deducted=None, contract_day: date | None = None) -> Calculation:
    """Interest on a private loan against the legal cap (民间借贷规定第二十五条: the rate agreed is
    supported up to four times the one-year LPR at the time the contract was made; the LPR is a published
    figure, never assumed here — without it the cap is given as a formula, and the LPR that would make the
    agreed rate lawful is agreed ÷ 4). `written`/`deducted`: the amount on the 借条 and the interest taken
    off in advance (民法典第六百七十条, 民间借贷规定第二十六条: the principal is what was actually lent).
    The amount is the interest the law supports (over the span, or a year), only when the LPR is given."""
    principal = _d(principal)
    steps: list[Step] = []
    notes: list[str] = []
    if written is not None and deducted is not None:
        steps.append(Step(f"借条写{dmoney(_d(written))}，预先扣除利息{dmoney(_d(deducted))}：利息不得预先在本金中扣除，"
                          f"按实际借款数额返还借款并计算利息。", Ref(CIVIL, 670, 1, "不得预先在本金中扣除")))
        steps.append(Step(f"本金按实际出借的金额认定：{dmoney(_d(written))} − {dmoney(_d(deducted))} = "
                          f"{dmoney(principal)}。", Ref(LENDING, 26, 1, "将实际出借的金额认定为本金")))
    if rate is None:  # no rate: what the interest taken off in advance decides is the principal owed
        if steps:
            return Calculation("principal", "应认定的借款本金", float(principal), steps, notes,
                               deciding=Ref(CIVIL, 670, 1, "不得预先在本金中扣除"))
        return Calculation("loan_interest", "借款利息", None, steps, notes)
    steps.append(Step(f"约定的利率：{rate.said()}。"))
    if rate.loose:
        steps.append(Step("这是民间说法，我们按通常的理解换算；借条上的写法对方不认可、属于约定不明的，自然人之间借贷的出借人"
                          "主张利息不予支持，请以借条原文为准。",
                          Ref(LENDING, 24, 2, "自然人之间借贷对利息约定不明")))
    if contract_day is not None and contract_day < LPR_RULE_START:
        notes.append("借款合同成立于2020年8月20日之前：自合同成立到2020年8月19日的利息，可以请求适用当时的司法解释"
                     "计算（法规库没有收录当时的文本，这里不计算这一段）；自2020年8月20日起的利息适用起诉时现行规定的"
                     "利率保护标准（见上）。")
        steps.append(Step("借贷合同成立于2020年8月20日之前的，2020年8月19日以前的利息可以请求适用当时的司法解释，"
                          "之后的利息适用现行规定。", Ref(LENDING, 31, 2, "借贷合同成立于2020年8月20日之前")))
    cap_ref = Ref(LENDING, 25, 1, "一年期贷款市场报价利率四倍")
    yearly = _yuan(principal * rate.annual / 100)
    if lpr is None:
        implied = rate.annual / LPR_TIMES
        steps.append(Step("约定利率的上限是合同成立时一年期贷款市场报价利率（LPR）的四倍：上限 = LPR × 4。"
                          "LPR每月公布，这里不替您假设，请查合同成立时公布的一年期LPR。", cap_ref))
        steps.append(Step(f"约定的年利率{pct(rate.annual)}只有在合同成立时的一年期LPR不低于"
                          f"{pct(rate.annual)} ÷ 4 = {pct(implied)}时才不超过上限；LPR低于{pct(implied)}的，"
                          "超过四倍LPR的那部分利息不受支持。",
                          Ref(LENDING, 25, 2, "每月发布的一年期贷款市场报价利率")))
        steps.append(Step(f"按约定利率，每年利息：{dmoney(principal)} × {pct(rate.annual)} = {dmoney(yearly)}"
                          + (f"；{span.text()}：{dmoney(principal)} × {pct(rate.annual)} × {_frac(span)} = "
                             f"{dmoney(principal * rate.annual / 100 * span.fraction())}。"
                             if span and span.fraction() != 1 else "。")))
        return Calculation("loan_interest", "借款利息", None, steps, notes, deciding=cap_ref)
    lpr = _d(lpr)
    cap = lpr * LPR_TIMES
    over = rate.annual > cap
    steps.append(Step(f"上限为合同成立时一年期LPR的四倍：{pct(lpr)} × 4 = {pct(cap)}；约定的年利率"
                      f"{pct(rate.annual)}"
                      + (f"超过上限，超过{pct(cap)}的部分不受支持。" if over
                         else "没有超过上限，按约定支持。"),
                      cap_ref))
    lawful = min(rate.annual, cap)
    if span is None:
        amount = _yuan(principal * lawful / 100)
        steps.append(Step(f"每年可主张的利息：{dmoney(principal)} × {pct(lawful)} = {dmoney(amount)}"
                          + (f"（约定利率下为{dmoney(yearly)}，多出的{dmoney(yearly - amount)}不受支持）。"
                             if over else "。")))
        return Calculation("loan_interest", "每年依法可主张的利息", float(amount), steps, notes,
                           deciding=cap_ref)
    amount = _yuan(principal * lawful / 100 * span.fraction())
    agreed = _yuan(principal * rate.annual / 100 * span.fraction())
    steps.append(Step(f"{span.text()}可主张的利息：{dmoney(principal)} × {pct(lawful)} × {_frac(span)} = "
                      f"{dmoney(amount)}"
                      + (f"（按约定利率为{dmoney(agreed)}，多出的{dmoney(agreed - amount)}不受支持）。"
                         if over else "。")))
    return Calculation("loan_interest", "依法可主张的利息", float(amount), steps, notes, deciding=cap_ref)


def _frac(span: Span) -> str:
    if span.days:
        return f"{span.days}/{DAYS_A_YEAR}"
    if span.months:
        return f"{span.months}/12"
    return f"{span.years.normalize():f}"


def no_interest_agreed(between_people: bool = True, overdue: bool = False) -> Calculation:
    """民间借贷规定第二十四条第一款 (and 民法典第六百八十条第二款): no interest agreed, none is owed for
    the loan period; overdue interest is a separate matter (第二十八条第二款第（一）项). When the question
    says the loan is overdue, that rule decides and the answer is not a bare 不能 (interest from the day
    repayment was due can be claimed)."""
    rule = Ref(LENDING, 24, 1, "没有约定利息")
    late = Ref(LENDING, 28, 2, "参照当时一年期", 1)
    steps = [Step("借款时没有约定利息的，出借人主张借期内利息，不予支持。", rule),
             Step("借款合同对支付利息没有约定的，视为没有利息。", Ref(CIVIL, 680, 2, "视为没有利息"))]
    steps.append(Step("借款到期后对方逾期不还的，可以自逾期还款之日起，参照当时一年期贷款市场报价利率（LPR）"
                      "主张逾期利息（LPR以公布的数字为准，这里不替您假设）。", late))
    if overdue:
        answer = ("借期内的利息不能要，但对方到期不还，可以自逾期还款之日起主张逾期利息。"
                  if between_people else "")
        return Calculation("loan_no_interest", "逾期利息", None, steps, deciding=late, answer=answer)
    return Calculation("loan_no_interest", "借期内利息", None, steps, deciding=rule,
                       answer="不能。" if between_people else "")


def overdue_interest(rate: Rate | None, principal=None, lpr=None, span: Span | None = None,
                     charges: bool = False) -> Calculation:
    """逾期利息 (民间借贷规定第二十八条): an agreed overdue rate up to four times the LPR; none agreed but
    a loan rate agreed — the loan rate (第二款第（二）项); neither — the LPR of the time (第（一）项).
    With 违约金 or other fees as well (第二十九条) all of them together are capped at four times the LPR."""
    steps: list[Step] = []
    if charges:
        rule = Ref(LENDING, 29, 1, "总计超过合同成立时一年期贷款市场报价利率四倍的部分")
        steps.append(Step("既约定了逾期利率，又约定了违约金或者其他费用的，可以选择主张，也可以一并主张，但总计不超过合同"
                          "成立时一年期LPR的四倍。", rule))
    elif rate is not None:
        rule = Ref(LENDING, 28, 2, "按照借期内利率支付资金占用期间利息", 2)
        steps.append(Step(f"约定了借期内利率（{rate.said()}）但没有约定逾期利率的，可以自逾期还款之日起"
                          f"按借期内利率{pct(rate.annual)}主张资金占用期间的利息。", rule))
    else:
        rule = Ref(LENDING, 28, 2, "参照当时一年期贷款市场报价利率标准", 1)
        steps.append(Step("既没有约定借期内利率也没有约定逾期利率的，可以自逾期还款之日起参照当时一年期LPR主张逾期"
                          "利息。", rule))
    amount = None
    if lpr is not None:
        cap = _d(lpr) * LPR_TIMES
        total = "（逾期利息、违约金和其他费用合计）。" if charges else "。"
        steps.append(Step(f"上限：{pct(_d(lpr))} × 4 = {pct(cap)}" + total, Ref(LENDING, 28, 1, "四倍为限")))
        yearly_rate = None if charges else min(rate.annual, cap) if rate is not None else _d(lpr)
        if principal is not None and (charges or yearly_rate is not None):
            r = cap if charges else yearly_rate
            what = "合计最多" if charges else "逾期利息"
            if span is not None:
                amount = _yuan(_d(principal) * r / 100 * span.fraction())
                steps.append(Step(f"{what}（{span.text()}）：{dmoney(_d(principal))} × {pct(r)} × "
                                  f"{_frac(span)} = {dmoney(amount)}。"))
            else:
                amount = _yuan(_d(principal) * r / 100)
                steps.append(Step(f"{what}每年：{dmoney(_d(principal))} × {pct(r)} = {dmoney(amount)}。"))
    else:
        steps.append(Step("上限为合同成立时一年期LPR的四倍；LPR以公布的数字为准，这里不替您假设。",
                          Ref(LENDING, 28, 1, "四倍为限")))
    title = "逾期利息、违约金和其他费用的合计上限" if charges else "逾期利息"
    return Calculation("overdue_interest", title, None if amount is None else float(amount), steps,
                       deciding=rule, answer="可以。" if not charges else "")


def penalty_check(agreed, loss=None) -> Calculation:
    """违约金 against the loss (民法典第五百八十五条第二款; 合同编通则解释第六十五条第二款: more than the
    loss plus 30 % is in general 过分高于; the court adjusts only on a party's request, 第六十四条第一款,
    and weighs the case — no figure for the reduced amount is given by the law, so none is computed)."""
    agreed = _d(agreed)
    rule = Ref(CIVIL, 585, 2, "过分高于造成的损失")
    steps = [Step("约定的违约金过分高于造成的损失的，可以根据当事人的请求适当减少；低于损失的，"
                  "可以请求增加。", rule)]
    if loss is None:
        steps.append(Step("判断是否过高以实际损失为基础：违约金超过损失的百分之三十（即高于损失 × 130%）的，"
                          "一般可以认定为过分高于造成的损失；请提供实际损失的数额再比较。",
                          Ref(CONTRACT_GENERAL, 65, 2, "百分之三十")))
    else:
        loss = _d(loss)
        line = _yuan(loss * (1 + PENALTY_EXCESS))
        high = agreed > line
        steps.append(Step(f"损失{dmoney(loss)} × (1 + 30%) = {dmoney(line)}；约定的违约金{dmoney(agreed)}"
                          + ("超过这一数额，一般可以认定为过分高于造成的损失。" if high else
                             ("低于损失（可以请求增加，见上）。" if agreed < loss else
                              "没有超过这一数额，不属于本款“一般可以认定为过分高于”的情形。")),
                          Ref(CONTRACT_GENERAL, 65, 2, "百分之三十")))
        if high:
            steps.append(Step("调整不会自动发生：违约方须以反诉或者抗辩的方式请求减少，并对违约金过高承担举证责任；"
                              "减到多少由法院以损失为基础、结合合同履行情况和过错等因素衡量，法律没有给出固定数额。",
                              Ref(CONTRACT_GENERAL, 64, 1, "请求调整违约金")))
    steps.append(Step("恶意违约的一方请求减少违约金的，一般不予支持。",
                      Ref(CONTRACT_GENERAL, 65, 3, "恶意违约")))
    return Calculation("penalty", "违约金是否过高", None, steps, deciding=rule)


def penalty_or_deposit(penalty, deposit_paid, receiver_breached: bool = False,
                       both_asked: bool = False) -> Calculation:
    """民法典第五百八十八条: both a 违约金 and a 定金 agreed — the other side chooses one; a 定金 short of
    the loss may be topped up to the loss. When the side that took the 定金 broke the contract, the amount
    is the better choice for the payer: the 定金 back double (第五百八十七条), or the 违约金 with the 定金
    handed back as what was performed (第五百六十六条第一款: 恢复原状)."""
    rule = Ref(CIVIL, 588, 1, "选择适用违约金或者定金条款")
    steps = [Step("既约定违约金又约定定金的，一方违约时，对方只能选择适用违约金或者定金条款。", rule)]
    amount = None
    if penalty is not None and deposit_paid is not None and receiver_breached:
        p, dep = _d(penalty), _d(deposit_paid)
        by_deposit, by_penalty = 2 * dep, p + dep
        steps.append(Step(f"选定金：收受定金的一方违约，双倍返还定金：2 × {dmoney(dep)} = "
                          f"{dmoney(by_deposit)}"
                          f"（其中{dmoney(dep)}是您自己交的）。", Ref(CIVIL, 587, 1, "应当双倍返还定金")))
        steps.append(Step(f"选违约金：违约金{dmoney(p)}，已交的定金{dmoney(dep)}作为已经履行的部分请求返还"
                          f"（恢复原状），共{dmoney(p)} + {dmoney(dep)} = {dmoney(by_penalty)}。",
                          Ref(CIVIL, 566, 1, "可以请求恢复原状")))
        best = max(by_deposit, by_penalty)
        steps.append(Step(f"两者取其高：选{'违约金' if by_penalty >= by_deposit else '定金'}，最多拿回"
                          f"{dmoney(best)}。"))
        amount = float(_yuan(best))
    elif penalty is not None and deposit_paid is not None:
        p, dep = _d(penalty), _d(deposit_paid)
        steps.append(Step(f"选违约金：{dmoney(p)}；选定金：收受定金的一方违约的，双倍返还即"
                          f"2 × {dmoney(dep)} = {dmoney(2 * dep)}（其中{dmoney(dep)}是您自己交的），"
                          "给付定金的一方违约的，无权要回定金。"))
    steps.append(Step("定金不足以弥补损失的，可以请求赔偿超过定金数额的损失。",
                      Ref(CIVIL, 588, 2, "超过定金数额的损失")))
    title = "违约金与定金择一，最多可拿回" if amount is not None else "违约金与定金只能选一"
    answer = "不能两样都要，只能选一。" if both_asked else ""  # asked whether both can be claimed
    return Calculation("penalty_or_deposit", title, amount, steps, deciding=rule, answer=answer,
                       asked=both_asked)


def bride_price(amount=None, registered: bool | None = None, lived: bool | None = None,
                divorcing: bool = False, hardship: bool = False, income=None) -> Calculation:
    """彩礼返还: no fixed share in the law; which rule applies follows from the facts
    (婚姻家庭编解释（一）第五条: not registered → returned; registered but not lived together, or hardship,
    → returned on divorce; 彩礼规定第五条: registered and lived together → in general not, unless a short
    time together and a very high amount; 第六条: not registered but lived together → the court weighs the
    factors it names). The only figure computed is the amount as a multiple of the local per-capita
    disposable income, when the person gives it (a factor of 第五条第二款)."""
    steps: list[Step] = []
    given = f"{dmoney(_d(amount))}彩礼" if amount is not None else "彩礼"
    answer = ""
    if registered is False and lived is False:
        rule = Ref(MARRIAGE_FIRST, 5, 1, "双方未办理结婚登记手续", 1)
        steps.append(Step(f"没有办理结婚登记、也没有共同生活，请求返还{given}的，人民法院应当予以支持。",
                          rule))
        answer = "可以。"
    elif registered is False and lived:
        rule = Ref(BRIDE_PRICE, 6, 1, "确定是否返还以及返还的具体比例")
        steps.append(Step("没有办理结婚登记但已共同生活的，是否返还、返还多少，由法院根据彩礼实际使用及嫁妆情况，"
                          "综合考虑共同生活及孕育情况、双方过错等事实，结合当地习俗确定；法律没有规定固定的比"
                          "例。", rule))
    elif registered and lived is False:
        rule = Ref(MARRIAGE_FIRST, 5, 1, "双方办理结婚登记手续但确未共同生活", 2)
        steps.append(Step(f"办理了结婚登记但确未共同生活，请求返还{given}的，人民法院应当予以支持。", rule))
        steps.append(Step("这一情形以双方离婚为条件。", Ref(MARRIAGE_FIRST, 5, 2, "应当以双方离婚为条件")))
        answer = "可以。" if divorcing else ""
    elif registered and lived:
        rule = Ref(BRIDE_PRICE, 5, 1, "一般不予支持")
        steps.append(Step("已办理结婚登记且共同生活，离婚时请求返还彩礼的，一般不予支持；共同生活时间较短且彩礼数额过高的，"
                          "法院可以根据彩礼实际使用及嫁妆情况，综合考虑彩礼数额、共同生活及孕育情况、双方过错等事实，"
                          "确定是否返还以及返还的比例；法律没有规定固定的比例。", rule))
        answer = "" if hardship else "一般不能。"  # 一般不予支持; a short time together may change it
    elif registered and lived is None:  # married; whether they lived together is not said
        rule = None
        steps.append(Step("已办理结婚登记且共同生活的，离婚时请求返还彩礼一般不予支持；共同生活时间较短且彩礼数额过高的，"
                          "法院可以根据彩礼实际使用及嫁妆情况等确定是否返还以及返还的比例。",
                          Ref(BRIDE_PRICE, 5, 1, "一般不予支持")))
        steps.append(Step("办理了结婚登记但确未共同生活的，离婚时请求返还，人民法院应当予以支持；"
                          "请补充是否共同生活过。",
                          Ref(MARRIAGE_FIRST, 5, 1, "双方办理结婚登记手续但确未共同生活", 2)))
    elif registered is False:
        rule = Ref(MARRIAGE_FIRST, 5, 1, "双方未办理结婚登记手续", 1)
        steps.append(Step(f"没有办理结婚登记的，请求返还{given}，人民法院应当予以支持。", rule))
        steps.append(Step("但如果已经共同生活，是否返还、返还多少由法院综合考虑共同生活及孕育情况、双方过错等事实确定；"
                          "请补充是否共同生活过。", Ref(BRIDE_PRICE, 6, 1, "确定是否返还以及返还的具体比例")))
    else:  # the facts that select the rule are not given: the rule is named, none is said to decide
        rule = None
        steps.append(Step("能否要回彩礼，先看三件事：是否办理了结婚登记、是否共同生活、婚前给付是否导致给付人生活困难；"
                          "请补充这些事实。", Ref(MARRIAGE_FIRST, 5, 1, "应当予以支持")))
    if hardship and registered:
        steps.append(Step("婚前给付并导致给付人生活困难的，离婚时请求返还的，应当予以支持。",
                          Ref(MARRIAGE_FIRST, 5, 1, "婚前给付并导致给付人生活困难", 3)))
    if registered and lived and amount is not None and income is not None:
        ratio = (_d(amount) / _d(income)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        steps.append(Step(f"彩礼是否过高，要考虑给付方所在地居民人均可支配收入等因素：{dmoney(_d(amount))} ÷ "
                          f"{dmoney(_d(income))} ≈ {ratio.normalize():f}倍（法律没有规定多少倍算过高，这只是"
                          "法院衡量的一个事实）。", Ref(BRIDE_PRICE, 5, 2, "居民人均可支配收入")))
    return Calculation("bride_price", "彩礼能否返还", None, steps, deciding=rule, answer=answer)


# --- reading loan, 违约金 and 彩礼 facts ----------------------------------------------------------------
_DIG = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十])"
_LATER_DIG = r"(\d|[一二三四五六七八九])?"
_APPROX = re.compile(r"^\s*(?:几|多|来|余|左右|上下)")  # 十几万, 10来万, 5万多, 3万左右
_APPROX_AFTER = re.compile(r"^\s*(?:多|余|左右|上下)")


def _small(text: str) -> Decimal:
    return Decimal(text) if re.match(r"\d", text) else Decimal(cn_to_int(text.replace("两", "二")))


def agreed_rate(question: str) -> Rate | None:
    """The agreed rate in the question, turned into a rate a year: 年利率24% / 年化36%, 月利率2% / 月息2%,
    日利率万分之五 / 日息0.05%, 月息2分 (1 分 = 1% a month, 1 厘 = 0.1%), 年息两成 / 年息2分 (10% a year), an
    unqualified 2分利 (a month), 一毛利 (10% a month), 每月利息3000 with the principal."""
    q = question.replace("％", "%")
    m = re.search(r"(年|月|日)(?:化)?(?:利率|利息|息|利)?(?:是|为|按|约定|定的|写的)?\s*(\d+(?:\.\d+)?)\s*%",
                  q)
    if m:
        return _per(m.group(1), Decimal(m.group(2)), m.group(0))
    m = re.search(r"(年|月|日)(?:化)?(?:利率|利息|息|利)?(?:是|为|按)?\s*百分之([零一二两三四五六七八九十]+)",
                  q)
    if m:
        return _per(m.group(1), _small(m.group(2)), m.group(0))
    m = re.search(r"(?:日|每天|每日|一天)(?:利率|利息|息)?(?:是|为|按)?\s*(万|千)分之\s*" + _DIG, q)
    if m:
        per_day = _small(m.group(2)) / (100 if m.group(1) == "万" else 10)
        return _per("日", per_day, m.group(0))
    m = re.search(r"(年|月)(?:利率|利息|息|利)(?:是|为|按)?\s*" + _DIG + r"\s*(分|厘|成)" + _LATER_DIG, q)
    if m:
        n = _small(m.group(2)) + (_small(m.group(4)) / 10 if m.group(4) else 0)
        if not m.group(4) and q[m.end():m.end() + 1] == "半":  # 月息1分半 = 1.5 分
            n += Decimal("0.5")
        unit = m.group(3)
        if m.group(1) == "年":  # 年息1分 = 10%, 1厘 = 1%, 1成 = 10%
            return _per("年", n * (1 if unit == "厘" else 10), m.group(0))
        if unit == "成":
            return None
        return _per("月", n / (10 if unit == "厘" else 1), m.group(0))
    m = re.search(_DIG + r"\s*(分|厘)" + _LATER_DIG + r"\s*(?:的)?(?:利息|利|息)", q)
    if m and not re.search(r"\d", q[max(0, m.start() - 1):m.start()]):
        n = _small(m.group(1)) + (_small(m.group(3)) / 10 if m.group(3) else 0)
        return _loose(_per("月", n / (10 if m.group(2) == "厘" else 1), m.group(0)), "按月计")
    m = re.search(r"(?:一|1)\s*毛(?:钱)?(?:的)?(?:利息|利|息)", q)
    if m:
        return _loose(_per("月", Decimal(10), m.group(0)), "每借一元每月一毛钱")
    m = re.search(r"(?:年|月)?(?:利率|利息)(?:是|为)?\s*(\d+(?:\.\d+)?)\s*%", q)
    if m:  # 利率12% without 年 / 月: read as a year's rate, and said so
        rate = _per("年", Decimal(m.group(1)), m.group(0))
        return Rate(rate.annual, rate.words, rate.reading + "（没有写明年、月，按年利率理解）")
    return None


_MONTHLY_INTEREST = r"(?:每月|每个月|一个月|月)(?:的)?利息(?:是|为|给|付)?|利息(?:每|一)(?:个)?月(?:给|付)?"
_YEARLY_INTEREST = r"(?:每年|一年)(?:的)?利息(?:是|为|给|付)?|利息(?:每|一)年(?:给|付)?"


def rate_from_interest(question: str, principal: Decimal | None) -> Rate | None:
    """The rate an interest written in 元 makes on the principal (借10万，每月利息3000 → 3 % a month)."""
    if not principal:
        return None
    for keys, period in ((_MONTHLY_INTEREST, "月"), (_YEARLY_INTEREST, "年")):
        m = re.search(keys, question)
        got = exact_amount_after(question, keys, 8, bare=True) if m else None
        between = re.match(r"[^\d一二两三四五六七八九十百千万]*", question[m.end():]).group(0) if m else ""
        if got is not None and re.search(r"[，。；,;？?]", between):
            got = None  # a figure after a comma is another fact (…一年的利息，实际只转给他9万)
        if got:
            r = got / principal * 100
            rate = _per(period, r, question[m.start():m.end() + 8].split("，")[0])
            return Rate(rate.annual, rate.words, f"{dmoney(got)} ÷ 本金{dmoney(principal)} = {rate.reading}")
    return None


def _loose(rate: Rate, how: str) -> Rate:
    return Rate(rate.annual, rate.words, f"{how}：{rate.reading}", loose=True)


def _per(period: str, value: Decimal, words: str) -> Rate:
    if period == "年":
        return Rate(value, words, f"年利率{pct(value)}")
    if period == "月":
        return Rate(value * 12, words, f"月利率{pct(value)}，折合年利率{pct(value)} × 12 = {pct(value * 12)}")
    return Rate(value * DAYS_A_YEAR, words, f"日利率{pct(value)}，按一年{DAYS_A_YEAR}天折合年利率"
                f"{pct(value * DAYS_A_YEAR)}")


def lpr_given(question: str) -> Decimal | None:
    """The one-year LPR the question gives (借款时一年期LPR是3.1%); never a value of our own."""
    m = re.search(r"(?:LPR|贷款市场报价利率)[^，。；,\d]{0,8}(\d+(?:\.\d+)?)\s*[%％]", question,
                  re.IGNORECASE)
    return Decimal(m.group(1)) if m else None


def exact_amount_after(question: str, keys: str, span: int = 10, bare: bool = False) -> Decimal | None:
    """An amount written with 元 / 块 / 万 after a key word (`bare`: also Arabic digits alone), or None —
    also None when it is approximate (十几万, 10多万, 5万左右): only an exact figure is computed with."""
    for mm, rest in _amounts(question, keys, span):
        if _approximate(mm, rest):
            return None
        digits = re.match(r"\d", mm.group(1))
        if not (mm.group(2) or mm.group(4) or (bare and digits)) or (
                not digits and not mm.group(2) and not re.search(r"[百千]", mm.group(1))):
            continue
        value = _value(mm)
        if value is not None:
            return _d(value).normalize()
    return None


def _span(question: str, today: date | None) -> tuple[Span | None, date | None]:
    """(how long the loan ran, the day it was made) from dates (借款日 … 还款日 / 至今) or 借期一年 /
    借了6个月 / 一年后还."""
    from lawglm.answer.deadlines import dates_in

    found = dates_in(question, today)
    start = next((m for m in found if re.search(r"借", question[m.span[1]:m.span[1] + 6]
                                                 + question[max(0, m.span[0] - 4):m.span[0]])), None)
    made = start.day if start else None
    if start is not None:
        later = [m for m in found if m.day > start.day]
        if later:
            return Span(days=(later[0].day - start.day).days), made
        if today is not None and today > start.day and \
                re.search(r"至今|到现在|到今天|一直没还|现在还没还", question):
            return Span(days=(today - start.day).days), made
    if made is None:  # 2019年借的 / 2019年5月借给他: only whether it was before 2020-08-20 is used
        y = re.search(r"((?:20|19)\d\d)年(?:(\d{1,2})月)?[^，。]{0,8}借", question)
        if y and (int(y.group(1)), int(y.group(2) or 12)) < (LPR_RULE_START.year, LPR_RULE_START.month):
            made = date(int(y.group(1)), int(y.group(2) or 12), 1)
    m = re.search(r"借(?:期|款期限|款|了|给他|给她|他|她)?(?:是|为)?\s*(半|" + _DIG + r")\s*(年|个月|天)",
                  question) or \
        re.search(r"(?:约定|说好|讲好)?(半|" + _DIG + r")\s*(年|个月|天)(?:后|以后|之后|内)"
                  r"(?:连本带息|本息一起|一次性)?(?:还|归还|还清)",
                  question)
    if m:
        try:
            n = Decimal("0.5") if m.group(1) == "半" else _small(m.group(1))
        except ValueError:
            return None, made
        if m.group(1) == "半" and m.group(3) != "年":
            return None, made
        if m.group(3) == "年":
            return (Span(months=6) if n == Decimal("0.5") else Span(years=n)), made
        if m.group(3) == "个月" and n == int(n):
            return Span(months=int(n)), made
        if m.group(3) == "天" and n == int(n):
            return Span(days=int(n)), made
    return None, made


_INSTITUTION = re.compile(r"信用卡|花呗|借呗|网贷|小额贷款|小贷|贷款公司|金融机构|白条|微粒贷|"
                          r"银行贷款|向银行|房贷|车贷|消费贷|分期")
_LABOR_AREAS = ("labor_dismissal", "wages", "work_injury")
_EMPLOYMENT = re.compile(r"劳动合同|离职|辞职|服务期|竞业|培训费|入职|员工|用人单位")
_LOAN_KEYS = (r"借给他|借给她|借给朋友|借给同事|借给亲戚|借给别人|借给|借了|借款|出借|本金|借他|借她|借我|"
              r"向我借|跟我借|找我借|借")


_RECEIVED = (r"(?:实际)?(?:上)?(?:只|才)?(?:到手|到账|拿到|收到|实际给了|打给我|打给了我|转给我|"
             r"转给了我|打过来|转过来|给到我)(?:了|的)?(?:只有|才)?")


def _loans(question: str, today: date | None) -> list[Calculation]:
    q = question
    if not re.search(r"借|贷", q) or _INSTITUTION.search(q):
        return []  # 民间借贷规定第一条第二款: loans by licensed lenders are not under its cap
    rate = agreed_rate(q)
    lpr = lpr_given(q)
    out: list[Calculation] = []
    overdue = re.search(r"逾期|到期.{0,6}(?:不还|没还|未还)|拖着不还|拖了.{0,8}(?:不还|没还|未还)|"
                        r"(?:一直|至今|到现在|现在)(?:都|也)?(?:还)?(?:不还|没还)", q)
    charges = re.search(r"逾期利[率息]", q) and re.search(r"违约金|律师费|其他费用|服务费|手续费", q)
    no_overdue_rate = re.search(r"(?:没|未|没有)(?:写|约定|说|定)[^，。]{0,4}逾期|"
                                r"逾期[^，。]{0,4}(?:没|未)(?:写|约定)", q)
    no_interest = re.search(r"(?:没|未|没有|不)(?:写|约定|说|谈|提|算)(?:过)?(?:好)?(?:利息|利率)|"
                            r"无息|没要利息", q)
    written = exact_amount_after(q, _LOAN_KEYS, 10)
    deducted = exact_amount_after(q, r"(?:先|预先|提前|直接)?(?:扣了|扣除|扣掉|砍头息)(?:了)?", 8)
    received = exact_amount_after(q, _RECEIVED, 8)
    principal = written
    if written is not None and (deducted is not None or received is not None) and \
            re.search(r"扣|砍头|到手|到账|实际", q):
        if deducted is None and received is not None and received < written:
            deducted = written - received
        if deducted is not None and deducted < written:
            principal = written - deducted
        else:
            deducted = None
    else:
        deducted = None
    rate = rate or rate_from_interest(q, principal)
    span, made = _span(q, today)
    approx = None if principal is not None else \
        re.search(r"(?:[一二两三四五六七八九十百千\d]+|几)[几多来余](?:万|千|百)?(?:元|块)?|"
                  r"几[十百千万]+(?:元|块)?", q)
    if charges:
        out.append(overdue_interest(rate, principal, lpr, span, charges=True))
    elif no_interest and rate is None:
        out.append(no_interest_agreed(overdue=bool(overdue)))
    elif overdue and no_overdue_rate and rate is not None:
        out.append(overdue_interest(rate, principal, lpr, span))
    elif rate is not None and principal is not None:
        calc = loan_interest(principal, rate, lpr, span, written if deducted is not None else None,
                             deducted, made)
        if calc.amount is not None and span is not None and _TOTAL_ASKED.search(q):
            interest = _d(calc.amount)
            total = _yuan(principal + interest)
            calc.steps.append(Step(f"到期应还本息合计：本金{dmoney(principal)} + 利息{dmoney(interest)} = "
                                   f"{dmoney(total)}。"))
            calc.amount, calc.title = float(total), "到期依法应还的本息合计"
        out.append(calc)
    elif rate is not None and (approx or re.search(r"合法|违法|高利|超过|上限|保护|能要|有效|过高", q)):
        out.append(_rate_only(rate, lpr, made))
        if approx:
            out[-1].notes.append(f"借款金额没有确切数字（“{approx.group(0)}”），利息数额这里不计算；"
                                 "给出借条上的确切金额即可按上面的利率计算。")
    elif deducted is not None and principal is not None:
        out.append(loan_interest(principal, None, written=written, deducted=deducted))
    return out


# asked for principal and interest together (一共应该还多少, 连本带息多少)
_TOTAL_ASKED = re.compile(r"一共(?:应该|应当|要|得|需要)?还|总共(?:应该|要|得)?还|连本带息[^，。]{0,6}多少|"
                          r"本息(?:一共|合计|共|总共)|本金(?:加|和|连同)利息(?:一共|总共|共)")


def _rate_only(rate: Rate, lpr: Decimal | None, made: date | None) -> Calculation:
    """The agreed rate against the cap when the question gives no principal."""
    calc = loan_interest(Decimal(0), rate, lpr, None, contract_day=made)
    calc.steps = [s for s in calc.steps if "利息：" not in s.text]
    calc.amount, calc.title = None, "约定利率与法定上限"
    return calc


def _penalty(question: str, area: str) -> list[Calculation]:
    q = question
    if "违约金" not in q or re.search(r"逾期利[率息]", q) or area in _LABOR_AREAS or _EMPLOYMENT.search(q):
        return []  # a worker's 违约金 is 劳动合同法's (第二十二条、第二十三条、第二十五条), not 民法典's
    agreed = exact_amount_after(q, r"违约金(?:是|为|约定|写的|定的|写了|约定了|要|要我赔|要我付|要求)?", 8)
    if agreed is None:
        got = amount_before(q, r"的?违约金", 8)
        agreed = _d(got).normalize() if got else None
    out: list[Calculation] = []
    if "定金" in q:
        paid = amount_before(q, r"定金", 6) or amount_after(q, r"定金", 6, unit=True)
        receiver = not _PAYER_BREACH.search(q) and bool(_RECEIVER_BREACH.search(q))
        both = bool(re.search(r"都要|都能要|同时(?:要|主张)|一起要|一并(?:要|主张)|两个都|两样都|都拿", q))
        out.append(penalty_or_deposit(agreed, _d(paid) if paid else None, receiver, both))
        return out
    if agreed is None:
        return []
    loss = exact_amount_after(q, r"(?:实际)?损失(?:是|为|大概|只有|才|约|了|就|只)?", 8)
    if loss is None:
        got = amount_before(q, r"的?(?:实际)?损失", 8)
        loss = _d(got).normalize() if got else None
    out.append(penalty_check(agreed, loss))
    return out


_NOT_REGISTERED = re.compile(r"没(?:有)?领证|未领证|没(?:有)?登记|未(?:办理)?(?:结婚)?登记|没扯证|没结婚|"
                             r"不结了|悔婚")
_REGISTERED = re.compile(r"领证|扯证|登记结婚|结婚登记|结婚\S{0,2}年|结婚后|(?<!订)婚后|离婚|老公|老婆")
_NOT_LIVED = re.compile(r"没(?:有)?(?:住在一起|住一起|同居|一起生活|共同生活)|未(?:共同生活|同居)|分开住|"
                        r"没在一起住")
_LIVED = re.compile(r"住在一起|住一起|在一起住|一起住|住到一起|搬到一起|同居|一起生活|共同生活|孩子|怀孕|"
                    r"生了|"
                    r"结婚[^，。？]{0,4}(?:年|个月)")


def _bride(question: str) -> list[Calculation]:
    q = question
    if "彩礼" not in q or not re.search(r"要回|退|返还|还给|还回|分手|离婚|反悔|不结|悔婚|吹了|散了", q):
        return []
    amount = exact_amount_after(q, r"彩礼(?:是|为|给了|给的)?", 6)
    if amount is None:
        got = amount_before(q, r"(?:的)?彩礼", 6)
        amount = _d(got).normalize() if got else None
    registered = (False if _NOT_REGISTERED.search(q) else True if _REGISTERED.search(q)
                  else False if re.search(r"订婚|婚约", q) else None)
    lived = (False if _NOT_LIVED.search(q) else True if _LIVED.search(q) else None)
    income = exact_amount_after(q, r"人均可支配收入(?:是|为|按|约|大概)?", 8)
    divorcing = bool(re.search(r"离婚", q))
    hardship = bool(re.search(r"生活困难|借钱给的|借的彩礼|掏空|负债", q))
    return [bride_price(amount, registered, lived, divorcing, hardship, income)]


# --- inheritance (民法典继承编): the heirs' debt cap and equal statutory shares -------------------------
def estate_debts(estate, debt, asks: str = "") -> Calculation:
    """民法典第一千一百六十一条: heirs pay the deceased's debts only up to the actual value of what they
    inherit (beyond it only if they choose to); an heir who renounces pays nothing. `asks`: the question
    asks whether they must pay it all ("all") or at all ("pay") — the answer follows from the figures."""
    estate, debt = _d(estate), _d(debt)
    pay = min(estate, debt)
    rule = Ref(CIVIL, 1161, 1, "以所得遗产实际价值为限")
    steps = [Step(f"继承人以所得遗产实际价值为限清偿被继承人的债务：遗产{dmoney(estate)}，"
                  f"债务{dmoney(debt)}，最多清偿{dmoney(pay)}。", rule)]
    if debt > estate:
        steps.append(Step(f"超过遗产实际价值的{dmoney(debt - estate)}，继承人自愿偿还的除外，不负偿还义务。",
                          Ref(CIVIL, 1161, 1, "自愿偿还的不在此限")))
    steps.append(Step("放弃继承的，对被继承人的债务可以不负清偿责任。",
                      Ref(CIVIL, 1161, 2, "可以不负清偿责任")))
    answer = ("不需要全部偿还。" if asks == "all" and debt > estate
              else "需要，以继承的遗产实际价值为限。" if asks in ("all", "pay") else "")
    return Calculation("estate_debts", "继承人最多需清偿的债务", float(pay), steps,
                       ["遗产的实际价值以分割时的评估或市场价格为准；有多位继承人的，按各自所得遗产分担。"],
                       deciding=rule, answer=answer, asked=bool(answer))


@dataclass(frozen=True)
class Heirs:
    """The first-order heirs (民法典第一千一百二十七条) the question names: the surviving spouse (whether
    alive), the number of children, the number of the deceased's parents alive (None: not said), and
    whether the person asking is the spouse (else a child)."""

    spouse: bool
    children: int
    parents: int | None
    asker_is_spouse: bool


def statutory_shares(estate, heirs: Heirs, marital: bool, separate=0, others_share: bool = False
                     ) -> Calculation:
    """法定继承: half of a marital asset is the surviving spouse's own (第一千一百五十三条第一款); the rest is
    the estate, shared by the first-order heirs (第一千一百二十七条) in equal shares in general
    (第一千一百三十条第一款). `separate`: the deceased's own property beside a marital `estate` (all of it
    is the estate, 第一千一百二十二条). `others_share`: the spouse asks another heir's share (每人 /
    大儿子)."""
    estate, separate = _d(estate), _d(separate)
    steps = [Step("没有遗嘱、遗赠扶养协议的，按法定继承办理。", Ref(CIVIL, 1123, 1, "按照法定继承办理"))]
    left = estate
    if marital and heirs.spouse:
        left = _yuan(estate / 2)
        steps.append(Step(f"夫妻共同财产先分出一半归配偶所有：{dmoney(estate)} ÷ 2 = {dmoney(left)}，"
                          f"其余{dmoney(left)}为遗产。", Ref(CIVIL, 1153, 1, "一半分出为配偶所有")))
    if separate:
        steps.append(Step(f"被继承人的个人财产{dmoney(separate)}全部是遗产：{dmoney(left)} + "
                          f"{dmoney(separate)} = {dmoney(left + separate)}。",
                          Ref(CIVIL, 1122, 1, "个人合法财产")))
        left = left + separate
    n = int(heirs.spouse) + heirs.children + (heirs.parents or 0)
    who = "、".join(x for x in ("配偶" if heirs.spouse else "",
                               f"子女{heirs.children}人" if heirs.children else "",
                               f"被继承人的父母{heirs.parents}人" if heirs.parents else "") if x)
    steps.append(Step(f"第一顺序继承人是配偶、子女、父母；按您说的，共{n}人（{who}）。",
                      Ref(CIVIL, 1127, 1, "第一顺序：配偶、子女、父母", 1)))
    share = _yuan(left / n)
    steps.append(Step(f"同一顺序继承人的份额一般应当均等：{dmoney(left)} ÷ {n} = {dmoney(share)}。",
                      Ref(CIVIL, 1130, 1, "一般应当均等")))
    amount, title = share, "您按法定继承一般可分得的份额"
    if others_share:
        title = "每位继承人按法定继承一般可分得的份额"
    elif heirs.asker_is_spouse and marital:
        own = estate - (left - separate)
        amount, title = _yuan(own + share), "您（配偶）连同自己的一半一般可分得的数额"
        steps.append(Step(f"您是配偶：自己的一半{dmoney(own)} + 继承份额{dmoney(share)} = "
                          f"{dmoney(amount)}。"))
    notes = [("份额可能因扶养、生活困难或继承人协商而不均等"
              "（见《中华人民共和国民法典》第一千一百三十条第二款至第五款）。")]
    if heirs.parents is None:
        notes.insert(0, "您没有说被继承人的父母是否在世：他们在世的，也是第一顺序继承人，"
                        "每人份额要重新均分。")
    # the rule that moves the figure most decides: the spouse's half where it is taken out, else equal shares
    deciding = (Ref(CIVIL, 1153, 1, "一半分出为配偶所有") if marital and heirs.spouse
                else Ref(CIVIL, 1130, 1, "一般应当均等"))
    return Calculation("statutory_shares", title, float(amount), steps, notes, deciding=deciding)


# --- reading inheritance facts -----------------------------------------------------------------------
_DIED = r"[^，。？！]{0,8}?(?:去世|过世|离世|病逝|病故|走了|死了|身故|死亡|不在了|没了)"
_DECEASED = {"father": r"我爸|我父亲|父亲|老爸|爸爸|我爹", "mother": r"我妈|我母亲|母亲|老妈|妈妈|我娘",
             "husband": r"我老公|老公|丈夫|我先生", "wife": r"我老婆|老婆|妻子|我媳妇|媳妇",
             "spouse": r"我老伴|老伴|我爱人|爱人"}
_SPOUSE_OF = {"father": r"我妈|母亲|妈妈|老妈|爸妈", "mother": r"我爸|父亲|爸爸|老爸|爸妈"}
_PARENTS_OF = {"father": ("爷爷", "奶奶"), "mother": ("外公|姥爷|外祖父", "外婆|姥姥|外祖母"),
               "husband": ("公公", "婆婆"), "wife": ("岳父|丈人|老丈人", "岳母|丈母娘"),
               "spouse": ("公公|岳父|丈人|老丈人", "婆婆|岳母|丈母娘")}
_GONE = r"[^，。？！]{0,6}?(?:去世|过世|不在|走了|已故|早没了|没了)"
_WILL_NONE = re.compile(r"没(?:有)?(?:留|立|写)?(?:下)?(?:任何)?遗嘱|无遗嘱|未(?:留|立)(?:下)?遗嘱|没有遗嘱")
_SHARE_ASKED = re.compile(r"分(?:到|得)?多少|能分|继承多少|得多少|拿多少|份额|怎么分|分几成|占多少|归我|"
                          r"(?:一共|总共|最后)(?:是|有|能有|能拿)?多少")
_ALL_ASKED = re.compile(r"全还|全部还|都还|还清|全额|全部偿还|都得还|都要还|父债子还|全部由")
_PAY_ASKED = re.compile(r"要还吗|得还吗|需要还|用还|该还|还不还|要不要还|必须还")
_MARITAL = re.compile(r"婚后|结婚后|夫妻共同|共同财产|爸妈[^，。]{0,6}买|两人[^，。]{0,4}买|一起买")
_SEPARATE = re.compile(r"婚前|个人财产|祖传|单独所有|继承来的")
_MONEY_TOKEN = re.compile(r"\d+(?:\.\d+)?\s*(?:万|元|块)|[一二两三四五六七八九十百千]+\s*万")
_COUNT = r"(\d|[一两二三四五六])"
_LONG_GONE = r"早(?:就|已|年)?(?:去世|过世|走了|不在|没了)"


def _deceased(q: str) -> str | None:
    """Who died, of the four relations a share can be read for; None when none, or more than one, did."""
    found = {who for who, words in _DECEASED.items() if re.search(f"(?:{words}){_DIED}", q)}
    return found.pop() if len(found) == 1 else None


def _alive(q: str, words: str) -> bool | None:
    """Named and not said to have died (True), said to have died (False), not named (None)."""
    if not re.search(words, q):
        return None
    return not re.search(f"(?:{words}){_GONE}", q)


def _children(q: str, deceased: str) -> int | None:
    """The deceased's children the question counts (the asker is one when a parent died); None: not said."""
    if deceased in ("father", "mother"):
        if re.search(r"独生", q):
            return 1
        m = re.search(r"(?:兄弟姐妹|兄妹|姐弟|姐妹|兄弟|子女)(?:一共|共)?" + _COUNT + r"(?:个|人)", q)
        if m:
            return cn_to_int(m.group(1)) if not m.group(1).isdigit() else int(m.group(1))
        n, counted = 1, set()
        for m in re.finditer(_COUNT + r"个(弟弟|哥哥|姐姐|妹妹)", q):
            n += int(m.group(1)) if m.group(1).isdigit() else cn_to_int(m.group(1))
            counted.add(m.group(2))
        for kin in ("弟弟", "哥哥", "姐姐", "妹妹"):
            word = f"{kin}|我{kin[0]}"
            if kin not in counted and re.search(word, q):
                n += 1
        return n if n > 1 else None
    if re.search(r"没(?:有)?孩子|无子女|没有子女|没生孩子", q):
        return 0
    if re.search(r"一儿一女|儿子和女儿|女儿和儿子|儿女双全", q):
        return 2
    m = re.search(_COUNT + r"个(?:孩子|儿子|女儿|子女)", q)
    if m:
        return int(m.group(1)) if m.group(1).isdigit() else cn_to_int(m.group(1))
    return 1 if re.search(r"孩子|儿子|女儿", q) else None


def _inheritance(question: str) -> list[Calculation]:
    q = question
    deceased = _deceased(q)
    if deceased is None or re.search(f"(?:{_DECEASED[deceased]})[^，。]{{0,4}}{_LONG_GONE}", q):
        return []  # a parent who died long ago may have died before the deceased (代位继承): not read
    moneys = {re.sub(r"\s", "", m) for m in _MONEY_TOKEN.findall(q)}  # the figures named (a repeat is one)
    debt = exact_amount_after(q, r"欠了别人|欠了|欠下|欠别人|欠银行|欠|外债|债务", 8)
    if debt is not None and len(moneys) == 2:
        estate = exact_amount_after(q, r"评估值|评估价|价值|市值|值|遗产|存款", 6)
        if estate is not None and estate != debt:
            asks = "all" if _ALL_ASKED.search(q) else "pay" if _PAY_ASKED.search(q) else ""
            return [estate_debts(estate, debt, asks)]
    if debt is not None or not moneys or not _SHARE_ASKED.search(q):
        return []
    if re.search("遗嘱", q) and not _WILL_NONE.search(q):
        return []  # a will decides the shares (民法典第一千一百二十三条), not the equal statutory ones
    separate = Decimal(0)
    if len(moneys) == 1:
        estate = exact_amount_after(q, r"评估值|评估价|价值|市值|值|遗产|存款|卖了", 6)
        if estate is None:
            estate = _token_value(moneys.pop())
    else:
        kinds = _assets(q)
        if kinds is None:
            return []  # several figures, not each said to be marital or the deceased's own
        estate, separate = kinds
    if estate is None:
        return []
    if deceased in ("father", "mother"):
        spouse = _alive(q, _SPOUSE_OF[deceased])
        asker_is_spouse = False
    else:
        spouse, asker_is_spouse = True, True
    children = _children(q, deceased)
    marital = True if _MARITAL.search(q) else False if _SEPARATE.search(q) else None
    if separate and not estate:  # only the deceased's own property
        estate, separate, marital = separate, Decimal(0), False
    if spouse is None or children is None or (spouse and marital is None) or re.search(r"离婚", q):
        return []  # an heir or the asset's kind is not said: no share is guessed
    alive = [_alive(q, words) for words in _PARENTS_OF[deceased]]
    theirs = (r"(?:他|她)(?:的)?(?:爸妈|父母)|公婆|公公婆婆|岳父岳母"
              if deceased in ("husband", "wife", "spouse") else "$^")
    if re.search(r"(?:父母|爷爷奶奶|外公外婆|姥姥姥爷|公婆|" + theirs + r")(?:都|也|俩|两个)?"
                 r"(?:已经|早就|早已|早)?(?:不在|去世|过世|走了|没了)", q):
        alive = [False, False]
    elif re.search(r"(?:" + theirs + r")(?:都|也|俩|两个)?(?:还)?(?:健在|在世|还在|都在|活着)", q):
        alive = [True, True]
    parents = None if all(a is None for a in alive) else sum(bool(a) for a in alive)
    others = asker_is_spouse and bool(_OTHERS_SHARE.search(q))
    return [statutory_shares(estate, Heirs(bool(spouse), children, parents, asker_is_spouse), bool(marital),
                             separate, others)]


# the spouse asks what another heir gets (公婆每人应该分多少, 大儿子能分多少), not their own total
_OTHERS_SHARE = re.compile(r"(?:每人|每个人|各自|他们|公婆|公公|婆婆|岳父|岳母|儿子|女儿|孩子)[^，。？]{0,4}"
                           r"(?:能|应该|应当|可以)?(?:分|得|拿|继承)(?:到|得)?多少")


def _token_value(token: str) -> Decimal | None:
    mm = _AMOUNT.search(token)
    value = _value(mm) if mm else None
    return None if value is None else _d(value).normalize()


def _assets(q: str) -> tuple[Decimal, Decimal] | None:
    """(marital, the deceased's own) sums of the figures when each sentence with a figure says which it is
    (婚前有套房，现在值100万；婚后我们一起存了50万); None when one does not, or says both."""
    marital, own, seen = Decimal(0), Decimal(0), set()
    for part in re.split(r"[。；;！？?]", q):
        tokens = [re.sub(r"\s", "", t) for t in _MONEY_TOKEN.findall(part)]
        new = [t for t in tokens if t not in seen]
        if not new:
            continue
        kind_m, kind_s = bool(_MARITAL.search(part)), bool(_SEPARATE.search(part))
        if len(new) > 1 or kind_m == kind_s:
            return None
        seen.add(new[0])
        value = _token_value(new[0])
        if value is None:
            return None
        if kind_m:
            marital += value
        else:
            own += value
    return marital, own

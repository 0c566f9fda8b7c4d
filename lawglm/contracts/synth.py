"""Labelled requests synthesised from the templates' own field schemas, for training the field tagger.

Owns `synthesize(tpl, rng) -> Sample`: a plain-language request for the template with the character
span of every value it states and the field it belongs to. Each request picks a random subset of the
template's fields in random order; each field is written with one of its own cue words (YAML `cues`),
its label, or — for parties — a role word (role/title/aliases), a relation verb (`relations`) or the
writer's own mention (我们公司（X）). Values are drawn at random in the forms people write them
(3.5万元, 三千五, 2026年3月1日, 2026/3/1, 两年半, 百分之八, 千分之五 …). Nothing here is copied from the
request-phrasing sets; only the schemas and small word pools written for this module are used.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from ..numerals import int_to_cn
from .schema import FieldSpec, Template

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文辉鹏飞宇浩然晨雪梅兰婷欣怡思远博凯峰"
    "斌海波琳")
PLACES = (
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "天津",
    "长沙",
    "郑州",
    "青岛",
    "厦门",
    "宁波",
    "合肥",
    "济南",
    "沈阳",
    "昆明",
    "福州",
    "无锡",
    "东莞",
    "佛山",
    "大连",
    "南昌",
    "贵阳",
)
DISTRICTS = (
    "朝阳区",
    "海淀区",
    "浦东新区",
    "天河区",
    "南山区",
    "西湖区",
    "鼓楼区",
    "武侯区",
    "江汉区",
    "雁塔区",
    "和平区",
    "岳麓区",
    "金水区",
    "市南区",
    "思明区",
    "高新区",
    "经开区",
    "滨江区",
    "玄武区",
    "越秀区",
)
ROADS = (
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "文化路",
    "长江路",
    "科技路",
    "学院路",
    "新华街",
    "和平大道",
    "滨河路",
    "光明街",
)
BRAND = "华鑫达源恒泰宏盛博远星辰瑞丰启明金诚嘉禾信安蓝天云海锦程永兴正通聚德鼎新"
INDUSTRY = (
    "科技",
    "贸易",
    "实业",
    "物流",
    "餐饮管理",
    "家具",
    "建材",
    "文化传媒",
    "信息技术",
    "电子",
    "机械",
    "食品",
    "医药",
    "物业管理",
    "教育科技",
    "网络科技",
    "设备",
    "软件",
    "运输",
    "投资",
    "服装",
    "农业",
)
ORG_SUFFIX = ("有限公司", "有限公司", "有限责任公司", "股份有限公司", "有限公司", "厂", "合作社", "工作室")
GOODS = (
    "办公桌",
    "办公椅",
    "笔记本电脑",
    "显示器",
    "打印纸",
    "实木餐桌",
    "沙发",
    "空调",
    "冰箱",
    "钢材",
    "水泥",
    "大米",
    "茶叶",
    "面粉",
    "食用油",
    "电缆",
    "轮胎",
    "服装",
    "纸箱",
    "塑料瓶",
    "螺丝",
    "灯具",
    "地板",
    "瓷砖",
    "药品",
    "图书",
)
UNITS = ("台", "张", "把", "套", "件", "个", "箱", "吨", "斤", "公斤", "米", "桶", "包", "卷", "辆", "瓶")
TITLES = (
    "软件工程师",
    "会计",
    "出纳",
    "销售经理",
    "厨师",
    "司机",
    "保安",
    "前台",
    "行政专员",
    "设计师",
    "店长",
    "电工",
    "客服专员",
    "仓库管理员",
    "项目经理",
    "文员",
    "教师",
    "护士",
    "产品经理",
    "测试工程师",
)
OBJECTS = ("系统", "网站", "平台", "服务器", "数据库", "网络设备", "小程序", "生产线", "监控系统", "财务软件")
ACTIONS = ("运维", "开发", "维护", "调试", "部署", "测试", "升级", "数据分析", "安全检测", "技术支持")
ERRANDS = (
    "办理房屋过户手续",
    "办理工商注册登记",
    "代收租金",
    "办理出口报关",
    "参加诉讼",
    "办理社保手续",
    "出售房产",
    "办理车辆年检",
    "申请商标注册",
    "催收货款",
    "办理签证",
    "代缴税款",
)
PROJECTS = (
    "新产品联合研发",
    "技术合作",
    "市场推广合作",
    "数据共享",
    "软件外包开发",
    "供应链合作",
    "品牌设计",
)
JOINS = ("，", "，", "，", "；", "。", " ", "、")
KIN = ("朋友", "同事", "表弟", "表姐", "邻居", "同学", "舅舅", "妹妹", "哥哥", "客户")
AFTER_NAME = ("签合同", "签订合同", "负责", "同意", "办理", "签字", "确认")
FILLERS = ("谢谢", "尽快帮我弄一下", "其他条款按常规写", "具体细节以后再补充", "麻烦了", "急用")


@dataclass
class Sample:
    """A synthesised request: its text and the labelled value spans (start, end, label)."""

    template: str
    text: str = ""
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, piece: str, label: str = "") -> None:
        if label:
            self.spans.append((len(self.text), len(self.text) + len(piece), label))
        self.text += piece


# --- values -----------------------------------------------------------------------------------
def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def org(rng: random.Random) -> str:
    brand = "".join(rng.sample(BRAND, 2))
    return rng.choice(PLACES) + rng.choice(("", "市")) + brand + rng.choice(INDUSTRY) + rng.choice(ORG_SUFFIX)


def address(rng: random.Random) -> str:
    tail = rng.choice(
        (
            "",
            f"{rng.randint(1, 30)}栋{rng.randint(1, 30)}0{rng.randint(1, 9)}室",
            f"{rng.randint(1, 40)}楼",
            f"{rng.randint(1, 20)}幢{rng.randint(1, 6)}单元{rng.randint(101, 2999)}",
        )
    )
    return f"{rng.choice(PLACES)}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号{tail}"


def cn_number(n: int) -> str:
    """Chinese numeral as people write amounts: 35000 -> 三万五千 (or 三万五), 800 -> 八百."""
    if n >= 10000 and n % 10000 == 0:
        return int_to_cn(n // 10000) + "万"
    if n >= 10000 and n % 1000 == 0:
        return int_to_cn(n // 10000) + "万" + int_to_cn(n % 10000 // 1000) + "千"
    return int_to_cn(n)


def money(rng: random.Random) -> str:
    n = rng.choice((rng.randint(1, 99) * 100, rng.randint(1, 300) * 1000, rng.randint(1, 500) * 10000,
                    rng.randint(100, 9999)))
    wan = n / 10000
    forms = [f"{n}元", f"{n:,}元", f"{n}", f"人民币{n}元", f"{n}块", f"¥{n}"]
    if n % 1000 == 0:
        forms += [f"{n // 1000}千元", f"{n // 1000}千", cn_number(n) + "元", f"{cn_number(n)}"]
    if n >= 10000 and (n * 10) % 10000 == 0:
        w = f"{wan:g}"
        forms += [f"{w}万元", f"{w}万", f"人民币{w}万元"]
    return rng.choice(forms)


def date_text(rng: random.Random) -> str:
    y, m, d = rng.randint(2025, 2028), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        (f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}.{m}.{d}", f"{y}年{m}月{d}号")
    )


def duration(rng: random.Random, unit: str) -> str:
    if unit == "个月":
        n = rng.choice((1, 2, 3, 6, 12, 18, 24, 36, 60))
        forms = [f"{n}个月", f"{int_to_cn(n)}个月"] + (
            [f"{n // 12}年", f"{int_to_cn(n // 12)}年"] if n % 12 == 0 else []
        )
        return rng.choice(forms + (["一年半"] if n == 18 else []) + (["半年"] if n == 6 else []))
    if unit == "年":
        n = rng.randint(1, 10)
        return rng.choice((f"{n}年", f"{int_to_cn(n).replace('二', '两')}年"))
    if unit == "份":
        return rng.choice(("两份", "三份", "四份", "2份", "3份"))
    n = rng.choice((3, 5, 7, 10, 15, 30))
    return rng.choice((f"{n}日", f"{n}天", f"{int_to_cn(n)}日", f"{n}个工作日"))


def percent(rng: random.Random, daily: bool) -> str:
    if daily:
        n = rng.choice((1, 2, 3, 5))
        return rng.choice((f"千分之{int_to_cn(n)}", f"万分之{int_to_cn(n)}", f"0.{n}%"))
    n = rng.choice((3, 4.35, 5, 6, 8, 10, 12, 15, 18, 24))
    return rng.choice((f"{n}%", f"百分之{int_to_cn(int(n))}" if n == int(n) else f"{n}%"))


def text_value(spec: FieldSpec, rng: random.Random) -> str:
    name, label = spec.name, spec.label
    if spec.shape == "address" or "坐落" in label:
        return address(rng)
    if name in ("origin", "destination", "sign_place"):
        return rng.choice(
            (rng.choice(PLACES), address(rng), rng.choice(PLACES) + "市" + rng.choice(DISTRICTS))
        )
    if name == "position":
        return rng.choice(TITLES)
    if name in ("guarantor", "consignee"):
        return rng.choice((person(rng), org(rng)))
    if name == "property_certificate":
        return f"京({rng.randint(2015, 2025)})朝阳区不动产权第{rng.randint(1000000, 9999999)}号"
    if name in ("technical_targets", "quality_standard"):
        return rng.choice(
            (
                f"符合国家标准GB/T{rng.randint(1000, 30000)}",
                f"准确率不低于{rng.randint(90, 99)}%",
                f"系统可用率达到{rng.randint(95, 99)}%",
                "符合国家相关标准",
            )
        )
    if name == "matters":
        return rng.choice(ERRANDS)
    if name == "purpose" and spec.label.startswith("借款"):
        return rng.choice(("资金周转", "购买设备", "装修房屋", "支付货款", "经营周转", "孩子上学"))
    if name in ("purpose", "project_name"):
        return rng.choice(PROJECTS) + rng.choice(("", "项目"))
    return rng.choice(OBJECTS) + rng.choice(("", "的")) + rng.choice(ACTIONS) + rng.choice(("", "服务"))


# --- phrases ----------------------------------------------------------------------------------
def plain_cues(spec: FieldSpec) -> list[str]:
    return [c for c in spec.cues if not c.startswith("re:") and len(c) >= 2] or [spec.label]


def scalar_phrase(s: Sample, spec: FieldSpec, rng: random.Random) -> None:
    """'{cue}{sep}{value}' (or '{value}{cue}' for durations now and then), the value labelled."""
    if spec.type == "money":
        value = money(rng)
    elif spec.type == "date":
        value = date_text(rng)
    elif spec.type == "integer":
        value = duration(rng, spec.unit) if spec.unit else str(rng.randint(1, 20))
    elif spec.type == "percent":
        value = percent(rng, "每日" in spec.label or "逾期" in spec.label)
    elif spec.type == "number":
        value = f"{rng.randint(20, 500)}{rng.choice(('平方米', '平米', '㎡'))}"
    elif spec.type == "choice":
        choice = rng.choice(spec.choices)
        s.add(rng.choice([choice, *spec.synonyms.get(choice, ())]), spec.name)
        return
    else:
        value = text_value(spec, rng)
    cue = rng.choice(plain_cues(spec))
    if spec.type == "integer" and rng.random() < 0.15:
        s.add(value, spec.name)
        s.add(cue)
        return
    s.add(
        cue + rng.choice(("", "", "为", "是", "：", " ") if spec.type != "text" else ("", "为", "：", "是"))
    )
    s.add(value, spec.name)


def party_phrase(s: Sample, tpl: Template, name: str, rng: random.Random) -> None:
    spec = tpl.fields[name]
    kind = spec.kind if spec.kind != "any" else rng.choice(("person", "organization"))
    who = person(rng) if kind == "person" else org(rng)
    role = rng.choice([w for w in (spec.role, spec.title, *spec.aliases) if w])
    form = rng.random()
    if form < 0.35:
        s.add(role + rng.choice(("", "：", "是", "为", " ", "叫", "是", "：")))
        s.add(who, name)
        if rng.random() < 0.2:
            s.add(rng.choice(AFTER_NAME))
    elif form < 0.45 and kind == "person":
        s.add(rng.choice((role + "是我" + rng.choice(KIN), "我" + rng.choice(KIN), rng.choice(TITLES),
                          role + "叫", rng.choice(KIN))))
        s.add(who, name)
    elif form < 0.6:
        s.add(who, name)
        s.add(f"（{role}）")
    elif form < 0.75 and name == tpl.self_party:
        s.add(
            rng.choice(("我们公司（", "我司（", "我们（"))
            if kind == "organization"
            else rng.choice(("我（", "本人"))
        )
        s.add(who, name)
        s.add("）" if s.text.endswith(who) and "（" in s.text[-len(who) - 4:] else "")
    else:
        s.add(rng.choice(("", "由", "和", "与")) + role)
        s.add(who, name)


def relation_phrase(s: Sample, tpl: Template, rng: random.Random) -> bool:
    """X{verb}Y{after}: both parties through one relation the template declares."""
    if not tpl.relations:
        return False
    rel = rng.choice(tpl.relations)
    verbs = [w for w in re.split(r"[|()?:]", rel["between"]) if re.fullmatch(r"[\u4e00-\u9fff]+", w)]
    if not verbs:
        return False
    after = [w for w in re.split(r"[|()?:]", rel.get("after", "")) if re.fullmatch(r"[\u4e00-\u9fff]+", w)]
    for i, party in enumerate((rel["first"], rel["second"])):
        spec = tpl.fields[party]
        kind = spec.kind if spec.kind != "any" else rng.choice(("person", "organization"))
        s.add(person(rng) if kind == "person" else org(rng), party)
        if i == 0:
            s.add(rng.choice(verbs))
    if after:
        s.add(rng.choice(after))
    return True


def range_phrase(s: Sample, tpl: Template, rng: random.Random) -> bool:
    """自A至B / 从A到B / A—B for a template's `before` pair of date fields, both labelled."""
    pairs = [(c["field"], c["of"]) for c in tpl.checks if c["rule"] == "before"
             and tpl.fields[c["field"]].type == tpl.fields[c["of"]].type == "date"]
    if not pairs:
        return False
    a, b = pairs[0]
    lead = rng.choice(("期限自", "自", "从", "", "期限：", rng.choice(plain_cues(tpl.fields[a]))))
    s.add(lead)
    first, second = sorted(
        (date_text(rng), date_text(rng)), key=lambda d: [int(x) for x in re.findall(r"\d+", d)]
    )
    s.add(first, a)
    s.add(rng.choice(("至", "到", "—", "-", "起至", "~")))
    s.add(second, b)
    s.add(rng.choice(("", "止", "")))
    return True


def dispute_phrase(s: Sample, spec: FieldSpec, rng: random.Random) -> None:
    place = rng.choice(PLACES) + rng.choice(("市", "市" + rng.choice(DISTRICTS)))
    if rng.random() < 0.5:
        s.add(rng.choice(("争议由", "有纠纷向", "发生争议提交", "")))
        s.add(place + "人民法院", f"{spec.name}.court")
        s.add(rng.choice(("管辖", "起诉", "诉讼")))
    else:
        s.add(rng.choice(("争议提交", "争议由", "提交")))
        s.add(rng.choice(PLACES) + "仲裁委员会", f"{spec.name}.commission")
        s.add("仲裁")


def items_phrase(s: Sample, spec: FieldSpec, rng: random.Random) -> None:
    label = spec.name
    for k in range(rng.choice((1, 1, 2, 3))):
        if k:
            s.add(rng.choice(("，", "、", "；", "和")))
        goods, unit, qty = (
            rng.choice(GOODS),
            rng.choice(UNITS),
            str(rng.choice((1, 2, 5, 10, 20, 50, 100, 200, 500))),
        )
        price = str(rng.choice((12, 50, 95, 260, 800, 1299, 3000, 6999, 56000)))
        order = rng.random()
        if order < 0.4 or not spec.priced:
            s.add(goods, f"{label}.name"), s.add(qty, f"{label}.quantity"), s.add(unit, f"{label}.unit")
            if spec.priced:
                s.add(rng.choice(("，单价", "，每" + unit, "（单价", "，单价为")))
                s.add(price + "元", f"{label}.unit_price")
                s.add("）" if s.text.endswith("元") and "（单价" in s.text[-12:] else "")
        elif order < 0.7:
            s.add(qty, f"{label}.quantity"), s.add(unit, f"{label}.unit"), s.add(goods, f"{label}.name")
            s.add("每" + unit), s.add(price + "元", f"{label}.unit_price")
        else:
            s.add(goods, f"{label}.name"), s.add("单价"), s.add(price + "元", f"{label}.unit_price")
            s.add(qty, f"{label}.quantity"), s.add(unit, f"{label}.unit")


def schedule_phrase(s: Sample, spec: FieldSpec, rng: random.Random) -> None:
    split = rng.choice(((30, 70), (50, 50), (30, 40, 30), (40, 50, 10), (20, 30, 50)))
    stages = ("合同签订后", "验收合格后", "交付后", "上线后", "质保期满后", "首付", "中期", "尾款")
    for i, pct in enumerate(split):
        if i:
            s.add("，")
        s.add(rng.choice(stages) + rng.choice(("支付", "付", "")))
        s.add(rng.choice((f"{pct}%", f"百分之{int_to_cn(pct)}")), f"{spec.name}.percent")


PREFIXES = (
    "帮我起草一份{t}，",
    "{t}：",
    "需要一份{t}。",
    "起草{t}，",
    "",
    "",
    "我想签个{t}，",
    "麻烦写个{t}：",
)


def synthesize(tpl: Template, rng: random.Random) -> Sample:
    """One labelled request for the template."""
    s = Sample(template=tpl.name)
    s.add(rng.choice(PREFIXES).format(t=tpl.title))
    parties = [n for n, f in tpl.fields.items() if f.type == "party"]
    others = [n for n, f in tpl.fields.items() if f.type != "party" and not f.finder]
    others.append("range")
    chosen = rng.sample(others, k=rng.randint(1, min(len(others), 7)))
    pieces: list = []
    if len(parties) == 2 and rng.random() < 0.3:
        pieces.append("relation")
    else:
        pieces += [p for p in parties if rng.random() < 0.85]
    if "range" in chosen:
        pair = {n for c in tpl.checks if c["rule"] == "before" for n in (c["field"], c["of"])}
        chosen = [c for c in chosen if c not in pair]
    pieces += chosen
    if rng.random() < 0.5:
        rng.shuffle(pieces)
    for i, piece in enumerate(pieces):
        if i:
            s.add(rng.choice(JOINS))
        spec = tpl.fields.get(piece)
        if piece == "relation":
            relation_phrase(s, tpl, rng)
        elif piece == "range":
            if not range_phrase(s, tpl, rng):
                s.add(rng.choice(FILLERS))
        elif spec.type == "dispute":
            dispute_phrase(s, spec, rng)
        elif spec.type == "party":
            party_phrase(s, tpl, piece, rng)
        elif spec.type == "items":
            items_phrase(s, spec, rng)
        elif spec.type == "schedule":
            schedule_phrase(s, spec, rng)
        else:
            scalar_phrase(s, spec, rng)
    s.add(rng.choice(("。", "", "。")))
    return s

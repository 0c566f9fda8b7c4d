"""Finding who is who in a plain-language request: companies, people, courts, arbitration bodies.

Owns the rule-based recognisers used by `extract`: organisation names (…有限责任公司,
…有限公司, …股份有限公司, …事务所 …), natural persons named right after a role word
(出借人是张三), party details (统一社会信用代码, 法定代表人, 身份证号, 地址, 电话),
courts (…人民法院) and arbitration bodies (…仲裁委员会). Everything works on a text
whose length never changes, so spans can be masked for the later field rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_CHARS = r"\u4e00-\u9fffA-Za-z0-9（）()·"
_RUN_BEFORE = re.compile(rf"[{NAME_CHARS}]{{1,40}}$")
BRANCH_SUFFIXES = ("分公司", "分行", "支行", "分院", "分厂", "分店", "办事处", "营业部")
ORG_SUFFIXES = BRANCH_SUFFIXES + (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "集团公司",
    "公司",
    "合伙企业",
    "律师事务所",
    "事务所",
    "管理委员会",
    "委员会",
    "批发部",
    "服务部",
    "销售部",
    "物流",
    "快递",
    "快运",
    "速运",
    "办公室",
    "人民政府",
    "管理局",
    "实验室",
    "酒店",
    "饭店",
    "超市",
    "诊所",
    "药房",
    "茶庄",
    "研究院",
    "研究所",
    "中心",
    "大学",
    "学院",
    "中学",
    "小学",
    "学校",
    "幼儿园",
    "医院",
    "银行",
    "协会",
    "合作社",
    "工作室",
    "商行",
    "经营部",
    "门市部",
    "株式会社",
    "数据局",
    "管委会",
    "厂",
    "店",
)
_ORG_RE = re.compile("|".join(ORG_SUFFIXES))
_NOT_ORG_HEAD = re.compile(
    r"(?:我们|你们|他们|我方|对方|这家|那家|这个|那个|一家|某家|某个|贵方)$|.*[他她你我]|(?:一家|这家|那家)"
    r".*|.*某.*|(?:了|个|一个|这个|那个|找个|找了).*|.*(?:一家|这家|那家|一个).*"
)
# words written before a name that describe it (给外包公司上海米哈游… / 跟客户成都太古里… / 我们公司北京望京…)
LEAD_DESCRIPTORS = (
    "外包公司",
    "物流公司",
    "快递公司",
    "运输公司",
    "货运公司",
    "中介公司",
    "装修公司",
    "供应商",
    "客户",
    "合作方",
    "对方",
    "公司",
    "这家",
    "那家",
    "一家",
    "某",
)
GENERIC_HEADS = {
    "外包",
    "物流",
    "快递",
    "快运",
    "运输",
    "货运",
    "贸易",
    "科技",
    "中介",
    "装修",
    "培训",
    "咨询",
    "家具",
    "建筑",
    "律师",
    "房产",
    "租赁",
    "网络",
    "软件",
    "保洁",
    "搬家",
    "劳务",
    "一家",
    "这家",
    "那家",
    "某",
    "该",
    "本",
    "贵",
    "对方",
    "我们",
    "奶茶",
    "花",
    "饭",
    "小",
}
TRADE_SUFFIXES = ("物流", "快递", "快运", "速运")  # 安能物流 / 顺丰快递, as people name carriers
TRADE_AFTER = re.compile(
    r"公司|合同|协议|园|费|单|员|股份|集团|有限|行业|方式|服务|运输|配送|车|转账|卡|汇款|账户|承兑"
)
_FULL_SUFFIX = re.compile(r"有限责任公司|股份有限公司|有限公司")
_PLACE_AFTER = re.compile(r"[区市县镇乡村路街道号]")
_COURT_RE = re.compile(r"(?:最高|高级|中级|基层|互联网|知识产权|金融)?人民法院")
_COMMISSION_RE = re.compile(
    r"劳动人事争议仲裁委员会|劳动争议仲裁委员会|仲裁委员会|国际仲裁中心|仲裁中心|仲裁院"
)
# words that end the text before a name: the name starts after the last of them
STOP_WORDS = (
    "甲方",
    "乙方",
    "丙方",
    "是",
    "为",
    "向",
    "与",
    "跟",
    "由",
    "给",
    "将",
    "把",
    "：",
    ":",
    "委托",
    "聘请",
    "聘用",
    "雇佣",
    "入职",
    "就职",
    "任职",
    "租用",
    "承租",
    "购买",
    "采购",
    "订购",
    "选择",
    "约定",
    "提交",
    "交由",
    "前往",
    "到",
    "至",
    "在",
    "的",
    "管辖法院",
    "法院",
    "由于",
    "对方",
    "我方",
    "位于",
    "坐落",
    "地址",
    "地点",
    "住所",
    "住址",
    "我们",
    "我公司",
    "我司",
    "我方",
    "我单位",
    "本公司",
    "从",
    "要",
    "和",
    "跟",
    "接受",
    "请",
    "让",
    "找",
    "托",
    "帮",
    "需要",
    "签",
    "招聘",
    "录用",
    "拟",
    "就",
    "卖给",
    "出售给",
    "租给",
    "借给",
    "以及",
    "及",
    "代为",
    "办理",
    "代办",
    "对方",
    "服务方",
    "委托方",
    "——",
    "—",
    "叫",
    "名叫",
    "受",
)
NAME_INSIDE = set("为和至托帮将由")  # stop characters that brand names also use (华为, 和平, 至诚)
SINGLE_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤常温康施文牛樊"
    "葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉"
    "骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝"
    "冼练揭粟谌禹荆晁芮扈")
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "司徒",
    "夏侯",
    "端木",
    "长孙",
    "宇文",
    "轩辕",
)
PERSON = (rf"(?:(?:{'|'.join(COMPOUND_SURNAMES)})[\u4e00-\u9fff]{{1,2}}?|[{''.join(sorted(SINGLE_SURNAMES))}]"
          rf"[\u4e00-\u9fff]{{1,2}}?)")
PERSON_END = (
    r"(?=$|[，,。；;、（(）)\s：:]|先生|女士|身份证|性别|住|电话|手机|联系|出生|委托|向|与|和|同意|担任|"
    r"出借|借款|借给|借钱|借了|借|欠|承租|出租|租|购买|签订|作为|为|代|办理|给|把|提供|要|做|参加|不得|他|她|开|在|签|说|"
    r"去|帮|入职|应聘|就职|任职|负责|找|来|到|想|准备|打算|人民币|[0-9]|[一二三四五六七八九十两](?:万|千|百|十|个|元|块|年|台|套|件|辆|批|张|"
    r"把|箱|笔|份|间|处|栋))"
)
STRICT_END = (
    r"(?=$|[，,。；;、（(）)\s：:]|先生|女士|委托|向|与|和|借给|借钱|出借|出租|租给|聘用|招聘|同意|担任|"
    r"把|将|为|代为|提供)"
)
NOT_NAME = re.compile(
    r"公司|的|我|你|本人|方|该|某|人民|法院|合同|期限|金额|约定|每月|年|月|日|阿姨|师傅|经理|老师|"
    r"房屋|房子|房东|租金|工资|试用|商铺|项目|费用|服务|技术|保密|货物|运输|运费|高中|高级|成果|甲|乙|单价|数量|价格|"
    r"总价|合计|共计|付款|付三|付一|季付|年付|月付|双方|金额|期满|期限|汇款|邮寄|安全|严格|程序|史上"
)
DETAIL_PATTERNS = {
    "credit_code": re.compile(r"统一社会信用代码(?:为|是|：|:)?\s*([0-9A-Z]{18})"),
    "id_number": re.compile(r"身份证(?:号码|号)?(?:为|是|：|:)?\s*(\d{17}[\dXx])"),
    "legal_representative": re.compile(rf"法定代表人(?:为|是|：|:)?\s*({PERSON}){PERSON_END}"),
    "agent": re.compile(rf"(?:授权代表|委托代理人|联系人)(?:为|是|：|:)?\s*({PERSON}){PERSON_END}"),
    "phone": re.compile(
        r"(?:电话|手机|联系方式)(?:号码)?(?:为|是|：|:)?\s*((?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8})"
    ),
    "address": re.compile(r"(?:注册地址|住所地|住所|地址|住址)(?:为|是|在|：|:)?\s*([^，,。；;\s]{4,60})"),
}


@dataclass
class Mention:
    """A party named (or a role word used) in the request."""

    start: int
    end: int
    name: str = ""  # empty for a bare role word (甲方地址…)
    kind: str = ""  # organization | person
    target: str = ""  # the template field it was assigned to
    self_: bool = False  # the writer (我 / 我们公司（X）)


def trim_left(run: str, extra_stops: tuple[str, ...] = (), min_len: int = 1) -> str:
    """Cut everything up to the last stop word: 管辖法院约定为北京市海淀区 -> 北京市海淀区."""
    cut = 0
    for w in (w for w in STOP_WORDS + extra_stops if len(w) >= min_len):
        i = run.rfind(w)
        while i >= 0 and w in NAME_INSIDE and len(run) - i - 1 < 4:  # 东莞华为终端: part of a name
            i = run.rfind(w, 0, i)
        if i >= 0 and i + len(w) > cut:
            cut = i + len(w)
    return run[cut:]


def _named_before(text: str, suffix_start: int, extra_stops: tuple[str, ...]) -> tuple[int, str]:
    m = _RUN_BEFORE.search(text[:suffix_start])
    run = m.group(0) if m else ""
    anchors = list(re.finditer(rf"(?:{'|'.join(map(re.escape, extra_stops))})(?:为|是|系|：|:)", run)) \
        if extra_stops else []
    if anchors:  # 供应商是华为技术（深圳）: after "role + 是", only multi-character stop words cut
        run = trim_left(run[anchors[-1].end():], extra_stops, min_len=2)
    else:
        run = trim_left(run, extra_stops)
    run = _after_unmatched(run).lstrip("（(")
    if "我" in run:  # 我（律师高明远）受江苏恒通…: the name starts after the writer's own words
        me = run.rfind("我")
        close = max(run.rfind("）", me), run.rfind(")", me))
        run = trim_left(run[close + 1:] if close >= 0 else run[me + 1:], extra_stops)
    return suffix_start - len(run), run


def _after_unmatched(run: str) -> str:
    """The part after an unclosed （ or an unopened ）: 公司（北京某某 -> 北京某某; 某某）要从杭州某某 ->
    杭州某某."""
    cut, stack = 0, []
    for i, ch in enumerate(run):
        if ch in "（(":
            stack.append(i)
        elif ch in "）)":
            if stack:
                stack.pop()
            else:
                cut = i + 1
    if stack:
        cut = max(cut, stack[-1] + 1)
    return run[cut:]


def _lead_cut(head: str) -> str:
    for d in LEAD_DESCRIPTORS:
        if head.startswith(d) and len(head) - len(d) >= 2:
            return _lead_cut(head[len(d):])
    m = re.match(
        r"[\u4e00-\u9fff]{0,3}?(?:公司|单位|机构)", head
    )  # 所属公司上海哔哩哔哩…: a word for the company first
    if m and len(head) - m.end() >= 4:
        return head[m.end():]
    return head


def _registered_end(name: str) -> int:
    """A registered name ends at 有限公司 (only a branch follows it: …有限公司北京分行): the length to
    keep."""
    if name.endswith(BRANCH_SUFFIXES):
        return len(name)
    inner = [m.end() for m in _FULL_SUFFIX.finditer(name) if m.end() < len(name)]
    return inner[0] if inner else len(name)


def find_orgs(text: str, role_words: tuple[str, ...] = ()) -> list[Mention]:
    """Organisation names, longest wins where they overlap."""
    from .words import word_end_at

    found: list[Mention] = []
    for m in _ORG_RE.finditer(text):
        if len(m.group(0)) == 1 and (
            _PLACE_AFTER.match(text, m.end())
            or not word_end_at(text, m.end())
            or text[m.start() - 1 : m.start()] in ("开", "办", "进", "去", "到", "在")
        ):
            continue  # 小店区 / 酒厂路: a place; 做店长: not a shop's name; 开店 / 进厂: a verb
        if m.group(0) in TRADE_SUFFIXES + ("银行", "中心", "学院", "大学") and (
                re.match(r"[\u4e00-\u9fff]", text[m.end():m.end() + 1]) and not word_end_at(text, m.end())
                or TRADE_AFTER.match(text, m.end())):
            continue  # 物流公司 / 物流合同 / 快递费 / 银行转账: no name ends here
        start, head = _named_before(text, m.start(), role_words)
        cut = _lead_cut(head)
        start, head = start + len(head) - len(cut), cut
        name = head + m.group(0)
        if (
            len(head) < 2
            or len(name) < 4
            or name.endswith(("仲裁中心",))
            or _NOT_ORG_HEAD.fullmatch(head)
            or "我" in head
            or _COMMISSION_RE.search(name)
            or (m.group(0) in ("公司", "厂", "店") and head in GENERIC_HEADS)
        ):
            continue
        keep = _registered_end(name)
        found.append(Mention(start, start + keep, name[:keep], "organization"))
    found.sort(key=lambda x: (x.start, -x.end))
    starts = {x.start for x in found}
    found = [
        x for x in found if not (len(x.name) <= 4 and x.name.endswith(("公司", "单位")) and x.end in starts)
    ]
    out: list[Mention] = []
    for x in found:  # (所属公司上海哔哩哔哩…: a word for the company right before its name is no name)
        if not out or x.start >= out[-1].end:  # the longer of two overlapping names came first
            out.append(x)
    return out


PERSON_END_RE = re.compile(PERSON_END)
# characters of things, never of given names (文件夹, 马桶, 包吃住): a word with one of them after the surname
# is
# no
# name
NOT_GIVEN = re.compile(
    r"[件夹桶机器费款货品价楼路号箱袋台车书具料材纸笔盒瓶罐柜床椅桌门窗网线吃住付租借贷息税钱元币批师员"
    r"省市区县镇乡村]"
)
STRICT_END_RE = re.compile(STRICT_END)
VERB_CHARS = set("帮给向把要做去找借租签说代在")
COMMON_WORD = (
    200  # a jieba dictionary word this frequent is a word, not a name (李强 159, 黄瓜 201, 房子 3194)
)


def person_at(text: str, i: int, strict: bool = False) -> str:
    """The person's name starting at i ('' if none): a surname and one or two characters, ending where
    a name ends (before a verb, a particle or punctuation) — jieba's word boundary decides between
    two lengths, and names the end when no listed word follows (刘畅拍摄, 刘梦瑶入职)."""
    from .words import frequency, word_at, word_end_at

    sur = 2 if text[i:i + 2] in COMPOUND_SURNAMES else 1 if text[i:i + 1] in SINGLE_SURNAMES else 0
    if not sur:
        return ""
    cands = [text[i:i + sur + k] for k in (1, 2) if re.fullmatch(r"[\u4e00-\u9fff]+", text[i:i + sur + k])
             and i + sur + k <= len(text)]
    cands = [c for c in dict.fromkeys(cands) if not NOT_NAME.search(c) and not NOT_GIVEN.search(c[sur:])]
    end_rx = STRICT_END_RE if strict else PERSON_END_RE
    word = word_at(text, i)
    if (
        strict
    ):  # at a clause start only a word that is no common word, nor starts with one (包吃|住), is a name
        cands = [c for c in cands if frequency(c) < COMMON_WORD
                 and not (len(word) >= 2 and frequency(word) and len(word) < len(c))]
    ended = [c for c in cands if end_rx.match(text, i + len(c))]
    aligned = [c for c in ended if word_end_at(text, i + len(c))]
    if len(ended) == 2 and ended[1][-1] in VERB_CHARS:
        return ended[0]  # 江浩帮她去…: 帮 is the verb after the name
    if ended:
        return (aligned or ended)[0]
    if word in cands and (not strict or not frequency(word)) and \
            (len(word_at(text, i + len(word))) >= 2 or not frequency(word)):
        # a whole jieba word, followed by another word or itself no dictionary word (刘畅|拍摄, 王磊|找)
        return word
    given = word_at(text, i + sur) if len(word) == sur else ""
    if not strict and text[i:i + sur] + given in cands and len(word_at(text, i + sur + len(given))) >= 2:
        return text[i:i + sur] + given  # 钱|大伟|一台: jieba split the surname off (钱 is also 'money')
    return ""


TITLE_WORD = re.compile(
    r"[\u4e00-\u9fff]{1,6}?(?:师|员|生|户|工|者|顾问|经理|主管|总监|老板|会计|医生|护士|司机|保姆|律师|"
    r"专家|教授|博士|个人|长|投资人|合伙人|经纪人|代理人|负责人|股东|老师|大学生|研究生|学生)"
)
LINK = re.compile(r"(?:（[^）]{0,10}）)?(?:为|是|系|叫|名叫|：|:|—|－|-)?\s*")


def _name_after(text: str, i: int, strict: bool) -> tuple[int, str]:
    """The name at i, or after a job title written first (接收方为外包开发者曹宇航 / （程序员钱思远）)."""
    name = person_at(text, i, strict)
    if name:
        return i, name
    from .words import word_end_at

    for m in TITLE_WORD.finditer(text[i:i + 8]):
        if m.start() == 0 and word_end_at(text, i + m.end()) and (name := person_at(text, i + m.end())):
            return i + m.end(), name  # the title ends where a word ends (测试|工程师, not 测试工|程师)
    return i, ""


def find_persons(text: str, anchors: tuple[str, ...], boundary: bool = False) -> list[Mention]:
    """People named right after an anchor word (出借人是张三 / 劳动者李四 / 向王五借款 / 我姐姐罗雪梅), or,
    with
    boundary, also at the start of a clause or after a bracket when a verb or punctuation follows
    (张伟借给刘强).
    Every occurrence of every anchor counts (我姐姐: 我姐 and 姐姐), and a job title may stand between."""
    if not anchors:
        return []
    from .words import occurrences

    starts = [(i + len(w), False) for w in set(anchors) for i in occurrences(w, text)]
    if boundary:
        starts += [(m.end(), True) for m in re.finditer(r"(?:^|(?<=[，,。；;：:、（(\s]))", text)]
    out, seen = [], set()
    for end, strict in sorted(starts, key=lambda x: (x[0], x[1])):
        at = LINK.match(text, end).end() if not strict else end
        at, name = _name_after(text, at, strict)
        if name and at not in seen:
            seen.add(at)
            out.append(Mention(at, at + len(name), name, "person"))
    return sorted(out, key=lambda x: x.start)


def _named_span(text: str, rx: re.Pattern, extra_stops: tuple[str, ...]) -> list[tuple[int, int, str]]:
    out = []
    for m in rx.finditer(text):
        start, head = _named_before(text, m.start(), extra_stops)
        if len(head) >= 2 or m.group(0) in ("中国国际经济贸易仲裁委员会",):
            out.append((start, m.end(), head + m.group(0)))
    return out


def find_courts(text: str) -> list[tuple[int, int, str]]:
    """(start, end, 北京市海淀区人民法院) for every court named."""
    return _named_span(text, _COURT_RE, ("诉讼", "起诉", "管辖", "争议由", "纠纷由", "争议", "纠纷"))


def find_commissions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, 北京仲裁委员会) for every arbitration body named."""
    return _named_span(text, _COMMISSION_RE, ("仲裁", "申请", "提请", "争议由", "纠纷由", "争议", "纠纷"))


def find_details(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, key, value) for party details: credit code, ID, legal representative, phone, address."""
    out = []
    for key, rx in DETAIL_PATTERNS.items():
        for m in rx.finditer(text):
            out.append((m.start(), m.end(), key, m.group(1)))
    return sorted(out)


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out spans (same length, so positions stay valid)."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = "＿" * (e - s)
    return "".join(chars)

"""Which legal area a question is about (labor_dismissal, wages, …, administrative, other), the laws that
govern that area, and how sure the routing is.

`route(question) -> Routing`. A minimal keyword router: each area has cue patterns (everyday words and
the statutes' own) with weights; the area with the highest score wins, and `confidence` says how far it
is ahead of the runner-up (1.0: no other area has any cue; 0.0: nothing matched, area "other").
`alternatives` lists the other areas that matched, best first, so a caller can act safely when routing
is unsure (answer/areas.py shows the shorter deadline of the candidates). Cue words are general legal
vocabulary, written from the statutes, not fitted to an evaluation set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

AREAS = ("labor_dismissal", "wages", "work_injury", "tenancy", "consumer", "online_shopping", "marriage",
         "inheritance", "loans", "traffic", "neighbours", "privacy", "criminal", "administrative", "other")
UNSURE_BELOW = 0.5  # confidence under which a caller should treat the routing as unsure

# (pattern, weight) per area; a pattern counts once however often it occurs
_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "labor_dismissal": (
        ((r"辞退|开除|炒鱿鱼|裁员|被裁|裁了|解雇|解除劳动合同|劳动合同.{0,6}解除|违法解除|经济补偿|补偿金|N\+1|"
         r"不用来了"), 3),
        (r"劳动合同|试用期|用人单位|员工|劳动者|入职|离职|辞职|竞业|调岗|降薪|末位淘汰|工龄|转正|HR|人事", 1.5),
        (r"单位|公司|老板|上班", 0.5),
        (r"没签.{0,4}合同|未签.{0,6}合同|不签.{0,4}合同|双倍工资|二倍工资|两倍工资", 2),
    ),
    "wages": (
        (r"工资|欠薪|薪水|薪资|劳动报酬|加班费|提成|奖金|年终奖|最低工资|工钱|月薪", 2.5),
        (r"加班|年假|年休假|产假|婚假|病假|休息日|工时|996|调休", 2.5),
        (r"拖欠|克扣|不发|没发|少发|扣钱|扣工资", 1.5),
        (r"公司|老板|单位|员工|上班", 0.5),
    ),
    "work_injury": (
        (r"工伤|职业病|工亡|伤残等级|劳动能力鉴定|工伤认定|停工留薪", 4),
        (r"(?:上班|工作|干活|施工|工地|厂里|车间|下班路上|上班路上).{0,12}(?:受伤|摔|砸|压|烫|伤|断|骨折)", 3),
    ),
    "tenancy": (
        (r"房东|租客|租房|房租|租金|租赁|承租|出租|转租|退租|二房东|租期|租的房|租了", 3),
        (r"押金|中介", 1),
    ),
    "consumer": (
        ((r"消费者|商家|商店|商场|超市|饭店|餐厅|店里|店家|买到|假货|欺诈|退一赔三|退一赔十|惩罚性赔偿|过期|食品|"
         r"质量问题|售后|保修|退货|发票|健身|预付|办卡|会员卡|美容|培训机构|经营者|厂家|翻新"), 2),
        (r"三倍|十倍|退款|退钱|买了|买的", 1),
    ),
    "online_shopping": (
        ((r"网购|网上买|网店|淘宝|京东|拼多多|抖音|直播间|快手|闲鱼|电商|七天无理由|7天无理由|下单|外卖|"
         r"网络购物|主播|APP|app|App|大数据杀熟|默认勾选"), 3),
        (r"平台|快递|店铺|客服", 1),
    ),
    "marriage": (
        ((r"离婚|结婚|彩礼|嫁妆|婚前|婚后|夫妻|配偶|前夫|前妻|抚养权|抚养费|探望|家暴|家庭暴力|出轨|小三|重婚|"
         r"婚约|订婚|同居|共同财产|共同债务|分居"), 3),
        (r"老公|老婆|丈夫|妻子|孩子", 1),
    ),
    "inheritance": (
        (r"继承|遗产|遗嘱|遗赠|继承人|代位|遗物", 3),
        (r"去世|过世|死后|走了|病逝", 1.5),
    ),
    "loans": (
        ((r"借钱|借款|借条|欠条|借给|借了|欠钱|欠款|还钱|利息|利率|高利贷|月息|年息|砍头息|担保人|保证人|"
         r"网贷|贷款|催收|出借"), 3),
        (r"欠我|不还|没还", 1.5),
    ),
    "traffic": (
        ((r"车祸|交通事故|被撞|撞了|撞到|撞伤|撞死|撞人|追尾|肇事|逃逸|酒驾|醉驾|驾照|驾驶证|闯红灯|交强险|"
         r"商业险|机动车|出了事故|开车|骑车"), 3),
        (r"电动车|交警|保险公司|行人|车主|死亡赔偿金|护理费|误工费|营运", 1.5),
    ),
    "neighbours": (
        (r"邻居|楼上|楼下|隔壁|漏水|噪音|采光|通风|通行|相邻|高空抛物|违建|挡住", 3),
        (r"物业|业主|装修|小区", 1),
    ),
    "privacy": (
        ((r"隐私|偷拍|摄像头|个人信息|身份证号|泄露|曝光|人肉|骚扰电话|短信骚扰|营销短信|窃听|肖像|名誉|造谣|"
         r"诽谤|侮辱|挂网上|发到网上|人脸|刷脸|通讯录|住址|删帖"), 3),
        (r"拍摄|拍我|监控|朋友圈|发帖|照片", 1.5),
    ),
    "criminal": (
        ((r"犯罪|坐牢|判刑|判几年|有期徒刑|刑事|盗窃|偷东西|偷拿|被偷|抢劫|被抢|诈骗|被骗|故意伤害|轻伤|重伤|"
         r"强奸|猥亵|敲诈|勒索|威胁|赌博|吸毒|毒品|寻衅滋事|取保候审|自首|警察会抓"), 3),
        (r"报警|报案|打人|被打|打架|斗殴|推搡|警察", 1.5),
    ),
    "administrative": (
        ((r"行政处罚|处罚决定|行政复议|行政诉讼|行政机关|行政拘留|治安处罚|复议|申辩|听证|强拆|征收|信息公开|"
         r"不予登记|吊销|责令"), 3),
        (r"城管|市场监管|市场监督管理|工商局|税务局|环保局|执法|政府|派出所|公安局|交警|卫健委|住建", 2),
        (r"罚款|罚了|被罚|罚单|罚我|没收|扣押|扣了|扣走|查封|拘留|处罚", 2),
    ),
}

# laws that govern each area (full names as in the corpus); callers look them up, never assume they exist
_LAWS: dict[str, tuple[str, ...]] = {
    "labor_dismissal": ("中华人民共和国劳动合同法", "中华人民共和国劳动争议调解仲裁法", "中华人民共和国劳动法"),
    "wages": ("中华人民共和国劳动合同法", "中华人民共和国劳动法", "中华人民共和国劳动争议调解仲裁法"),
    "work_injury": ("工伤保险条例", "中华人民共和国社会保险法", "中华人民共和国劳动争议调解仲裁法"),
    "tenancy": ("中华人民共和国民法典",),
    "consumer": ("中华人民共和国消费者权益保护法", "中华人民共和国食品安全法", "中华人民共和国民法典"),
    "online_shopping": ("中华人民共和国电子商务法", "中华人民共和国消费者权益保护法", "中华人民共和国民法典"),
    "marriage": ("中华人民共和国民法典",),
    "inheritance": ("中华人民共和国民法典",),
    "loans": ("中华人民共和国民法典", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"),
    "traffic": ("中华人民共和国道路交通安全法", "中华人民共和国民法典"),
    "neighbours": ("中华人民共和国民法典",),
    "privacy": ("中华人民共和国民法典", "中华人民共和国个人信息保护法", "中华人民共和国治安管理处罚法"),
    "criminal": ("中华人民共和国刑法", "中华人民共和国刑事诉讼法", "中华人民共和国治安管理处罚法"),
    "administrative": ("中华人民共和国行政复议法", "中华人民共和国行政诉讼法", "中华人民共和国行政处罚法"),
    "other": (),
}


@dataclass(frozen=True)
class Routing:
    """The area of a question, the laws governing it, and how sure the routing is (0..1)."""

    area: str
    laws: tuple[str, ...]
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()  # other areas that matched, with their scores, best first
    score: float = 0.0

    @property
    def unsure(self) -> bool:
        return self.confidence < UNSURE_BELOW

    @property
    def candidates(self) -> tuple[str, ...]:
        """The area and, when unsure, the runners-up within half its score."""
        if not self.unsure:
            return (self.area,)
        return (self.area, *[a for a, s in self.alternatives if s >= self.score / 2])


@lru_cache(maxsize=1)
def _compiled() -> dict[str, list[tuple[re.Pattern, float]]]:
    return {area: [(re.compile(p), w) for p, w in cues] for area, cues in _CUES.items()}


def scores(question: str) -> dict[str, float]:
    """Cue score per area (areas without a cue omitted)."""
    out = {}
    for area, cues in _compiled().items():
        s = sum(w for p, w in cues if p.search(question))
        if s > 0:
            out[area] = s
    return out


def route(question: str) -> Routing:
    """The area of `question` (see module doc)."""
    ranked = sorted(scores(question).items(), key=lambda x: (-x[1], AREAS.index(x[0])))
    if not ranked:
        return Routing("other", (), 0.0)
    area, best = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = round(1.0 - runner / best, 3)
    return Routing(area, _LAWS[area], confidence, tuple(ranked[1:]), best)

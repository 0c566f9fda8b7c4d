"""Small talk and non-legal input: greetings, thanks, "who are you" and the like get a short reply saying
what lawglm can do (no articles); a question whose best article scores below the relevance threshold gets
"nothing relevant found" instead of unrelated articles.

Small talk is recognised only when the WHOLE input is small talk (你好 / 谢谢律师！/ 你是谁？): an input
that greets and then asks (你好，公司拖欠工资怎么办) is a question. The threshold is on
`Retriever.relevance` (see bench/smalltalk_bench.py for how it was chosen and what it costs).
"""

from __future__ import annotations

import re
import unicodedata

CAPABILITIES = ("我是 lawglm 法律助手，可以：回答中国法律问题并附上所依据的法条原文（每条引用都经过核对）；"
                "按法律名称和条号查法条（如“民法典第一千二百五十四条”）；核对一段文字里引用的法条；起草常见合同。"
                "请直接描述您遇到的法律问题。")
REPLIES = {
    "greeting": "您好！",
    "thanks": "不客气。",
    "farewell": "再见！",
    "identity": "",
    "ack": "好的。",
    "empty": "",
}
NOTHING_RELEVANT = (
    "未检索到与该问题相关的法条，无法据此回答。lawglm 只回答中国法律问题：请描述具体的法律问题"
    "（涉及的人和事、想知道的权利义务或责任），或指定法律名称。"
)

_ADDRESS = r"(?:律师|助手|机器人|老师|小助手|lawglm|大家|朋友|同志|您|你)?"
_PARTICLES = r"(?:[啊呀呢吧哈嘛啦哦喔噢哟嗯了的吗]|一下)*"
_KINDS = {
    "greeting": r"(?:你好|您好|你们好|嗨|哈喽|哈啰|嘿|喂|hello|hi|hey|hiya|早上好|上午好"
    r"|中午好|下午好|晚上好|早安"
    r"|午安|晚安|早|在吗|在不在|有人吗|你在吗|您在吗|在么|打扰了|请问|新年好|过年好|节日快乐)",
    "thanks": r"(?:谢谢|谢谢你|谢谢您|多谢|感谢|感谢你|感谢您|谢了|谢啦|非常感谢|太感谢了"
    r"|十分感谢|万分感谢|thanks"
    r"|thankyou|thx|辛苦了|麻烦你了|麻烦了|好的谢谢|明白了谢谢|知道了谢谢|懂了谢谢)",
    "farewell": r"(?:再见|拜拜|拜|bye|byebye|goodbye|回头见|下次见|先这样|没事了|没有了|没问题了)",
    "identity": r"(?:你是谁|您是谁|你叫什么|你叫什么名字|你的名字是什么|你是什么|你是什么东西"
    r"|你是什么模型|你是机器人吗"
    r"|你是人吗|你是真人吗|你是ai吗|你是人工智能吗|你能做什么|你会什么|你会做什么|你可以做什么|你能干什么"
    r"|你可以干什么|你有什么用|你有什么功能|你都会什么|你能帮我做什么|你能帮我什么|你可以帮我什么"
    r"|介绍一下你自己|介绍一下自己|自我介绍一下|你是哪个公司的|谁开发的你|谁做的你|你是干什么的"
    r"|怎么用|怎么使用|如何使用|使用说明|帮助|help)",
    "ack": r"(?:好的|好|嗯|嗯嗯|哦|噢|ok|okay|知道了|明白了|明白|懂了|收到|行|可以|对|是的|没错"
    r"|哈哈|哈哈哈|呵呵"
    r"|测试|test|testing|123|1234|。|？)",
}
_WHOLE = {
    kind: re.compile(rf"^(?:{_ADDRESS}{pat}{_PARTICLES}{_ADDRESS}{_PARTICLES})+$")
    for kind, pat in _KINDS.items()
}
_MIXED = re.compile(rf"^(?:{_ADDRESS}(?:{'|'.join(_KINDS.values())}){_PARTICLES}{_ADDRESS}{_PARTICLES})+$")
_NOISE = re.compile(r"[\s\W_]+")


def normalise(text: str) -> str:
    """Lower case, full-width folded, punctuation, spaces and emoji removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _NOISE.sub("", text)


def small_talk_kind(text: str) -> str | None:
    """greeting | thanks | farewell | identity | ack | empty when the whole input is small talk, else None."""
    norm = normalise(text)
    if not norm:
        return "empty"
    if len(norm) > 24:
        return None
    for kind, pattern in _WHOLE.items():
        if pattern.match(norm):
            return kind
    return "greeting" if _MIXED.match(norm) else None


def small_talk_reply(kind: str) -> str:
    """The short reply to small talk of this kind: a polite word and what lawglm can do."""
    return REPLIES.get(kind, "") + CAPABILITIES

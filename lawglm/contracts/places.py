"""Street addresses written in free text: 杭州市西湖区文三路158号3幢2单元601 in
「把她在杭州市…601的两居室租给我」.

Owns `addresses_in(text)`: (start, end, address) for every run that starts at a place name (a word
ending in 省/市/区/县/州/镇), contains a street word (路/街/道/巷/弄/村/号 …) and a number, and ends at
its last number or unit (号/室/楼/层/幢/栋/座 …) before punctuation, 的, or the next clause. Used to trim
address-shaped fields and, for a required one, to find it when no cue word introduces it.
"""

from __future__ import annotations

import re

from .words import word_spans

PLACE_END = "省市区县州旗镇"
ADDRESS_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9\-—#（）()]")
STREET = re.compile(r"路|街|道|巷|弄|村|里|胡同|号|广场|大厦|园区|小区")
LAST_UNIT = re.compile(r".*[0-9A-Za-z][号室楼层幢栋座房]?")  # …2201号 of …2201号办公用房
STOPS = re.compile(
    r"的|出租给|租给|出售给|卖给|运到|运至|运往|送到|送至|发到|发往|寄到|寄往|交付|交房|作为|用于|用作|面积"
)


def addresses_in(text: str) -> list[tuple[int, int, str]]:
    """Street addresses in the text, in order."""
    out: list[tuple[int, int, str]] = []
    for s, e in word_spans(text):
        if e - s < 2 or text[e - 1] not in PLACE_END or (out and s < out[-1][1]):
            continue
        j = e
        while j < len(text) and ADDRESS_CHAR.match(text[j]):
            j += 1
        seg = text[s:j]
        stop = STOPS.search(seg, e - s)
        seg = seg[:stop.start()] if stop else seg
        last = LAST_UNIT.match(seg)
        if not last:
            continue
        seg = seg[:last.end()]
        if STREET.search(seg, e - s) and re.search(r"\d", seg) and "＿" not in seg:
            out.append((s, s + len(seg), seg))
    return out


def address_prefix(value: str) -> str:
    """The address a text value starts with (the rest is another clause's words), or the value itself."""
    found = [a for a in addresses_in(value) if a[0] == 0]
    return found[0][2] if found else value

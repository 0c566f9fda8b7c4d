"""Chinese numerals and article labels: 两/〇/零/十 forms, 万, round trips, malformed input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawglm.numerals import article_label, cn_to_int, int_to_cn, parse_article_no


@pytest.mark.parametrize("text, value", [
    ("十", 10), ("十一", 11), ("一十一", 11), ("二十", 20), ("一百", 100), ("一百零五", 105), ("一百〇五", 105),
    ("一〇五", 105), ("两千", 2000), ("两百零二", 202), ("一千零一十", 1010), ("一千二百五十四", 1254),
    ("十万零一十", 100010), ("十万零十", 100010), ("一万零五", 10005), ("二十万零三百", 200300), ("零", 0),
    ("两", 2), ("1254", 1254), ("１２５４", 1254), (" 十二 ", 12), ("壹佰贰拾", 120),
])
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "  ", "廿", "十a", "一二三x", "三五十"])
def test_cn_to_int_rejects_malformed(text):
    with pytest.raises(ValueError):
        cn_to_int(text)


@pytest.mark.parametrize("value, text", [
    (0, "零"), (10, "十"), (11, "十一"), (20, "二十"), (105, "一百零五"), (110, "一百一十"), (1001, "一千零一"),
    (1010, "一千零一十"), (1254, "一千二百五十四"), (10005, "一万零五"), (100010, "十万零一十"),
])
def test_int_to_cn(value, text):
    assert int_to_cn(value) == text


@settings(deadline=None)  # the machine is shared: wall-clock deadlines would only measure the neighbours
@given(st.integers(min_value=0, max_value=99_999_999))
def test_round_trip(n):
    assert cn_to_int(int_to_cn(n)) == n


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=0, max_value=20))
def test_label_round_trip(no, sub):
    assert parse_article_no(article_label(no, sub)) == (no, sub)


@pytest.mark.parametrize("text, expected", [
    ("第一百二十条之一", (120, 1)), ("1254", (1254, 0)), ("第1254条", (1254, 0)), ("第 十 条", (10, 0)),
    ("一千二百五十四", (1254, 0)), (7, (7, 0)), ("第十七条之二", (17, 2)),
])
def test_parse_article_no(text, expected):
    assert parse_article_no(text) == expected


@pytest.mark.parametrize("text", ["第十条之", "条", "第零条", "-5", 0, -3, "民法典"])
def test_parse_article_no_rejects(text):
    with pytest.raises(ValueError):
        parse_article_no(text)


def test_int_to_cn_range():
    with pytest.raises(ValueError):
        int_to_cn(-1)
    with pytest.raises(ValueError):
        int_to_cn(100_000_000)


@pytest.mark.parametrize("text, iso", [
    ("二〇二三年十二月二十九日", "2023-12-29"), ("2023年12月29日", "2023-12-29"), ("2023-12-29", "2023-12-29"),
    ("2024年7月1号", "2024-07-01"), ("２０２４年１月５日", "2024-01-05"), ("2024/7/1", "2024-07-01"),
])
def test_dates_as_statutes_and_contracts_write_them(text, iso):
    from lawglm.numerals import DATE_RE, date_iso

    assert [date_iso(m) for m in DATE_RE.finditer(f"自{text}起施行")] == [iso]

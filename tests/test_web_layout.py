"""The web page at phone widths (360, 390, 414 px) and on a desktop, in a real headless Chromium, with real
content on both tabs: nothing overflows sideways, the 就绪 badge stays on one line, the answer is not a
box scrolling inside the page, the contract's item table scrolls in its own container; repeated
citations are one card with a count, and current articles of an amended law read 现行有效 with their
amendment history. Screenshots go to $LAWGLM_TEST_ARTIFACTS (default tests/artifacts/, gitignored)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_web import browser  # noqa: F401 - the shared headless Chromium fixture (skips without it)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("LAWGLM_TEST_ARTIFACTS") or Path(__file__).parent / "artifacts")
PHONES = [(360, 780), (390, 844), (414, 896)]
DESKTOP = (1280, 800)
CONTRACT = ("帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买红源牌实木餐桌10张，单价3000元，"
            "实木餐椅40把，单价800元。争议解决方式选择诉讼，管辖法院约定为北京市海淀区人民法院。")
CRIMINAL_LAW = "中华人民共和国刑法"


@pytest.fixture(scope="module")
def amended_assistant(tmp_path_factory, tiny_articles, tiny_encoder, corpus):
    """Retrieval-only Assistant over the tiny articles plus the last two 刑法 amending acts, all from
    laws.db."""
    from lawglm.answer.assistant import Assistant
    from lawglm.search.index import build_index
    from lawglm.settings import Settings
    from lawglm.statutes.corpus import Corpus

    acts = [law for law in corpus.laws() if law.startswith(CRIMINAL_LAW + "修正案（十")]
    articles = [*tiny_articles, *(a for law in acts for a in corpus.law_articles(law))]
    index_dir = tmp_path_factory.mktemp("amended-index") / "index"
    build_index(Corpus(articles, source="tiny+amendments"), index_dir, tiny_encoder, progress=False)
    return Assistant.from_settings(Settings(llm="none", index_dir=index_dir))


def _open(browser, url: str, size: tuple[int, int]):  # noqa: F811
    pg = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(url + "/")
    pg.wait_for_selector("#status.badge-ok")
    return pg, errors


def _fits(pg, where: str) -> None:
    width = pg.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{where}: page is {width[0]} px wide on a {width[1]} px screen"


def _shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _ask(pg, question: str) -> None:
    pg.fill("#question", question)
    pg.click("#submit")
    pg.locator(".turn .citation").first.wait_for(timeout=30000)


def _draft(pg) -> None:
    pg.click("#tab-contract")
    pg.wait_for_function("document.querySelectorAll('#template option').length > 1")
    pg.fill("#contract-request", CONTRACT)
    pg.click("#draft")
    pg.locator("#contract-output .table-scroll table").first.wait_for(timeout=30000)


@pytest.mark.parametrize("size", [*PHONES, DESKTOP], ids=lambda s: f"{s[0]}x{s[1]}")
def test_both_tabs_fit_the_screen(browser, live_server, amended_assistant, size):  # noqa: F811
    pg, errors = _open(browser, live_server(amended_assistant), size)
    badge = pg.locator("#status").bounding_box()
    assert badge["height"] < 36 and badge["x"] + badge["width"] <= size[0]  # 就绪 on one line, on screen
    _ask(pg, "为了使本人免受正在进行的不法侵害而采取的制止行为，造成不法侵害人损害的，是否负刑事责任？")
    # several cards: 法律依据 quotes the deciding article and the best-ranked one bearing on the question
    assert pg.locator(".turn .citation").count() >= 2
    _fits(pg, "answer tab")
    if size[0] < 860:  # narrow screens: the page scrolls, the answer is no box scrolling inside it
        inner = pg.evaluate(
            "(n => [n.scrollHeight, n.clientHeight])(document.getElementById('conversation'))"
        )
        assert inner[0] <= inner[1] + 1
    for card in pg.locator(".turn .citation").all():
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size[0]
        assert (
            size[0] > 600 or box["width"] >= size[0] - 60
        )  # on a phone a card uses (nearly) the whole width
        number = card.locator(".art-no").bounding_box()  # 第二十七条 never breaks over two lines
        assert number["height"] < 30, card.locator(".cite-title").text_content()
    _shot(pg, f"answer-{size[0]}x{size[1]}")
    _draft(pg)
    _fits(pg, "contract tab")
    scroll = pg.locator("#contract-output .table-scroll").first
    assert scroll.evaluate("n => getComputedStyle(n).overflowX") == "auto"
    if size[0] <= 600:  # a phone: the item table's rows stack, each cell labelled; nothing to swipe sideways
        assert scroll.evaluate("n => n.scrollWidth <= n.clientWidth")
        cells = pg.locator("#contract-output td[data-label]")
        assert cells.count() >= 6 and "单价（元）" in cells.evaluate_all("ns => ns.map(n => n.dataset.label)")
        for cell in cells.all():
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= size[0]
    else:
        heights = pg.locator("#contract-output th").evaluate_all(
            "ns => ns.map(n => n.getBoundingClientRect().height)")
        assert heights and max(heights) < 40  # header cells keep their words on one line: no column squeezed
    _shot(pg, f"contract-{size[0]}x{size[1]}")
    pg.close()
    assert not errors, errors


def test_current_article_of_an_amended_law_reads_in_force_with_its_history(browser, live_server,  # noqa: F811
                                                                          amended_assistant):
    from lawglm.statutes.amendments import status_detail

    pg, errors = _open(browser, live_server(amended_assistant), PHONES[1])
    _ask(pg, "正当防卫造成不法侵害人损害的，是否负刑事责任？")
    card = pg.locator(".turn .citation", has_text="《中华人民共和国刑法》").first
    law, label = card.locator(".cite-title").text_content().strip("《").split("》")
    corpus = amended_assistant.retriever.corpus
    article = next(a for a in corpus.law_articles(law) if a.label == label)
    assert article.status == "已被修改"  # what laws.db says of the whole 刑法
    detail = status_detail(article, corpus)
    pill = card.locator(".pill-status")
    assert pill.text_content() == detail["label"] == "现行有效"
    assert pill.get_attribute("title") == detail["note"] and "修正案（十二）" in detail["note"]
    card.locator(".status-history summary").click()
    items = card.locator(".status-history li").all_text_contents()
    assert len(items) == len(detail["amendments"]) == 2
    for item, act in zip(items, detail["amendments"], strict=True):
        assert item.startswith(act["date"]) and act["name"] in item
    _shot(pg, "status-history-390x844")
    pg.close()
    assert not errors, errors


def test_an_article_cited_many_times_is_one_card_with_a_count(browser, live_server,  # noqa: F811
                                                             fixed_reply_assistant, retrieval_assistant):
    from tests.conftest import SUPPORT_QUESTION

    hits = [h.article for h in retrieval_assistant.retriever.search(SUPPORT_QUESTION, 5)]
    first, second = hits[0], hits[1]
    pieces = [p for p in first.text.replace("。", "，").split("，") if len(p) >= 6][:6]
    reply = "".join(f"依照{first.citation}，{p}。" for p in pieces) + f"另见{second.citation}。"
    assistant = fixed_reply_assistant(reply)
    ans = assistant.ask(SUPPORT_QUESTION)
    times = sum(1 for c in ans.citations if c.article == first)
    assert times == len(pieces) >= 3  # the API lists each occurrence (with its span)
    pg, errors = _open(browser, live_server(assistant), PHONES[1])
    _ask(pg, SUPPORT_QUESTION)
    cards = pg.locator(".turn .citation", has_text=first.citation.split("》")[1])
    cards = [c for c in cards.all() if c.locator(".cite-title").text_content() == first.citation]
    assert len(cards) == 1 and cards[0].locator(".pill-count").text_content() == f"×{times}"
    assert pg.locator(".turn .citation").count() == 2
    _fits(pg, "answer tab")
    _shot(pg, "repeated-citation-390x844")
    pg.close()
    assert not errors, errors


def test_a_cut_answer_shows_the_length_note(browser, live_server, model_assistant):  # noqa: F811
    from lawglm.answer.assistant import LENGTH_NOTE

    pg, errors = _open(browser, live_server(model_assistant), PHONES[1])
    pg.click("#advanced summary")
    pg.fill("#max-length", "64")  # the tiny random model never ends a reply within 32 new tokens
    pg.fill("#question", "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？")
    pg.click("#submit")
    note = pg.locator(".turn .bot .length-note")
    note.wait_for(timeout=60000)
    assert note.text_content() == LENGTH_NOTE and note.get_attribute("title")
    assert pg.locator(".turn .bot .text").first.text_content().count(LENGTH_NOTE) == 1
    _fits(pg, "answer tab")
    _shot(pg, "length-note-390x844")
    pg.close()
    assert not errors, errors

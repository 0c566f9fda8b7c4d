"""The web page in a real headless Chromium (Debian's chromium driven by Playwright) against a live
retrieval-only server over the tiny index: streamed answer, citation cards, Clear History, contracts tab."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = os.environ.get("LAWGLM_WEB_SCREENSHOT")  # set to a path to keep a screenshot for review
LABELS = {"claim": "支持回答中的说法", "related": "检索到的相关条文", "off_question": "与您的问题关系不大"}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, retrieval_assistant):
    url = live_server(retrieval_assistant)
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(url + "/")
    yield pg
    pg.close()
    assert not errors, errors


def test_ask_streams_answer_with_citation_cards(page, corpus):
    page.wait_for_selector("#status.badge-ok")
    assert "仅检索" in page.text_content("#status")
    for label in ("提交", "清除历史"):
        assert page.get_by_role("button", name=label).is_visible()
    for slider in ("#max-length", "#top-p", "#temperature"):  # developer knobs: in a collapsed 高级设置
        assert page.locator(slider).get_attribute("type") == "range" and not page.locator(slider).is_visible()
    page.click("#advanced summary")
    assert page.locator("#max-length").is_visible()
    assert page.get_attribute("#max-length", "max") == "512"  # the server's max_new_tokens (/readyz limits)
    assert page.get_attribute("#temperature", "max") == "2"

    page.fill("#question", "从建筑物中抛掷物品造成他人损害，谁承担责任？")
    page.click("#submit")
    card = page.locator(".citation").first
    card.wait_for(timeout=20000)
    answer = page.locator(".bot .text").first.text_content()
    assert "《中华人民共和国民法典》" in answer
    # cards say what they are in plain words (the article the conclusion rests on backs it) — never 原文支持
    pills = page.locator(".citation .card-head .pill:not(.pill-status):not(.pill-count)").all_text_contents()
    assert pills and set(pills) <= set(LABELS.values()) and LABELS["claim"] in pills
    assert "原文支持" not in page.locator("#conversation").text_content()
    title = card.locator(".cite-title").text_content()
    body = card.locator(".article-text").text_content()
    law, label = title.strip("《").split("》")
    article = next(a for a in corpus.articles if a.law == law and a.label == label and a.is_current)
    if "见上方" in body:  # the deciding article: quoted in full once, in 起决定作用的条款 above its card
        body = page.locator(".bot .text .card.deciding .article-text").first.text_content()
    assert body == article.text  # the article's full text from the corpus
    assert card.locator(".pill-status").text_content() == article.status
    assert page.locator(".retrieved-item").count() >= 1
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)

    page.click("#clear")
    assert page.locator(".turn").count() == 0
    assert page.locator("#empty-hint").is_visible()


def test_untrusted_text_is_not_interpreted_as_html(page):
    page.wait_for_selector("#status.badge-ok")
    page.fill("#question", "<img src=x onerror=\"document.title='pwned'\">正当防卫")
    page.click("#submit")
    page.locator(".turn .bot .body .citations, .turn .error").first.wait_for(timeout=20000)
    assert page.locator(".turn img").count() == 0 and page.title() != "pwned"
    assert "<img" in page.locator(".user .text").first.text_content()


def test_errors_are_shown_not_swallowed(page):
    page.wait_for_selector("#status.badge-ok")
    page.fill("#law-filter", "火星法")
    page.fill("#question", "正当防卫的界限是什么？")
    page.click("#submit")
    err = page.locator(".turn .error")
    err.wait_for(timeout=20000)
    assert "火星法" in err.text_content()


def test_contract_tab_drafts_and_offers_docx(page):
    page.click("#tab-contract")
    assert page.locator("#panel-contract").is_visible() and not page.locator("#panel-qa").is_visible()
    page.wait_for_function("document.querySelectorAll('#template option').length > 1")
    page.fill(
        "#contract-request",
        "帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买红源牌实木餐桌10张，"
        "单价3000元。争议解决方式选择诉讼，管辖法院约定为北京市海淀区人民法院。",
    )
    # before a draft: no dead DOCX button (`.button` once overrode `hidden`) and no empty document panel
    assert not page.locator("#docx-link").is_visible() and not page.locator("#contract-output").is_visible()
    page.click("#draft")
    page.locator("#docx-link:not([hidden])").wait_for(timeout=20000)
    assert page.locator("#docx-link").is_visible()
    doc = page.locator("#contract-output")
    assert doc.locator("h2").first.text_content().strip() == "家具买卖合同"
    assert "北京红源家具有限责任公司" in doc.text_content()
    assert doc.locator("table").count() >= 1  # the item table is rendered as a table
    assert page.get_attribute("#docx-link", "href").startswith("blob:")
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT.replace(".png", "-contract.png"), full_page=True)


def test_unsupported_citations_are_amber_cards_with_the_reason(browser, live_server, fixed_reply_assistant,
                                                              support_reply):
    from tests.conftest import SUPPORT_QUESTION

    url = live_server(fixed_reply_assistant(support_reply["reply"]))
    first, wrong = support_reply["first"], support_reply["wrong"]
    for name, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        pg = browser.new_page(viewport=viewport)
        errors = []
        pg.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        pg.goto(url + "/")
        pg.wait_for_selector("#status.badge-ok")
        pg.fill("#question", SUPPORT_QUESTION)
        pg.click("#submit")
        pg.locator(".citation").nth(2).wait_for(timeout=20000)
        answer = pg.locator(".bot .text").first.text_content()
        assert first.citation in answer and wrong.citation not in answer  # the number as corrected
        fixed = pg.locator(".citation.ok")
        assert (
            fixed.count() == 1
            and fixed.locator(".cite-note").text_content() == f"原文写作{wrong.label}，已更正"
        )
        assert (
            fixed.locator(".pill-ok").text_content() == "支持回答中的说法"
        )  # the answer's own quote, borne out
        amber = pg.locator(".citation.warn")
        assert amber.count() == 2
        assert [amber.nth(i).locator(".cite-note").text_content() for i in range(2)] == [
            "该条与回答内容无关", "该条不在检索到的依据中（条文内容与回答相符）"]
        assert amber.first.locator(".pill-warn").text_content() == "与回答无关"
        color = amber.first.evaluate("n => getComputedStyle(n).borderLeftColor")
        assert color == "rgb(180, 83, 9)"  # amber, not the red of an invented article
        box = amber.first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # fits a phone screen
        if SCREENSHOT:
            pg.screenshot(path=SCREENSHOT.replace(".png", f"-support-{name}.png"), full_page=True)
        pg.close()
        assert not errors, errors


def test_grounded_answer_lays_out_conclusion_next_steps_and_basis_cards(
    browser, live_server, model_assistant
):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    grounded = Assistant(model_assistant.retriever, model_assistant.generator,
                         Settings(answer_shape="grounded", max_new_tokens=64))
    url = live_server(grounded)
    pg = browser.new_page(viewport={"width": 390, "height": 844})
    errors = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(url + "/")
    pg.wait_for_selector("#status.badge-ok")
    pg.fill("#question", "公司不跟我签书面劳动合同，拖欠工资，我该怎么办？")
    pg.click("#submit")
    pg.locator(".citation").first.wait_for(timeout=60000)
    titles = [t.strip() for t in pg.locator(".bot .section-title").all_text_contents()]
    assert titles[0] == "结论" and "下一步" in titles and "法律依据" in titles
    conclusion = pg.locator(".bot .conclusion")  # the tiny random model says nothing usable: the clause
    assert "《中华人民共和国劳动合同法》" in conclusion.text_content()
    steps = pg.locator(".bot .next-steps li").all_text_contents()
    assert any("仲裁" in s for s in steps)  # a labour dispute (the tiny corpus has no limitation article)
    assert pg.locator(".citation.ok").count() >= 1
    assert pg.locator(".citation.warn, .citation.bad").count() == 0
    assert pg.locator(".citation.ok .pill-ok").first.text_content() == LABELS["claim"]  # the clause backs it
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone screen
    if SCREENSHOT:
        pg.screenshot(path=SCREENSHOT.replace(".png", "-grounded.png"), full_page=True)
    pg.close()
    assert not errors, errors


def _box(pg, selector: str) -> dict:
    return pg.locator(selector).first.bounding_box()


def test_the_conclusion_stays_in_view_and_the_buttons_fit_at_1280x800(
    browser, live_server, retrieval_assistant
):
    """After an answer with several cards, the start of the answer is what the reader sees (in the
    conversation box on a desktop, on the screen on a phone), and 提交 / 停止 / 清除历史 are on screen."""
    url = live_server(retrieval_assistant)
    for width, height in ((1280, 800), (390, 844)):
        pg = browser.new_page(viewport={"width": width, "height": height})
        pg.goto(url + "/")
        pg.wait_for_selector("#status.badge-ok")
        for question in ("借款人逾期不还钱怎么办？", "从建筑物中抛掷物品造成他人损害，谁承担责任？"):
            pg.fill("#question", question)
            pg.click("#submit")
            pg.wait_for_function(f"document.querySelectorAll('.turn .retrieved-item').length && "
                                 f"!document.querySelector('#submit').disabled && "
                                 f"document.querySelectorAll('.turn').length === {1 + (question[0] == '从')}")
            if question[0] != "从":  # a longer page: the first answer's article list opened
                pg.click(".turn .retrieved summary")
        pg.wait_for_timeout(300)
        scrolled = pg.evaluate("document.getElementById('conversation').scrollTop + window.scrollY")
        assert scrolled > 0  # the view moved to the new answer ...
        start = pg.locator(".turn").last.locator(".bot .text").bounding_box()
        assert 0 <= start["y"] and start["y"] + 20 <= height, (
            width,
            start,
        )  # the answer's first line is on screen
        if width > 860:
            box = _box(pg, "#conversation")
            assert box["y"] <= start["y"] <= box["y"] + box["height"] - 20  # and inside the scrolling box
            for button in ("#submit", "#stop", "#clear"):
                b = _box(pg, button)
                assert b["y"] + b["height"] <= height, f"{button} is below the fold at {width}x{height}"
        last = pg.locator(".turn").last  # several cards: the cited ones and the full texts one tap away
        assert last.locator(".citation").count() + last.locator(".basis-full .card").count() >= 3
        if SCREENSHOT:
            pg.screenshot(path=SCREENSHOT.replace(".png", f"-in-view-{width}.png"))
        pg.close()


def test_before_ready_submit_is_disabled_and_the_question_is_kept(browser, tmp_path, tiny_articles,
                                                                  retrieval_assistant, monkeypatch):
    import threading

    from live import serve_in_thread

    from lawglm.server import app as app_mod
    from lawglm.server import create_app
    from lawglm.settings import Settings
    from lawglm.statutes.corpus import write_jsonl

    corpus = tmp_path / "statutes.jsonl"
    write_jsonl(tiny_articles, corpus)
    go = threading.Event()
    monkeypatch.setattr(app_mod, "load_assistant", lambda s: go.wait(60) and retrieval_assistant)
    app = create_app(settings=Settings(index_dir=tmp_path / "index", llm="none", corpus=str(corpus),
                                       encoder="none"), build_index=True)
    with serve_in_thread(app, ready_path="/healthz") as url:
        pg = browser.new_page(viewport={"width": 390, "height": 844})
        errors = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(url + "/")
        pg.wait_for_selector("#preparing:not([hidden])")
        assert pg.text_content("#status") == "准备中…" and pg.is_disabled("#submit")
        assert "服务正在准备：加载索引" in pg.text_content("#preparing")
        question = "从建筑物中抛掷物品造成他人损害，谁承担责任？"
        pg.fill("#question", question)
        pg.press("#question", "Control+Enter")
        pg.wait_for_timeout(200)
        assert pg.locator(".turn").count() == 0 and pg.input_value("#question") == question
        pg.evaluate("q => ask(q)", question)  # a request that reaches the server before ready anyway
        err = pg.locator(".turn .error")
        err.wait_for(timeout=10000)
        assert err.text_content().startswith("服务尚未就绪") and pg.input_value("#question") == question
        if SCREENSHOT:
            pg.screenshot(path=SCREENSHOT.replace(".png", "-preparing.png"), full_page=True)
        go.set()
        pg.wait_for_selector("#status.badge-ok", timeout=20000)
        assert not pg.is_disabled("#submit") and not pg.locator("#preparing").is_visible()
        pg.click("#submit")
        pg.locator(".turn").nth(1).locator(".citation").first.wait_for(timeout=20000)
        assert pg.input_value("#question") == ""
        pg.close()
        assert not errors, errors


def test_a_greeting_shows_no_empty_article_list(page):
    page.wait_for_selector("#status.badge-ok")
    page.fill("#question", "你好")
    page.click("#submit")
    page.wait_for_function("!document.querySelector('.turn .bot .text').classList.contains('streaming')")
    assert "lawglm" in page.locator(".turn .bot .text").text_content()
    assert not page.locator(".turn .retrieved").is_visible() and "（0）" not in page.inner_text(
        "#conversation"
    )

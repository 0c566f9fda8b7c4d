"""The page marks the deciding clause (answer/decided.py) in its article, first, at phone and desktop sizes,
and keeps every retrieved article's full text one tap away — in a real headless Chromium against a live
retrieval-only server over the tiny index."""

from __future__ import annotations

import pytest

from tests.test_web import browser  # noqa: F401  (the shared headless Chromium fixture)

pytestmark = pytest.mark.browser

QUESTION = "员工严重违反规章制度，公司可以解除劳动合同吗？"
SIZES = [(390, 844), (1280, 800)]


@pytest.mark.parametrize("width,height", SIZES)
def test_the_deciding_clause_is_marked_and_first(browser, live_server, retrieval_assistant, width, height):  # noqa: F811
    url = live_server(retrieval_assistant)
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url + "/")
        page.wait_for_selector("#status.badge-ok")
        page.fill("#question", QUESTION)
        page.click("#submit")
        mark = page.locator(".bot .text .card.deciding mark.deciding-clause").first
        mark.wait_for(timeout=20000)
        assert "严重违反用人单位的规章制度" in mark.text_content()
        head = page.locator(".bot .text .card.deciding .card-head").first.text_content()
        assert "第三十九条第（二）项" in head and "决定本问题" in head
        # first in its section: the deciding card comes before the full-text list
        order = page.evaluate("""() => [...document.querySelector('.bot .text').children]
                                  .map(e => e.classList.contains('deciding') ? 'd' : e.tagName)""")
        assert order.index("d") < order.index("DETAILS")
        mark.scroll_into_view_if_needed()
        box = mark.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1  # on screen, no sideways scroll
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert page.evaluate(
            "getComputedStyle(document.querySelector('mark.deciding-clause')).backgroundColor"
        ) not in ("rgba(0, 0, 0, 0)", "transparent")
        # the deciding article is quoted once: its 法律依据 card keeps the verdict and points up
        cited = page.locator(".citations .card.citation", has_text="第三十九条").first
        assert "见上方" in cited.locator(".article-text").text_content()
        assert "严重违反用人单位的规章制度" not in cited.text_content()
        # every retrieved article in full, one tap away
        full = page.locator(".bot .text details.basis-full").first
        assert not full.locator(".card").first.is_visible()
        full.locator("summary").click()
        assert full.locator(".card").count() == len(retrieval_assistant.ask(QUESTION).retrieved)
        assert full.locator(".card").first.is_visible()
    finally:
        page.close()
    assert not errors, errors

"""The home page in a real browser: Chinese by default, the switch to English, keyboard access, axe-clean."""

import pytest


@pytest.mark.django_db(transaction=True)
def test_home_page_switches_language_and_passes_axe(page, screenshot, axe_check):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "江津区影视产业扶持服务平台" in page.title()
    axe_check(page)
    screenshot(page, "home-zh")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Jiangjin Film Industry Support Service" in page.title()
    axe_check(page)
    screenshot(page, "home-en")


@pytest.mark.django_db(transaction=True)
def test_skip_link_is_the_first_thing_the_keyboard_reaches(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"

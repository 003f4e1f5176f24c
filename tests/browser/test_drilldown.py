"""A real browser (Debian's Chromium driven by Playwright) logs in and drills down."""

import os
import shutil
from pathlib import Path

import pytest
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("JIUYE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("JIUYE_SCREENSHOTS", "var/screenshots"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package "
            "(./run test does so where it can) to run the browser tests"
        )
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test's
    # fixtures in the same thread are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Error as exc:
            pytest.skip(f"Chromium at {CHROMIUM} would not start: {exc}")
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def test_county_user_drills_from_county_to_village(live_server, staff, points, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "qw_operator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "工作台" in page.inner_text("h1")

    page.click("nav.mainnav a[data-nav=regions]")
    page.wait_for_url("**/regions/141021000000/")
    assert page.inner_text("h1").startswith("曲沃县")
    # The city above is named in the breadcrumbs but is not a link for a county user.
    crumbs = page.locator("nav.breadcrumbs")
    assert "临汾市" in crumbs.inner_text()
    assert crumbs.locator("a").count() == 0

    page.click("a[data-region='141021100000']")  # 乐昌镇
    page.wait_for_url("**/regions/141021100000/")
    assert page.inner_text("h1").startswith("乐昌镇")
    assert page.locator("nav.breadcrumbs a", has_text="曲沃县").count() == 1

    page.click("a[data-region='141021100200']")  # 东北街村
    page.wait_for_url("**/regions/141021100200/")
    assert page.inner_text("h1").startswith("东北街村")
    assert "东北街村零工驿站" in page.inner_text("main")

    # HTMX search as you type, by pinyin initials, limited to the county.
    page.fill("input[name=q]", "xnjc")
    page.wait_for_selector("#search-results a:has-text('西南街村')")
    page.fill("input[name=q]", "hms")
    page.wait_for_selector("#search-results td.muted")
    assert "侯马市" not in page.inner_text("#search-results")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "drilldown-village.png"), full_page=True)

    # Another county's page is simply not there.
    response = page.goto(f"{live_server.url}/regions/141081000000/")
    assert response.status == 404


def test_phone_layout_has_a_menu_button(live_server, staff, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "qw_operator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert not page.is_visible("nav.mainnav a[data-nav=regions]")
    page.click("button.menu-toggle")
    assert page.is_visible("nav.mainnav a[data-nav=regions]")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-menu.png"))

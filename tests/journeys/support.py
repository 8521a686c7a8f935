"""What the journeys share: one browser context per person, a screenshot and an axe check at every step, the
keyboard helper ``tab_to``, the password-set link from the e-mail, small valid PDFs made in the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import urlsplit

from tests.browser_fixtures import ARTIFACTS, axe_violations, new_context_page

LINK = re.compile(r"https?://[^\s<>\"']+")
FOCUS_LINE = re.compile(r'^-\s*(?P<role>[\w-]+)(?:\s+"(?P<name>(?:[^"\\]|\\.)*)")?')


def page_key(url: str) -> str:
    """One key per distinct page: the path with numbers, codes and tokens generalised, without the query."""
    path = urlsplit(url).path
    path = re.sub(r"/\d+(?=/|$)", "/<n>", path)
    path = re.sub(r"/verify/[^/]+", "/verify/<code>", path)
    path = re.sub(r"/reset/[^/]+/[^/]+/?", "/reset/<token>/", path)
    path = re.sub(r"/set-password/[^/]+/[^/]+/?", "/set-password/<token>/", path)
    return path


@dataclass
class Journey:
    """The people of one journey (a browser context each), the steps walked so far and what axe found."""

    browser: object
    base_url: str
    prefix: str = "journey"
    people: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    checked: set = field(default_factory=set)
    violations: list = field(default_factory=list)

    def __post_init__(self) -> None:
        for old in ARTIFACTS.glob(f"{self.prefix}-*.png"):  # only this run's steps, numbered in order
            old.unlink()

    def person(self, who: str):
        if who not in self.people:
            self.people[who] = new_context_page(self.browser, self.base_url, timeout_ms=20000)
        return self.people[who]

    def step(self, page, name: str, *, axe: bool | None = None) -> None:
        """Record a step: a full-page screenshot, and axe on every page (path) not checked before."""
        page.wait_for_load_state("networkidle")
        self.steps.append(name)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{len(self.steps):02d}-{name}.png"), full_page=True)
        key = page_key(page.url)
        stage = page.locator(".stage-bar .stage")
        if stage.count():  # a case page differs from stage to stage: check each stage it is seen in
            key += f" [{stage.first.inner_text().strip()}]"
        if axe or (axe is None and key not in self.checked):
            self.checked.add(key)
            self.violations.extend(f"[step {name}] {line}" for line in axe_violations(page))

    def close(self) -> None:
        for page in self.people.values():
            page.context.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        summary = [f"steps walked: {len(self.steps)}", *self.steps, f"pages checked by axe: {len(self.checked)}"]
        summary += sorted(self.checked) + [f"axe violations: {len(self.violations)}", *self.violations]
        (ARTIFACTS / f"{self.prefix}-summary.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).last.click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in: {page.locator('main').inner_text()}"


def logout(page) -> None:
    page.context.clear_cookies()


def focused(page) -> tuple[str, str]:
    """(role, accessible name) of document.activeElement, as the browser's accessibility tree names it."""
    if page.evaluate("document.activeElement === null || document.activeElement === document.body"):
        return ("", "")
    # Marked rather than found by ":focus", which matches only while the window itself has the focus.
    page.evaluate("document.activeElement.setAttribute('data-journey-focus', '')")
    try:
        snapshot = page.locator("[data-journey-focus]").first.aria_snapshot()
    finally:
        page.evaluate(
            "document.querySelectorAll('[data-journey-focus]').forEach(e => e.removeAttribute('data-journey-focus'))"
        )
    match = FOCUS_LINE.match(snapshot.strip().splitlines()[0]) if snapshot.strip() else None
    if not match:
        return ("", snapshot.strip()[:80])
    return (match["role"], (match["name"] or "").replace('\\"', '"'))


def tab_to(page, name: str | re.Pattern, role: str | None = None, limit: int = 120) -> None:
    """Press Tab until the focused element's accessible name is ``name`` (exact text, optionally followed by a
    unit in full-width brackets, or a pattern) and, when
    given, its role is ``role``; fail after ``limit`` presses, listing what the focus passed."""
    page.bring_to_front()
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        got_role, got_name = focused(page)
        if isinstance(name, re.Pattern):
            hit = bool(name.search(got_name))
        else:  # a field's name may carry its unit: 在江津拍摄天数（天）
            hit = got_name.strip() == name or re.fullmatch(re.escape(name) + r"（[^）]*）", got_name.strip())
        if hit and (role is None or got_role == role):
            return
        seen.append(f"{got_role} {got_name!r}")
    raise AssertionError(f"Tab never reached {role or ''} {name!r} on {page.url}; focus went: " + " → ".join(seen))


def type_into(page, name: str | re.Pattern, text: str, role: str | None = None) -> None:
    """Keyboard only: Tab to the field named ``name`` and type ``text`` (select all first, so it replaces)."""
    tab_to(page, name, role)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def mail_links(outbox, to: str) -> list[str]:
    """The links in the e-mails sent to ``to``, newest last."""
    links = []
    for message in outbox:
        if to in message.to:
            bodies = [message.body] + [alt[0] for alt in getattr(message, "alternatives", [])]
            for body in bodies:
                links.extend(LINK.findall(body))
    return links


def pdf_bytes(title: str) -> bytes:
    """A valid one-page PDF, different for each title."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def licence_pdf(name: str, code: str) -> bytes:
    """A business licence stand-in with visible text, so the office's preview shows something to check."""
    from weasyprint import HTML

    return HTML(
        string=f"<h1 style='text-align:center'>营业执照</h1><p>名称：{name}</p>"
        f"<p>统一社会信用代码：{code}</p><p>住所：重庆市江津区白沙镇</p>"
    ).write_pdf()


def pdf_text(data: bytes) -> str:
    import subprocess

    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


def credit_code(body17: str) -> str:
    """The 18-character credit code for 17 characters, with its GB 32100-2015 check character."""
    from companies.uscc import make_code

    return make_code(body17)

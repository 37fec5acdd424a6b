"""End to end in a real Chromium: the API and both apps run as processes over a demo lake.

Playwright drives Debian's chromium (``make browser`` installs it). Each scenario writes a
screenshot per step into ``test-artifacts/browser/<scenario>/`` so a person can look at what the
browser saw.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from api.demo_users import seed_demo_users
from lake.loader import ingest
from lake.settings import LakeSettings
from tests.api.conftest import make_settings
from tests.conftest import Curated, run_dbt
from tests.support.services import ROOT, Service, start_api, start_streamlit

pytestmark = pytest.mark.slow

SHOTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("LEARNSMART_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000


@dataclass
class Stack:
    """The running services, the lake behind them and the demo logins."""

    api: Service
    teacher_app: Service
    portal: Service
    lake: LakeSettings
    warehouse: Path
    users: list[dict[str, Any]]

    def user(self, role: str, **match: Any) -> dict[str, Any]:
        """The first demo user of ``role`` (whose class_ids include ``match['class_id']``)."""
        for u in self.users:
            if u["role"] != role:
                continue
            if "class_id" in match and match["class_id"] not in (u.get("class_ids") or []):
                continue
            return u
        raise LookupError(f"no demo {role} with {match}")

    def api_get(self, user: dict[str, Any], path: str) -> Any:
        """GET an API path as a demo user (what the page should show)."""
        with httpx.Client(base_url=f"{self.api.url}/api/v1", timeout=30) as c:
            login = {"username": user["username"], "password": user["password"]}
            token = c.post("/auth/login", json=login).json()["access_token"]
            r = c.get(path, headers={"Authorization": f"Bearer {token}"})
            r.raise_for_status()
            return r.json()


@pytest.fixture(scope="module")
def stack(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """API, teacher dashboard and student portal over a private copy of the demo lake."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(curated.lake, root / "lake")
    shutil.copytree(curated.lake.parent / "landing", root / "landing")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(curated.warehouse, warehouse)
    settings = make_settings(root, root / "lake")
    users = seed_demo_users(settings, root / "demo_users.json")
    logs = root / "logs"
    env = {
        "LEARNSMART_LAKE": str(root / "lake"),
        "LEARNSMART_LANDING": str(root / "landing"),
        "LEARNSMART_API_DATABASE_URL": settings.database_url,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    services: list[Service] = []
    try:
        api = start_api(env, logs)
        services.append(api)
        app_env = {**env, "LEARNSMART_API_URL": api.url}
        teacher_app = start_streamlit(
            "teacher_dashboard", "apps/teacher_dashboard/app.py", app_env, logs
        )
        services.append(teacher_app)
        portal = start_streamlit("student_portal", "apps/student_portal/app.py", app_env, logs)
        services.append(portal)
        yield Stack(api, teacher_app, portal, settings.lake, warehouse, users)
    finally:
        for s in reversed(services):
            s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make browser`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Shots:
    """Numbered screenshots of one scenario, in a folder named after it."""

    def __init__(self, scenario: str) -> None:
        self.folder = SHOTS / scenario
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.n = 0

    def take(self, page: Page, step: str) -> Path:
        """Screenshot the whole page as ``NN-step.png``."""
        self.n += 1
        path = self.folder / f"{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def new_page(browser: Browser) -> Page:
    """A fresh browser context (own cookies, own Streamlit session), wide enough for tables."""
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' indicator)."""
    # A rerun starts a moment after the click that caused it: give it that moment first.
    page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle")
    running = page.locator('[data-testid="stStatusWidget"]')
    expect(running).to_have_count(0, timeout=TIMEOUT_MS)
    # Elements of the previous run stay on screen, marked stale, until the new run replaces them.
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT_MS)


def sign_in(page: Page, url: str, user: dict[str, Any]) -> None:
    """Fill the sign-in form the way a person does."""
    page.goto(url)
    page.get_by_label("Username").fill(user["username"])
    page.get_by_label("Password", exact=True).fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile(r"Signed in as"))).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    settle(page)


def open_page(page: Page, title: str | re.Pattern[str]) -> None:
    """Click a page in the sidebar navigation."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    settle(page)


def choose(page: Page, label: str | re.Pattern[str], option: str | re.Pattern[str]) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option).first.click()
    settle(page)


def test_a_teacher_signs_in_and_sees_the_at_risk_list_with_reasons(
    stack: Stack, browser: Browser
) -> None:
    shots = Shots("teacher_at_risk")
    teacher, class_id, flagged = next(
        (t, c, f)
        for t in stack.users
        if t["role"] == "teacher"
        for c in t["class_ids"]
        if (f := stack.api_get(t, f"/classes/{c}/at-risk")["students"])
    )
    page = new_page(browser)
    sign_in(page, stack.teacher_app.url, teacher)
    shots.take(page, "signed-in")
    open_page(page, re.compile("At-risk"))
    if len(teacher["class_ids"]) > 1:
        titles = {c["class_id"]: c.get("class_title") for c in stack.api_get(teacher, "/classes")}
        choose(page, "Class", re.compile(re.escape(titles[class_id] or class_id)))
    first = flagged[0]
    # The table's grid also carries each cell as hidden text for screen readers: look for the
    # text a person sees (the student's panel), not the first match in the document.
    expect(page.get_by_text(first["reasons"][0]).filter(visible=True).first).to_be_visible()
    if first.get("display_name"):
        name = page.get_by_text(first["display_name"]).filter(visible=True)
        expect(name.first).to_be_visible()
    shots.take(page, "at-risk-list")
    page.context.close()


def skip_onboarding(page: Page) -> None:
    """A roster student with classes may skip the welcome page (onboarding is for new joiners)."""
    skip = page.get_by_role("button", name="Skip for now")
    if skip.count():
        skip.click()
        settle(page)


def answer_every_question(page: Page) -> int:
    """Pick the first option of every multiple-choice item and type into every text item."""
    form = page.get_by_test_id("stForm")
    expect(form.get_by_role("radiogroup").or_(form.get_by_role("textbox")).first).to_be_visible()
    groups = form.get_by_role("radiogroup")
    for i in range(groups.count()):
        groups.nth(i).get_by_role("radio").first.check(force=True)
    texts = form.get_by_role("textbox")
    for i in range(texts.count()):
        texts.nth(i).fill("1")
    return groups.count() + texts.count()


def total_answers(analysis: dict[str, Any]) -> int:
    """Answers counted by the item analysis, over every item of the class."""
    return sum(int(i.get("n_attempts") or 0) for i in analysis["items"])


def test_a_student_takes_a_quiz_and_the_teacher_sees_it_after_the_pipeline(
    stack: Stack, browser: Browser
) -> None:
    shots = Shots("student_quiz_then_item_analysis")
    teacher = stack.user("teacher")
    class_id = teacher["class_ids"][0]
    student = stack.user("student", class_id=class_id)
    classes = stack.api_get(student, "/students/me/classes")
    title = next(
        c.get("class_title") or c["class_id"] for c in classes if c["class_id"] == class_id
    )
    before = total_answers(stack.api_get(teacher, f"/classes/{class_id}/item-analysis"))

    page = new_page(browser)
    sign_in(page, stack.portal.url, student)
    skip_onboarding(page)
    shots.take(page, "student-signed-in")
    open_page(page, "Take a quiz")
    choose(page, "Class", title)
    shots.take(page, "quiz-shown")
    answered = answer_every_question(page)
    assert answered > 0, "the quiz page rendered no question"
    page.get_by_role("button", name="Submit answers").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Score: \d+ / \d+"))).to_be_visible()
    shots.take(page, "quiz-scored")
    page.context.close()

    # The nightly pipeline: load the new statements, rebuild the marts.
    ingest(stack.lake)
    run_dbt(stack.lake.lake, stack.warehouse, "build")
    after = total_answers(stack.api_get(teacher, f"/classes/{class_id}/item-analysis"))
    assert after == before + answered

    page = new_page(browser)
    sign_in(page, stack.teacher_app.url, teacher)
    open_page(page, "Item analysis")
    expect(page.get_by_text(re.compile(rf"\b{after:,} answers\b"))).to_be_visible()
    shots.take(page, "teacher-item-analysis")
    page.context.close()


def test_the_portal_speaks_spanish_when_the_student_chooses_it(
    stack: Stack, browser: Browser
) -> None:
    shots = Shots("student_spanish")
    student = [u for u in stack.users if u["role"] == "student"][-1]
    page = new_page(browser)
    sign_in(page, stack.portal.url, student)
    skip_onboarding(page)
    shots.take(page, "english")
    choose(page, "Language", "Español")
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Mi progreso")).to_be_visible()
    expect(page.get_by_text("Sign out")).to_have_count(0)
    shots.take(page, "spanish")
    assert stack.api_get(student, "/auth/me")["language"] == "es"
    page.context.close()

    # The setting is the user's: a new session opens in Spanish.
    page = new_page(browser)
    page.goto(stack.portal.url)
    page.get_by_label(re.compile("Username|Usuario")).fill(student["username"])
    page.get_by_role("textbox", name=re.compile("^(Password|Contraseña)$")).fill(
        student["password"]
    )
    page.get_by_role("button", name=re.compile("Sign in|Iniciar sesión")).click()
    expect(page.get_by_text(re.compile("Sesión iniciada como"))).to_be_visible()
    expect(page.get_by_role("button", name="Iniciar sesión")).to_have_count(0)
    settle(page)
    skip = page.get_by_role("button", name="Omitir por ahora")
    if skip.count():
        skip.click()
        settle(page)
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    shots.take(page, "spanish-next-session")
    page.context.close()

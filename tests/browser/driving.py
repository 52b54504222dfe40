"""One Chromium session driven through the app as a person would: sign in, open a page, look at it."""

import base64
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import language

CHECKS = (Path(__file__).parent / "checks.js").read_text()
MAX_SHOT_HEIGHT = 8000  # px: a long list is cut there in its screenshot (the checks see the whole page)
OWN_STATUS = re.compile(r"^PAGE - Failed to load resource: the server responded with a status of 4\d\d ")


@dataclass
class Look:
    """What one page showed: the problems found, its visible text and its title."""

    url: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    title: str = ""


class Browser:
    def __init__(self, driver, site, screenshots: Path):
        self.driver, self.site, self.screenshots = driver, site, screenshots
        self.signed_in_as: str | None = None
        self.viewport = (0, 0)
        screenshots.mkdir(parents=True, exist_ok=True)

    # --- the window ----------------------------------------------------------------
    def set_viewport(self, width: int, height: int) -> None:
        """The page's own width, as on a phone (mobile: the meta viewport applies) or a desktop."""
        if self.viewport == (width, height):
            return
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.viewport = (width, height)

    # --- signing in and out ---------------------------------------------------------
    def sign_in(self, username: str, *, on_this_page: bool = False) -> None:
        """Sign in through the form: the sign-in page's, or (on_this_page) the one the browser shows."""
        if self.signed_in_as == username and not on_this_page:
            return
        if not on_this_page:
            self.sign_out()
            self.driver.get(self.site.url("/auth/login"))
        self.driver.find_element(By.NAME, "username").send_keys(username)
        self.driver.find_element(By.NAME, "password").send_keys(self.site.passwords[username])
        self.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        WebDriverWait(self.driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "header .who")))
        self.signed_in_as = username

    def sign_out(self) -> None:
        if self.signed_in_as is None:
            return
        buttons = self.driver.find_elements(By.CSS_SELECTOR, "header .who form button")
        if buttons:
            buttons[0].click()
            WebDriverWait(self.driver, 10).until(ec.presence_of_element_located((By.NAME, "username")))
        else:
            self.driver.delete_all_cookies()
        self.signed_in_as = None

    # --- looking at pages -----------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.site.url(path))

    def console_errors(self) -> list[str]:
        """Errors in the console, less the page's own 4xx status (a form sent back with its errors is a 422)."""
        page = self.driver.current_url
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and not OWN_STATUS.match(entry["message"].replace(page, "PAGE", 1))
        ]

    def look(self, path: str, shot: str | None = None) -> Look:
        """Open ``path`` (or look at the page as it is, when ``path`` is None) and check what it shows."""
        if path is not None:
            self.open(path)
        result = self.driver.execute_script(CHECKS)
        look = Look(url=self.driver.current_url, problems=[tuple(p) for p in result["problems"]])
        look.texts, look.title = result["texts"], result["title"]
        look.problems += [("JavaScript console error", message) for message in self.console_errors()]
        look.problems += [("server error", f"{status} for {where}") for where, status in self.site.statuses.take()]
        look.problems += [("raw code on screen", code) for code in language.raw_codes(look.texts)]
        if shot:
            self.screenshot(shot)
        return look

    def screenshot(self, name: str) -> Path:
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], MAX_SHOT_HEIGHT), "scale": 1}
        data = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )["data"]
        target = self.screenshots / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + ".png")
        target.write_bytes(base64.b64decode(data))
        return target

    def wait_for(self, css: str, timeout: float = 10):
        return WebDriverWait(self.driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def submit(self, button_css: str, timeout: float = 10) -> None:
        """Press a form's button and wait until the browser has left the page it was on: waiting only for
        an element of the next page can find the same element still on this one (a success notice)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, button_css).click()
        WebDriverWait(self.driver, timeout).until(ec.staleness_of(page))

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)


def fill(driver, form_css: str, values: dict[str, str | bool]) -> None:
    """Type into a form as a person would: text typed key by key, choices picked, boxes ticked.

    Dates are set through the input's value (typing into a date box depends on the browser's locale),
    then announced with the input and change events a person's typing would fire.
    """
    from selenium.webdriver.support.ui import Select

    form = driver.find_element(By.CSS_SELECTOR, form_css)
    for name, value in values.items():
        elements = form.find_elements(By.NAME, name)
        if not elements:
            raise LookupError(f"no field {name!r} in {form_css}")
        element = elements[0]
        kind = element.get_attribute("type")
        if element.tag_name == "select":
            Select(element).select_by_value(str(value))
        elif kind == "checkbox":
            if element.is_selected() != bool(value):
                element.click()
        elif kind == "radio":
            form.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']").click()
        elif kind == "date":
            driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                element,
                str(value),
            )
        else:
            element.clear()
            element.send_keys(str(value))


def open_sections(driver, *names: str) -> None:
    """Open the visit form's sections (details elements) holding the named fields."""
    for name in names:
        driver.execute_script(
            "var el = document.querySelector(\"[name='\" + arguments[0] + \"']\"); var d = el && el.closest('details');"
            "if (d) { d.open = true; }",
            name,
        )


A4_PORTRAIT_CSS_PX = 714  # 210 mm less the 10 mm side margins of @page, at 96 px per inch


def print_to_pdf(driver) -> bytes:
    """The page as the browser prints it on A4 portrait (its own @page rules apply)."""
    data = driver.execute_cdp_cmd(
        "Page.printToPDF",
        {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True, "printBackground": False},
    )["data"]
    return base64.b64decode(data)

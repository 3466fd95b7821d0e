"""The MCP Apps views in a real browser: headless Debian chromium (selenium + chromedriver)
shows each view inside tests/views/host.html, a small host built on the official host bridge
(AppBridge from @modelcontextprotocol/ext-apps, bundled by .ci/run into BRIDGE_JS), fed real
tool results from `serve --demo` over /mcp with the CI API key.

Checks: the week view shows the demo's week (cells, row and day totals, the short Thursday
of last week marked) and steps back a week by calling get_hours through the bridge; the
booking view shows a copy_week plan, books only the ticked lines when "Book these" is pressed
(read back with get_hours), in light (English) and in dark (Danish). Screenshots go to
ARTIFACTS_DIR.

Usage: python tests/views/run.py BASE_URL API_KEY BRIDGE_JS ARTIFACTS_DIR   (run by .ci/run)
"""

import datetime
import json
import os
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
import chromium  # noqa: E402  (tests/browser/chromium.py)

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 20
HOST_PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host.html")
WEEK_VIEW = "ui://tidsreg/week"
BOOKING_VIEW = "ui://tidsreg/booking"
VIEW_MIME_TYPE = "text/html;profile=mcp-app"
# The demo's last week (src/fake/demo_weeks.rs): 7.5 a day but Thursday's 6.5.
DEMO_LAST_WEEK_TOTAL = 36.5
DEMO_SHORT_WEEKDAY = 3
RESULTS = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    RESULTS["passed" if condition else "failed"] += 1
    print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")


class Mcp:
    """Plain JSON-RPC to the stateless /mcp with the API key as bearer."""

    def __init__(self, base_url, key):
        self.url = base_url.rstrip("/") + "/mcp"
        self.key = key
        self.next_id = 1

    def request(self, method, params):
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.next_id += 1
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={
                "authorization": f"Bearer {self.key}",
                "content-type": "application/json",
                "accept": "application/json, text/event-stream",
                "mcp-protocol-version": "2025-06-18",
            },
        )
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def call(self, name, arguments):
        return self.request("tools/call", {"name": name, "arguments": arguments})

    def call_json(self, name, arguments):
        """A tool's answer object: structuredContent, else the first text block as JSON."""
        result = self.call(name, arguments)
        if result.get("isError"):
            raise RuntimeError(f"{name}: {result['content']}")
        if isinstance(result.get("structuredContent"), dict):
            return result, result["structuredContent"]
        return result, json.loads(result["content"][0]["text"])

    def view(self, uri):
        contents = self.request("resources/read", {"uri": uri})["contents"]
        check(f"{uri} is an MCP App", contents[0].get("mimeType") == VIEW_MIME_TYPE, contents[0])
        return contents[0]["text"]


def host_server(mcp, bridge_js):
    """The host page, the bundled AppBridge, and /call (the view's tools/call, sent on)."""

    class Host(BaseHTTPRequestHandler):
        def do_GET(self):
            files = {"/": (HOST_PAGE, "text/html"), "/app-bridge.js": (bridge_js, "text/javascript")}
            if self.path not in files:
                self.send_error(404)
                return
            path, kind = files[self.path]
            with open(path, "rb") as f:
                self.answer(f.read(), kind)

        def do_POST(self):
            params = json.loads(self.rfile.read(int(self.headers["content-length"])))
            result = mcp.call(params["name"], params.get("arguments", {}))
            self.answer(json.dumps(result).encode(), "application/json")

        def answer(self, body, kind):
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser(profile):
    return chromium.browser(profile, "1000,1200")


def show(driver, label, html, theme, locale, tool_input, tool_result):
    """Starts a view in the host page and switches into its iframe."""
    driver.switch_to.default_content()
    driver.get(driver.host_url)  # a fresh host page per view, as a host gives each its own frame
    driver.set_script_timeout(WAIT_SECONDS)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.startView(...Array.from(arguments).slice(0, 6)).then(() => done(null), (e) => done(String(e)));",
        label, html, theme, locale, tool_input, tool_result,
    )
    driver.switch_to.frame(driver.find_element(By.ID, "view"))


def wait_for(driver, what, condition):
    try:
        WebDriverWait(driver, WAIT_SECONDS).until(lambda d: condition(d))
        return True
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        check(what, False, repr(e))
        return False


def texts(driver, selector):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def number(text, locale):
    text = text.strip().replace("\u00b7", "0")
    return float(text.replace(",", ".")) if locale.startswith("da") else float(text.replace(",", ""))


def screenshot(driver, artifacts, name):
    """The view's frame as the host shows it."""
    driver.switch_to.default_content()
    driver.find_element(By.ID, "view").screenshot(os.path.join(artifacts, name))


def week_view(driver, mcp, html, theme, locale, artifacts):
    this_week, sheet = mcp.call_json("get_hours", {})
    show(driver, "get_hours", html, theme, locale, {}, this_week)
    if not wait_for(driver, "week grid shown", lambda d: d.find_element(By.ID, "week-total").text):
        return
    total = number(driver.find_element(By.ID, "week-total").text, locale)
    check(f"{theme}: this week's total is the tool's", total == sheet["total"], (total, sheet["total"]))
    title = driver.find_element(By.ID, "title").text
    word = "Uge" if locale.startswith("da") else "Week"
    check(f"{theme}: title names week {sheet['week']} in {locale}", title.startswith(f"{word} {sheet['week']}"), title)

    # Step back through the bridge: the view calls get_hours itself.
    driver.find_element(By.ID, "prev").click()
    last_week = sheet["week"] - 1 if sheet["week"] > 1 else None
    ok = wait_for(
        driver,
        "previous week loaded through tools/call",
        lambda d: last_week is None or d.find_element(By.ID, "title").text.startswith(f"{word} {last_week}"),
    )
    if not ok:
        return
    start = datetime.date.fromisoformat(sheet["start"]) - datetime.timedelta(days=7)
    _, previous = mcp.call_json("get_hours", {"date": start.isoformat()})
    total = number(driver.find_element(By.ID, "week-total").text, locale)
    check(f"{theme}: last week's total is the demo's {DEMO_LAST_WEEK_TOTAL}", total == DEMO_LAST_WEEK_TOTAL == previous["total"], total)
    day_totals = [number(t, locale) for t in texts(driver, "tfoot td[data-day-total] .mark")]
    check(f"{theme}: day totals", day_totals == previous["days"], (day_totals, previous["days"]))
    for r, row in enumerate(previous["rows"]):
        cells = [number(t, locale) for t in texts(driver, f'tbody tr[data-row="{r}"] td.h')]
        check(f"{theme}: row {r} cells", cells == row["hours"], (cells, row["hours"]))
        row_total = number(driver.find_element(By.CSS_SELECTOR, f'td[data-row-total="{r}"]').text, locale)
        check(f"{theme}: row {r} total", row_total == sum(row["hours"]), row_total)
    short = driver.find_elements(By.CSS_SELECTOR, "tfoot td.short")
    thursday = (start + datetime.timedelta(days=DEMO_SHORT_WEEKDAY)).isoformat()
    check(
        f"{theme}: Thursday is marked short, and only it",
        [e.get_attribute("data-day-total") for e in short] == [thursday],
        [e.get_attribute("data-day-total") for e in short],
    )
    weekend = driver.find_elements(By.CSS_SELECTOR, "thead th.weekend")
    check(f"{theme}: the weekend is dimmed", len(weekend) == 2, len(weekend))
    screenshot(driver, artifacts, f"week-{theme}.png")


def booking_view(driver, mcp, html, theme, locale, artifacts, weeks_ahead):
    """Plans last week onto a week ahead, unticks the meetings, books, reads the week back."""
    _, sheet = mcp.call_json("get_hours", {})
    monday = datetime.date.fromisoformat(sheet["start"])
    source = (monday - datetime.timedelta(days=7)).isoformat()
    target = (monday + datetime.timedelta(days=7 * weeks_ahead)).isoformat()
    arguments = {"from": source, "to": target}
    result, plan = mcp.call_json("copy_week", arguments)
    _, before = mcp.call_json("get_hours", {"date": target})
    show(driver, "copy_week", html, theme, locale, arguments, result)
    if not wait_for(driver, "booking grid shown", lambda d: d.find_element(By.ID, "book").is_displayed()):
        return
    rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    check(f"{theme}: one row per planned line", len(rows) == len(plan["lines"]), (len(rows), len(plan["lines"])))
    skip = plan["lines"][-1]["activityId"]  # every line of one activity stays unbooked
    by_keyboard = True
    for i, line in enumerate(plan["lines"]):
        if line["activityId"] == skip:
            box = driver.find_element(By.ID, f"pick-{i}")
            if by_keyboard:  # the first with the space bar, as a keyboard user would
                box.send_keys(Keys.SPACE)
                by_keyboard = False
            else:
                box.click()
    ticked = [line for line in plan["lines"] if line["activityId"] != skip]
    unticked = len(plan["lines"]) - len(ticked)
    check(f"{theme}: nothing booked before the press", mcp.call_json("get_hours", {"date": target})[1]["total"] == before["total"])
    screenshot(driver, artifacts, f"booking-{theme}-plan.png")
    driver.switch_to.frame(driver.find_element(By.ID, "view"))
    driver.find_element(By.ID, "book").click()
    if not wait_for(driver, "booking done", lambda d: not d.find_elements(By.CSS_SELECTOR, 'td[data-status="planned"]') and d.find_elements(By.CSS_SELECTOR, 'td[data-status="booked"]')):
        return
    booked = driver.find_elements(By.CSS_SELECTOR, 'td[data-status="booked"]')
    skipped = driver.find_elements(By.CSS_SELECTOR, 'td[data-status="skipped"]')
    check(f"{theme}: each ticked line says booked", len(booked) == len(ticked), (len(booked), len(ticked)))
    check(f"{theme}: each unticked line says not booked", len(skipped) == unticked, (len(skipped), unticked))
    driver.switch_to.default_content()
    told_script = "return window.hostEvents.filter((e) => e[0] === 'model context')"
    wait_for(driver, "model context update", lambda d: d.execute_script(told_script))
    told = driver.execute_script(told_script)
    check(f"{theme}: the model hears of the booking", len(told) == 1 and "Book these" in told[0][1], told)
    _, after = mcp.call_json("get_hours", {"date": target})
    want = round(before["total"] + sum(line["hours"] for line in ticked), 2)
    check(f"{theme}: the ticked hours arrived upstream", after["total"] == want, (after["total"], want))
    skipped_rows = [r for r in after["rows"] if r.get("activityId") == skip]
    check(f"{theme}: the unticked activity was not booked", not skipped_rows, skipped_rows)
    screenshot(driver, artifacts, f"booking-{theme}.png")


def main():
    base_url, key, bridge_js, artifacts = sys.argv[1:5]
    os.makedirs(artifacts, exist_ok=True)
    mcp = Mcp(base_url, key)
    mcp.call("login", {"username": "demo", "password": "demo"})
    tools = {t["name"]: t for t in mcp.request("tools/list", {})["tools"]}
    for name, uri in [("get_hours", WEEK_VIEW), ("copy_week", BOOKING_VIEW), ("register_hours_batch", BOOKING_VIEW)]:
        meta = tools[name].get("_meta", {})
        check(f"{name} points at {uri}", meta.get("ui", {}).get("resourceUri") == uri, meta)
    week_html, booking_html = mcp.view(WEEK_VIEW), mcp.view(BOOKING_VIEW)

    host = host_server(mcp, bridge_js)
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            driver.host_url = f"http://127.0.0.1:{host.server_address[1]}/"
            for theme, locale, ahead in [("light", "en-US", 1), ("dark", "da-DK", 2)]:
                week_view(driver, mcp, week_html, theme, locale, artifacts)
                booking_view(driver, mcp, booking_html, theme, locale, artifacts, ahead)
            errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] if hasattr(driver, "get_log") else []
            check("no errors in the browser console", not errors, errors)
        finally:
            driver.quit()
            host.shutdown()
    print(f"views: {RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)


if __name__ == "__main__":
    main()

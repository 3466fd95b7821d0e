"""The sign-in page in a real browser: headless Debian chromium, driven over WebDriver
(selenium + Debian's chromedriver, the same version as the browser).

Registers a client whose redirect URI is a tiny local callback server, opens the
authorization URL (PKCE S256), signs in with a wrong password (the page must say so and keep
the username), then with the right one, and must land on the callback with a code and the
same state; the code is then exchanged and the token used. Screenshots go to ARTIFACTS_DIR.

Usage: python tests/browser/signin.py BASE_URL ARTIFACTS_DIR   (run by .ci/run)
"""

import base64
import hashlib
import json
import os
import secrets
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import chromium  # tests/browser/chromium.py, beside this file

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 20
RESULTS = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    RESULTS["passed" if condition else "failed"] += 1
    print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")


class Callback(BaseHTTPRequestHandler):
    """The client's redirect URI: answers a small page so the browser lands somewhere real."""

    def do_GET(self):
        body = b"<!doctype html><title>Client callback</title><h1>Signed in: code received</h1>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def post(url, data, as_json=False):
    body = json.dumps(data).encode() if as_json else urllib.parse.urlencode(data).encode()
    kind = "application/json" if as_json else "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, headers={"content-type": kind})
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
        return json.loads(response.read())


def browser(profile):
    return chromium.browser(profile, "900,800")


def fill(driver, username, password):
    user = driver.find_element(By.ID, "username")
    user.clear()
    user.send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def main():
    base, artifacts = sys.argv[1].rstrip("/"), sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    callback = HTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=callback.serve_forever, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{callback.server_port}/callback"

    client = post(
        f"{base}/oauth/register",
        {"client_name": "Browser test", "redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"},
        as_json=True,
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
            "scope": "tidsreg",
        }
    )
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            wait = WebDriverWait(driver, WAIT_SECONDS)
            driver.get(f"{base}/oauth/authorize?{query}")
            wait.until(ec.presence_of_element_located((By.ID, "username")))
            check("the sign-in page shows who asks", "Browser test" in driver.page_source)
            check("an app on a host of its own is marked unverified", "(unverified)" in driver.page_source)
            driver.save_screenshot(os.path.join(artifacts, "signin-page.png"))

            fill(driver, "demo", "wrong-password")
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".error")))
            error = driver.find_element(By.CSS_SELECTOR, ".error").text
            check("a wrong password shows an error", "did not accept" in error, error)
            kept = driver.find_element(By.ID, "username").get_attribute("value")
            check("the username is kept", kept == "demo", kept)
            check("no code after a wrong password", "code=" not in driver.current_url, driver.current_url)
            driver.save_screenshot(os.path.join(artifacts, "signin-wrong-password.png"))

            fill(driver, "demo", "demo")
            wait.until(ec.url_contains("/callback"))
            landed = urllib.parse.urlparse(driver.current_url)
            params = urllib.parse.parse_qs(landed.query)
            check("lands on the redirect URI", driver.current_url.startswith(redirect_uri), driver.current_url)
            check("with the same state", params.get("state") == [state], params)
            check("and a code", bool(params.get("code")), params)
            driver.save_screenshot(os.path.join(artifacts, "signin-callback.png"))
        finally:
            driver.quit()
            callback.shutdown()

    tokens = post(
        f"{base}/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": client["client_id"],
        },
    )
    request = urllib.request.Request(
        f"{base}/api/customers", headers={"authorization": f"Bearer {tokens['access_token']}"}
    )
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
        customers = json.loads(response.read())
    check("the token reads the person's customers", any(c["name"] == "&Money ApS" for c in customers))
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

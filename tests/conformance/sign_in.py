"""Plays the person for the conformance suite's `authorization-code-grant` scenario.

The suite prints the authorization URL ("Access the following URL in your browser ...") and
waits for the redirect at its own callback (http://127.0.0.1:<port>/callback). This script
watches the suite's output for that URL, opens our sign-in page, posts the form as the
demo user (sending back the page's `tgpt_signin_...` cookie, as a browser would, and no
foreign Origin), and then delivers the redirect - code, state, iss - to the suite's callback.

Usage: python3 tests/conformance/sign_in.py SUITE_OUTPUT_FILE ISSUER_URL
"""

import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEMO_USER = ("demo", "demo")
WAIT_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 30


class KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Hands a redirect back as the answer, so its Location can be checked and delivered."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(KeepRedirects)


def fail(message):
    print(f"sign-in: {message}", file=sys.stderr)
    sys.exit(1)


def authorization_url(output_file, issuer):
    """The first line of the suite's output that is our authorization endpoint's URL."""
    pattern = re.compile(re.escape(issuer) + r"/oauth/authorize\?\S+")
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            with open(output_file, encoding="utf-8", errors="replace") as file:
                found = pattern.search(file.read())
            if found:
                return found.group(0)
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    fail(f"the suite printed no authorization URL for {issuer} within {WAIT_SECONDS} s")


def call(request):
    try:
        return OPENER.open(request, timeout=HTTP_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as answer:  # a 3xx or 4xx, kept as the answer
        return answer


def deliver(location):
    """Opens the redirect at the suite's callback, which may still be starting to listen."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return call(urllib.request.Request(location))
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main():
    output_file, issuer = sys.argv[1], sys.argv[2].rstrip("/")
    url = authorization_url(output_file, issuer)
    page = call(urllib.request.Request(url))
    html = page.read().decode("utf-8", errors="replace")
    request_id = re.search(r'name="request" value="([^"]+)"', html)
    if page.status != 200 or not request_id:
        fail(f"the sign-in page did not open: HTTP {page.status}: {html[:300]}")
    cookies = [c.split(";", 1)[0] for c in page.headers.get_all("set-cookie") or []]
    form = urllib.parse.urlencode(
        {"request": request_id.group(1), "username": DEMO_USER[0], "password": DEMO_USER[1]}
    ).encode()
    headers = {"content-type": "application/x-www-form-urlencoded", "cookie": "; ".join(cookies)}
    answer = call(urllib.request.Request(url.split("?", 1)[0], data=form, headers=headers))
    location = answer.headers.get("location", "")
    if answer.status not in (302, 303) or not location:
        body = answer.read().decode("utf-8", errors="replace")
        fail(f"signing in did not redirect: HTTP {answer.status}: {body[:300]}")
    print(f"sign-in: signed in as {DEMO_USER[0]}, redirected to {location.split('?', 1)[0]}")
    delivered = deliver(location)
    if delivered.status != 200:
        fail(f"the suite's callback answered HTTP {delivered.status}")


if __name__ == "__main__":
    main()

"""An outside MCP client against `tidsreg-gpt serve --demo`: the official Python SDK (`mcp`
from PyPI), over streamable HTTP, twice:

1. with an API key as a fixed bearer header: initialize, list tools (`login` offered),
   `login`, `list_customers`;
2. with the SDK's own OAuth client: it follows our 401 to the metadata, registers, sends
   "the person" to the sign-in page (played here by plain HTTP: GET the page, POST the
   form), exchanges the code with PKCE, then lists tools (no `login`) and calls
   `list_customers`.

Usage: python tests/mcp_client.py BASE_URL API_KEY   (run by .ci/run)
"""

import asyncio
import json
import re
import sys
from urllib.parse import parse_qs, urlparse

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

DEMO_USER = ("demo", "demo")
REDIRECT_URI = "http://127.0.0.1:9/callback"
RESULTS = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    RESULTS["passed" if condition else "failed"] += 1
    print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)}")


def text_of(result):
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def session_checks(session, label, expect_login):
    init = await session.initialize()
    check(f"{label}: initialize names the server", init.serverInfo.name == "tidsreg-gpt", init.serverInfo)
    check(f"{label}: instructions", "list_customers" in (init.instructions or ""))
    tools = {t.name: t for t in (await session.list_tools()).tools}
    check(f"{label}: list_customers is read-only", tools["list_customers"].annotations.readOnlyHint is True)
    check(f"{label}: login offered only with an API key", ("login" in tools) == expect_login, sorted(tools))
    if expect_login:
        login = await session.call_tool("login", {"username": DEMO_USER[0], "password": DEMO_USER[1]})
        check(f"{label}: login", not login.isError, text_of(login))
    check(f"{label}: every tool declares an output schema", all(t.outputSchema for t in tools.values()), sorted(tools))
    # The SDK validates structured content against the tool's output schema on every call.
    customers = await session.call_tool("list_customers", {})
    items = (customers.structuredContent or {}).get("items", []) if not customers.isError else []
    names = [c["name"] for c in items]
    check(f"{label}: list_customers answers structured content", "&Money ApS" in names, text_of(customers))
    found = await session.call_tool("search", {"q": "money udvikling"})
    results = (found.structuredContent or {}).get("results", [])
    check(f"{label}: search answers structured results", not found.isError and len(results) > 0, text_of(found))
    bad = await session.call_tool("list_projects", {"customerId": "abc"})
    check(f"{label}: a bad id is a tool error naming it", bad.isError and "`customerId`" in text_of(bad), text_of(bad))


async def with_api_key(base, key):
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(f"{base}/mcp", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session_checks(session, "api key", expect_login=True)


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull):
        self.client = client_info


class Browser:
    """Plays the person: opens the sign-in page, submits the form, reads the redirect."""

    def __init__(self):
        self.callback = None

    async def open(self, authorization_url):
        async with httpx.AsyncClient(follow_redirects=False, timeout=30) as http:
            page = await http.get(authorization_url)
            request = re.search(r'name="request" value="([^"]+)"', page.text)
            check("oauth: the sign-in page opens", page.status_code == 200 and request, page.text[:300])
            form = {"request": request.group(1), "username": DEMO_USER[0], "password": DEMO_USER[1]}
            answer = await http.post(str(page.url.copy_with(query=None)), data=form)
            location = answer.headers.get("location", "")
            check("oauth: signing in redirects to the client", location.startswith(REDIRECT_URI), answer.status_code)
            query = parse_qs(urlparse(location).query)
            self.callback = (query["code"][0], query.get("state", [None])[0])

    async def wait(self):
        return self.callback


async def with_oauth(base):
    browser = Browser()
    auth = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="python mcp CI client",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=browser.open,
        callback_handler=browser.wait,
    )
    async with httpx.AsyncClient(auth=auth, timeout=30) as http:
        async with streamable_http_client(f"{base}/mcp", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session_checks(session, "oauth", expect_login=False)


async def main():
    base, key = sys.argv[1].rstrip("/"), sys.argv[2]
    await with_api_key(base, key)
    await with_oauth(base)
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

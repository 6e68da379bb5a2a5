"""Every page, as every role, runs under the strict Content-Security-Policy (our own static
files only, no inline script or style) without a single violation, and no page a signed-in user
sees is stored by the browser."""

import pytest

from tests.accounts.test_auth import EVERY_PAGE, ROLES, every_page  # noqa: F401 - a fixture

pytestmark = pytest.mark.e2e

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_every_page_loads_without_a_policy_violation(request, page, log_in, every_page):  # noqa: F811
    page.add_init_script(WATCH)
    violations, visited = [], 0
    for role in ROLES:
        user = request.getfixturevalue(role)
        page.context.clear_cookies()
        log_in(user.username)
        for name, url in every_page.items():
            if EVERY_PAGE[name][ROLES.index(role)] != 200 or url.endswith((".pdf", "/download/")):
                continue  # a PDF or an export's ZIP is downloaded, not shown: no page to watch
            response = page.goto(url)
            assert response.status == 200, (name, role)
            policy = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in policy and "style-src 'self'" in policy, name
            assert "no-store" in response.headers.get("cache-control", ""), name
            page.wait_for_load_state("load")
            page.wait_for_timeout(50)  # reports are delivered after the load
            found = page.evaluate("window.__violations")
            violations += [f"{name} as {role}: {v}" for v in found]
            visited += 1
    assert visited > 100
    assert violations == []

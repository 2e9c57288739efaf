"""Throttling slows guessing without handing attackers a lock-out.

Before: five wrong passwords from anyone locked the account for everyone, and 20 failures
from one address (a provincial office behind NAT) locked out everyone there. Now a browser
that signed in to the account before carries a signed device cookie and is held only by its
own failures; other clients are held per account from one address, per account from
everywhere, and per address. The owner's right password works from their browser whatever
others do; guessers are still slowed.
"""

from __future__ import annotations

import pytest

from tests.registry.conftest import PASSWORD, csrf_token

OFFICE = "203.0.113.10"  # one NAT address: the provincial office
ELSEWHERE = "198.51.100.7"


@pytest.fixture(autouse=True)
def small_limits(app):
    """Lower limits: every try hashes a password (slow on purpose), the rules are the same."""
    app.config.update(
        LOGIN_MAX_FAILURES_PER_ACCOUNT=3,
        LOGIN_MAX_FAILURES_PER_CLIENT=4,
        LOGIN_MAX_FAILURES_PER_DEVICE=3,
        LOGIN_MAX_FAILURES_PER_ACCOUNT_EVERYWHERE=5,
    )


def _try(client, username: str, password: str, address: str):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _owner_browser(app, address: str = OFFICE):
    """A browser that has signed in to 'official' before, then signed out."""
    browser = app.test_client()
    assert _try(browser, "official", PASSWORD, address).status_code == 302
    browser.post(
        "/logout",
        data={"csrf_token": csrf_token(browser, "/official/")},
        environ_base={"REMOTE_ADDR": address},
    )
    return browser


def test_the_owners_browser_gets_in_while_someone_guesses_from_the_same_office(app, accounts):
    owner = _owner_browser(app)
    guesser = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit + 1):
        assert _try(guesser, "official", "guess", OFFICE).status_code in (401, 429)
    # The guesser is held, even with the right password now...
    assert _try(guesser, "official", PASSWORD, OFFICE).status_code == 429
    # ...but the owner's browser, behind the same address, is not.
    assert _try(owner, "official", PASSWORD, OFFICE).status_code == 302


def test_guessing_from_one_address_does_not_lock_the_account_elsewhere(app, accounts):
    guesser = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        _try(guesser, "official", "guess", ELSEWHERE)
    assert _try(guesser, "official", PASSWORD, ELSEWHERE).status_code == 429
    colleague = app.test_client()  # a new browser at the office, never failing
    assert _try(colleague, "official", PASSWORD, OFFICE).status_code == 302


def test_a_spraying_office_address_keeps_known_browsers_working(app, accounts):
    owner = _owner_browser(app)
    sprayer = app.test_client()
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_CLIENT"]):
        _try(sprayer, f"user-{i}", "guess", OFFICE)
    assert _try(sprayer, "planner", PASSWORD, OFFICE).status_code == 429  # spraying is slowed
    assert _try(owner, "official", PASSWORD, OFFICE).status_code == 302


def test_a_trusted_browser_is_held_by_its_own_failures(app, accounts):
    stolen = _owner_browser(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_DEVICE"]):
        assert _try(stolen, "official", "guess", ELSEWHERE).status_code == 401
    assert _try(stolen, "official", PASSWORD, ELSEWHERE).status_code == 429


def test_a_device_cookie_of_another_account_earns_no_trust(app, accounts):
    attacker = app.test_client()
    assert _try(attacker, "planner", PASSWORD, ELSEWHERE).status_code == 302  # their own account
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        _try(attacker, "official", "guess", ELSEWHERE)
    assert _try(attacker, "official", PASSWORD, ELSEWHERE).status_code == 429


def test_guessing_from_many_addresses_is_held_for_new_browsers(app, accounts):
    owner = _owner_browser(app, ELSEWHERE)
    botnet = app.test_client()
    for i in range(5):
        _try(botnet, "official", "guess", f"192.0.2.{i + 1}")
    refused = _try(botnet, "official", PASSWORD, "192.0.2.99")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert _try(owner, "official", PASSWORD, ELSEWHERE).status_code == 302

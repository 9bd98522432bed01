"""Dashboard links: signed for one tenant, refused when altered, expired or signed elsewhere."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.core.links import DashboardLinks, LinkRefused
from tests.doubles import FakeClock


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def test_a_link_opens_its_tenant_until_it_expires() -> None:
    clock = FakeClock()
    links = DashboardLinks("s3cret", "https://chimera.example.com/", clock, ttl_s=3600)
    link = links.link("slack:T1")
    assert link.startswith("https://chimera.example.com/dashboard/login?token=")
    assert links.tenant_of(token_of(link)) == "slack:T1"
    clock.advance(3599)
    assert links.tenant_of(token_of(link)) == "slack:T1"
    clock.advance(1)
    with pytest.raises(LinkRefused, match="expired") as refused:
        links.tenant_of(token_of(link))
    assert refused.value.expired


def test_an_altered_token_or_another_secret_is_refused() -> None:
    clock = FakeClock()
    links = DashboardLinks("s3cret", "http://localhost:8080", clock, ttl_s=60)
    token = links.token("discord:1")
    payload, signature = token.split(".")
    forged = DashboardLinks("s3cret", "", clock, ttl_s=60).token("discord:2").split(".")[0]
    for bad in (forged + "." + signature, payload + "." + signature[::-1], "", "garbage"):
        with pytest.raises(LinkRefused, match="not valid"):
            links.tenant_of(bad)
    elsewhere = DashboardLinks("other secret", "", clock, ttl_s=60)
    with pytest.raises(LinkRefused):
        elsewhere.tenant_of(token)

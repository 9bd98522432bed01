"""What an operator sees of Slack: the connection check, rate limits and refusals counted,
and `/chimera dashboard` answering admins privately with their workspace's link."""

from __future__ import annotations

from tests.adapters.slack.conftest import ALLOWLISTED, Chimera


def errors(chimera: Chimera, kind: str) -> float | None:
    """Return how many Slack errors of a kind the metrics counted."""
    labels = {"platform": "slack", "kind": kind}
    registry = chimera.services.metrics.registry
    return registry.get_sample_value("chimera_platform_errors_total", labels)


async def test_the_web_api_check_follows_auth_test_and_is_cached(chimera: Chimera) -> None:
    assert await chimera.adapter.healthy()
    chimera.slack.fail("auth.test", error="invalid_auth")
    assert await chimera.adapter.healthy()  # answered from the last check
    chimera.adapter_clock.advance(31)
    assert not await chimera.adapter.healthy()
    chimera.adapter_clock.advance(31)
    assert await chimera.adapter.healthy()  # the failure was for one call


async def test_rate_limits_and_refused_posts_are_counted(chimera: Chimera) -> None:
    chimera.slack.fail("chat.postMessage", retry_after=0)
    await chimera.sender.command("start Rate limits")
    await chimera.header()
    assert errors(chimera, "rate_limited") == 1
    chimera.slack.fail("chat.postMessage", error="channel_not_found")
    await chimera.step()
    assert errors(chimera, "refused") == 1


async def test_dashboard_answers_admins_privately_with_their_workspaces_link(
    chimera: Chimera,
) -> None:
    await chimera.sender.command("dashboard", user="UMEMBER")
    await chimera.settle()
    await chimera.sender.command("dashboard", user=ALLOWLISTED)
    await chimera.settle()
    plain, allowed = chimera.slack.responses
    assert plain["response_type"] == "ephemeral" and "permission" in plain["text"]
    assert allowed["response_type"] == "ephemeral"
    token = allowed["text"].split("token=", 1)[1].split()[0].rstrip(">")
    assert chimera.services.links.tenant_of(token) == chimera.key.tenant_id
    assert not chimera.posts("chat.update")  # a private control redraws no header

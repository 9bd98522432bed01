"""Signed, expiring dashboard links: each opens one tenant's dashboard until it expires."""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from bot.base.clock import Clock

SALT = "chimera-dashboard"
LOGIN_PATH = "/dashboard/login"


class LinkRefused(Exception):
    """A dashboard token that is altered, malformed or expired; the message says which."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


class DashboardLinks:
    """Makes and checks the tokens of dashboard links (HMAC-signed with a secret)."""

    def __init__(self, secret: str, base_url: str, clock: Clock, *, ttl_s: float) -> None:
        self._signer = URLSafeSerializer(secret, salt=SALT)
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self.ttl = timedelta(seconds=ttl_s)

    def token(self, tenant_id: str) -> str:
        """Return a token for a tenant's dashboard, valid for the link lifetime from now."""
        expires = int((self._clock.now() + self.ttl).timestamp())
        return str(self._signer.dumps({"tenant": tenant_id, "exp": expires}))

    def link(self, tenant_id: str) -> str:
        """Return the URL that opens a tenant's dashboard."""
        return f"{self.base_url}{LOGIN_PATH}?token={self.token(tenant_id)}"

    def expires_at(self) -> datetime:
        """Return when a link made now stops working."""
        return self._clock.now() + self.ttl

    def tenant_of(self, token: str) -> str:
        """Return the tenant a token opens, or raise LinkRefused."""
        try:
            data = self._signer.loads(token)
        except BadSignature:
            raise LinkRefused(
                "this dashboard link is not valid (it was altered or cut short)"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("tenant"), str):
            raise LinkRefused("this dashboard link is not valid")
        if not isinstance(data.get("exp"), int) or data["exp"] <= self._clock.now().timestamp():
            raise LinkRefused("this dashboard link has expired", expired=True)
        return data["tenant"]

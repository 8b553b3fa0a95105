"""Sign-in attempts per address and per account, counted with `limits`.

In memory by default (one console process); CONSOLE_RATE_LIMIT_URL=redis://... shares
the counts between console processes. This slows guessing down; the lock after repeated
failures (bot/services/signin.py) is what stops it, and survives restarts.
"""

from __future__ import annotations

import warnings

from bot.services.staff import account_digest

with warnings.catch_warnings():
    # limits 2.x (the last that installs beside rasa 3.6) imports pkg_resources, which
    # warns of its own deprecation on every start.
    warnings.simplefilter("ignore", DeprecationWarning)
    from limits import parse, storage, strategies

PER_ADDRESS = "30/minute"  # a clinic's front desk may share one address
PER_ACCOUNT = "10/minute"


class SignInThrottle:
    def __init__(self, storage_url: str, per_address: str = PER_ADDRESS, per_account: str = PER_ACCOUNT) -> None:
        self.storage = storage.storage_from_string(storage_url)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.per_address, self.per_account = parse(per_address), parse(per_account)

    def allow(self, address: str, email: str) -> bool:
        """Count one attempt; False when the address or the account is over its limit."""
        if not self.limiter.hit(self.per_address, "console-sign-in-address", address or "unknown"):
            return False
        return self.limiter.hit(self.per_account, "console-sign-in-account", account_digest(email))

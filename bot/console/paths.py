"""Console addresses other parts of the project print (no web framework imported here)."""

from __future__ import annotations

from urllib.parse import urlencode

SET_PASSWORD_PATH = "/set-password"


def set_password_url(console_url: str, token: str) -> str:
    return f"{console_url.rstrip('/')}{SET_PASSWORD_PATH}?{urlencode({'token': token})}"

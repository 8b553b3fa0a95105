"""Secrets the server must read back in clear (a clinic's Acuity API key, its webhook
signing secret: both check signatures), stored sealed so that a copy of the database
alone opens nothing.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) under a key derived with
HKDF from AFTERCARE_DATA_KEY, or from one generated once into the data dir (like the
link secret). Every server must share the key; changing it makes the stored secrets
unreadable, and each must be set again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import Settings
from bot.local_secret import configured_or_generated


class SealError(RuntimeError):
    """A stored secret that the configured key cannot open."""


class Sealer:
    def __init__(self, secret: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"aftercare sealed secrets").derive(
            secret.encode("utf-8")
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SealError(
                "a stored booking-source secret cannot be opened with this AFTERCARE_DATA_KEY; set it again"
            ) from None


def sealer_for(settings: Settings) -> Sealer:
    return Sealer(configured_or_generated(settings.data_key, "AFTERCARE_DATA_KEY", settings.data_dir / "data_key"))

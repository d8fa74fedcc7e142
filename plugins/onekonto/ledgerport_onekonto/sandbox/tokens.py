"""JWT-shaped bearer tokens for the sandbox: HMAC-signed, with an expiry on the sandbox's clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


class TokenIssuer:
    """Issues `header.payload.signature` tokens valid for `lifetime` seconds and checks them."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._key = secrets.token_bytes(32)
        self._issued = 0

    def _sign(self, signed: str) -> str:
        return _b64(hmac.new(self._key, signed.encode(), hashlib.sha256).digest())

    def issue(self, user: str, now: float) -> str:
        self._issued += 1
        payload = _b64(json.dumps({"sub": user, "iat": now, "exp": now + self.lifetime, "jti": self._issued}).encode())
        return f"{_HEADER}.{payload}.{self._sign(f'{_HEADER}.{payload}')}"

    def problem(self, token: str, now: float) -> str | None:
        """Why `token` is refused at `now`, or None when it is good."""
        header, _, rest = token.partition(".")
        payload, _, signature = rest.partition(".")
        if header != _HEADER or not hmac.compare_digest(signature, self._sign(f"{header}.{payload}")):
            return "invalid token"
        if json.loads(_unb64(payload))["exp"] <= now:
            return "token expired"
        return None

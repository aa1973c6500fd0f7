"""The dashboard's sign-in: a cookie holding the user's API token, and the CSRF token for forms.

The cookie `arcadia_ui` holds the bearer token itself (HttpOnly, SameSite=Strict, Path=/ui,
Secure over https). It is checked with `arcadia_core.auth` when it is set and on every request,
so an expired or forged token never reaches a page. The CSRF token is an HMAC of the bearer
token with the JWT secret: it needs no server-side state, changes with every sign-in, and
cannot be computed by a page that does not know the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request, Response

from arcadia_core.auth import InvalidToken, Principal, decode_token

COOKIE = "arcadia_ui"
FLASH_COOKIE = "arcadia_ui_flash"
COOKIE_PATH = "/ui"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
FLASH_SECONDS = 60
MAX_FLASH = 500


@dataclass(frozen=True, slots=True)
class Keys:
    """What signs and checks: the API's JWT secret and audience."""

    secret: str
    audience: str

    def principal(self, token: str) -> Principal:
        """The principal of a token, or `InvalidToken` (expired, forged, wrong audience)."""
        return decode_token(token, secret=self.secret, audience=self.audience)

    def csrf(self, token: str) -> str:
        return self._mac(b"arcadia-ui-csrf\x00" + token.encode())

    def csrf_ok(self, token: str, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(self.csrf(token).encode(), (sent or "").encode())

    def signed_flash(self, message: str) -> str:
        """A message for the next page, signed (a cookie is outside input) and base64url
        encoded (cookie values are a narrow alphabet)."""
        encoded = base64.urlsafe_b64encode(message[:MAX_FLASH].encode()).decode().rstrip("=")
        mac = self._mac(b"arcadia-ui-flash\x00" + encoded.encode())
        return f"{mac}.{encoded}"

    def flash_text(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        mac, _, encoded = cookie.partition(".")
        expected = self._mac(b"arcadia-ui-flash\x00" + encoded.encode())
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        try:
            return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except ValueError:
            return None

    def _mac(self, data: bytes) -> str:
        return hmac.new(self.secret.encode(), data, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is looking at the page: their token (sent on every API call), principal and the
    CSRF token their forms carry."""

    token: str
    principal: Principal
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.principal.is_platform_admin


class NotSignedIn(Exception):
    """No cookie, or one whose token no longer holds; `expired` says which, for the notice."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("not signed in")
        self.expired = expired


def signed_in_from(request: Request, keys: Keys) -> SignedIn:
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotSignedIn()
    try:
        principal = keys.principal(token)
    except InvalidToken as exc:
        raise NotSignedIn(expired=True) from exc
    return SignedIn(token=token, principal=principal, csrf=keys.csrf(token))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=_secure(request)
    )


def set_flash(response: Response, request: Request, keys: Keys, message: str) -> None:
    response.set_cookie(
        FLASH_COOKIE,
        keys.signed_flash(message),
        max_age=FLASH_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def read_flash(request: Request, keys: Keys) -> str | None:
    """The message the last action left for this page (None when there is none)."""
    return keys.flash_text(request.cookies.get(FLASH_COOKIE))


def drop_flash(request: Request, response: Response) -> None:
    """Shown once: the flash cookie is cleared by the page that shows it."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(
            FLASH_COOKIE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )

"""API tokens (PyJWT, HS256) and the principal every request runs as.

A principal is either a platform admin, who sees everything, or one tenant, who sees only rows
carrying its tenant id. Every query of tenant data goes through `scoped()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

import jwt
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement, Select

ALGORITHM = "HS256"
PLATFORM_ADMIN = "platform_admin"
TENANT = "tenant"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Principal:
    role: str
    tenant_id: UUID | None = None
    subject: str = ""

    @property
    def is_platform_admin(self) -> bool:
        return self.role == PLATFORM_ADMIN

    @classmethod
    def platform_admin(cls, subject: str = "platform-admin") -> Principal:
        return cls(role=PLATFORM_ADMIN, subject=subject)

    @classmethod
    def tenant(cls, tenant_id: UUID, subject: str = "") -> Principal:
        return cls(role=TENANT, tenant_id=tenant_id, subject=subject or f"tenant:{tenant_id}")


def mint_token(
    principal: Principal,
    *,
    secret: str,
    audience: str,
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl,
    }
    if principal.tenant_id is not None:
        claims["tenant_id"] = str(principal.tenant_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, *, secret: str, audience: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "aud", "sub", "role"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    # a correctly signed token is still outside input: every claim is checked for its type
    role, subject = claims["role"], claims["sub"]
    if not isinstance(subject, str) or not subject or not _printable(subject):
        raise InvalidToken("sub must be a non-empty string")
    if role == PLATFORM_ADMIN:
        return Principal.platform_admin(subject)
    if role == TENANT:
        tenant_id = claims.get("tenant_id")
        if not isinstance(tenant_id, str):
            raise InvalidToken("tenant token without a valid tenant_id")
        try:
            return Principal.tenant(UUID(tenant_id), subject)
        except ValueError as exc:
            raise InvalidToken("tenant token without a valid tenant_id") from exc
    raise InvalidToken("unknown role")


def _printable(text: str) -> bool:
    return len(text) <= 256 and all(c.isprintable() for c in text)


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    secret: str
    audience: str

    def __call__(self, request: Request) -> Principal:
        sent = request.headers.getlist("authorization")
        if len(sent) > 1:
            # which one would count is ambiguous: a proxy may check one and forward another
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "more than one Authorization header")
        header = sent[0] if sent else ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            return decode_token(token, secret=self.secret, audience=self.audience)
        except InvalidToken as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                f"invalid token: {exc}",
                headers={"WWW-Authenticate": "Bearer"},
            ) from exc


# Declared so that the OpenAPI document marks every authenticated operation (scheme "bearer");
# the verifier reads the header itself.
BEARER = HTTPBearer(scheme_name="bearer", bearerFormat="JWT", auto_error=False)


def current_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    """FastAPI dependency: the app's `state.token_verifier` authenticates the request."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier(request)


def platform_admin(
    principal: Annotated[Principal, Security(current_principal, scopes=[PLATFORM_ADMIN])],
) -> Principal:
    if not principal.is_platform_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "platform admin only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
PlatformAdmin = Annotated[Principal, Depends(platform_admin)]

S = TypeVar("S", bound=Select[Any])


def scoped(statement: S, principal: Principal, tenant_column: ColumnElement[Any]) -> S:
    """Restrict a query to the principal's tenant; a platform admin sees every row."""
    if principal.is_platform_admin:
        return statement
    return statement.where(tenant_column == principal.tenant_id)

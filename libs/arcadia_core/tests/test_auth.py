from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest
from sqlalchemy import Column, MetaData, Table, select
from sqlalchemy.dialects.postgresql import UUID

from arcadia_core.auth import InvalidToken, Principal, decode_token, mint_token, scoped

SECRET = "auth-tests-secret-at-least-32-bytes-long"


def test_round_trip_admin_and_tenant() -> None:
    tenant_id = uuid4()
    for principal in (Principal.platform_admin(), Principal.tenant(tenant_id)):
        token = mint_token(principal, secret=SECRET, audience="arcadia")
        assert decode_token(token, secret=SECRET, audience="arcadia") == principal


@pytest.mark.parametrize(
    "token",
    [
        mint_token(Principal.platform_admin(), secret=SECRET, audience="other"),
        mint_token(
            Principal.platform_admin(),
            secret="another-secret-of-32-bytes-or-more!",
            audience="arcadia",
        ),
        mint_token(
            Principal.platform_admin(),
            secret=SECRET,
            audience="arcadia",
            now=datetime.now(UTC) - timedelta(days=1),
            ttl=timedelta(hours=1),
        ),
        jwt.encode({"sub": "x", "role": "platform_admin", "aud": "arcadia"}, SECRET),  # no exp
        jwt.encode(
            {"sub": "x", "role": "tenant", "aud": "arcadia", "exp": 4102444800}, SECRET
        ),  # tenant without tenant_id
        jwt.encode({"sub": "x", "role": "root", "aud": "arcadia", "exp": 4102444800}, SECRET),
        "not-a-token",
    ],
)
def test_rejected_tokens(token: str) -> None:
    with pytest.raises(InvalidToken):
        decode_token(token, secret=SECRET, audience="arcadia")


def test_scoped_filters_tenants_and_not_admins() -> None:
    table = Table("rows", MetaData(), Column("tenant_id", UUID(as_uuid=True)))
    tenant_id = uuid4()
    admin = scoped(select(table), Principal.platform_admin(), table.c.tenant_id)
    tenant = scoped(select(table), Principal.tenant(tenant_id), table.c.tenant_id)
    assert "WHERE" not in str(admin)
    assert "WHERE rows.tenant_id = " in str(tenant)
    assert tenant.compile().params == {"tenant_id_1": tenant_id}

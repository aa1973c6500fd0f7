"""Request dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from do_sandbox.account import Account, Json, Key
from do_sandbox.errors import not_found


def get_account(request: Request) -> Account:
    account: Account = request.app.state.account
    return account


CurrentAccount = Annotated[Account, Depends(get_account)]


def get_or_404(account: Account, collection: str, key: Key) -> Json:
    item = account.get(collection, key)
    if item is None:
        raise not_found()
    return item

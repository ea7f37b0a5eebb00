"""Helpers shared by the conformance tests: error checks and row shapes."""

import re

import pytest
from cassandra import InvalidRequest

_MESSAGE = re.compile(r'message="(.*)"$', re.DOTALL)


def server_message(error):
    """The message the server sent, without the driver's 'Error from server: code=... [...]' wrapper."""
    text = str(error)
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    match = _MESSAGE.search(text)
    return match.group(1) if match else text


def assert_invalid(session, query, message, params=None, error=InvalidRequest, exact=True):
    """Runs `query`, expects `error` with `message` (the whole message, or a part of it if not `exact`),
    then checks the connection still answers."""
    with pytest.raises(error) as raised:
        if params is None:
            session.execute(query)
        else:
            session.execute(query, params)
    got = server_message(raised.value)
    if exact:
        assert got == message, f"expected message {message!r}, got {got!r}"
    else:
        assert message in got, f"expected a message containing {message!r}, got {got!r}"
    assert_usable(session)
    return raised.value


def assert_usable(session):
    assert session.execute("SELECT key FROM system.local").one()[0] == "local"


def rows(session, query, params=None):
    """The result as a list of plain tuples."""
    result = session.execute(query) if params is None else session.execute(query, params)
    return [tuple(r) for r in result]


def one(session, query, params=None):
    result = rows(session, query, params)
    assert len(result) == 1, result
    return result[0]

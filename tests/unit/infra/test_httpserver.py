"""A client that goes away is no error for the local servers; anything else still is."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from infra.httpserver import LocalHTTPServer


@pytest.fixture
def server():
    httpd = LocalHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    yield httpd
    httpd.server_close()


@pytest.mark.parametrize("gone", [BrokenPipeError, ConnectionResetError])
def test_client_gone_is_not_reported(server, capsys, gone):
    try:
        raise gone
    except gone:
        server.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""


def test_other_errors_are_reported(server, capsys):
    try:
        raise ValueError("a real bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert "a real bug" in capsys.readouterr().err

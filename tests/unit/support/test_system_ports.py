"""The test systems' ports: each service of a test system gets a port of its own."""

from __future__ import annotations

import socket

from tests.support.system import free_port


def test_a_port_is_never_handed_out_twice() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)


def test_a_handed_out_port_is_free_to_bind() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # raises OSError if something holds it

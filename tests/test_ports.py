"""refundkit.ports.free_port: the port a server of the kit's is started on is kept from outgoing
connections until the server binds it, and the server can bind it."""
from __future__ import annotations

import socket
from pathlib import Path

from refundkit.ports import free_port


def time_wait_ports() -> set[int]:
    """Local ports of loopback TCP sockets in TIME_WAIT (state 06 in /proc/net/tcp)."""
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "06":
            ports.add(int(local.split(":")[1], 16))
    return ports


def test_the_port_is_held_in_time_wait_and_a_server_binds_it():
    port = free_port()
    # Held: a socket in TIME_WAIT on it, which the system does not give to outgoing connections.
    assert port in time_wait_ports()
    # A server binds it as Tornado, Node and PostgreSQL do (SO_REUSEADDR), and is reached there.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            conn, _ = server.accept()
            conn.close()

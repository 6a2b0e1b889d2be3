"""A loopback port for a server of the kit's to listen on, kept from other programs until it does.

A port found free (bind to port 0, let go) is bound by the server a moment later, and in between any
outgoing connection on the machine may be given it: outgoing connections take their ports from the same
range, and a busy machine (a room's servers and browsers, a test run) makes many. The server then fails
with "Address already in use". The port returned here is left in TIME_WAIT by a connection to itself:
for a minute the system gives it to no outgoing connection, while a server that binds with SO_REUSEADDR
(Tornado, Node and PostgreSQL do) still can. (The technique of the ephemeral-port-reserve package, which
is not kept up.)
"""
from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with socket.create_connection((host, port)):
            accepted, _ = listener.accept()
            accepted.close()  # closed first, on the listening side: that side keeps the port in TIME_WAIT
    return port

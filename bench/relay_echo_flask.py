"""The framework's own ceiling for bench/relay.py: a flask-sock echo, served by gunicorn
with one gevent worker exactly as pnav is (``gunicorn -k gevent relay_echo_flask:app``)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sock import Sock

app = Flask(__name__)
app.config["SOCK_SERVER_OPTIONS"] = {"max_message_size": 1024 * 1024, "ping_interval": 25}
sock = Sock(app)


@sock.route("/echo")
def echo(ws: Any) -> None:
    while True:
        data = ws.receive()
        if data is None:
            continue
        ws.send(data)

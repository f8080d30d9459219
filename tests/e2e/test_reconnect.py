import time
from playwright.sync_api import expect
from pnav.sdk.client import OperatorClient


def test_probe_offline(live_server, person):
    events = []

    def on_ws(ws):
        events.append(("open", ws.url, time.monotonic()))
        ws.on("close", lambda w: events.append(("close", w.url, time.monotonic())))
        ws.on("framereceived", lambda p: events.append(("rx", str(p)[:60], time.monotonic())))
        ws.on("socketerror", lambda e: events.append(("err", str(e), time.monotonic())))

    person.page.on("websocket", on_ws)
    person.context.on("websocket", on_ws) if False else None
    person.goto_partner()
    person.open_chat()
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    try:
        [item] = op.wait_queue()
        op.accept(item["conv"])
        expect(person.status).to_have_attribute("data-state", "active")
        person.context.set_offline(True)
        t0 = time.monotonic()
        op.send(item["conv"], "while offline")
        try:
            expect(person.messages("operator")).to_have_text(["while offline"], timeout=5000)
            print("DELIVERED WHILE OFFLINE")
        except AssertionError:
            print("not delivered while offline")
        print("status:", person.status.get_attribute("data-state"))
        person.context.set_offline(False)
        expect(person.messages("operator")).to_have_text(["while offline"], timeout=10000)
        print("status after:", person.status.get_attribute("data-state"))
    finally:
        op.close()
        for e in events:
            print(e[0], e[1], round(e[2] - t0, 2))

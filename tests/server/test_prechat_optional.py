"""Who is writing and what it is about are optional in the pre-chat (issue 11 §5): a
``hello`` without them opens a conversation the operator sees as "not said"; a value
outside the lists is still refused as malformed."""

from __future__ import annotations

import pytest

from pnav.sdk.client import ClientError, OperatorClient, PersonClient


def test_a_hello_without_who_or_what_opens_a_conversation_marked_not_said(live_server):
    person = PersonClient.start(live_server.url, "demo", live_server.origin, who=None, what=None)
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    items = op.wait_queue(person.conv)
    item = next(i for i in items if i["conv"] == person.conv)
    assert (item["who"], item["what"]) == ("not_said", "not_said")
    assert live_server.store.get_conversation(person.conv).who == "not_said"
    conversation = op.accept(person.conv)
    assert (conversation["who"], conversation["what"]) == ("not_said", "not_said")
    person.wait("status", state="active")


def test_an_empty_answer_is_not_said_and_one_given_is_kept(live_server):
    person = PersonClient.start(live_server.url, "demo", live_server.origin, who="", what="sexist")
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    item = next(i for i in op.wait_queue(person.conv) if i["conv"] == person.conv)
    assert (item["who"], item["what"]) == ("not_said", "sexist")


@pytest.mark.parametrize(("who", "what"), [("nobody", "domestic"), ("victim", "not_said_x")])
def test_an_answer_outside_the_lists_is_refused(live_server, who, what):
    with pytest.raises(ClientError) as refused:
        PersonClient.start(live_server.url, "demo", live_server.origin, who=who, what=what)
    assert refused.value.code == "malformed"
    assert "or left out" in str(refused.value)

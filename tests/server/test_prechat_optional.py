"""Who is writing and what it is about are optional in the pre-chat (issue 11 §5): a
``hello`` without them opens a conversation the operator sees as "not said"; a value
outside the lists is still refused as malformed."""

from __future__ import annotations

from typing import Any

import pytest

from pnav.sdk.client import ClientError, OperatorClient, PersonClient
from pnav.sdk.router import Candidate, SkillsRouter
from pnav.sdk.testing.router import conversation


def test_a_hello_without_who_or_what_opens_a_conversation_marked_not_said(live_server: Any) -> None:
    person = PersonClient.start(live_server.url, "demo", live_server.origin, who=None, what=None)
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    items = op.wait_queue(person.conv)
    item = next(i for i in items if i["conv"] == person.conv)
    assert (item["who"], item["what"]) == ("not_said", "not_said")
    assert live_server.store.get_conversation(person.conv).who == "not_said"
    conversation = op.accept(person.conv)
    assert (conversation["who"], conversation["what"]) == ("not_said", "not_said")
    person.wait("status", state="active")


def test_an_empty_answer_is_not_said_and_one_given_is_kept(live_server: Any) -> None:
    person = PersonClient.start(live_server.url, "demo", live_server.origin, who="", what="sexist")
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    item = next(i for i in op.wait_queue(person.conv) if i["conv"] == person.conv)
    assert (item["who"], item["what"]) == ("not_said", "sexist")


@pytest.mark.parametrize(("who", "what"), [("nobody", "domestic"), ("victim", "not_said_x")])
def test_an_answer_outside_the_lists_is_refused(live_server: Any, who: str, what: str) -> None:
    with pytest.raises(ClientError) as refused:
        PersonClient.start(live_server.url, "demo", live_server.origin, who=who, what=what)
    assert refused.value.code == "malformed"
    assert "or left out" in str(refused.value)


def test_an_operator_with_categories_takes_a_conversation_whose_category_was_not_said() -> None:
    router = SkillsRouter(skills={"op0": {"categories": ["sexual"]}})
    ops = [Candidate(0, "op0", "operator", 0, True)]
    assert router.choose(conversation(what="not_said"), ops) == 0
    assert router.choose(conversation(what="domestic"), ops) is None

"""The contract every :class:`~pnav.sdk.store.Store` keeps, as a pytest suite.

An integrator tests a store with one class: subclass :class:`StoreContract` under a
name pytest collects (``Test…``) and give it a ``store`` fixture that returns a fresh,
empty store (and closes it afterwards)::

    import pytest
    from pnav.sdk.testing.store import StoreContract

    from mypackage import MyStore

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore(...)          # empty: no conversations, operators or keys
            yield store
            store.close()

``StoreContract`` itself is not collected (its name does not start with ``Test``).
Every built-in store runs this suite: ``MemoryStore``, ``SQLiteStore`` and
``PostgresStore`` (``tests/server/test_store_contract.py``).

The tests only use the public ``Store`` methods. Where a backend reports an integrity
error with its own exception type (a duplicate username, a desk key added twice), the
suite accepts any ``Exception`` and checks that nothing was stored.

The tests are grouped by theme, one module each (``pnav.sdk.store_contract_*``);
:class:`StoreContract` runs them all.
"""

from __future__ import annotations

from pnav.sdk.testing.store.activity import ActivityContract
from pnav.sdk.testing.store.base import new_conversation, new_operator
from pnav.sdk.testing.store.conversations import ConversationContract
from pnav.sdk.testing.store.floor import FloorContract
from pnav.sdk.testing.store.messages import MessageContract
from pnav.sdk.testing.store.operators import OperatorContract
from pnav.sdk.testing.store.supervision import SupervisionContract

__all__ = ["StoreContract", "new_conversation", "new_operator"]


# pytest collects the tests of the last base class first: listed in reverse, they run
# conversations first and statistics last.
class StoreContract(
    FloorContract,
    ActivityContract,
    SupervisionContract,
    OperatorContract,
    MessageContract,
    ConversationContract,
):
    """Base class of a store's contract tests; see the module docstring."""

"""The state layer: room values and the audience's shared hashes, behind one interface each.

base.py (rooms) and hashes.py (audience tallies) are the interfaces, one module per backend
implements them, and backends.py opens the one a CHORUS_STORE URL names. Refusals are raised as
the contract's ChorusError (errors.py), which every layer above shares. This layer imports
nothing else from app/, and never Flask or Flask-SocketIO: a store is plain Python.
"""

from __future__ import annotations

from app.state.backends import open_hashes, open_store, store_kind
from app.state.base import Applied, Batch, Limits, Store, Write
from app.state.hashes import Hashes

__all__ = ["Applied", "Batch", "Hashes", "Limits", "Store", "Write", "open_hashes", "open_store",
           "store_kind"]

"""What the audience-mode modules of this folder share: a fresh room with its presenter token,
and the clients a test opens, closed after it. Each module brings its own ``server``."""

from __future__ import annotations

import uuid

import pytest

from tests.audience_support import AudienceClient, create_room


@pytest.fixture
def room(server, request):
    """A new room on the module's server, named after the module's ROOM_PREFIX."""
    name = getattr(request.module, "ROOM_PREFIX", "room") + "-" + uuid.uuid4().hex[:8]
    return name, create_room(server.url, name)


@pytest.fixture
def clients():
    made: list[AudienceClient] = []
    yield made
    for client in made:
        client.close()

"""The client installed the way a speaker installs it: a fresh virtualenv, one pip install.

Nothing of the server comes with it (no top-level ``app``), and a script run from outside the
checkout reads and writes a room over the network only.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
import venv

from tests.client.conftest import CLIENT_DIR

SCRIPT = """
import importlib.util, sys
import chorus_client
from chorus_client import Conflict, Room
assert importlib.util.find_spec("app") is None, "the client must not install a package 'app'"
url, name = sys.argv[1], sys.argv[2]
with Room(url, name, transports=["polling"]) as room:
    room.set("greeting", "hello")
    assert room.incr("count", 5)["value"] == 5
    try:
        room.set("greeting", "again", expect=0)
    except Conflict as refusal:
        print("conflict", refusal.current["version"])
    with Room(url, name) as other:
        print("read", other.values["greeting"], other.values["count"])
print(chorus_client.__file__)
"""


def test_a_fresh_virtualenv_installs_the_client_and_uses_a_room(server, tmp_path):
    source = tmp_path / "src"  # a copy: the build leaves nothing in the checkout
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("*.egg-info", "build"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    top_level = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; "
         "print(m.distribution('chorus-client').read_text('top_level.txt'))"],
        capture_output=True, text=True, timeout=60)
    assert top_level.stdout.split() == ["chorus_client"], top_level.stdout + top_level.stderr
    script = tmp_path / "use_room.py"
    script.write_text(SCRIPT)
    room = f"venv-{uuid.uuid4().hex[:8]}"
    done = subprocess.run([str(python), str(script), server.url, room], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["conflict 1", "read hello 5"]
    assert done.stdout.split("\n")[2].startswith(str(env_dir))  # the installed copy ran

"""deploy/chorus.service and deploy/chorus@.service pass ``systemd-analyze verify`` and carry
what docs/deploy.md promises of them.

``verify`` also checks that ExecStart's program exists and is executable, so the units are
verified with their install path (/srv/chorus) pointing at this checkout, whose
.venv/bin/gunicorn exists; nothing else in them is changed. It needs no running systemd (this
runs in containers too). A key it does not know or a value it cannot parse is only a warning
on stderr, so stderr must be empty as well as the exit code 0.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from app.config import DEFAULTS
from tests.support import ROOT

DEPLOY = ROOT / "deploy"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def rendered(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    text = (DEPLOY / name).read_text().replace("/srv/chorus", str(ROOT))
    path = tmp_path / (as_name or name)
    path.write_text(text)
    return path


def verify(*units: Path) -> subprocess.CompletedProcess:
    if not Path(SYSTEMD_ANALYZE).exists():
        raise RuntimeError("systemd-analyze is missing: `make test` installs it "
                           "(apt-get install systemd)")
    return subprocess.run([SYSTEMD_ANALYZE, "verify", *map(str, units)], capture_output=True,
                          text=True, timeout=60, cwd=units[0].parent)


def service(name: str) -> dict[str, list[str]]:
    """The [Service] section: each key with every value it is given."""
    found: dict[str, list[str]] = {}
    section = None
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("name, as_name", [("chorus.service", None),
                                           ("chorus@.service", None),
                                           ("chorus@.service", "chorus@5001.service")])
def test_systemd_analyze_verify_passes(tmp_path, name, as_name):
    result = verify(rendered(tmp_path, name, as_name))
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_verify_would_catch_a_broken_unit(tmp_path):
    """The check above can fail: a wrong key, a bad value and a missing program are caught."""
    unit = rendered(tmp_path, "chorus.service")
    unit.write_text(unit.read_text().replace("KillMode=mixed", "KillMode=gently")
                    .replace("gunicorn -c", "gunicorn-missing -c") + "\n[Service]\nKillMod=x\n")
    result = verify(unit)
    assert "kill mode" in result.stderr and "Unknown key" in result.stderr
    assert "not executable" in result.stderr and result.returncode != 0


@pytest.mark.parametrize("name", ["chorus.service", "chorus@.service"])
def test_units_stop_gracefully_hardened_with_the_environment_file(name):
    options = service(name)
    single = {key: values[-1] for key, values in options.items()}
    assert single["KillMode"] == "mixed" and single["KillSignal"] == "SIGTERM"
    # systemd's SIGKILL comes only after gunicorn's own graceful stop had its time.
    assert int(single["TimeoutStopSec"]) > DEFAULTS["GRACEFUL_TIMEOUT"]
    assert int(single["LimitNOFILE"]) >= DEFAULTS["WORKER_CONNECTIONS"]
    assert "/etc/chorus/chorus.env" in options["EnvironmentFile"]
    assert single["User"] == "chorus" and single["Group"] == "chorus"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "PrivateTmp": "yes"}.items():
        assert single[key] == value, key
    assert single["ExecStart"].startswith("/srv/chorus/.venv/bin/gunicorn -c gunicorn.conf.py")


def test_template_gives_each_instance_its_own_port():
    options = service("chorus@.service")
    assert options["ExecStart"][-1].endswith("wsgi:app -b 127.0.0.1:%i")
    assert "-/etc/chorus/chorus-%i.env" in options["EnvironmentFile"]


def test_environment_file_names_only_real_settings():
    parser = configparser.ConfigParser()
    text = (DEPLOY / "chorus.env").read_text()
    parser.read_string("[env]\n" + "\n".join(line.lstrip("#") for line in text.splitlines()
                                             if line.lstrip("#").startswith("CHORUS_")))
    names = {name.upper() for name in parser["env"]}
    assert names and names <= {"CHORUS_" + key for key in DEFAULTS}

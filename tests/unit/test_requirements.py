"""The pins hold: every package, transitive ones included, pinned to one version with hashes,
the test pins agreeing with the server's, and `make` installing with --require-hashes."""

from __future__ import annotations

import re

from tests.support import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def compiled(path: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile'd requirements file."""
    text = (ROOT / path).read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{path}: not an exact pin: {line!r}"
        pins[canonical(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return pins


def asked(path: str) -> dict[str, str]:
    """name -> version of the packages an .in file asks for itself."""
    wanted = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            match = PIN.match(line)
            assert match, f"{path}: ask for an exact version: {line!r}"
            wanted[canonical(match[1])] = match[2]
    return wanted


def test_every_pin_has_hashes():
    for path in ("requirements.txt", "requirements-test.txt"):
        pins = compiled(path)
        assert pins, path
        for name, (_, hashes) in pins.items():
            assert hashes, f"{path}: {name} has no --hash"


def test_transitive_packages_are_pinned():
    """What the server's packages pull in is pinned too, not left to the resolver."""
    pins = compiled("requirements.txt")
    for name in ("typing-extensions", "greenlet", "zope-interface", "werkzeug", "bidict"):
        assert name in pins, name


def test_in_files_and_compiled_files_agree():
    for source, target in (("requirements.in", "requirements.txt"),
                           ("requirements-test.in", "requirements-test.txt"),
                           ("requirements.in", "requirements-test.txt")):
        pins = compiled(target)
        for name, version in asked(source).items():
            assert name in pins, f"{source} asks for {name}, {target} lacks it: make lock"
            assert pins[name][0] == version, f"{name}: {source} {version}, {target} {pins[name][0]}"


def test_tests_run_the_servers_versions():
    server, tests = compiled("requirements.txt"), compiled("requirements-test.txt")
    for name, (version, hashes) in server.items():
        assert name in tests, name
        assert tests[name][0] == version, f"{name}: {version} vs {tests[name][0]}"
        assert set(hashes) <= set(tests[name][1]), name


def test_make_installs_with_require_hashes():
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"pip install [^\n]*-r requirements[^\n]*", makefile)
    assert len(installs) == 2, installs
    assert all("--require-hashes" in line for line in installs), installs

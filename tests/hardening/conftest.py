"""Fixtures of the hardening tests; the servers themselves are started by each module."""

from __future__ import annotations

import os
import tempfile

# Hypothesis keeps a cache (and, unless told otherwise, an example database) under the current
# directory; the fuzz test keeps both out of the work tree. Spawned generator processes
# inherit this too.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "chorus-hypothesis"))

"""The operations layer: what an operator reads about a running process.

Prometheus metrics (metrics.py), the start-up self-check of how the process is served
(selfcheck.py), one-line diagnoses of proxy mistakes (diagnostics.py) and the blocked-loop watch
(blocked_loop.py). It imports nothing else from app/: it is given what to watch as callables.
"""

"""HTTP blueprints: pages (HTML), api (JSON), health (/healthz)."""

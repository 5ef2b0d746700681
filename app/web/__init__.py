"""The web layer: Flask blueprints for pages (HTML), audience pages and exports, the JSON API,
/healthz and /metrics.

Views reach the app's objects through ``context.services()``, the app they run in. This is the
top layer: it may import any other, and nothing imports it but the factory.
"""

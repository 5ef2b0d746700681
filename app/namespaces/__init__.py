"""Socket.IO namespaces, one class per module, registered in ``create_app`` after init_app."""

"""Invoice pages: ``city`` inside the ``city`` namespace, ``supplier``
inside ``supplier``."""

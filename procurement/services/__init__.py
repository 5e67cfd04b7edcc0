"""Writers of the procurement app, one module per process."""

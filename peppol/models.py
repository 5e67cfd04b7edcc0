"""Peppol documents the portal sends and receives."""

"""Supplier forms, one module per page family: bank accounts,
invitations, members, profile."""

"""Reads for the treasury (会計管理者・出納室) and for suppliers' payment
notices. Each takes the municipality or supplier it reads for; the
django-scopes scope is the safety net behind these filters."""

"""Writes for invoices: drafts, issue, copy and correction, and the staff's
and supplier's actions. Status changes go through ``invoices.workflow``."""

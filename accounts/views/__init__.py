"""Account pages: ``account`` (two-factor, login address),
``notification_settings``."""

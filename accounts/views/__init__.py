"""Account pages: ``account`` (role home, two-factor, login address),
``notification_settings``."""

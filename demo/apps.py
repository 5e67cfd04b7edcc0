from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world (``manage.py seed_demo``, ``demo_totp``): no models.
    It sits above every other app (it builds cities, suppliers and invoices
    through their services), so nothing imports it."""

    name = "demo"

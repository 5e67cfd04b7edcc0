from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the portal (運用): backup and restore (``manage.py backup``,
    ``restore``) and the sweeper that queues again the PDFs and mails whose
    task was lost (``manage.py requeue_stalled``, a beat task). No models;
    it reads every app's tables, so it sits above them."""

    name = "operations"

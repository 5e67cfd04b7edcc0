"""The treasury (会計管理者・出納室): its settings, payment batches and their
transition table (``workflow``), the Zengin writer, the 財務会計 CSV and the
suppliers' payment notices. Its models are in ``municipality.models``."""

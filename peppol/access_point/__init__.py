"""Access-point adapters behind one interface (:class:`AccessPoint`)."""

from peppol.access_point.base import (
    AccessPoint,
    DeliveryStatus,
    IncomingDocument,
    OutgoingDocument,
    TransientError,
)

__all__ = [
    "AccessPoint",
    "DeliveryStatus",
    "IncomingDocument",
    "OutgoingDocument",
    "TransientError",
    "access_point_for",
]


def access_point_for(settings) -> AccessPoint | None:
    """The adapter of a municipality's settings (None when it has none)."""
    from peppol.access_point.directory import DirectoryAccessPoint
    from peppol.access_point.loopback import LoopbackAccessPoint
    from peppol.models import AccessPointKind, directory_allowed

    if settings is None or not settings.is_active:
        return None
    if settings.kind == AccessPointKind.LOOPBACK:
        return LoopbackAccessPoint(settings)
    if settings.kind == AccessPointKind.DIRECTORY:
        if not directory_allowed(settings.directory):
            # Configured before PEPPOL_EXCHANGE_ROOT moved: not used.
            return None
        return DirectoryAccessPoint(settings.directory)
    return None

"""The registry's exceptions. Each knows its HTTP status and carries a message meant for people."""

from __future__ import annotations

# The base class lives with the importers, the Flask-free layer, so that they can raise the
# registry's errors without importing the registry.
from importers.errors import RegistryError as RegistryError


class ValidationError(RegistryError):
    """A value broke a rule (wrong type, out of range, not in the allowed list)."""

    code = "invalid"


class OutsideThailandError(ValidationError):
    """A point lies outside Thailand and farther than the tolerance from any area."""

    code = "outside_thailand"


class PlaceNotFoundError(ValidationError):
    """A typed place names no province, district or subdistrict; details carry suggestions."""

    code = "place_not_found"


class NotFoundError(RegistryError):
    status_code = 404
    code = "not_found"


class ConflictError(RegistryError):
    """Optimistic locking: the caller's version is not the current one. Nothing was written."""

    status_code = 409
    code = "version_conflict"


class ConfigurationError(RegistryError):
    """The service cannot run as configured (for example the SpatiaLite extension is missing)."""

    status_code = 500
    code = "configuration"


class AuthenticationError(RegistryError):
    """No valid session or API token, or the credentials were wrong."""

    status_code = 401
    code = "unauthenticated"


class ForbiddenError(RegistryError):
    """The account may not do this here: its role or its area does not cover the facility."""

    status_code = 403
    code = "forbidden"


class TooManyRequestsError(RegistryError):
    """Too many attempts from one account or client in a short time; try again later."""

    status_code = 429
    code = "too_many_requests"


class DatabaseBusyError(RegistryError):
    """Another write (an import, say) holds the lock longer than a request may wait.

    Nothing was written; the same request may simply be sent again (503 with Retry-After).
    """

    status_code = 503
    code = "busy"
    retry_after = 5

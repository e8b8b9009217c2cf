"""Errors a request can cause, each with the HTTP status it is answered with."""


class RequestError(Exception):
    """A request the backend refuses; ``str(error)`` says what is wrong."""

    status = 400


class Forbidden(RequestError):
    """A request this deployment does not allow."""

    status = 403


class NotFound(RequestError):
    """An unknown project or version."""

    status = 404


class Unprocessable(RequestError):
    """Well-formed JSON whose content cannot be served."""

    status = 422


class PayloadTooLarge(RequestError):
    """A request over a configured size limit."""

    status = 413


class Unauthorized(RequestError):
    """Missing or wrong credentials."""

    status = 401

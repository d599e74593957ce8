"""The exceptions this package raises: bad input, and input it does not support yet."""


class DeriveError(Exception):
    """Base of every error this package reports to its user in one line."""


class BadInputError(DeriveError):
    """The input (a spec, a document, an argument) is wrong."""


class NotSupportedError(DeriveError):
    """The input is valid but asks for something this package cannot do yet."""


class VerificationError(DeriveError):
    """A derivation step did not prove equal to the true derivative."""

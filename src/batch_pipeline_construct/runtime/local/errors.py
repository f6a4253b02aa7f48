"""The one error a local run reports to its user, as one line."""


class LocalRunError(Exception):
    """Something the user can fix (a path, Docker, a build); its message is the whole report."""

"""The one exception type that means "the user gave us something wrong".

The CLI turns it into a one-line message and exit code 2; everything else is a bug and keeps its
traceback. Environment failures (a full disk, a read-only folder, no permission) are not bugs
either: ``environment_error`` gives their one line.
"""

import errno
import os


class GanforgeError(Exception):
    """Bad input (config, data, checkpoint, command line): the message says what and how to fix it."""


class MissingUse(GanforgeError):
    """A run asked for a use its model does not declare (``inference/uses.py``); ``have`` lists
    the uses it does declare, so the CLI can name the commands that serve them."""

    def __init__(self, message: str, have: tuple[str, ...]) -> None:
        super().__init__(message)
        self.have = have


class DataWarning(UserWarning):
    """Something about the data a user should know (e.g. a fallback); also kept in the data report.

    The CLI silences it and prints the report's warnings instead, so each is shown once.
    """


# The errors of the environment rather than of ganforge: a full disk, a read-only or missing
# folder, no permission. Each gets one line saying what to do instead of a traceback.
_ENVIRONMENT_HINTS = {
    errno.ENOSPC: "free some space, or write elsewhere",
    errno.EDQUOT: "the disk quota is used up: free some space, or write elsewhere",
    errno.EFBIG: "the file system refuses files this large: write elsewhere",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EACCES: "no permission: fix the permissions, or write elsewhere",
    errno.EPERM: "not permitted: fix the permissions, or write elsewhere",
    errno.ENOTDIR: "a file stands where a folder should be: write elsewhere",
    errno.EISDIR: "a folder stands where a file should be: move it away",
    errno.EEXIST: "something else already exists there: move it away",
    errno.ENOENT: "a folder on the way is missing, or cannot hold folders: check the path",
    errno.ENAMETOOLONG: "the path is too long: use a shorter folder or name",
    errno.ELOOP: "a loop of symbolic links: fix the path",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n)",
    errno.ENFILE: "the system has too many open files: retry later",
    errno.EIO: "the storage reported an I/O error: check the disk",
}


def environment_error(e: OSError) -> GanforgeError | None:
    """The one-line GanforgeError of an environment failure (full disk, read-only or missing
    folder, permissions), or None for any other OSError (that one keeps its traceback)."""
    hint = _ENVIRONMENT_HINTS.get(e.errno) if isinstance(e, OSError) else None
    if hint is None:
        return None
    where = e.filename if e.filename is not None else ""
    what = e.strerror or os.strerror(e.errno)
    return GanforgeError(f"{where}{': ' if where else ''}{what}; {hint}")

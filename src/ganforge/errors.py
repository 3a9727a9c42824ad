"""The one exception type that means "the user gave us something wrong".

The CLI turns it into a one-line message and exit code 2; everything else is a bug and keeps its
traceback.
"""


class GanforgeError(Exception):
    """Bad input (config, data, checkpoint, command line): the message says what and how to fix it."""


class DataWarning(UserWarning):
    """Something about the data a user should know (e.g. a fallback); also kept in the data report.

    The CLI silences it and prints the report's warnings instead, so each is shown once.
    """

"""errors.py: the exception that means "bad input" and the one line of an environment failure
(how the CLI shows them: tests/test_cli.py)."""

import errno
import os
import warnings

import pytest

from ganforge.errors import DataWarning, GanforgeError, environment_error


def test_bad_input_is_an_exception_and_data_notes_are_user_warnings():
    assert issubclass(GanforgeError, Exception) and not issubclass(GanforgeError, OSError)
    assert issubclass(DataWarning, UserWarning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", UserWarning)  # what filtering UserWarning does to it
        warnings.warn("x", DataWarning, stacklevel=1)
    assert caught == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.ENOTDIR])
def test_environment_failures_become_one_line_naming_the_file_and_what_to_do(code):
    e = environment_error(OSError(code, os.strerror(code), "/runs/x/metrics.csv"))
    assert isinstance(e, GanforgeError)
    message = str(e)
    assert message.startswith(f"/runs/x/metrics.csv: {os.strerror(code)}; ") and "\n" not in message
    assert "elsewhere" in message or "permissions" in message


def test_without_a_file_name_the_message_starts_with_the_failure():
    e = environment_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    assert str(e) == f"{os.strerror(errno.ENOSPC)}; free some space, or write elsewhere"


def test_other_errors_keep_their_traceback():
    assert environment_error(OSError(errno.EINVAL, "Invalid argument", "x")) is None
    assert environment_error(ValueError("not an OSError")) is None

"""Writing output files so that a failure never leaves a damaged or half-written one.

A regular file (or a path not there yet) is written through a temporary file in the
same folder and renamed into place: either the whole new file appears or the old one
stays as it was, with its permissions. A symbolic link is followed and its target
written that way. A character device (``/dev/null``, a terminal) or a pipe is written
directly, since renaming over it would replace the device with a plain file. SIGTERM
and SIGHUP during a write remove the temporary file before the program ends.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from symgrad.errors import SymgradError

Content = str | bytes | Iterable[str]


def write_atomically(path: str | os.PathLike, content: Content) -> None:
    """Write ``content`` (text, its pieces, or bytes) to ``path``; see the module's note."""
    write_all({path: content})


def write_all(contents: Mapping[str | os.PathLike, Content]) -> None:
    """Write several files as one step: every file is complete in its temporary copy
    before any is renamed into place, so a failure leaves all of them as they were."""
    targets = [(str(path), _target(path), content) for path, content in contents.items()]
    staged: list[tuple[str, Path, str]] = []
    with ending_cleanly_on_signal() as signalled:
        try:
            for shown, target, content in targets:
                if _is_special(target):
                    continue
                staged.append((shown, target, _stage(shown, target, content)))
            for shown, target, content in targets:
                if _is_special(target):
                    _write_special(shown, target, content)
            signalled.check()  # (before the first rename: the handler's exception may have
            # been raised where Python could only print it, as in a __del__)
            while staged:
                shown, target, temporary = staged[0]
                try:
                    os.replace(temporary, target)
                except OSError as error:
                    raise _cannot(shown, error) from None
                staged.pop(0)
        finally:
            for _, _, temporary in staged:
                Path(temporary).unlink(missing_ok=True)


def check_target(path: str | os.PathLike) -> None:
    """Refuse, before any work is done, a path that could not be written (a folder, a
    missing folder, a block device...)."""
    _target(path)


def _target(path: str | os.PathLike) -> Path:
    """The file that ``path`` names, its symbolic links followed, or a one-sentence error."""
    shown = str(path)
    if not shown:
        raise SymgradError("The output file name is empty.")
    if "\0" in shown:
        raise SymgradError("The output file name contains a NUL character.")
    if shown.endswith(("/", os.sep)):
        raise SymgradError(f"Cannot write to '{shown}': a name ending in '/' is a folder, not a file.")
    try:
        if _special_mode(os.stat(shown).st_mode):
            return Path(shown)  # /dev/stdout, /dev/fd/1: their link targets cannot be opened by name
    except OSError:
        pass
    target = Path(os.path.realpath(shown))
    if target.is_dir():
        raise SymgradError(f"Cannot write to '{shown}': it is a folder.")
    folder = target.parent
    if not folder.is_dir():
        shown_folder = Path(shown).parent if Path(shown).parent != Path(".") else folder
        raise SymgradError(f"Cannot write to '{shown}': the folder '{shown_folder}' does not exist.")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as error:
        raise _cannot(shown, error) from None
    if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        kind = "a block device" if stat.S_ISBLK(mode) else "a socket"
        raise SymgradError(f"Cannot write to '{shown}': it is {kind}; symgrad writes files, "
                           "character devices and pipes.")
    return target


def is_device_or_pipe(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a character device or a pipe (/dev/stdout, a fifo): written in
    place, with nothing beside it."""
    try:
        return _special_mode(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _special_mode(mode: int) -> bool:
    """A character device or a pipe: written in place, never renamed over."""
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _is_special(target: Path) -> bool:
    try:
        return _special_mode(target.stat().st_mode)
    except OSError:
        return False


def _stage(shown: str, target: Path, content: Content) -> str:
    """The complete content in a temporary file beside ``target``, with the permissions
    the file has (or a new file would get)."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".symgrad-", suffix=".tmp")
    except OSError as error:
        raise _cannot(shown, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            _write_to(stream, content)
        _copy_permissions(target, temporary)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _cannot(shown, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def _write_to(stream, content: Content) -> None:
    if isinstance(content, bytes):
        stream.write(content)
        return
    for piece in [content] if isinstance(content, str) else content:
        stream.write(piece.encode("utf-8"))


def _copy_permissions(target: Path, temporary: str) -> None:
    try:
        existing = target.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # what open() would have made
        return
    os.chmod(temporary, stat.S_IMODE(existing.st_mode))
    if hasattr(os, "chown"):
        try:
            os.chown(temporary, existing.st_uid, existing.st_gid)
        except PermissionError:
            pass  # only root can give a file away; the permissions are kept all the same


def _write_special(shown: str, target: Path, content: Content) -> None:
    """A character device or a pipe, written in place (a pipe with no reader would block
    for ever, so it is refused)."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise SymgradError(f"Cannot write to '{shown}': it is a pipe that no program is "
                               "reading from.") from None
        raise _cannot(shown, error) from None
    try:
        os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "wb") as stream:
            _write_to(stream, content)
    except OSError as error:
        raise _cannot(shown, error) from None


def _cannot(shown: str, error: OSError) -> SymgradError:
    reason = (error.strerror or str(error)).lower()
    return SymgradError(f"Cannot write to '{shown}': {reason}.")


class _Stopped(BaseException):
    """SIGTERM or SIGHUP arrived while a file was being written."""


class Signals:
    """The SIGTERM and SIGHUP received inside ``ending_cleanly_on_signal``."""

    def __init__(self):
        self.received: list[int] = []

    def check(self) -> None:
        """Raise now if a signal came, even where its exception was lost: Python only
        prints an exception raised in a finaliser, a weakref callback or an at-fork hook
        (logging's), and the interrupted code then runs on."""
        if self.received:
            raise _Stopped


@contextmanager
def ending_cleanly_on_signal() -> Iterator[Signals]:
    """Turn SIGTERM and SIGHUP into an exception for the duration, so what the block set up
    is undone on its way out (temporary files removed, a child process killed); the
    signal's usual end (exit code 128 + signal) follows. A block that commits something
    (renames a file into place) calls ``check()`` on what it is given just before."""
    signals = Signals()
    if threading.current_thread() is not threading.main_thread():
        yield signals
        return
    received = signals.received

    def stop(signum, frame):
        received.append(signum)
        raise _Stopped

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield signals
    except _Stopped:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received:
        os.kill(os.getpid(), received[0])  # now with the previous handler: the usual ending
        raise SystemExit(128 + received[0])


READ_SECONDS = 10.0  # a pipe or device that sends nothing for this long is given up on


def read_text(path: str | os.PathLike, limit: int, what: str) -> str:
    """The UTF-8 text of ``path``, read to at most ``limit`` bytes whatever the file is (a
    device or pipe reports no size); a pipe that no program writes to, or that stays
    silent for ``READ_SECONDS``, is refused rather than waited on for ever."""
    shown = str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise SymgradError(f"Cannot read {what} '{shown}': {(error.strerror or str(error)).lower()}.") \
            from None
    chunks, size = [], 0
    try:
        if stat.S_ISDIR(os.fstat(descriptor).st_mode):
            raise SymgradError(f"Cannot read {what} '{shown}': it is a folder.")
        while True:
            ready, _, _ = select.select([descriptor], [], [], READ_SECONDS)
            if not ready:
                raise SymgradError(f"Cannot read {what} '{shown}': nothing arrived in "
                                   f"{READ_SECONDS:g} seconds.")
            try:
                chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise SymgradError(f"{what[0].upper()}{what[1:]} '{shown}' is larger than {limit:,} bytes.")
    except OSError as error:
        raise SymgradError(f"Cannot read {what} '{shown}': {(error.strerror or str(error)).lower()}.") \
            from None
    finally:
        os.close(descriptor)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise SymgradError(f"{what[0].upper()}{what[1:]} '{shown}' is not UTF-8 text.") from None

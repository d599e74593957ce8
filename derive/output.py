"""Writing output atomically: every file of a run lands, or none does.

Each file goes to a temporary file beside its target first; only when all are written are
they renamed into place, so a failure leaves what was on disk before exactly as it was.
Ctrl-C or SIGTERM while writing takes effect once the files are in place. A target that
is a symbolic link has the regular file it points to replaced, and the link kept; a link
is never built on (no folder is made for it) and nothing but a regular file is replaced.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from derive.errors import BadInputError

logger = logging.getLogger(__name__)


def write_files(files: dict[Path, str | bytes]) -> None:
    """Write ``{path: text or bytes}`` all together; raise BadInputError, touching
    nothing, on failure."""
    with interrupts_held():
        write_all(files)


# Each signal held, with the handler it has when nothing else has claimed it.
HELD_SIGNALS = {
    signal.SIGINT: signal.default_int_handler,
    signal.SIGTERM: signal.SIG_DFL,
}


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM held off until the block ends; then Ctrl-C is raised
    as KeyboardInterrupt and SIGTERM ends the process as it would have."""
    # An interrupt between creating a temporary file and recording it would leave it
    # behind, and one between two renames would leave half a run in place.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    for number, default in HELD_SIGNALS.items():
        if signal.getsignal(number) is default:  # ignored or handled elsewhere: left be
            previous[number] = signal.signal(
                number, lambda number, frame: received.append(number)
            )
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if signal.SIGTERM in received:
        signal.raise_signal(signal.SIGTERM)
    if received:
        raise KeyboardInterrupt


def write_all(files: dict[Path, str | bytes]) -> None:
    """Stage every file beside its target, then rename each into place."""
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []  # folders this run creates, removed again if it fails
    try:
        # is_dir raises, rather than answering False, for a name too long for the system.
        for path in files:
            if path.is_dir():
                raise BadInputError(
                    f"{path}: is a folder where a file is to be written; "
                    "nothing was changed"
                )
        for path, content in files.items():
            target = link_target(path)
            if target is path:
                made += missing_folders(target.parent)
                target.parent.mkdir(parents=True, exist_ok=True)
            staged.append((stage(target, content), target))
    except BaseException as error:  # an interrupt too: no temporary file is left behind
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for folder in sorted(set(made), key=lambda folder: len(folder.parts))[::-1]:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if not isinstance(error, OSError):
            raise
        reason = error.strerror or str(error)
        raise BadInputError(
            f"{error.filename or 'output'}: cannot write ({reason}); nothing was changed"
        ) from None
    try:
        for temporary, path in staged:
            os.replace(temporary, path)
            logger.info("wrote %s", path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)  # only those an interrupt left unrenamed


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and each of its parents that do not exist yet; a BadInputError if
    the nearest one that exists is not a folder."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        if folder.is_symlink():
            raise BadInputError(
                f"{folder}: is a symbolic link that loops or leads nowhere; "
                "nothing was changed"
            )
        missing.append(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise BadInputError(
            f"{folder}: is a file where a folder is needed; nothing was changed"
        )
    return missing


def link_target(path: Path) -> Path:
    """The regular file that ``path`` links to, if it is a symbolic link, or ``path``;
    a BadInputError for anything that is not, or would not be, a regular file."""
    if not path.is_symlink():
        if path.exists() and not path.is_file():
            raise BadInputError(
                f"{path}: is not a regular file (a device, pipe or socket); "
                "nothing was changed"
            )
        return path
    try:
        target = path.resolve(strict=False)
    except RuntimeError:  # a loop of links: an OSError from Python 3.13 on
        raise BadInputError(
            f"{path}: is a symbolic link that loops; nothing was changed"
        ) from None
    # A link is followed, never built on: no folder is made for it and only a regular
    # file at its end is replaced.
    if not target.exists():
        if not target.parent.is_dir():
            raise BadInputError(
                f"{path}: links to {target}, whose folder does not exist; "
                "nothing was changed"
            )
    elif not target.is_file():
        raise BadInputError(
            f"{path}: links to {target}, which is not a regular file; "
            "nothing was changed"
        )
    return target


def stage(path: Path, content: str | bytes) -> Path:
    """The text in a temporary file beside path, with path's permissions if it exists
    and those the umask allows if not; path's folder exists."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else new_file_mode()
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        error.filename = str(path.parent)  # the folder refused a new file
        raise
    temporary = Path(name)
    try:
        if isinstance(content, bytes):
            with os.fdopen(descriptor, "wb") as binary:
                binary.write(content)
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
        os.chmod(temporary, mode)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            error.filename = str(path)  # the file being written, not its stand-in
        raise
    return temporary


def new_file_mode() -> int:
    """0o666 less the process's umask, as open() would create a file."""
    umask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(umask)
    return 0o666 & ~umask


def emit(text: str) -> None:
    """Print ``text`` as one or more whole lines on standard output; a stream that cannot
    take it (a full disk, a closed pipe) is a BadInputError."""
    if sys.stdout is None:  # started with standard output closed
        raise BadInputError("cannot write to standard output (it is closed)")
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except OSError as error:
        # Python flushes standard output again at exit: let that go nowhere, quietly.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = error.strerror or str(error)
        raise BadInputError(f"cannot write to standard output ({reason})") from None

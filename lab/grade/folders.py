"""A submission's lab folder: its files with the assignment's over them.

The hosts see this folder at /lab/scenario, as a run sees the scenario's
own directory. A submission is untrusted, so the copy never follows one of
its links (a link to a file of the teacher's is copied as a link, which
points into the host, not at the teacher's file), never writes through
one (where the assignment's file of that name goes, the submission's link
or folder is removed first), and copies nothing but folders, files and
links (a FIFO would block the copy).
"""
import os
import shutil
import stat
from pathlib import Path


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _copy(source, target, skip=()):
    """Copy the tree at source into the folder target (a real folder),
    replacing whatever stands at a name both have."""
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        path = Path(entry.path)
        if path in skip:  # (the folder itself, not where a link leads)
            continue
        into = target / entry.name
        mode = entry.stat(follow_symlinks=False).st_mode
        if os.path.lexists(into) and not (stat.S_ISDIR(mode) and
                                          into.is_dir() and
                                          not into.is_symlink()):
            _remove(into)
        if stat.S_ISLNK(mode):
            os.symlink(os.readlink(path), into)
        elif stat.S_ISDIR(mode):
            into.mkdir(exist_ok=True)
            _copy(path, into, skip)
        elif stat.S_ISREG(mode):
            shutil.copyfile(path, into, follow_symlinks=False)
            os.chmod(into, stat.S_IMODE(mode) | stat.S_IRUSR)


def merged(assignment_dir, submission, target, skip=()):
    """Make target: the submission's files, then the assignment's over
    them (the assignment's win). skip: folders of the assignment's
    directory that are not its files (the submissions, the grades)."""
    target = Path(target)
    target.mkdir(parents=True)
    _copy(Path(submission), target)
    _copy(Path(assignment_dir).resolve(), target,
          {Path(p).resolve() for p in skip})
    return target

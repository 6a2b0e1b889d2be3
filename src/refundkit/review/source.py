"""Where an SOP comes from: a file, or a git revision of the SOP file.

`OLD` in `refundkit sop diff OLD NEW` may be a path, a revision (`HEAD~1`, a
branch, a tag: the SOP file at that revision) or `REV:path`. Every failure is
a ReviewError naming what was asked for and what was expected (exit 2).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


from ..safeyaml import YamlError, load as load_yaml, read_text as read_yaml_text
from ..sop import Sop, SopError, parse_sop, sop_path


class ReviewError(SopError):
    """Input a review command cannot use: unreadable file, not YAML, not an SOP, unknown revision.

    A SopError, so the command line reports it as one line with exit 2 (also under `python -m refundkit.cli`).
    """

    def __init__(self, message: str):
        super().__init__("", [message])


@dataclass(frozen=True)
class SopText:
    text: str
    label: str               # what to call it in messages: a path or REV:path
    path: Path | None = None  # the file on disk, when it is one


def git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8")
    except FileNotFoundError:  # no git installed
        return subprocess.CompletedProcess(args, 127, "", "git is not installed")


def repo_root(path: Path) -> Path | None:
    """The git work tree holding `path`, or None (no git, not a repository)."""
    start = path if path.is_dir() else path.parent
    if not start.exists():
        return None
    r = git(["rev-parse", "--show-toplevel"], start)
    return Path(r.stdout.strip()) if r.returncode == 0 else None


def in_repo(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def read_file(path: Path) -> SopText:
    if path.is_dir():
        raise ReviewError(f"{path}: is a folder (expected an SOP YAML file)")
    try:
        return SopText(read_yaml_text(path), str(path), path)  # size, binary and UTF-8 checked
    except YamlError as exc:
        raise ReviewError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise ReviewError(f"{path}: no such file or git revision (expected an SOP YAML file or a revision such as HEAD~1)") from None
    except PermissionError:
        raise ReviewError(f"{path}: cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ReviewError(f"{path}: not UTF-8 text (expected an SOP YAML file)") from None
    except OSError as exc:
        raise ReviewError(f"{path}: cannot be read ({exc.strerror})") from None


def at_revision(rev: str, path: Path) -> SopText:
    """The SOP file `path` as it was at git revision `rev`."""
    root = repo_root(path.resolve())
    if root is None:
        raise ReviewError(f"{rev}: not a file, and {path} is not in a git repository, so it cannot be a revision either")
    rel = in_repo(path, root)
    ok = git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    if ok.returncode != 0:
        raise ReviewError(f"{rev}: unknown git revision (and no such file); try HEAD~1, a branch or a tag")
    shown = git(["show", f"{rev}:{rel}"], root)
    if shown.returncode != 0:
        raise ReviewError(f"{rev}: the revision has no file {rel}")
    return SopText(shown.stdout, f"{rev}:{rel}")


def resolve(spec: str | None, against: Path | None = None) -> SopText:
    """A path if one exists, else `REV:path`, else a revision of the SOP file `against`."""
    if spec is None:
        return read_file(sop_path())
    p = Path(spec)
    if p.exists() or spec.endswith((".yaml", ".yml")) and ":" not in spec:
        return read_file(p)
    if ":" in spec:
        rev, _, rel = spec.partition(":")
        root = repo_root(Path.cwd())
        if root is None:
            raise ReviewError(f"{spec}: no such file, and the current folder is not in a git repository")
        return at_revision(rev, root / rel)
    target = against or sop_path()
    if against is not None and repo_root(against.resolve()) is None:
        target = sop_path()  # a new SOP outside any repository: the revision is of the kit's own SOP file
    return at_revision(spec, target)


def parse(src: SopText) -> Sop:
    """Parse and validate; any defect is one ReviewError (exit 2) naming the source."""
    try:
        return parse_sop(src.text, src.label)
    except SopError as exc:
        first = exc.problems[0]
        more = f" (and {len(exc.problems) - 1} more problem(s); run `refundkit sop check`)" if len(exc.problems) > 1 else ""
        raise ReviewError(first + more) from None


def load(spec: str | None, against: Path | None = None) -> Sop:
    return parse(resolve(spec, against))


def plain_data(text: str) -> object:
    """The YAML as data (comments and layout ignored), or None when it does not parse."""
    try:
        return load_yaml(text)
    except YamlError:
        return None


def load_sop_file(path: Path) -> str:
    """The text of an SOP file that at least is YAML shaped like an SOP (else ReviewError)."""
    src = read_file(path)
    data = plain_data(src.text)
    if data is None:
        parse(src)  # raises the located YAML error as a ReviewError
    if not isinstance(data, dict) or "rules" not in data and "steps" not in data:
        raise ReviewError(f"{path}: not an SOP file (expected a mapping with version, steps, cautions, rules ...)")
    return src.text

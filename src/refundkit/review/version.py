"""The SOP's version must move when its content does, and the changelog must record it.

"Content" is everything but `version`, `effective_date` and the `ui` table
(interface words of the kit, not the procedure), compared as data, so comments
and layout are free. The previous content is the committed file when the
working copy differs from it, else the file before the last commit that
changed it. No git, an untracked file or a first commit: nothing to compare,
and the check says so instead of failing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .source import SopText, git, in_repo, plain_data, repo_root

NOT_CONTENT = ("version", "effective_date", "ui")


@dataclass(frozen=True)
class Baseline:
    src: SopText | None
    note: str  # why there is nothing to compare, or which revision was compared


def content(data: object) -> object:
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if k not in NOT_CONTENT}


def baseline(path: Path) -> Baseline:
    """The previous revision of the SOP file at `path`, when git has one."""
    root = repo_root(path.resolve())
    if root is None:
        return Baseline(None, "not in a git repository: version not compared")
    rel = in_repo(path, root)
    if git(["ls-files", "--error-unmatch", rel], root).returncode != 0:
        return Baseline(None, f"{rel} is not tracked by git yet: version not compared")
    if git(["rev-parse", "--verify", "--quiet", "HEAD"], root).returncode != 0:
        return Baseline(None, "no commit yet: version not compared")
    head = git(["show", f"HEAD:{rel}"], root)
    working = path.read_text(encoding="utf-8")
    if head.returncode == 0 and head.stdout != working:
        return Baseline(SopText(head.stdout, f"HEAD:{rel}"), "HEAD")
    last = git(["log", "-1", "--format=%H", "--", rel], root).stdout.strip()
    if not last:
        return Baseline(None, "no earlier revision: version not compared")
    before = git(["show", f"{last}~1:{rel}"], root)
    if before.returncode != 0:  # first commit of the file (or a shallow clone)
        return Baseline(None, f"{rel} has no earlier revision: version not compared")
    return Baseline(SopText(before.stdout, f"{last[:10]}~1:{rel}"), f"{last[:10]}~1")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def version_problems(old_text: str, new_text: str, old_label: str) -> list[str]:
    """Refusals: content changed but version did not, or the version went backwards."""
    old, new = plain_data(old_text), plain_data(new_text)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []  # the earlier revision was not a usable SOP: nothing to hold this one to
    ov, nv = str(old.get("version", "")), str(new.get("version", ""))
    changed = content(old) != content(new)
    out = []
    if changed and ov == nv:
        out.append(f"version: the content changed since {old_label} but the version is still {nv}; "
                   f"raise it (e.g. {bump(nv)}), set effective_date and add it to sop/CHANGELOG.md")
    elif re.fullmatch(r"\d+\.\d+\.\d+", ov) and re.fullmatch(r"\d+\.\d+\.\d+", nv) and _key(nv) < _key(ov):
        out.append(f"version: {nv} is lower than {ov} at {old_label}")
    return out


def bump(version: str) -> str:
    try:
        major, minor, _patch = _key(version)
    except ValueError:
        return "a higher version"
    return f"{major}.{minor + 1}.0"


def changelog_versions(path: Path) -> list[str]:
    """Versions with a `## x.y.z` heading in the changelog."""
    text = path.read_text(encoding="utf-8")
    return re.findall(r"^##\s+\[?v?(\d+\.\d+\.\d+)\]?", text, flags=re.M)


def changelog_problems(sop_file: Path, version: str) -> list[str]:
    log = sop_file.parent / "CHANGELOG.md"
    if not log.exists():
        return []
    if version not in changelog_versions(log):
        return [f"{log.name}: no entry for version {version}; add a `## {version}` section (中文 and English)"]
    return []

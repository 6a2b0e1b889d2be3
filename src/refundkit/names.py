"""A learner's name as the kit keeps it: one spelling per person.

    normalise_name("  王　芳 ")  -> "王芳"         (a space between Chinese characters is a slip)
    normalise_name("Ｌｉ  Ｌｅｉ")  -> "Li Lei"       (full-width letters, doubled space)
    learner_name(" 王芳 ")       -> "王芳"; raises NameProblem for "" or a name over NAME_MAX characters

NFKC folds the full-width forms a Chinese keyboard produces into their usual
ones; runs of whitespace become one space, and none is kept between two
Chinese characters; control and format characters (zero-width spaces) go. Every layer that stores or looks up a name
(the progress record, the app, the commands) calls this one function, so a
slip of the keyboard never makes a second learner. Case is kept: it is how
the learner wrote their name and the trainer reads it.
"""
from __future__ import annotations

import unicodedata

NAME_MAX = 40  # characters: a name, not a paragraph (the trainer's tables and charts show it)


class NameProblem(ValueError):
    """A name the kit cannot keep; `ui_key` is the SOP ui word that says why."""

    def __init__(self, message: str, ui_key: str):
        super().__init__(message)
        self.ui_key = ui_key


def normalise_name(text: str | None) -> str:
    """The name's one spelling: NFKC, whitespace runs as one space (none between Chinese characters),
    no control characters, trimmed."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))
    words = kept.split()
    out = words[:1]
    for word in words[1:]:  # "王 芳" is 王芳; "Li Lei" keeps its space
        out.append(word if _wide(out[-1][-1]) and _wide(word[0]) else " " + word)
    return "".join(out)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def learner_name(text: str | None) -> str:
    """`normalise_name`, refusing an empty name or one longer than NAME_MAX characters."""
    name = normalise_name(text)
    if not name:
        raise NameProblem("a learner's name is needed", "name_needed")
    if len(name) > NAME_MAX:
        raise NameProblem(f"a learner's name has at most {NAME_MAX} characters (got {len(name)})", "name_too_long")
    return name

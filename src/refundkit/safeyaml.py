"""The one YAML reader of the kit: plain data only, refused quickly when hostile.

Every YAML file the kit reads (the SOP, scenarios, questions, the export mapping, case files)
goes through `load` / `load_file`. On top of PyYAML's safe loader (libyaml when present):
- anchors and aliases (`&name` / `*name`, merge keys `<<`) are refused: the kit's files never
  need them, and they are how a "billion laughs" file grows a few lines into gigabytes;
- a key given twice in one mapping is refused with both lines (PyYAML keeps the last silently);
- files above a size limit, binary files and text that is not UTF-8 are refused before parsing;
- nesting deep enough to exhaust the stack (some hundreds of levels) is refused, not a traceback.
Bottom layer: imports nothing of the kit.
"""
from __future__ import annotations

import os
import pickle
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import yaml

# The shipped SOP is ~50 KB; 2 MB leaves room for any real procedure and refuses junk early.
MAX_BYTES = 2 * 2**20

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: several times faster


class YamlError(yaml.YAMLError):
    """YAML the kit refuses to read; `str()` is one line, with the line number when known."""

    def __init__(self, problem: str, line: int | None = None):
        self.problem = problem
        self.line = line
        super().__init__(problem)

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}" if self.line else self.problem


def _line(node_or_mark) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return mark.line + 1 if mark is not None and hasattr(mark, "line") else None


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_ALIAS = ("the value anchored here (&name) is reused by an alias (*name); anchors and aliases are not "
          "allowed: write each value out")


class _Loader(_Base):
    """Safe loader that refuses aliases (a node built twice) and duplicate keys.

    Plain text, mappings and lists (nearly every node of the kit's files) are built by one walk over
    the nodes (`construct_document`), several times faster than PyYAML's constructor; any other tag
    (numbers, dates, booleans...) by PyYAML's own constructor for it, with the same refusals."""

    def construct_document(self, node):
        seen: set[int] = set()  # the nodes built: one reached again is an alias
        scalar, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
        constructors = self.yaml_constructors

        def build(node):
            if id(node) in seen:
                raise YamlError(_ALIAS, _line(node))
            seen.add(id(node))
            kind, tag = type(node), node.tag
            if kind is scalar:
                if tag == _STR:
                    return node.value
                make = constructors.get(tag)
                if make is not None and tag != _MERGE:
                    return make(self, node)
            elif kind is mapping_node and tag == _MAP:
                self._check_keys(node)
                return {build(k): build(v) for k, v in node.value}
            elif kind is sequence_node and tag == _SEQ:
                return [build(v) for v in node.value]
            return self.construct_object(node, deep=True)  # any other tag: PyYAML's way, refusals included

        try:
            return build(node)
        finally:
            self.constructed_objects, self.recursive_objects = {}, {}

    def _check_keys(self, node) -> None:
        """Refuse merge keys, keys that are not plain text and keys given twice (as data: `true`, `True`)."""
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                raise YamlError("YAML merge keys (<<) are not allowed: write the keys out", _line(key_node))
        seen: dict[Any, int | None] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("a mapping key must be plain text", _line(key_node))
            if key_node.tag == _STR:
                key = key_node.value
            else:
                build = self.yaml_constructors.get(key_node.tag)
                try:  # the key as data (`true` and `True` are one key)
                    key = build(self, key_node) if build else key_node.value
                except yaml.YAMLError:
                    key = key_node.value
            try:
                hash(key)
            except TypeError:
                continue
            if key in seen:
                raise YamlError(f"duplicate key {key_node.value!r} (first at line {seen[key]}); give each key once",
                                _line(key_node))
            seen[key] = _line(key_node)

    def construct_object(self, node, deep=False):
        # An alias is the same node reached twice; a self-referencing one is reached while
        # it is still being built. Either way the file reuses a value by reference.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise YamlError(_ALIAS, _line(node))
        return super().construct_object(node, deep=deep)

    def flatten_mapping(self, node):
        for key, _ in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                raise YamlError("YAML merge keys (<<) are not allowed: write the keys out", _line(key))
        return super().flatten_mapping(node)

    def construct_mapping(self, node, deep=False):
        # A mapping under another tag than the plain one (PyYAML's way): the same refusals as in the walk.
        if isinstance(node, yaml.MappingNode):
            self._check_keys(node)
        return super().construct_mapping(node, deep=deep)


# Texts read lately, as pickles of their data: a session (a test run, a check that reads the SOP from
# several places) reads the same 50 KB again and again, and PyYAML's constructor is pure Python
# (~40 ms for the SOP) where unpickling is C (<1 ms). Unpickling gives each caller its own copy.
_RECENT: OrderedDict[str, bytes] = OrderedDict()
_RECENT_MAX = 32  # texts kept
_RECENT_TEXT = 256 * 2**10  # the largest text kept (characters): the SOP is ~50 KB
_RECENT_LOCK = threading.Lock()  # files read in parallel threads


def load(text: str | bytes, max_bytes: int = MAX_BYTES) -> Any:
    """Parse one YAML document as plain data (dicts, lists, scalars); YamlError if refused."""
    if isinstance(text, bytes):
        text = _decode(text, max_bytes)
    elif len(text) > max_bytes:  # characters: at least as many bytes
        raise YamlError(f"too large ({len(text):,} characters; the limit is {max_bytes:,} bytes)")
    if len(text) > _RECENT_TEXT:
        return _parse(text)
    with _RECENT_LOCK:
        known = _RECENT.get(text)
        if known is not None:
            _RECENT.move_to_end(text)
    if known is not None:
        return pickle.loads(known)
    data = _parse(text)
    kept = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    with _RECENT_LOCK:
        _RECENT[text] = kept
        if len(_RECENT) > _RECENT_MAX:
            _RECENT.popitem(last=False)
    return data


def _parse(text: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        raise YamlError(f"not valid YAML: {exc.problem or exc.context}", _line(exc.problem_mark or exc.context_mark)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlError("nested too deeply to be an SOP or case file") from None
    finally:
        loader.dispose()


def _decode(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise YamlError(f"too large ({len(data):,} bytes; the limit is {max_bytes:,})")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise YamlError(f"not a text file (binary data at byte {nul}); expected YAML text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", line) from None


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """A YAML/JSON file's text, refusing large, binary and non-UTF-8 files before any parsing.

    OSError propagates (missing file, no permission) for the caller to word.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise YamlError(f"too large ({size:,} bytes; the limit is {max_bytes:,})")
        data = fh.read(max_bytes + 1)  # a pipe or special file has no size: read at most the limit
    return _decode(data, max_bytes)


def load_file(path: str | Path, max_bytes: int = MAX_BYTES) -> Any:
    return load(read_text(path, max_bytes), max_bytes)


__all__ = ["MAX_BYTES", "YamlError", "load", "load_file", "read_text"]

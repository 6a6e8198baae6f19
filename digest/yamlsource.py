"""YAML loading that remembers which line every key and list item came from.

Error messages must point at the offending line, so the loaded mappings and lists carry
their source lines. libyaml does the parsing when available (10x faster than pure Python).
"""

from __future__ import annotations

from typing import Any

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineMap(dict):
    """A dict that knows the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def __reduce__(self):  # keep line information across pickling (cache, process pool)
        return (_rebuild_map, (dict(self), self.line, self.key_lines))


class LineList(list):
    """A list that knows the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line

    def __reduce__(self):
        return (_rebuild_list, (list(self), self.line, self.item_lines))


def _rebuild_map(items: dict, line: int, key_lines: dict) -> LineMap:
    m = LineMap(items)
    m.line, m.key_lines = line, key_lines
    return m


def _rebuild_list(items: list, line: int, item_lines: list) -> LineList:
    lst = LineList(items)
    lst.line, lst.item_lines = line, item_lines
    return lst


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    # `2026-13-45` looks like a timestamp to YAML but is no date: keep the text so the
    # content stage can report it as an unparseable date at its line, not crash.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


class YamlError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_yaml(text: str, first_line: int = 1) -> Any:
    """Parse one YAML document; lines are numbered from `first_line`.

    Raises YamlError with the line of the problem.
    """
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise YamlError(line, f"YAML syntax error: {problem}{context}".strip()) from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML syntax error: {exc}") from None
    _shift_lines(data, first_line - 1)
    return data


def _shift_lines(value: Any, offset: int) -> None:
    if not offset:
        return
    if isinstance(value, LineMap):
        value.line += offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for child in value.values():
            _shift_lines(child, offset)
    elif isinstance(value, LineList):
        value.line += offset
        value.item_lines = [v + offset for v in value.item_lines]
        for child in value:
            _shift_lines(child, offset)

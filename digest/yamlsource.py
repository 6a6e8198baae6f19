"""YAML loading that remembers which line every key and list item came from.

Error messages must point at the offending line, so the loaded mappings and lists carry
their source lines. libyaml does the parsing when available (10x faster than pure Python).

Front-matter and site.yaml are untrusted text, so loading is bounded before anything is built:
aliases may add at most MAX_ALIAS_EXPANSION values to a document (a few hundred bytes of nested
aliases otherwise expand to a billion), values nest at most MAX_NESTING deep, and a value that
YAML cannot construct (`!!int abc`, a 5,000-digit number) is an error at its line or, for numbers,
kept as the text written.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document may hold at most this many more values than it spells out: what aliases (`*name`)
# and merge keys (`<<: *name`) add by repeating a subtree. Real front-matter reuses a list or a
# mapping a few times; a "billion laughs" bomb needs millions.
MAX_ALIAS_EXPANSION = 100_000
# Lists and mappings nest at most this deep (front-matter needs three or four levels; deeper
# values would exhaust Python's recursion limit in the code that reads them).
MAX_NESTING = 100

_MERGE_TAG = "tag:yaml.org,2002:merge"


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


class YamlError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, with lines numbered from `first_line` and warnings collected."""

    def __init__(self, text: str, first_line: int):
        super().__init__(text)
        self.line_offset = first_line  # line of the text's first line, 1-based
        self.warnings: list[tuple[int, str]] = []

    def line_of(self, node: Node) -> int:
        return node.start_mark.line + self.line_offset

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_bounds(node, self.line_of)
        return self.construct_document(node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
            # PyYAML's own constructors fail this way on values such as `!!int abc`,
            # `!!bool maybe` or `!!timestamp soon`: the value at this node is what is wrong.
            tag = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value as `!!{tag}` ({type(exc).__name__})", node.start_mark
            ) from None


def _construct_mapping(loader: _LineLoader, node: Node) -> LineMap:
    if not isinstance(node, MappingNode):
        raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, but found {node.id}", node.start_mark)
    # Keys written in this mapping (not merged in with `<<`): two of them with one value is a
    # slip worth a warning, whereas a written key overriding a merged one is what `<<` is for.
    written = {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = loader.line_of(node)
    result.key_lines = {}
    first_written: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        line = loader.line_of(key_node)
        if id(key_node) in written:
            if key in first_written:
                message = f"duplicate key `{_shown(key)}` (first on line {first_written[key]}); the later value is used"
                loader.warnings.append((line, message))
            else:
                first_written[key] = line
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _shown(key: Any) -> str:
    text = str(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _construct_sequence(loader: _LineLoader, node: Node) -> LineList:
    if not isinstance(node, SequenceNode):
        raise yaml.constructor.ConstructorError(None, None, f"expected a list, but found {node.id}", node.start_mark)
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = loader.line_of(node)
    result.item_lines = [loader.line_of(child) for child in node.value]
    return result


def _construct_timestamp(loader: _LineLoader, node: Node):
    # `2026-13-45` looks like a timestamp to YAML but is no date: keep the text so the
    # content stage can report it as an unparseable date at its line, not crash.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, AttributeError, OverflowError):
        return loader.construct_scalar(node)


def _construct_int(loader: _LineLoader, node: Node):
    # A number longer than Python converts from text (4,300 digits) is kept as the text written:
    # `title: 1111…` is still a title, and an `occurrence` of that size is reported as not a number.
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        if node.tag == "tag:yaml.org,2002:int" and isinstance(node, ScalarNode) and _looks_numeric(node.value):
            return loader.construct_scalar(node)
        raise
    # `0xfff…` converts whatever its length, but such a number could never be shown (str() refuses
    # more than 4,300 digits): it too stays the text written.
    return loader.construct_scalar(node) if value.bit_length() > _MAX_INT_BITS else value


_MAX_INT_BITS = 14_000  # just under 4,300 decimal digits


def _looks_numeric(text: str) -> bool:
    digits = text.lstrip("+-").replace("_", "").lower()
    return digits.isdigit() or digits[:2] in ("0x", "0o", "0b")


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _check_bounds(root: Node, line_of) -> None:
    """Refuse a node graph that would construct too many values or nest too deep.

    Aliases share their node, so a bomb is a small graph: one depth-first pass over its distinct
    nodes (no recursion) gives each node's expanded size and height once, and every reference to
    a node after its first adds that node's expanded size to the document.
    """
    size: dict[int, int] = {}  # id(node) -> values it expands to, itself included
    height: dict[int, int] = {}
    referenced: set[int] = set()
    added = 0
    open_nodes: set[int] = set()  # the current path: a child found here is a cycle
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            for child in children:
                if id(child) in referenced:
                    added += size[id(child)]
                    if added > MAX_ALIAS_EXPANSION:
                        raise YamlError(line_of(node), f"YAML aliases expand this document by more than "
                                                       f"{MAX_ALIAS_EXPANSION:,} values (limit); write the values out instead")
                referenced.add(id(child))
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            open_nodes.discard(key)
            continue
        if key in size:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise YamlError(line_of(child), "YAML error: an alias refers to a value that contains it")
            if id(child) not in size:
                stack.append((child, False))
    if height[id(root)] > MAX_NESTING:
        node = root
        for _ in range(MAX_NESTING):
            node = max(_children(node), key=lambda child: height[id(child)])
        raise YamlError(line_of(node), f"YAML values nest more than {MAX_NESTING} levels deep (limit)")


def load_yaml(text: str, first_line: int = 1, warnings: list[tuple[int, str]] | None = None) -> Any:
    """Parse one YAML document; lines are numbered from `first_line`.

    Raises YamlError with the line of the problem. Problems that do not stop loading (a key
    written twice) are appended to `warnings` as (line, message).
    """
    loader = _LineLoader(text, first_line)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        # The text parsed, but a value in it cannot be made (`!!int abc`, an unhashable key).
        kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise YamlError(line, f"{kind}: {problem}{context}".strip()) from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML syntax error: {exc}") from None
    except RecursionError:  # the pure-Python parser recurses per nesting level
        raise YamlError(first_line, f"YAML values nest more than {MAX_NESTING} levels deep") from None
    finally:
        loader.dispose()
    if warnings is not None:
        warnings.extend(loader.warnings)
    return data

"""PHP ``serialize()`` format: a lossless parser and writer, on bytes.

Why bytes: PHP's ``s:N:"…"`` counts BYTES (UTF-8 ``héllo`` is ``s:6``), and WordPress
data is not always valid UTF-8. Why lossless: search-replace must write back exactly what
it read except for the strings it changed, so scalars (ints, floats, booleans, null,
references ``R:``/``r:``, enums ``E:``) keep their original text and custom-serialized
payloads (``C:``) are kept opaque.

Guarantee: for any ``data`` that :func:`parse` accepts, ``serialize(parse(data))`` is
``data`` unless the input used a non-canonical spelling PHP tolerates (``s:05:``,
``i:+5;`` lengths/keys); callers check the round-trip before trusting a rewrite.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class PHPSerialError(ValueError):
    """The bytes are not valid PHP serialization; ``offset`` is where parsing stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Scalar:
    """A value kept verbatim: ``N;``, ``b:1;``, ``i:-5;``, ``d:0.5;``, ``R:2;``, ``E:…;``."""

    raw: bytes


@dataclass
class Str:
    """A PHP string: raw bytes, re-serialized with their byte length."""

    data: bytes


@dataclass
class Arr:
    """A PHP array: ordered (key, value) pairs; keys are ``i:`` Scalars or Strs."""

    items: list[tuple[Node, Node]] = field(default_factory=list)


@dataclass
class Obj:
    """``O:N:"Class":n:{…}``: an object with its properties, in order."""

    cls: bytes
    items: list[tuple[Node, Node]] = field(default_factory=list)


@dataclass
class Custom:
    """``C:N:"Class":M:{payload}``: a Serializable object; the payload is opaque."""

    cls: bytes
    payload: bytes


Node = Scalar | Str | Arr | Obj | Custom

_INT = rb"[+-]?\d+"
_SCALAR_RE = re.compile(
    rb"N;|b:[01];|i:" + _INT + rb";|d:(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|-?INF|NAN);"
    rb"|[Rr]:\d+;"
)
_LEN_RE = re.compile(rb'([sEOC]):(\d+):"')
_COUNT_RE = re.compile(rb":(\d+):\{")
_SIZED = frozenset((b"s", b"E", b"O", b"C"))


class _Parser:
    """Recursive descent over ``data``; every method returns the node and the next offset."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def fail(self, message: str, pos: int) -> PHPSerialError:
        return PHPSerialError(message, pos)

    def value(self, pos: int) -> tuple[Node, int]:
        kind = self.data[pos : pos + 1]
        if kind in _SIZED:
            return self.sized(pos)
        if kind == b"a":
            items, end = self.items(pos + 1, b"a")
            return Arr(items), end
        m = _SCALAR_RE.match(self.data, pos)
        if m is None:
            raise self.fail("unknown value type", pos)
        return Scalar(m.group()), m.end()

    def sized(self, pos: int) -> tuple[Node, int]:
        """``s:``, ``E:``, ``O:`` and ``C:``: a byte length, then that many bytes."""
        m = _LEN_RE.match(self.data, pos)
        if not m:
            raise self.fail("unknown value type", pos)
        kind, size = m.group(1), int(m.group(2))
        start, end = m.end(), m.end() + size
        if end > len(self.data):
            raise self.fail(f"length {size} runs past the end", pos)
        body = self.data[start:end]
        if kind in (b"s", b"E"):
            if self.data[end : end + 2] != b'";':
                raise self.fail(f"length {size} does not end at '\";'", end)
            return (Str(body) if kind == b"s" else Scalar(self.data[pos : end + 2])), end + 2
        if self.data[end : end + 1] != b'"':
            raise self.fail("class name length is wrong", end)
        if kind == b"O":
            items, after = self.items(end + 1, b"O")
            return Obj(body, items), after
        return self.custom(body, end + 1)

    def custom(self, cls: bytes, pos: int) -> tuple[Node, int]:
        m = _COUNT_RE.match(self.data, pos)
        if not m:
            raise self.fail("bad custom object header", pos)
        start, end = m.end(), m.end() + int(m.group(1))
        if self.data[end : end + 1] != b"}":
            raise self.fail("custom object payload length is wrong", end)
        return Custom(cls, self.data[start:end]), end + 1

    def items(self, pos: int, kind: bytes) -> tuple[list[tuple[Node, Node]], int]:
        m = _COUNT_RE.match(self.data, pos)
        if not m:
            raise self.fail(f"bad {kind.decode()} header", pos)
        pos = m.end()
        items: list[tuple[Node, Node]] = []
        for _ in range(int(m.group(1))):
            key, pos = self.value(pos)
            if not _valid_key(key):
                raise self.fail("array key must be an int or a string", pos)
            val, pos = self.value(pos)
            items.append((key, val))
        if self.data[pos : pos + 1] != b"}":
            raise self.fail("element count is wrong (no '}')", pos)
        return items, pos + 1


def _valid_key(key: Node) -> bool:
    return isinstance(key, Str) or (isinstance(key, Scalar) and key.raw.startswith(b"i:"))


def parse(data: bytes) -> Node:
    """Parse one complete serialized value; trailing bytes are an error."""
    try:
        node, end = _Parser(data).value(0)
    except RecursionError:
        raise PHPSerialError("nested too deeply", 0) from None
    if end != len(data):
        raise PHPSerialError("trailing bytes after the value", end)
    return node


def serialize(node: Node) -> bytes:
    """Write a node back; string and class lengths are recomputed in bytes."""
    out: list[bytes] = []
    _write(node, out)
    return b"".join(out)


def _write(node: Node, out: list[bytes]) -> None:
    if isinstance(node, Scalar):
        out.append(node.raw)
    elif isinstance(node, Str):
        out += [b's:%d:"' % len(node.data), node.data, b'";']
    elif isinstance(node, Custom):
        cls, payload = node.cls, node.payload
        out.append(b'C:%d:"%s":%d:{%s}' % (len(cls), cls, len(payload), payload))
    else:
        head = b"a" if isinstance(node, Arr) else b'O:%d:"%s"' % (len(node.cls), node.cls)
        out.append(head + b":%d:{" % len(node.items))
        for key, val in node.items:
            _write(key, out)
            _write(val, out)
        out.append(b"}")


_LOOKS_RE = re.compile(rb'(?:[aOC]:\d+:[{"]|[sE]:\d+:"|[ibd]:[^;{}"]{1,40};|[Rr]:\d+;|N;)')


def looks_serialized(data: bytes) -> bool:
    """Cheap shape test (like WordPress's ``is_serialized``): worth trying to parse?

    True when the value starts like a serialized value and ends with ``;`` or ``}``;
    it says nothing about the lengths being right.
    """
    return bool(data) and data[-1:] in (b";", b"}") and _LOOKS_RE.match(data) is not None


# --- Python values <-> PHP, for building and reading data in tests and reports ----------


@dataclass
class PHPObject:
    """A PHP object as Python data: ``PHPObject("stdClass", {"a": 1})``."""

    cls: str
    props: dict[Any, Any] = field(default_factory=dict)


def php_float(value: float) -> bytes:
    """Format a float the way PHP >= 7.1 serializes it (``serialize_precision = -1``)."""
    if math.isnan(value):
        return b"NAN"
    if math.isinf(value):
        return b"INF" if value > 0 else b"-INF"
    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exp, int)
    text = "".join(map(str, digits)) or "0"
    minus = "-" if sign else ""
    if text == "0":
        return f"{minus}0".encode()
    point = len(text) + exp  # where the decimal point goes, relative to the digits
    if point < -3 or point > 17:
        mantissa = text[0] + "." + (text[1:] or "0")
        return f"{minus}{mantissa}E{point - 1:+d}".encode()
    if point <= 0:
        return f"{minus}0.{'0' * -point}{text}".encode()
    if point >= len(text):
        return f"{minus}{text}{'0' * (point - len(text))}".encode()
    return f"{minus}{text[:point]}.{text[point:]}".encode()


def to_node(value: Any) -> Node:
    """Python data → node: dict/list → array, str → UTF-8 bytes, PHPObject → object."""
    if value is None:
        return Scalar(b"N;")
    if isinstance(value, bool):
        return Scalar(b"b:%d;" % value)
    if isinstance(value, int):
        return Scalar(b"i:%d;" % value)
    if isinstance(value, float):
        return Scalar(b"d:" + php_float(value) + b";")
    if isinstance(value, str):
        return Str(value.encode("utf-8"))
    if isinstance(value, bytes):
        return Str(value)
    if isinstance(value, PHPObject):
        return Obj(value.cls.encode(), [_pair(k, v) for k, v in value.props.items()])
    if isinstance(value, dict):
        return Arr([_pair(k, v) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return Arr([_pair(i, v) for i, v in enumerate(value)])
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _pair(key: Any, value: Any) -> tuple[Node, Node]:
    if not isinstance(key, int | str) or isinstance(key, bool):
        raise TypeError(f"array key must be int or str, not {type(key).__name__}")
    return to_node(key), to_node(value)


def dumps(value: Any) -> bytes:
    """``serialize()`` for Python data (see :func:`to_node`)."""
    return serialize(to_node(value))


def from_node(node: Node) -> Any:
    """Node → Python data; strings decode as UTF-8 when they can, else stay bytes.

    References, enums and custom objects come back as their Scalar/Custom node.
    """
    if isinstance(node, Str):
        try:
            return node.data.decode("utf-8")
        except UnicodeDecodeError:
            return node.data
    if isinstance(node, Arr):
        return {from_node(k): from_node(v) for k, v in node.items}
    if isinstance(node, Obj):
        return PHPObject(node.cls.decode(), {from_node(k): from_node(v) for k, v in node.items})
    if isinstance(node, Custom):
        return node
    return _scalar_value(node)


def _scalar_value(node: Scalar) -> Any:
    raw = node.raw
    kind, body = raw[:1], raw[2:-1]
    if raw == b"N;":
        return None
    if kind == b"b":
        return body == b"1"
    if kind == b"i":
        return int(body)
    if kind == b"d":
        return float(body.replace(b"INF", b"inf").replace(b"NAN", b"nan"))
    return node


def loads(data: bytes) -> Any:
    """``unserialize()`` into Python data (see :func:`from_node`)."""
    return from_node(parse(data))

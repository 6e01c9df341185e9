"""PHP serialization: exact bytes for what PHP writes, and a lossless round-trip."""

from __future__ import annotations

import pytest

from wpfleet.content.phpserial import (
    Arr,
    Custom,
    PHPObject,
    PHPSerialError,
    Scalar,
    Str,
    dumps,
    loads,
    looks_serialized,
    parse,
    php_float,
    serialize,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("héllo", b's:6:"h\xc3\xa9llo";'),  # bytes, not characters: s:5 would be wrong
        ("日本", b's:6:"\xe6\x97\xa5\xe6\x9c\xac";'),
        ("", b's:0:"";'),
        ('say "hi";', b's:9:"say "hi";";'),
        (True, b"b:1;"),
        (False, b"b:0;"),
        (None, b"N;"),
        (-42, b"i:-42;"),
        (0.1, b"d:0.1;"),
        (1.0, b"d:1;"),
        (-0.5, b"d:-0.5;"),
        (1.5e-7, b"d:1.5E-7;"),
        (1e25, b"d:1.0E+25;"),
        ([], b"a:0:{}"),
        (["a", 2], b'a:2:{i:0;s:1:"a";i:1;i:2;}'),
        ({"k": {"n": None}}, b'a:1:{s:1:"k";a:1:{s:1:"n";N;}}'),
        (PHPObject("stdClass", {"a": 1}), b'O:8:"stdClass":1:{s:1:"a";i:1;}'),
    ],
)
def test_dumps_writes_what_php_writes(value: object, expected: bytes) -> None:
    assert dumps(value) == expected


@pytest.mark.parametrize(
    "data",
    [
        b'a:3:{i:0;s:6:"h\xc3\xa9llo";s:1:"b";b:0;i:-7;d:0.5;}',
        b'O:8:"stdClass":2:{s:3:"url";s:18:"https://a.test/p?q";s:4:"self";r:1;}',
        b'a:2:{i:0;a:1:{s:1:"x";i:1;}i:1;R:2;}',  # references stay exactly as written
        b's:28:"a:1:{i:0;s:10:"http://a.b";}";',  # serialized inside serialized
        b'C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}',
        b'E:11:"Suit:Hearts";',
        b"d:1.0E+25;",
        b"d:-INF;",
        b'a:1:{s:4:"\x00*\x00p";O:1:"A":0:{}}',  # protected property name with NULs
    ],
)
def test_parse_serialize_round_trips_exactly(data: bytes) -> None:
    assert serialize(parse(data)) == data


def test_parse_builds_the_tree() -> None:
    node = parse(b'a:2:{i:0;s:6:"h\xc3\xa9llo";s:1:"r";R:1;}')
    assert node == Arr(
        [
            (Scalar(b"i:0;"), Str("héllo".encode())),
            (Str(b"r"), Scalar(b"R:1;")),
        ]
    )
    custom = parse(b'C:3:"Foo":3:{abc}')
    assert custom == Custom(b"Foo", b"abc")


def test_serialize_recomputes_byte_lengths_after_a_change() -> None:
    node = parse(b'a:1:{i:0;s:14:"http://a.test/";}')
    assert isinstance(node, Arr)
    node.items[0] = (node.items[0][0], Str("https://ñ.example/".encode()))
    assert serialize(node) == b'a:1:{i:0;s:19:"https://\xc3\xb1.example/";}'


def test_loads_gives_python_values() -> None:
    data = b'a:4:{s:1:"s";s:6:"h\xc3\xa9llo";s:1:"f";d:-1.25;s:1:"o";O:8:"stdClass":0:{}i:3;N;}'
    assert loads(data) == {"s": "héllo", "f": -1.25, "o": PHPObject("stdClass", {}), 3: None}


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b's:5:"h\xc3\xa9llo";', 10),  # character count instead of byte count
        (b's:7:"hello";', 12),  # the length does not end at the quote
        (b'a:2:{i:0;s:1:"a";}', 17),  # fewer elements than declared
        (b'a:1:{d:1.5;s:1:"a";}', 11),  # float key
        (b's:20:"hello";', 0),  # runs past the end
        (b"i:5;junk", 4),
        (b"x:1;", 0),
        (b'O:9:"stdClass":0:{}', 14),
    ],
)
def test_parse_rejects_broken_values_with_the_offset(data: bytes, offset: int) -> None:
    with pytest.raises(PHPSerialError) as err:
        parse(data)
    assert err.value.offset == offset


def test_looks_serialized_is_a_shape_test() -> None:
    assert looks_serialized(b'a:1:{i:0;s:1:"a";}')
    assert looks_serialized(b's:5:"broken";')  # shape only: lengths are parse's job
    assert looks_serialized(b"N;")
    assert looks_serialized(b"b:1;")
    assert not looks_serialized(b"a: plain text;")
    assert not looks_serialized(b"https://a.test/")
    assert not looks_serialized(b"")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e15, b"1000000000000000"),
        (1e16, b"10000000000000000"),
        (1e17, b"1.0E+17"),
        (123456789012345678.0, b"1.2345678901234568E+17"),
        (0.0001, b"0.0001"),
        (0.00001, b"1.0E-5"),
        (-0.0, b"-0"),
        (float("inf"), b"INF"),
        (float("nan"), b"NAN"),
    ],
)
def test_php_float_matches_php(value: float, expected: bytes) -> None:
    assert php_float(value) == expected

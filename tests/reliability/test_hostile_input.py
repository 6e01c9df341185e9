"""Hostile input: tenant ids, display names, domain patterns, fleet names, bind
addresses, priorities and whole fleet files (anchor bombs, bad encodings, deep nesting).
``wpfleet validate`` must answer with a validation error that names the problem: never
a traceback, never a hang, never anything created (issue 11, defects 2, 3, 4, 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.hostile import assert_refused, base_fleet, validate_data, validate_text
from wpfleet import grammar, naming
from wpfleet.errors import ValidationError

HOSTILE_DOMAINS = [
    "{tenant}.wpdev.localhost; location /pwned { return 200 INJECTED; } #",
    "{tenant}.wpdev.localhost\nevil",
    "{tenant}.w\u0440dev.localhost",  # a Cyrillic er, looks like p
    "{tenant}.wpdev .localhost",
    '{tenant}.wpdev.localhost"',
    "{tenant}.{x}.localhost",
    "{tenant}.{tenant}.localhost",
    "wpdev.localhost",
    "{tenant}.WPDEV.localhost",
    "{tenant}." + "a" * 64 + ".localhost",
    "{tenant}." + ".".join(["abcdefghi"] * 26),
    "{tenant}..localhost",
    "{tenant}.-dev.localhost",
    "{tenant}.wpdev.localhost\x00",
    "$(touch /tmp/x).{tenant}.localhost",
    "{tenant}.wpdev.localhost'",
]


@pytest.mark.parametrize("domain", HOSTILE_DOMAINS)
def test_hostile_domain_patterns_are_refused_naming_the_key(tmp_path: Path, domain: str) -> None:
    data = base_fleet()
    data["environments"][0]["domain"] = domain
    assert_refused(validate_data(tmp_path, data), "environments[dev].domain", "hostname")


@pytest.mark.parametrize(
    "domain",
    ["{tenant}.wpdev.localhost", "{tenant}-sit.example.com", "{tenant}.xn--80ak6aa92e.com"],
)
def test_plain_and_punycode_domain_patterns_pass(tmp_path: Path, domain: str) -> None:
    data = base_fleet()
    data["environments"][0]["domain"] = domain
    res = validate_data(tmp_path, data)
    assert res.code == 0, res.err


@pytest.mark.parametrize(
    "fleet",
    ["../../../tmp/x/ESCAPED", "bbws\nevil:{PLAIN}letmein", "", "Bbws", "a" * 64, "a/b", "a-"],
)
def test_hostile_fleet_names_are_refused(tmp_path: Path, fleet: str) -> None:
    data = base_fleet()
    data["fleet"] = fleet
    assert_refused(validate_data(tmp_path, data), "fleet:", "fleet name")


def test_a_trailing_newline_fails_the_tenant_id_check() -> None:
    with pytest.raises(ValidationError):
        naming.check_tenant_id("alpha\n")
    with pytest.raises(ValidationError):
        naming.check_env_name("dev\n")


@pytest.mark.parametrize("tenant", ["alpha\n", "Alpha", "a;rm -rf /", "../x", "a" * 64, "-a"])
def test_hostile_tenant_ids_are_refused(tmp_path: Path, tenant: str) -> None:
    data = base_fleet()
    data["tenants"][0]["id"] = tenant
    assert_refused(validate_data(tmp_path, data), ".id")


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 20_000, "a\x00b", "a\x1b[31mb", "a\nb", "a\u2028b"]
)
def test_hostile_display_names_are_refused(tmp_path: Path, name: str) -> None:
    data = base_fleet()
    data["tenants"][0]["name"] = name
    assert_refused(validate_data(tmp_path, data), "tenants[alpha].name", "display name")


@pytest.mark.parametrize(
    "key,value",
    [
        ("admin_user", "admin'; DROP TABLE wp_users; --"),
        ("admin_email", "a@b.c\nBcc: x@y.z"),
        ("admin_email", "not-an-address"),
    ],
)
def test_hostile_admin_values_are_refused(tmp_path: Path, key: str, value: str) -> None:
    data = base_fleet()
    data["tenants"][0][key] = value
    assert_refused(validate_data(tmp_path, data), f"tenants[alpha].{key}")


def test_a_bind_address_that_is_not_an_ip_is_refused(tmp_path: Path) -> None:
    data = base_fleet()
    data["environments"][0]["local"] = {"bind": "127.0.0.1:80; evil"}
    assert_refused(validate_data(tmp_path, data), "environments[dev].local.bind")


@pytest.mark.parametrize("priority", [0, -1, 50_001, 10**30, "ten", 1.5, None, [1]])
def test_hostile_priorities_are_refused(tmp_path: Path, priority: object) -> None:
    data = base_fleet()
    data["tenants"][0]["priority"] = {"dev": priority}
    assert_refused(validate_data(tmp_path, data), "priority")


def bomb(levels: int) -> str:
    """The classic anchor bomb: each level lists the previous one nine times."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\nfleet: *a{levels}\nenvironments: *a{levels}\n"


@pytest.mark.parametrize("levels", [7, 9])
def test_a_yaml_anchor_bomb_is_refused_quickly_with_a_small_error(
    tmp_path: Path, levels: int
) -> None:
    """Run as a real process with a timeout: a hang (the 9-level bomb did not finish in
    120 s before the fix) fails the test instead of stalling the suite."""
    path = tmp_path / "fleet.yaml"
    path.write_text(bomb(levels))
    proc = subprocess.run(
        [sys.executable, "-m", "wpfleet.cli.main", "--fleet", str(path), "validate"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr[:2000]
    assert "aliases expand" in proc.stderr
    assert len(proc.stderr) < 1000 and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.yaml"]


def test_a_shared_alias_inside_the_bound_still_works(tmp_path: Path) -> None:
    text = (
        "fleet: hostile\nenvironments:\n"
        "  - &env {name: dev, backend: local, domain: '{tenant}.wpdev.localhost'}\n"
        "tenants:\n  - {id: alpha, name: &n Alpha, environments: [dev]}\n"
        "  - {id: bravo, name: *n}\n"
    )
    res = validate_text(tmp_path, text)
    assert res.code == 0, res.err


def test_a_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    assert_refused(validate_text(tmp_path, "fleet: &a [*a]\nenvironments: []\n"), "alias")


def test_a_huge_alias_as_an_item_name_keeps_the_error_short(tmp_path: Path) -> None:
    text = (
        "big: &big [" + ", ".join(["'" + "x" * 200 + "'"] * 200) + "]\n"
        "fleet: hostile\nenvironments:\n"
        "  - {name: *big, backend: local, domain: '{tenant}.wpdev.localhost', typo: 1}\n"
    )
    assert_refused(validate_text(tmp_path, text), "unknown key")


@pytest.mark.parametrize(
    "text",
    [
        b"fleet: \xff\xfe bad\n",
        "fleet: x\nenvironments: " + "[" * 5000 + "]" * 5000 + "\n",
        "fleet: [unclosed\n",
        "- just\n- a list\n",
        "",
        "fleet: x\nfleet: y\nenvironments: []\n",
    ],
)
def test_broken_fleet_files_are_refused(tmp_path: Path, text: str | bytes) -> None:
    assert_refused(validate_text(tmp_path, text))


def test_grammar_refuses_what_a_config_file_could_interpret() -> None:
    for value in ("a b", "a;b", "a{b", "a}b", "a#b", "a$b", "a'b", 'a"b', "a\nb", "a\\b"):
        with pytest.raises(ValidationError):
            grammar.config_token(value)
    assert grammar.config_token("/var/lib/wpfleet/x-1/dev") == "/var/lib/wpfleet/x-1/dev"


def test_derived_paths_stay_under_their_root(tmp_path: Path) -> None:
    """Defence in depth behind validation: a fleet name or tenant id that got past it
    still cannot move a derived path out of its root."""
    from wpfleet.backends.local.paths import EnvPaths, runtime_root
    from wpfleet.config.load import LoadedFleet
    from wpfleet.config.models import Fleet

    fleet = Fleet.model_construct(fleet="../../../tmp/x/ESCAPED", environments=[], tenants=[])
    with pytest.raises(ValidationError):
        runtime_root(LoadedFleet(fleet, tmp_path / "fleet.yaml"), "dev")
    paths = EnvPaths(root=tmp_path / "rt", secrets=tmp_path / "secrets")
    for bad in ("../x", "a/../../b", "a\n", "A", ""):
        with pytest.raises(ValidationError):
            paths.tenant(bad)
        with pytest.raises(ValidationError):
            paths.tenant_secret(bad)
    (tmp_path / "rt" / "tenants").mkdir(parents=True)
    (tmp_path / "rt" / "tenants" / "evil").symlink_to("/etc")
    with pytest.raises(ValidationError):
        paths.tenant("evil")
    assert paths.tenant("alpha").root == (tmp_path / "rt" / "tenants" / "alpha").resolve()

from __future__ import annotations

from pathlib import Path

import pytest

from wpfleet.config.load import load_fleet, resolve_tenant
from wpfleet.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "fleet.yaml"
    p.write_text(text)
    return p


def test_examples_load_and_match_the_packaged_copies() -> None:
    for name in ("local", "bbws"):
        repo_copy = REPO / "examples" / name / "fleet.yaml"
        packaged = REPO / "src" / "wpfleet" / "examples" / f"{name}.yaml"
        assert repo_copy.read_text() == packaged.read_text()
        loaded = load_fleet(repo_copy)
        assert loaded.fleet.fleet == "bbws"
    bbws = load_fleet(REPO / "examples" / "bbws" / "fleet.yaml").fleet
    assert len(bbws.tenants) == 13
    assert [e.name for e in bbws.environments] == ["dev", "sit", "prod"]


def test_all_errors_are_reported_at_once_with_path_and_fix(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
fleet: x
environments:
  - name: dev
    domain: "wpdev.localhost"
    local: {http_port: 8080, db_port: 8080}
  - name: sit
    domain: "{tenant}.sit"
    priorities: {first: 0, last: 10}
tenants:
  - {id: Bad_Id, name: B}
  - {id: ok, name: O, priority: {sit: 99}}
  - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, name: Long}
""",
    )
    with pytest.raises(ConfigError) as info:
        load_fleet(p)
    text = str(info.value)
    paths = [pr.path for pr in info.value.problems]
    assert "environments[dev].domain" in paths
    assert "environments[dev].local.db_port" in paths
    assert "environments[sit].priorities.first" in paths
    assert "tenants[Bad_Id].id" in paths
    assert "tenants[ok].priority.sit" in paths
    assert "target group name" in text and "MySQL user name" in text
    assert all(pr.fix for pr in info.value.problems)
    assert str(p) in text


def test_unknown_keys_and_wrong_types_name_their_path(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
fleet: x
environments:
  - name: dev
    domain: "{tenant}.d"
    backnd: local
    local: {http_port: many}
""",
    )
    with pytest.raises(ConfigError) as info:
        load_fleet(p)
    paths = {pr.path: pr.message for pr in info.value.problems}
    assert paths["environments[dev].backnd"] == "unknown key"
    assert "environments[dev].local.http_port" in paths


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "fleet: x\nenvironments: [\n")
    with pytest.raises(ConfigError) as info:
        load_fleet(p)
    assert "line" in info.value.problems[0].path


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_fleet(tmp_path / "nope.yaml")
    assert "wpfleet init" in info.value.problems[0].fix


def test_overrides_apply_per_environment() -> None:
    fleet = load_fleet(REPO / "examples" / "bbws" / "fleet.yaml").fleet
    gc = fleet.tenant("goldencrust")
    prod = resolve_tenant(fleet, gc, fleet.env("prod"))
    sit = resolve_tenant(fleet, gc, fleet.env("sit"))
    assert (prod.cpu, prod.memory) == (512, 1024)
    assert (sit.cpu, sit.memory, sit.pinned_priority) == (256, 512, 140)


@pytest.mark.parametrize(
    "image,official",
    [
        ("wordpress", True),
        ("wordpress:6.4-php8.2-apache", True),
        ("docker.io/library/wordpress:latest", True),
        ("wordpress@sha256:abc", True),
        ("123.dkr.ecr.eu-west-1.amazonaws.com/bbws/wordpress:1", False),
        ("bitnami/wordpress:6", False),
        ("localhost:5000/wordpress", False),
    ],
)
def test_official_wordpress_image(image: str, official: bool) -> None:
    from wpfleet.config.checks import is_official_wordpress

    assert is_official_wordpress(image) is official


def test_custom_image_on_aws_must_declare_it_writes_wp_config(tmp_path: Path) -> None:
    base = (REPO / "examples" / "bbws" / "fleet.yaml").read_text()
    custom = base.replace(
        'defaults: {image: "wordpress:latest"',
        'defaults: {image: "123.dkr.ecr.eu-west-1.amazonaws.com/bbws:1"',
    )
    with pytest.raises(ConfigError) as info:
        load_fleet(write(tmp_path, custom))
    assert [p.path for p in info.value.problems] == ["defaults.image"]
    assert "wp-config.php" in info.value.problems[0].message
    declared = custom.replace('bbws:1"', 'bbws:1", image_writes_wp_config: true')
    load_fleet(write(tmp_path, declared))


def test_fargate_sizes_are_checked_for_aws_environments(tmp_path: Path) -> None:
    base = (REPO / "examples" / "bbws" / "fleet.yaml").read_text()
    bad = base.replace(
        "overrides: {prod: {cpu: 512, memory: 1024}}", "overrides: {prod: {cpu: 512, memory: 512}}"
    )
    with pytest.raises(ConfigError) as info:
        load_fleet(write(tmp_path, bad))
    problems = info.value.problems
    assert [p.path for p in problems] == ["tenants[goldencrust].overrides.prod"]
    assert "memory 512 MiB does not go with cpu 512" in problems[0].message
    assert "1024" in problems[0].fix

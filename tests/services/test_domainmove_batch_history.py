"""Over a fake world (no stack needed): ``deploy --all`` auto-promotes each tenant that
passed, a domain move is refused before any change where content cannot be reached,
and ``history -o json`` gives every event kind in one shape."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml

from tests.engine.fakes import World
from tests.services.factories import deployed, workspace, write_fleet
from wpfleet.cli.main import main
from wpfleet.errors import BatchFailed, ExitStatus, ValidationError
from wpfleet.releases.book import ReleaseBook
from wpfleet.releases.history import log_event
from wpfleet.services import deployments, releases
from wpfleet.services.history import ENTRY_KEYS, timeline


def chain(tmp_path: Path, tenants: tuple[str, ...], **dev: object) -> Path:
    path = write_fleet(tmp_path, tenants=tenants)
    doc = yaml.safe_load(path.read_text())
    doc["environments"][0].update({"auto_promote": True, **dev})
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def sit_release(ws: object, tenant: str) -> object:
    return ReleaseBook(ws.store(ws.env("sit"))).current(tenant, "sit")  # type: ignore[attr-defined]


def test_deploy_all_auto_promotes_each_tenant_that_passed_and_no_other(tmp_path: Path) -> None:
    world = World()
    world.fail_on.add(("create", "dev/b2/site"))
    with workspace(chain(tmp_path, ("a1", "b2", "c3")), world) as ws:
        ReleaseBook(ws.store(ws.env("sit"))).hold("c3", "sit", actor="ops", reason="x",
                                                  release_id="r-old")  # fmt: skip
        result = deployments.deploy_many(ws, ws.env("dev"))
        assert [i.tenant for i in result.items if i.ok] == ["a1", "c3"]
        assert result.promotions["a1"] == ["auto-promoted to sit"]
        assert result.promotions["c3"] == ["auto-promotion to sit skipped: c3 is held there"]
        assert "b2" not in result.promotions
        assert sit_release(ws, "a1") is not None
        assert sit_release(ws, "b2") is None and sit_release(ws, "c3") is None
    assert "sit/a1/site" in world.things and "sit/b2/site" not in world.things


def test_deploy_all_honours_soak_minutes_per_tenant(tmp_path: Path) -> None:
    path = chain(tmp_path, ("a1", "b2"))
    doc = yaml.safe_load(path.read_text())
    doc["environments"][1]["soak_minutes"] = 30
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    world = World()
    with workspace(path, world) as ws:
        result = deployments.deploy_many(ws, ws.env("dev"))
        assert all(i.ok for i in result.items)
        assert set(result.promotion_failures) == {"a1", "b2"}
        assert "soaked in dev for 0 min; sit asks for 30" in result.promotion_failures["a1"]
        with pytest.raises(BatchFailed) as err:
            result.raise_for_failures()
        assert err.value.failures["b2"].startswith("auto-promotion: ")
    assert "sit/a1/site" not in world.things


def test_without_auto_promote_the_batch_promotes_nothing(tmp_path: Path) -> None:
    world = World()
    with workspace(write_fleet(tmp_path, tenants=("a1",)), world) as ws:
        result = deployments.deploy_many(ws, ws.env("dev"))
        assert result.promotions == {} and "sit/a1/site" not in world.things


def test_a_domain_move_without_content_access_is_refused_before_any_change(
    tmp_path: Path,
) -> None:
    """The fake backend, like every backend without ``content_access``, cannot rewrite
    the site's content: the deploy and the plan refuse, nothing changes."""
    path = write_fleet(tmp_path, tenants=("alpha",))
    world = World()
    with workspace(path, world) as ws:
        deployed(ws)
    before = dict(world.things)
    path.write_text(path.read_text().replace("{tenant}.wpdev.localhost", "{tenant}.moved.test"))
    with workspace(path, world) as ws:
        with pytest.raises(ValidationError) as err:
            deployments.deploy(ws, ws.env("dev"), "alpha")
        assert "alpha's URL in dev changed (http://alpha.wpdev.localhost → " in err.value.message
        assert "http://alpha.moved.test)" in err.value.message
        assert "nothing was changed" in err.value.message
        with pytest.raises(ValidationError):
            deployments.plan(ws, ws.env("dev"), "alpha")
        doc = ws.store(ws.env("dev")).get_document("config/dev/alpha.json") or {}
    assert world.things == before
    assert doc.get("url") == "http://alpha.wpdev.localhost/"


def cli_json(path: Path, *args: str) -> object:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--fleet", str(path), "-o", "json", *args]) == 0
    return json.loads(out.getvalue())


def test_history_json_lists_every_event_kind_in_one_shape(tmp_path: Path) -> None:
    path = write_fleet(tmp_path, tenants=("alpha",))
    world = World()
    with workspace(path, world) as ws:
        deployed(ws)
        releases.promote(ws, "alpha", "sit", reason="ship it")
    path.write_text(path.read_text().replace("name: Alpha", "name: Alpha Two"))
    with workspace(path, world) as ws:
        deployed(ws)  # a second release in dev
        releases.rollback(ws, "alpha", "dev", reason="bad release")
        releases.unhold(ws, "alpha", "dev", reason="fixed")
        store = ws.store(ws.env("dev"))
        log_event(store, "approval-requested", "alpha", "dev", "dev-person", "please", ref="q-1")
        log_event(store, "approval-approve", "alpha", "dev", "lead", "ok", ref="q-1")
        log_event(store, "restore-point", "alpha", "dev", "tester", "manual", ref="b-1")
        log_event(store, "domain-move", "alpha", "dev", "tester", "new name", ref="d-1",
                  old_url="http://a.old", new_url="http://a.new")  # fmt: skip
        expected = timeline(ws, tenant="alpha", limit=100)
    found = cli_json(path, "history", "alpha", "-n", "100")
    assert found == json.loads(json.dumps(expected))
    assert isinstance(found, list)
    assert all(tuple(e) == ENTRY_KEYS for e in found)
    kinds = {e["event"] for e in found}
    assert kinds >= {
        "deployment", "promote", "rollback", "unhold", "approval-requested",
        "approval-approve", "restore-point", "domain-move",
    }  # fmt: skip
    assert [e["at"] for e in found] == sorted((e["at"] for e in found), reverse=True)
    move = next(e for e in found if e["event"] == "domain-move")
    assert (move["who"], move["why"], move["ref"]) == ("tester", "new name", "d-1")
    assert move["details"] == {"old_url": "http://a.old", "new_url": "http://a.new"}
    promote = next(e for e in found if e["event"] == "deployment"
                   and e["details"]["kind"] == "promote")  # fmt: skip
    assert (promote["env"], promote["why"], promote["status"]) == ("sit", "ship it", "succeeded")
    assert len(cli_json(path, "history", "alpha", "-n", "3")) == 3  # type: ignore[arg-type]


def test_deploy_all_json_gives_each_tenants_auto_promotion_in_one_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``deploy --all -o json`` through the CLI (over the fake world: the CLI's own
    ``Workspace``, given the fake backends): every item has ``auto_promotion`` with the
    same keys, whether promoted, skipped by a hold, failed in the next environment, or not
    attempted because its deploy failed; the exit status says a tenant failed."""
    from wpfleet.cli import cmd_deploy
    from wpfleet.services.workspace import Workspace

    path = chain(tmp_path, ("a1", "b2", "c3", "d4"))
    world = World()
    world.fail_on.update({("create", "dev/b2/site"), ("create", "sit/d4/site")})
    with workspace(path, world) as ws:
        ReleaseBook(ws.store(ws.env("sit"))).hold("c3", "sit", actor="ops", reason="x",
                                                  release_id="r-old")  # fmt: skip
        factory = ws._backend_factory

    def fake_workspace(cfg: object, who: object = None, events: object = None) -> Workspace:
        return Workspace(path, actor="tester", backend_factory=factory)

    monkeypatch.setattr(cmd_deploy, "workspace", fake_workspace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["--fleet", str(path), "-o", "json", "deploy", "--all", "--env", "dev"])
    items = {i["tenant"]: i for i in json.loads(out.getvalue())}
    assert code == ExitStatus.PARTIAL_FAILURE and set(items) == {"a1", "b2", "c3", "d4"}
    shapes = {t: i["auto_promotion"] for t, i in items.items()}
    assert all(tuple(p) == ("to", "attempted", "notes", "error") for p in shapes.values())
    assert shapes["a1"] == {"to": "sit", "attempted": True, "notes": ["auto-promoted to sit"],
                            "error": None}  # fmt: skip
    assert shapes["b2"] == {"to": "sit", "attempted": False, "notes": [], "error": None}
    assert shapes["c3"]["notes"] == ["auto-promotion to sit skipped: c3 is held there"]
    assert shapes["d4"]["attempted"] and shapes["d4"]["notes"] == []
    assert "d4" in shapes["d4"]["error"] and "sit/d4/site" in shapes["d4"]["error"]
    assert items["b2"]["ok"] is False and items["a1"]["ok"] is True


@pytest.mark.parametrize(
    ("tenant", "code", "to_sit"), [("a1", ExitStatus.OK, True), ("d4", None, False)]
)
def test_single_deploy_json_has_its_auto_promotion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tenant: str, code: object, to_sit: bool
) -> None:
    """``deploy TENANT -o json``: the outcome carries ``auto_promotion`` in the batch's
    shape; a promotion that fails in the next environment is in it, and still fails the
    command (not exit 0)."""
    from wpfleet.cli import cmd_deploy
    from wpfleet.services.workspace import Workspace

    path = chain(tmp_path, ("a1", "d4"))
    world = World()
    world.fail_on.add(("create", "sit/d4/site"))
    with workspace(path, world) as ws:
        factory = ws._backend_factory

    def fake_workspace(cfg: object, who: object = None, events: object = None) -> Workspace:
        return Workspace(path, actor="tester", backend_factory=factory)

    monkeypatch.setattr(cmd_deploy, "workspace", fake_workspace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        got = main(["--fleet", str(path), "-o", "json", "deploy", tenant, "--env", "dev"])
    doc = json.loads(out.getvalue())
    promotion = doc["auto_promotion"]
    assert doc["tenant"] == tenant and tuple(promotion) == ("to", "attempted", "notes", "error")
    assert promotion["to"] == "sit" and promotion["attempted"] is True
    if to_sit:
        assert got == code and promotion["notes"] == ["auto-promoted to sit"]
        assert promotion["error"] is None
    else:
        assert got != ExitStatus.OK and "sit/d4/site" in promotion["error"]

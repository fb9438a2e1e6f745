"""Replays from an allow-list: a ledger's replay target resolves only to a function registered with
``@replayable``; anything else is refused before it is imported or called, and the schema admits only registered
names of this package."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bmaml_theory._replay import PACKAGE_TARGET, REPLAYS, ReplayRefusedError, resolve_replay
from bmaml_theory.claims import Replay

ROOT = Path(__file__).resolve().parents[1]
TAMPERED = [
    ("os:system", {"command": "touch {marker}"}),
    ("builtins:eval", {"source": "open({marker!r}, 'w').close()"}),
    ("subprocess:run", {"args": ["touch", "{marker}"]}),
    ("shutil:rmtree", {"path": "{marker}"}),
    ("bmaml_theory.claims._core:provenance_base", {}),  # a function of this package, but not a replay function
    ("bmaml_theory.claims._core:REGISTRY", {}),
    ("bmaml_theory.nonexistent_module:f", {}),
]


def _fill(kwargs: dict, marker: str) -> dict:
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, str):
            out[k] = v.format(marker=marker)
        elif isinstance(v, list):
            out[k] = [x.format(marker=marker) for x in v]
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("target,kwargs", TAMPERED)
def test_a_tampered_target_is_refused_without_side_effects(tmp_path, target, kwargs):
    marker = tmp_path / "pwned"
    with pytest.raises(ReplayRefusedError, match=r"not a registered replay function|no module"):
        Replay(target, _fill(kwargs, str(marker))).run()
    assert not marker.exists()


def test_refused_before_anything_is_imported():
    # in a fresh interpreter: a target naming a module nobody imported is refused and the module stays unimported
    code = textwrap.dedent(
        """
        import sys
        from bmaml_theory.claims import Replay, ReplayRefusedError
        assert "smtplib" not in sys.modules and "antigravity" not in sys.modules
        for target in ("smtplib:SMTP", "antigravity:geohash"):
            try:
                Replay(target, {}).run()
            except ReplayRefusedError:
                pass
            else:
                raise SystemExit("not refused: " + target)
        assert "smtplib" not in sys.modules and "antigravity" not in sys.modules, "a refused target was imported"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_a_registered_replay_runs_and_its_kwargs_are_checked():
    from bmaml_theory.claims.fallah.smoothness_as_printed import printed_ratio

    target = "bmaml_theory.claims.fallah.smoothness_as_printed:printed_ratio"
    assert resolve_replay(target) is printed_ratio
    assert Replay(target, {"L": 2.0, "alpha": 1.0, "h": 1e-4}).run() == printed_ratio(2.0, 1.0, 1e-4)
    with pytest.raises(TypeError, match="do not fit its signature"):
        Replay(target, {"L": 2.0, "command": "touch x"}).run()


def test_every_registered_name_is_a_package_target_and_the_schema_lists_exactly_them():
    import bmaml_theory.claims  # noqa: F401  (imports every claim module)
    import bmaml_theory.studies as studies

    for m in pkgutil.walk_packages(studies.__path__, prefix="bmaml_theory.studies."):
        importlib.import_module(m.name)
    ours = {t for t in REPLAYS if t.startswith("bmaml_theory")}
    assert all(PACKAGE_TARGET.match(t) for t in ours)
    schema = json.loads((ROOT / "bmaml_theory" / "claims" / "ledger.schema.json").read_text(encoding="utf-8"))
    listed = set(schema["$defs"]["replay_target"]["enum"])
    assert listed == ours, (
        f"the schema's replay_target enum and the @replayable registry differ: add {sorted(ours - listed)}, "
        f"remove {sorted(listed - ours)}"
    )


def test_schema_refuses_a_tampered_replay():
    jsonschema = pytest.importorskip("jsonschema")
    from verify.ledger import schema

    s = schema()
    replay = {"$defs": s["$defs"], "$ref": "#/$defs/replay"}
    ok = {"target": "bmaml_theory.claims.fallah.smoothness_as_printed:printed_ratio", "kwargs": {"L": 2.0}}
    jsonschema.validate(ok, replay)
    for target in ("os:system", "builtins:eval", "subprocess:run", "bmaml_theory.claims._core:provenance_base"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"target": target, "kwargs": {"command": "touch x"}}, replay)
    # and the entry's counterexample refers to it
    ce = s["$defs"]["entry"]["properties"]["counterexample"]["oneOf"][1]["properties"]
    assert ce["replay"] == {"$ref": "#/$defs/replay"}


def test_every_replay_of_the_committed_ledger_resolves():
    text = (ROOT / "figures" / "claims.json").read_text(encoding="utf-8")
    import re

    for target in sorted(set(re.findall(r'"(bmaml_theory(?:\.\w+)+:\w+)"', text))):
        assert callable(resolve_replay(target)), target

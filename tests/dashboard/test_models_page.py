"""The Models page and the tradable mark on the Forecasts page, under AppTest, on the seeded backend.

Two tests change the lifecycle (a rollback, a status change), each on an asset group and
horizon of its own; the others compare with what the backend says now where the browser
test (another rollback) may have run first.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.clients.api import BackendClient, BackendSession
from dashboard.clients.errors import PermissionDenied, ValidationFailed
from dashboard.components.model_actions import (
    TRANSITION_REASON_KEY,
    TRANSITION_STATUS_KEY,
    rollback_keys,
)
from dashboard.components.model_frames import ChampionRow, field_error_lines, pair_label
from dashboard.components.model_views import PICK_KEY

from . import scenario
from .backend_server import BackendServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OpenPage = Callable[[BackendSession | None, str | None], AppTest]


def _shown(markdown: str) -> str:
    """Text as the page shows it: Markdown's backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _markdown(app: AppTest) -> list[str]:
    return [_shown(str(item.value)) for item in app.markdown]


def _errors(app: AppTest) -> list[str]:
    return [_shown(str(item.value)) for item in app.error]


def _history(app: AppTest) -> list[str]:
    """The shown version's promotion history, one line per transition, as listed."""
    lines = [line for block in _markdown(app) for line in block.splitlines()]
    return [line for line in lines if line.startswith("- `")]


def _champion_line(app: AppTest, asset_group: str, horizon: str) -> str:
    prefix = f"**{pair_label(asset_group, horizon)}**:"
    lines = [line for line in _markdown(app) if line.startswith(prefix)]
    assert len(lines) == 1, (prefix, _markdown(app))
    return lines[0]


def _version_ids(client: BackendClient, session: BackendSession) -> dict[str, int]:
    return {f"{row['model']}@{row['version']}": row["id"] for row in client.model_versions(session)}


def _statuses(client: BackendClient, session: BackendSession) -> dict[str, str]:
    return {
        f"{row['model']}@{row['version']}": row["status"] for row in client.model_versions(session)
    }


def _pick(app: AppTest, version_id: int) -> None:
    app.selectbox(key=PICK_KEY).select(version_id).run()
    assert not app.exception, [item.value for item in app.exception]


def _rollback_widgets(asset_group: str, horizon: str) -> tuple[str, str]:
    _, reason_key, submit_key = rollback_keys(ChampionRow(asset_group, horizon, None))
    return reason_key, submit_key


def test_viewer_sees_champions_versions_and_gate_numbers_without_controls(
    open_page: OpenPage, viewer: BackendSession, client: BackendClient
) -> None:
    app = open_page(viewer, "models")
    untouched = {
        pair: champion
        for pair, champion in scenario.CHAMPIONS.items()
        if pair not in (scenario.ROLLBACK_PAIR, scenario.BROWSER_ROLLBACK_PAIR)
    }
    for (group, horizon), champion in untouched.items():
        line = _champion_line(app, group, horizon)
        if champion is None:
            assert line.endswith(":gray[no live model — nothing trades]"), line
        else:
            assert f":green-badge[live] `{champion}`" in line, line
    # Every pair shows the champion the backend names now (rolled back or not).
    for champion in client.model_champions(viewer):
        line = _champion_line(app, champion["asset_group"], champion["horizon"])
        assert f"`{champion['model']}@{champion['version']}`" in line
    assert any("normal state" in item.value for item in app.caption)

    table = app.dataframe[0].value
    shown = {
        f"{row['model']}@{row['version']}": row["status"][0] for row in table.to_dict("records")
    }
    assert shown == _statuses(client, viewer)
    seeded = scenario.final_statuses()
    rolled = {
        f"{step.model}@{step.version}"
        for step in scenario.LIFECYCLE
        if (step.group, step.horizon)
        in (scenario.ROLLBACK_PAIR, scenario.BROWSER_ROLLBACK_PAIR, ("crypto", "1d"))
    }
    assert {name: status for name, status in shown.items() if name not in rolled} == {
        name: status for name, status in seeded.items() if name not in rolled
    }
    assert set(table["decided_by"]) == {"operator", "rule"}

    # No operator control for a viewer.
    assert not [button for button in app.button if button.label in ("Roll back", "Change status")]
    assert not [item for item in app.expander if item.label.startswith("Roll back")]
    assert not app.text_input

    ids = _version_ids(client, viewer)
    _pick(app, ids[f"{scenario.FORECAST_MODEL}@{scenario.UNTRADABLE_VERSION}"])
    gates = app.dataframe[1].value
    assert list(gates["verdict"]) == list(scenario.FAILED_GATE_LINES)
    page = "\n".join(_markdown(app))
    assert "rank IC +0.0061, bootstrap t 0.73; needs >= 2.00" in page  # a reason
    assert "Shadow period: no result" in page
    assert any(
        "candidate — out-of-sample gates failed on 84 dates" in item.value for item in app.caption
    )

    _pick(app, ids["lightgbm@e2"])
    page = "\n".join(_markdown(app))
    assert f"Shadow period: `{scenario.SHADOW_RUNNING_LINE}`" in page
    assert "8 resolved shadow dates; 20 needed" in page
    history = _history(app)
    assert history[0].endswith(
        "**candidate → shadow** · by the rule “out-of-sample gates passed; shadow starts”"
    )


def test_operator_rolls_back_and_the_previous_champion_is_live_again(
    open_page: OpenPage, operator: BackendSession, client: BackendClient
) -> None:
    group, horizon = scenario.ROLLBACK_PAIR
    before = {(row["asset_group"], row["horizon"]): row for row in client.model_champions(operator)}
    retired = f"{before[(group, horizon)]['model']}@{before[(group, horizon)]['version']}"
    assert retired == scenario.CHAMPIONS[scenario.ROLLBACK_PAIR]

    app = open_page(operator, "models")
    reason_key, submit_key = _rollback_widgets(group, horizon)
    app.text_input(key=reason_key).input("l4-2 trades too often")
    app.button(key=submit_key).click().run()
    assert not app.exception, [item.value for item in app.exception]

    assert not app.error, _errors(app)
    notice = f"Rolled back {pair_label(group, horizon)}: {retired} retired, "
    assert [item.value for item in app.success] == [
        f"{notice}{scenario.ROLLBACK_PREVIOUS} live again."
    ]
    champions = {
        (row["asset_group"], row["horizon"]): row for row in client.model_champions(operator)
    }
    champion = champions[(group, horizon)]
    assert f"{champion['model']}@{champion['version']}" == scenario.ROLLBACK_PREVIOUS
    assert f"`{scenario.ROLLBACK_PREVIOUS}`" in _champion_line(app, group, horizon)
    # The restored version is shown, its rollback first in its history, with the reason.
    assert [item.value for item in app.subheader][-1] == scenario.ROLLBACK_PREVIOUS
    history = _history(app)
    assert "**retired → live**" in history[0]
    assert (
        f"by {operator.username} (operator): rollback from {retired}: l4-2 trades too often"
        in (history[0])
    )
    assert history[0].endswith(f"replaced `{retired}`")
    statuses = {
        row["status"][0]
        for row in app.dataframe[0].value.to_dict("records")
        if f"{row['model']}@{row['version']}" == retired
    }
    assert statuses == {"retired"}


def test_rollback_with_nothing_to_roll_back_to_shows_the_backends_message(
    open_page: OpenPage, operator: BackendSession, client: BackendClient
) -> None:
    group, horizon = scenario.FIRST_CHAMPION_PAIR
    with pytest.raises(ValidationFailed) as refused:
        client.model_rollback(operator, asset_group=group, horizon=horizon, reason="probe")
    expected = field_error_lines(refused.value.errors)
    assert expected == [
        f"asset_group, horizon: {scenario.CHAMPIONS[(group, horizon)]} is the first champion "
        f"of asset group '{group}', horizon '{horizon}': nothing to roll back to "
        "(no_previous_champion)"
    ]

    app = open_page(operator, "models")
    reason_key, submit_key = _rollback_widgets(group, horizon)
    app.text_input(key=reason_key).input("try to go back")
    app.button(key=submit_key).click().run()
    assert not app.exception
    assert _errors(app) == expected
    assert not app.success
    champions = {(row["asset_group"], row["horizon"]) for row in client.model_champions(operator)}
    assert (group, horizon) in champions


def test_operator_changes_a_status_after_the_backend_refuses_a_blank_reason(
    open_page: OpenPage, operator: BackendSession, client: BackendClient
) -> None:
    ids = _version_ids(client, operator)
    version_id = ids[scenario.TRANSITION_VERSION]
    assert client.model_version(operator, version_id)["status"] == "candidate"
    app = open_page(operator, "models")
    _pick(app, version_id)
    assert app.selectbox(key=TRANSITION_STATUS_KEY).options == [
        "shadow: promote to shadow (published and scored, not traded)",
        "retired: retire",
    ]
    app.selectbox(key=TRANSITION_STATUS_KEY).select("shadow")
    [button for button in app.button if button.label == "Change status"][0].click().run()
    assert not app.exception
    errors = _errors(app)
    assert len(errors) == 1, errors
    assert errors[0].startswith("reason: "), errors
    assert errors[0].endswith("(blank)"), errors
    assert client.model_version(operator, version_id)["status"] == "candidate"

    app.text_input(key=TRANSITION_REASON_KEY).input("enough evidence now; start its shadow")
    [button for button in app.button if button.label == "Change status"][0].click().run()
    assert not app.exception
    assert not app.error, _errors(app)
    assert [item.value for item in app.success] == [
        f"{scenario.TRANSITION_VERSION}: candidate → shadow (by {operator.username})."
    ]
    assert client.model_version(operator, version_id)["status"] == "shadow"
    assert app.selectbox(key=PICK_KEY).value == version_id
    assert any(line.startswith(":blue-badge[shadow]") for line in _markdown(app))
    history = _history(app)
    assert (
        f"**candidate → shadow** · by {operator.username} (operator): "
        "enough evidence now; start its shadow"
    ) in history[0]


def test_a_refused_permission_is_shown_as_the_backend_words_it(
    open_page: OpenPage, client: BackendClient, backend: BackendServer
) -> None:
    # A viewer's tokens with the operator role claimed: the page offers the rollback, the
    # backend refuses it.
    viewer = client.login(backend.viewer, backend.password)
    group, horizon = scenario.FIRST_CHAMPION_PAIR
    with pytest.raises(PermissionDenied) as refused:
        client.model_rollback(viewer, asset_group=group, horizon=horizon, reason="probe")
    pretender = BackendSession(
        username=viewer.username, access_token=viewer.access_token,
        refresh_token=viewer.refresh_token, roles=frozenset({"operator"}),
    )  # fmt: skip
    app = open_page(pretender, "models")
    reason_key, submit_key = _rollback_widgets(group, horizon)
    app.text_input(key=reason_key).input("not mine to do")
    app.button(key=submit_key).click().run()
    assert not app.exception
    assert _errors(app) == [f"Not allowed: {refused.value}"]
    assert str(refused.value)  # the backend's own sentence, not an empty one


def test_forecasts_page_marks_forecasts_that_are_not_tradable(
    open_page: OpenPage, viewer: BackendSession
) -> None:
    app = open_page(viewer, "forecasts")
    app.selectbox(key="forecast_asset").select(scenario.UNTRADABLE_ASSET)
    app.selectbox(key="forecast_horizon").select("1h").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 48
    flags = list(table["tradable"])
    hours = scenario.UNTRADABLE_HOURS
    assert flags == [False] * hours + [True] * (48 - hours)  # newest first
    assert set(table["model_version"].iloc[:hours]) == {scenario.UNTRADABLE_VERSION}
    captions = [item.value for item in app.caption]
    assert any(
        f"48 forecasts · {hours} not tradable" in caption
        and "not tradable: model not live" in caption
        for caption in captions
    ), captions

    app.selectbox(key="forecast_asset").select(scenario.EXAMPLE_ASSET).run()
    table = app.dataframe[0].value
    assert table["tradable"].all()
    assert "48 forecasts" in [item.value for item in app.caption]
    assert not any("model not live" in item.value for item in app.caption)

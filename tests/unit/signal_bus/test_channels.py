"""Redis names: every key of the system is built by ``ChannelNames``."""

from __future__ import annotations

import pytest

from signal_bus.channels import ChannelNames


def test_component_keys_are_built_under_the_namespace() -> None:
    # Every Redis key is built by ChannelNames; these spellings are stored data, keep them.
    named, bare = ChannelNames("prod"), ChannelNames()
    assert named.risk_engine_state() == "prod:risk_engine:state"
    assert bare.risk_engine_state() == "risk_engine:state"
    assert named.forecast_fanout_cycle("c1") == "prod:forecast_fanout:c1"
    assert named.forecast_fanout_cycle("c1", "groups") == "prod:forecast_fanout:c1:groups"
    assert named.forecast_fanout_training_lock("1d") == "prod:forecast_fanout:training:1d"
    assert bare.forecast_fanout_last("4h") == "forecast_fanout:last:4h"
    with pytest.raises(ValueError, match="without ':'"):
        named.component("risk_engine", "a:b")

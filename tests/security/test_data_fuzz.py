"""Fuzz every write endpoint's body from the OpenAPI schema with extreme values.

Each body follows the request schema of its operation (``$ref``, objects, arrays, enums,
formats), but any leaf may be replaced by an extreme value: deep nesting, a lone
surrogate, NUL, huge or tiny numbers, far timestamps. The server must never answer 5xx,
and a refused request (4xx) must store no row anywhere.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.backend import conftest as backend_fixtures
from tests.backend.backtests.test_api import camel_result
from tests.backend.execution.test_api import order_event, snapshot
from tests.backend.forecasts.test_api import forecast_document

# The backend suite's fixtures: a private bus namespace per test.
_private_bus, bus_namespace = backend_fixtures._private_bus, backend_fixtures.bus_namespace

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FAR_TIMES = (
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-23:00",
    "1899-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    "2025-04-05T12:00:00+14:00",
)
EXTREME_NUMBERS = (1e308, -1e308, 5e-324, -5e-324, 0.0, -0.0, 2**63, -(2**63) - 1, 2**64, 10**40)
EXTREME_TEXT = ("\ud800", "\udfff", "a\x00b", "\x00", "x" * 5000, "😀", "", " ", "%s", "'; --")
DEEP = 200

# The apps whose rows a refused request must not change.
DOMAIN_APPS = ("forecasts", "risk", "strategy", "execution", "backtests", "market", "recorder")


def _schema() -> dict[str, Any]:
    client = APIClient()
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _write_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in document["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item and "requestBody" in item[method] and "{" not in path:
                operations.append((path, method))
    return sorted(operations)


def _deep(leaf: Any, depth: int) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


def _extreme() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.sampled_from(EXTREME_TEXT),
        st.sampled_from(FAR_TIMES),
        st.sampled_from(EXTREME_NUMBERS),
        st.booleans(),
        st.none(),
    )
    return st.one_of(leaves, leaves.map(lambda leaf: _deep(leaf, DEEP)))


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _typical(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from([value for value in schema["enum"] if value is not None] or [None])
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.sampled_from(["2025-04-05T12:00:00Z", "2021-01-04T15:00:00+01:00"])
        return st.text(max_size=12)
    if kind == "integer":
        return st.integers(min_value=-5, max_value=10**6)
    if kind == "number":
        return st.floats(min_value=-2.0, max_value=2.0, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
        max_leaves=6,
    )


def from_schema(
    schema: dict[str, Any], components: dict[str, Any], depth: int = 0
) -> st.SearchStrategy[Any]:
    """Documents following ``schema``, any leaf possibly replaced by an extreme value."""
    schema = _resolve(schema, components)
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([from_schema(s, components, depth) for s in schema[combinator]])
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(part, components)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        schema = merged
    kind = schema.get("type")
    if depth > 4:
        return _typical(schema)
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", ()))
        fields = {
            name: from_schema(sub, components, depth + 1)
            for name, sub in schema["properties"].items()
        }
        return st.fixed_dictionaries(
            {name: fields[name] for name in fields if name in required},
            optional={name: fields[name] for name in fields if name not in required},
        )
    if kind == "array":
        items = from_schema(schema.get("items", {}), components, depth + 1)
        return st.lists(items, min_size=0, max_size=3)
    return st.one_of(_typical(schema), _extreme())


# A valid body per endpoint: one leaf of it is replaced by an extreme value, so the extreme
# value reaches the code behind the validation of everything else.
VALID_BODIES: dict[str, list[Any]] = {
    "/api/forecasts/": [forecast_document(0), [forecast_document(1), forecast_document(2)]],
    "/api/execution/events/": [
        order_event(0, fill_quantity=0.5, fill_price=100.0),
        snapshot(0, 1e3),
    ],
    "/api/backtests/": [{"name": "fuzz", "result": camel_result()}],
    "/api/strategy/config/": [{"values": {"entry_confidence": 0.6}, "reason": "fuzz"}],
    "/api/risk/rearm/": [{"breaker": "drawdown_limit", "reason": "fuzz"}],
    "/api/models/rollback/": [{"asset_group": "equity-usa", "horizon": "1d", "reason": "fuzz"}],
    "/api/auth/token/": [{"username": "fuzz-admin", "password": "a-password-9"}],
}


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [p for key, item in value.items() for p in _leaf_paths(item, (*path, key))]
    if isinstance(value, list) and value:
        return [p for index, item in enumerate(value) for p in _leaf_paths(item, (*path, index))]
    return [path]


def _replaced(value: Any, path: tuple[Any, ...], leaf: Any) -> Any:
    if not path:
        return leaf
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], leaf)
    return copy


@st.composite
def _one_leaf_extreme(draw: st.DrawFn, document: Any) -> Any:
    paths = _leaf_paths(document)
    path = draw(st.sampled_from(paths))
    mutated = _replaced(document, path, draw(_extreme()))
    if draw(st.booleans()) and isinstance(mutated, dict):
        mutated = {**mutated, draw(st.sampled_from(EXTREME_TEXT)): 1}  # an extreme key too
    return mutated


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
    }


@pytest.fixture
def superuser_client(django_user_model: Any) -> APIClient:
    user = django_user_model.objects.create_superuser(
        username="fuzz-admin", password="a-password-9"
    )
    client = APIClient()
    client.raise_request_exception = False
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def openapi() -> dict[str, Any]:
    return _schema()


def _body_schema(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    content = document["paths"][path][method]["requestBody"]["content"]
    return content.get("application/json") or next(iter(content.values()))


@pytest.mark.parametrize(("path", "method"), _write_operations())
def test_write_endpoint_survives_extreme_bodies(
    superuser_client: APIClient, openapi: dict[str, Any], path: str, method: str
) -> None:
    components = openapi["components"]["schemas"]
    body_schema = _body_schema(openapi, path, method)["schema"]
    strategy = st.one_of(
        from_schema(body_schema, components),
        _extreme(),
        *[_one_leaf_extreme(document) for document in VALID_BODIES.get(path, [])],
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=strategy)
    def check(body: Any) -> None:
        before = _counts()
        text = json.dumps(body)  # escapes lone surrogates and NUL as \ud800, \u0000
        response = getattr(superuser_client, method)(
            path, text.encode("utf-8"), content_type="application/json"
        )
        assert response.status_code < 500, (path, text[:300], response.content[:300])
        if 400 <= response.status_code < 500:
            assert response["Content-Type"].startswith("application/json"), response.content[:200]
            assert _counts() == before, (path, text[:300], response.status_code)

    check()


# One value of each extreme kind, for the exhaustive sweep below.
SWEEP = ("\ud800", "a\x00b", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:00", 1e308,
         2**64, -(2**63) - 1, _deep(1, DEEP))  # fmt: skip


@pytest.mark.parametrize("path", sorted(VALID_BODIES))
def test_every_leaf_of_a_valid_body_survives_every_extreme(
    superuser_client: APIClient, path: str
) -> None:
    """Each leaf of each valid body replaced by each extreme kind in turn: no 5xx, no rows on 4xx."""
    method = "put" if path == "/api/strategy/config/" else "post"
    for document in VALID_BODIES[path]:
        for leaf_path in _leaf_paths(document):
            for leaf in SWEEP:
                before = _counts()
                text = json.dumps(_replaced(document, leaf_path, leaf))
                response = getattr(superuser_client, method)(
                    path, text.encode("utf-8"), content_type="application/json"
                )
                context = (path, leaf_path, repr(leaf)[:40], response.content[:200])
                assert response.status_code < 500, context
                if 400 <= response.status_code < 500:
                    assert _counts() == before, context

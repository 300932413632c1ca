"""Secret keys: strength checks for production and per-installation keys for development.

No key is written in the repository. Production reads every key from the environment
and refuses short, low-entropy, repetitive or placeholder values (case-insensitive).
Development (``runserver``, ``ats demo``) without a key in the environment generates
random keys once per installation and keeps them in a local file that git ignores
(``.local/secrets.json`` at the repository root, or ``ATS_LOCAL_SECRETS_FILE``).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections import Counter
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 50
MIN_DISTINCT_CHARACTERS = 10
MIN_ENTROPY_BITS = 128.0
# Words that mark a value copied from documentation or an example, not generated.
PLACEHOLDER_WORDS = (
    "changeme",
    "change_me",
    "insecure",
    "placeholder",
    "example",
    "replaceme",
    "yoursecret",
    "yourkey",
    "secretkey",
    "notsecret",
    "dummy",
    "default",
    "fillme",
    "xxxxxx",
    "password",
)
LOCAL_SECRETS_VARIABLE = "ATS_LOCAL_SECRETS_FILE"
# The keys generated together for a development installation.
LOCAL_KEY_NAMES = ("SECRET_KEY", "AUDIT_CHAIN_KEY")
DEFAULT_LOCAL_SECRETS_FILE = Path(__file__).resolve().parents[2] / ".local" / "secrets.json"


def _smallest_period(value: str) -> int:
    for period in range(1, len(value) // 2 + 1):
        if all(value[index] == value[index + period] for index in range(len(value) - period)):
            return period
    return len(value)


def key_weakness(value: str) -> str | None:
    """Say why ``value`` is not a strong random key, or return None when it is.

    A key must be at least 50 characters, hold at least 10 distinct characters and about
    128 bits of (empirical) entropy, not repeat a pattern or run along the alphabet, and
    contain no placeholder word (``change-me``, ``insecure``, ``example``... in any case).
    """
    if len(value) < MIN_KEY_LENGTH:
        return f"it is shorter than {MIN_KEY_LENGTH} characters"
    folded = re.sub(r"[^a-z0-9_]", "", value.lower())
    squashed = folded.replace("_", "")
    for word in PLACEHOLDER_WORDS:
        if word in folded or word.replace("_", "") in squashed:
            return "it contains a placeholder word (copied from an example?)"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"it has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    if entropy * len(value) < MIN_ENTROPY_BITS:
        return "its characters carry too little entropy"
    if _smallest_period(value) <= len(value) // 2:
        return "it repeats a pattern"
    steps = sum(abs(ord(b) - ord(a)) <= 1 for a, b in zip(value, value[1:], strict=False))
    if steps > (len(value) - 1) // 2:
        return "it runs along the alphabet or repeats characters"
    return None


def required_strong_key(name: str) -> str:
    """Return the environment variable ``name``; refuse it when missing or weak (production).

    Raises
    ------
    ImproperlyConfigured
        The variable is unset or :func:`key_weakness` finds it weak (the value is not echoed).
    """
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set to a random string of at least {MIN_KEY_LENGTH} characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    weakness = key_weakness(value)
    if weakness is not None:
        raise ImproperlyConfigured(
            f"{name} is refused: {weakness}. Generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    return value


def local_secrets_path() -> Path:
    """Where development keeps its generated keys (``ATS_LOCAL_SECRETS_FILE`` or ``.local/``)."""
    configured = os.environ.get(LOCAL_SECRETS_VARIABLE, "").strip()
    return Path(configured) if configured else DEFAULT_LOCAL_SECRETS_FILE


def _local_secrets_load(path: Path) -> dict[str, str]:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {key: value for key, value in stored.items() if isinstance(value, str) and value}


def _local_secrets_write(path: Path, values: dict[str, str], *, replace: bool) -> None:
    """Write ``values`` (mode 0600) to a temporary file, then move or link it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(values, handle, indent=1)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if another process created the file first
    finally:
        temporary.unlink(missing_ok=True)


def local_secret(name: str) -> str:
    """Return the environment's ``name``, else this installation's generated key ``name``.

    The keys of :data:`LOCAL_KEY_NAMES` are generated together on first use and stored
    (mode 0600) in :func:`local_secrets_path`, so restarts and the other processes of the
    installation share them (the first process to create the file wins). When the file
    cannot be written (a read-only checkout), a random key for this process only is
    returned.
    """
    from_environment = os.environ.get(name, "")
    if from_environment:
        return from_environment
    path = local_secrets_path()
    stored = _local_secrets_load(path)
    if name in stored:
        return stored[name]
    generated = {key: secrets.token_urlsafe(50) for key in {*LOCAL_KEY_NAMES, name}}
    try:
        if path.exists():
            _local_secrets_write(path, {**generated, **stored}, replace=True)
        else:
            _local_secrets_write(path, generated, replace=False)
    except FileExistsError:
        pass
    except OSError:
        return generated[name]
    return _local_secrets_load(path).get(name, generated[name])


def audit_chain_previous_keys(raw: str) -> dict[str, str]:
    """Parse ``AUDIT_CHAIN_PREVIOUS_KEYS`` (``id:key,id:key``): retired keys that still verify.

    Raises
    ------
    ImproperlyConfigured
        An entry is not ``id:key`` or uses the reserved id ``legacy``.
    """
    keys: dict[str, str] = {}
    for entry in (item.strip() for item in raw.split(",")):
        if not entry:
            continue
        key_id, separator, key = entry.partition(":")
        if not separator or not key_id.strip() or not key.strip():
            raise ImproperlyConfigured("AUDIT_CHAIN_PREVIOUS_KEYS entries must be id:key")
        audit_key_id_check(key_id.strip())
        keys[key_id.strip()] = key.strip()
    return keys


def audit_key_id_check(key_id: str) -> str:
    """Refuse an audit key id that is empty, too long or the reserved ``legacy``."""
    if not key_id or len(key_id) > 32 or key_id == "legacy":
        raise ImproperlyConfigured(
            "audit key ids must be 1 to 32 characters and not 'legacy' (reserved for unkeyed rows)"
        )
    return key_id

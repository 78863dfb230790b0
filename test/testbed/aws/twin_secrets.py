"""Secrets Manager deletion as the in-VPC probe meets it (its temporary SCRAM secret).

moto 5.2.1 removes a secret deleted with `ForceDeleteWithoutRecovery` at once, so its name can be
created again in the next call, and answers `ResourceExistsException` for a name whose secret is
scheduled for deletion. Secrets Manager's API reference (DeleteSecret, ForceDeleteWithoutRecovery)
says: "Secrets Manager performs the actual deletion with an asynchronous background process, so
there might be a short delay before the secret is permanently deleted. If you delete a secret and
then immediately create a secret with the same name, use appropriate back off and retry logic."
Here:

* After `DeleteSecret` with `ForceDeleteWithoutRecovery`, the secret is gone for readers at once
  (DescribeSecret, GetSecretValue: `ResourceNotFoundException`), but its name stays taken for
  `secretDeleteMs`: a `CreateSecret` of that name meanwhile is `InvalidRequestException` "You can't
  create this secret because a secret with this name is already scheduled for deletion." (the
  answer users report, e.g. redpanda-data/console#1835).
* `CreateSecret` of a name whose secret is scheduled for deletion (a recovery window) gets that same
  `InvalidRequestException` instead of moto's `ResourceExistsException`.

A reset clears both (moto's backends are made anew).
"""

from __future__ import annotations

import time
from typing import Any

from moto.secretsmanager.exceptions import InvalidRequestException
from moto.secretsmanager.models import SecretsManagerBackend

from twin_state import STATE

SCHEDULED = "You can't create this secret because a secret with this name is already scheduled for deletion."

_original_create = SecretsManagerBackend.create_secret
_original_delete = SecretsManagerBackend.delete_secret


def _purging(backend: SecretsManagerBackend) -> dict[str, float]:
    """Names force-deleted lately -> when their deletion ends (time.monotonic())."""
    return backend.__dict__.setdefault("_tw_purging", {})


def _create_secret(self: SecretsManagerBackend, name: str, *args: Any, **kwargs: Any) -> str:
    purging = _purging(self)
    until = purging.get(name)
    if until is not None:
        if time.monotonic() < until:
            raise InvalidRequestException(SCHEDULED)
        purging.pop(name, None)
    existing = self.secrets.get(name)
    if existing is not None and getattr(existing, "is_deleted", lambda: False)():
        raise InvalidRequestException(SCHEDULED)
    return _original_create(self, name, *args, **kwargs)


def _delete_secret(
    self: SecretsManagerBackend,
    secret_id: str,
    recovery_window_in_days: int | None,
    force_delete_without_recovery: bool,
) -> tuple[str, str, float]:
    existed = self.secrets.get(secret_id) if self._is_valid_identifier(secret_id) else None
    out = _original_delete(self, secret_id, recovery_window_in_days, force_delete_without_recovery)
    if force_delete_without_recovery and existed is not None:
        delay = STATE.delay_s("secretDeleteMs")
        if delay > 0:
            _purging(self)[existed.name] = time.monotonic() + delay
    return out


def install() -> None:
    SecretsManagerBackend.create_secret = _create_secret  # type: ignore[method-assign,assignment]
    SecretsManagerBackend.delete_secret = _delete_secret  # type: ignore[method-assign]

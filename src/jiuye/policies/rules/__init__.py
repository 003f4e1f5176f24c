"""The policies, one module each. A module defines ``POLICY`` (an ``engine.Policy``); this
package finds them, so adding a policy is adding a module and its parameter file."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from jiuye.policies.engine import Policy


@functools.cache
def all_policies() -> dict[str, Policy]:
    found: dict[str, Policy] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        policy = getattr(module, "POLICY", None)
        if policy is None:
            continue
        if policy.code in found:
            raise ValueError(f"two policies with code {policy.code}")
        found[policy.code] = policy
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_policy(code: str) -> Policy:
    try:
        return all_policies()[code]
    except KeyError:
        raise KeyError(f"unknown policy {code}") from None

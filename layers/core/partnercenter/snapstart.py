"""Lambda SnapStart: prime an environment before its snapshot, renew it after each restore.

Every function publishes a version with SnapStart (template.yaml's Globals), so its init runs
once per version and each new environment resumes from a snapshot of it. Each handler module
calls ``prime_on_snapshot`` once. Before the snapshot, what every request needs is built without
calling AWS; after each restore, whatever many environments would otherwise share is renewed.

``snapshot_restore_py`` comes with the Lambda runtime (python3.12 and later); the tests use its
PyPI package, which keeps the same registry.
"""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from snapshot_restore_py import register_after_restore, register_before_snapshot

if TYPE_CHECKING:
    from partnercenter.api import PartnerCenterResolver

# Every client a request path may open (dal/aws.py caches them for the container's life).
PRIMED_CLIENTS = ("dynamodb", "kms", "secretsmanager", "cognito-idp")
# A route no function serves: the warm-up request is refused before any handler runs.
WARM_UP_PATH = "/_snapstart/warm-up"
# What a route's gate imports on its first request (partnercenter.api's gates import lazily).
GATE_MODULES = {
    "member": ("partnercenter.usage", "partnercenter.members.session"),
    "operator": ("partnercenter.operators",),
}


def prime_on_snapshot(
    app: PartnerCenterResolver | None = None, modules: Iterable[str] = ()
) -> None:
    """Register this function's hooks: prime before the snapshot, renew after each restore.

    ``modules``: what this function's requests import on first use rather than at init (so
    that the functions that import the same code for less do not pay for it).
    """
    register_before_snapshot(prime, app, tuple(modules))
    register_after_restore(renew)


def prime(app: PartnerCenterResolver | None = None, modules: Iterable[str] = ()) -> int | None:
    """Settings, AWS clients, what requests import on first use, every model's validator,
    every route's validation models, one warm-up request.

    Nothing here calls AWS: clients open no connection until a request is sent, and the
    warm-up request asks for a route that does not exist. Returns the warm-up's status code.
    """
    from partnercenter.config import get_settings
    from partnercenter.dal.aws import prime_client

    get_settings()
    for service in PRIMED_CLIENTS:
        prime_client(service)
    _import_deferred(app, modules)
    _build_models()
    if app is None:
        return None
    _prime_routes(app)
    status: int = app.resolve(_warm_up_event(), None)["statusCode"]
    return status


def renew() -> None:
    """What a restore would otherwise copy into every environment made from one snapshot.

    ``random``'s state is the one generator seeded at init: each restored copy would draw the
    same numbers (botocore's retry jitter, X-Ray's sampling). Ids, nonces and tokens come from
    ``uuid4``, ``os.urandom`` and ``secrets``, which read the kernel's generator on every call,
    and the Lambda runtime reseeds that one after a restore.

    The access chain a container sticks to (with the record it last wrote there) would be the
    same in every copy, so that all of them raced for one chain: each copy chooses its own.
    """
    from partnercenter.dal.access_records import forget_last_written

    random.seed()
    forget_last_written()


def _import_deferred(app: PartnerCenterResolver | None, modules: Iterable[str]) -> None:
    """What this function's code imports on first use: its own list, its gates' modules, and
    the cipher's library wherever the cipher can be reached (``crypto.CIPHER_MODULES``)."""
    names = list(modules)
    if app is not None:
        for gate in app.gates.values():
            names.extend(GATE_MODULES.get(gate.kind, ()))
    if "partnercenter.crypto" in sys.modules:
        from partnercenter.crypto import CIPHER_MODULES

        names.extend(CIPHER_MODULES)
    for name in dict.fromkeys(names):
        importlib.import_module(name)


def _build_models() -> None:
    """Every loaded model of this package, validator and serializer built: bodies build
    theirs on first use (``models.ApiModel``'s ``defer_build``)."""
    from pydantic import BaseModel

    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("partnercenter.") and not model.__pydantic_complete__:
            model.model_rebuild()


def _prime_routes(app: PartnerCenterResolver) -> None:
    """Powertools builds a route's parameter and body models on its first request."""
    for route in app._static_routes + app._dynamic_routes:
        _ = route.dependant, route.body_field


def _warm_up_event() -> dict[str, Any]:
    return {
        "httpMethod": "GET",
        "path": WARM_UP_PATH,
        "resource": WARM_UP_PATH,
        "headers": {"Accept-Language": "ko"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {"requestId": "snapstart-warm-up", "stage": "warm-up"},
    }

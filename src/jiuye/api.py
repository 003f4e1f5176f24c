"""The HTTP API: one Ninja Router per app, the same selectors and actions as the pages."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from jiuye.accounts.tokens import user_for_token
from jiuye.core.errors import ErrorCode, JiuyeError


class TokenAuth(HttpBearer):
    """``Authorization: Bearer jy_…`` for other systems (social insurance, civil affairs…)."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request, key):
        user = user_for_token(key)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Jiuye 就业 API",
    version="1",
    description=_(
        "Public employment service platform. Session authentication for pages, bearer tokens "
        "for other systems. Every answer is limited to the caller's regions."
    ),
    auth=[TokenAuth(), TokenHeaderAuth(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
)


def _error(request, status: int, code: str, message, detail=None):
    body = {"code": code, "message": str(message)}
    if detail is not None:
        body["detail"] = detail
    return api.create_response(request, body, status=status)


@api.exception_handler(JiuyeError)
def _jiuye_error(request, exc: JiuyeError):
    return _error(request, exc.status, exc.code, exc.message, exc.detail)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, ErrorCode.NOT_FOUND, ErrorCode.NOT_FOUND.label)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_AUTHENTICATED.label)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    detail = [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return _error(request, 422, ErrorCode.INVALID, ErrorCode.INVALID.label, detail)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {403: ErrorCode.PERMISSION_DENIED, 404: ErrorCode.NOT_FOUND}.get(
        exc.status_code, ErrorCode.INVALID
    )
    return _error(request, exc.status_code, code, exc.message or code.label)


def _register_routers():
    from jiuye.accounts.api import router as accounts_router
    from jiuye.regions.api import router as regions_router
    from jiuye.regions.api import service_points_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/regions", regions_router)
    api.add_router("/service-points", service_points_router)

    from jiuye.registry.api import router as registry_router

    api.add_router("/registry", registry_router)

    from jiuye.jobs.api import router as jobs_router
    from jiuye.matching.api import router as matching_router

    api.add_router("/jobs", jobs_router)
    api.add_router("/matching", matching_router)

    from jiuye.policies.api import router as policies_router

    api.add_router("/policies", policies_router)


_register_routers()

"""Occupation coding over HTTP: ``GET /api/matching/occupations/code?title=电焊工&k=5``.

Other systems send a free-text job title and get the most likely 职业分类大典 2022 codes. The
answer holds no regional data, so any signed-in caller with a role may use it; the same coder
as the page and the command (``jiuye.registry.occupation_coder``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.registry.occupation_coder import AUTO_CODE_THRESHOLD, MAX_K, code_title

router = Router()


class CodeQuery(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    k: int = Field(5, ge=1, le=MAX_K)


class MatchOut(Schema):
    code: str
    name: str
    level: int  # 3 小类, 4 细类
    score: float
    path: str


class CodeOut(Schema):
    title: str
    threshold: float  # a top score at least this is accepted automatically
    results: list[MatchOut]


@router.get(
    "/code",
    response=CodeOut,
    url_name="occupations_code",
    summary="Occupation codes for a free-text job title",
)
def code(request, query: Query[CodeQuery]):
    """The ``k`` (1–20) most likely codes, best first, with scores in [0, 1]."""
    if not has_perm(request.user, Perm.VIEW):
        raise JiuyeError(ErrorCode.PERMISSION_DENIED, status=403)
    title = query.title.strip()
    if not title:
        raise JiuyeError(ErrorCode.INVALID, _("Enter a job title."), status=422)
    matches = code_title(title, query.k)
    return {
        "title": title,
        "threshold": AUTO_CODE_THRESHOLD,
        "results": [
            {"code": m.code, "name": m.name, "level": m.level, "score": m.score, "path": m.path}
            for m in matches
        ],
    }

"""Every page and API endpoint answers 404 for objects outside the caller's region.

``test_every_url_is_covered`` fails when a new URL appears without a scoping case here, so a
later endpoint cannot slip past this file.
"""

import io
import json

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from jiuye.core.models import AuditLog

HOUMA = "141081000000"
QUWO = "141021000000"

# URL names checked below (page or API), and those that need no scope (no regional data).
COVERED = {
    "regions:home",
    "regions:detail",
    "regions:search",
    "regions:service_points",
    "regions:service_point_export",
    "regions:service_point_create",
    "regions:service_point_detail",
    "regions:service_point_edit",
    "accounts:users",
    "accounts:user_create",
    "accounts:user_detail",
    "accounts:user_update",
    "accounts:user_set_active",
    "accounts:user_set_password",
    "accounts:user_unlock",
    "accounts:role_assign",
    "accounts:role_revoke",
    "accounts:token_create",
    "accounts:token_revoke",
    "core:audit",
    "core:audit_export",
    "web:home",
    "api:my_regions",
    "api:search",
    "api:region_detail",
    "api:region_children",
    "api:list_points",
    "api:get_point",
    "api:create_point",
    "api:update_point",
    "api:me",
    # Registry: tests/registry/test_scoping.py and tests/registry/test_import_*.py.
    "registry:people",
    "registry:person_export",
    "registry:person_create",
    "registry:person_merge",
    "registry:person_detail",
    "registry:person_edit",
    "registry:person_full_id",
    "registry:event_create",
    "registry:membership_create",
    "registry:certificate_create",
    "registry:intention_create",
    "registry:households",
    "registry:household_create",
    "registry:household_detail",
    "registry:household_add_member",
    "registry:employers",
    "registry:employer_export",
    "registry:employer_create",
    "registry:employer_detail",
    "registry:brands",
    "registry:duplicates",
    "registry:import",
    "registry:import_preview",
    "registry:import_run",
    "registry:import_errors",
    "api:list_people",
    "api:get_person",
    "api:create_person",
    "api:list_events",
    "api:create_event",
    "api:list_memberships",
    "api:get_household",
    "api:list_employers",
    "api:get_employer",
    "api:create_employer",
    # Jobs: tests/jobs/test_scoping.py.
    "jobs:postings",
    "jobs:posting_export",
    "jobs:posting_create",
    "jobs:review_queue",
    "jobs:posting_detail",
    "jobs:posting_edit",
    "jobs:posting_submit",
    "jobs:posting_approve",
    "jobs:posting_reject",
    "jobs:posting_withdraw",
    "jobs:posting_apply",
    "jobs:application_interview",
    "jobs:application_offer",
    "jobs:application_hire",
    "jobs:application_reject",
    "jobs:application_withdraw",
    "jobs:interview_result",
    "jobs:person_applications",
    "jobs:fairs",
    "jobs:fair_create",
    "jobs:fair_detail",
    "jobs:fair_edit",
    "jobs:fair_add_employer",
    "jobs:fair_register",
    "jobs:fair_intention",
    "jobs:fair_status",
    "jobs:fair_results",
    "jobs:fair_results_export",
    "jobs:fair_add_posting",
    "jobs:fair_checkin",
    "jobs:intention_outcome",
    "api:list_postings",
    "api:get_posting",
    "api:create_posting",
    "api:submit_posting",
    "api:approve_posting",
    "api:reject_posting",
    "api:list_posting_applications",
    "api:apply_to_posting",
    "api:hire_application",
    "api:list_fairs",
    "api:get_fair",
    "api:get_fair_results",
    # Supply and demand: tests/matching/test_supply_views.py, test_supply_demand.py.
    "matching:supply_demand",
    "matching:supply_demand_export",
    "api:supply_demand",
    # Recommendations: tests/matching/test_recommend_views.py.
    "matching:recommend_person",
    "matching:recommend_posting",
    "api:jobs_for_person",
    "api:people_for_posting",
    # Internship allocation: tests/matching/test_allocation_views.py.
    "matching:allocation_rounds",
    "matching:allocation_round_create",
    "matching:allocation_round_detail",
    "matching:allocation_post_add",
    "matching:allocation_post_edit",
    "matching:allocation_applicant_add",
    "matching:allocation_import",
    "matching:allocation_run",
    "matching:allocation_publish",
    "matching:allocation_export",
    "matching:allocation_person_panel",
    "api:allocation_list_rounds",
    "api:allocation_get_round",
    "api:allocation_run_round",
    "api:allocation_results",
    "api:allocation_publish_round",
    # Policies: payments, blacklist, performance (tests/policies/test_payment_views.py,
    # tests/policies/test_performance.py, tests/policies/test_blacklist.py).
    "policies:payment_batches",
    "policies:payment_batch_create",
    "policies:payment_batch_detail",
    "policies:payment_batch_add",
    "policies:payment_batch_export",
    "policies:payment_batch_result",
    "policies:blacklist",
    "policies:blacklist_create",
    "policies:blacklist_import",
    "policies:blacklist_edit",
    "policies:blacklist_remove",
    "policies:blacklist_employer",
    "policies:performance",
    "policies:performance_export",
    "api:policies_payment_batches",
    "api:policies_payment_batch",
    "api:policies_payment_batch_create",
    "api:policies_payment_batch_add",
    "api:policies_payment_batch_export",
    "api:policies_payment_batch_result",
    "api:policies_blacklist",
    # Policy targeting runs: tests/policies/test_runs_views.py.
    "policies:runs",
    "policies:run_create",
    "policies:run_detail",
    "policies:run_progress",
    "policies:run_export",
    "api:policy_runs_list",
    "api:policy_run_start",
    "api:policy_run_get",
    "api:policy_run_results",
    # Policies: entitlements, applications, budgets (tests/policies/test_entitlement_views.py).
    "policies:entitlements",
    "policies:entitlement_export",
    "policies:entitlement_grant",
    "policies:entitlement_detail",
    "policies:entitlement_confirm",
    "policies:entitlement_decline",
    "policies:entitlement_approve",
    "policies:entitlement_reject",
    "policies:applications",
    "policies:application_create",
    "policies:application_detail",
    "policies:application_upload",
    "policies:application_material",
    "policies:application_material_delete",
    "policies:application_submit",
    "policies:application_withdraw",
    "policies:application_advance",
    "policies:budgets",
    "policies:budget_create",
    "policies:budget_import",
    "policies:budget_edit",
    "api:policies_entitlement_list",
    "api:policies_entitlement_detail",
    "api:policies_entitlement_confirm",
    "api:policies_entitlement_approve",
    "api:policies_entitlement_reject",
    "api:policies_application_list",
    "api:policies_application_detail",
    "api:policies_application_advance",
}
EXEMPT = {
    # The policy catalogue and calculator hold no regional data
    # (tests/policies/test_calculator_api.py, tests/policies/test_catalogue_views.py).
    "policies:index",
    "policies:catalogue",
    "policies:policy_detail",
    "policies:calculator",
    "api:policies_calculate",
    "api:policies_list",
    "api:policies_schema",
    "api:policies_detail",
    # Occupation coding returns no regional data (tests/matching/test_occupation_api.py).
    "matching:occupations",
    "api:occupations_code",
    "accounts:login",
    "accounts:logout",
    "set_language",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
}


def _names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            if ns == "admin":
                continue  # Django's own admin: superusers only
            yield from _names(p, f"{prefix}{ns}:" if ns else prefix)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + p.name


def test_every_url_is_covered():
    missing = set(_names()) - COVERED - EXEMPT
    assert not missing, f"add scoping tests for: {sorted(missing)}"


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


@pytest.fixture
def qw_admin(staff, client_for):
    return client_for(staff["county_admin"])


# ---- pages -------------------------------------------------------------------------------


def test_region_pages(qw, points):
    assert qw.get(f"/regions/{QUWO}/").status_code == 200
    assert qw.get(f"/regions/{HOUMA}/").status_code == 404
    assert qw.get("/regions/141000000000/").status_code == 404  # the city above
    assert qw.get("/regions/14/").status_code == 404
    assert qw.get("/regions/nonsense/").status_code == 404
    home = qw.get("/regions/")
    assert home.status_code == 302 and home["Location"].endswith(f"/regions/{QUWO}/")


def test_region_search_page(qw, points):
    body = qw.get("/regions/search/", {"q": "侯马"}).content.decode()
    assert "侯马市" not in body.split("<main", 1)[1]
    assert "乐昌镇" in qw.get("/regions/search/", {"q": "lcz"}).content.decode()


def test_service_point_pages(qw, points):
    houma = points["houma_market"].pk
    assert qw.get(f"/regions/service-points/{points['quwo_market'].pk}/").status_code == 200
    assert qw.get(f"/regions/service-points/{houma}/").status_code == 404
    assert qw.get(f"/regions/service-points/{houma}/edit/").status_code == 404
    assert qw.post(f"/regions/service-points/{houma}/edit/", {"name": "x"}).status_code == 404
    listing = qw.get("/regions/service-points/").content.decode()
    assert "曲沃县公共零工市场" in listing and "侯马市公共零工市场" not in listing
    # Filtering on another county's code does not widen the scope.
    listing = qw.get("/regions/service-points/", {"region_code": HOUMA}).content.decode()
    assert "侯马市公共零工市场" not in listing


def test_service_point_create_outside_scope_is_refused(qw, points):
    response = qw.post(
        "/regions/service-points/new/",
        {
            "kind": "gig_market",
            "name": "越权",
            "region_code": HOUMA,
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "越权" not in [p.name for p in points.values()]
    from jiuye.regions.models import ServicePoint

    assert not ServicePoint.objects.filter(name="越权").exists()


def test_service_point_export(qw, points):
    response = qw.get("/regions/service-points/export/")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    names = [row[1] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["东北街村零工驿站", "曲沃县公共零工市场"]


def test_user_management_pages(qw_admin, staff):
    other = staff["houma_operator"].pk
    mine = staff["township_operator"].pk
    assert qw_admin.get(f"/accounts/users/{mine}/").status_code == 200
    assert qw_admin.get(f"/accounts/users/{other}/").status_code == 404
    listing = qw_admin.get("/accounts/users/").content.decode()
    assert "qw_town" in listing and "hm_operator" not in listing and "lf_operator" not in listing
    for action in ("update", "active", "password", "unlock", "roles", "tokens"):
        assert qw_admin.post(f"/accounts/users/{other}/{action}/", {}).status_code == 404
    houma_assignment = staff["houma_operator"].role_assignments.get()
    assert (
        qw_admin.post(f"/accounts/users/{other}/roles/{houma_assignment.pk}/revoke/").status_code
        == 404
    )
    assert qw_admin.post(f"/accounts/users/{other}/tokens/1/revoke/").status_code == 404


def test_user_management_needs_the_admin_role(qw, staff):
    assert qw.get("/accounts/users/").status_code == 404
    assert qw.get("/accounts/users/new/").status_code == 404
    assert qw.get(f"/accounts/users/{staff['township_operator'].pk}/").status_code == 404


def test_audit_pages(qw_admin, staff, client_for):
    AuditLog.objects.create(action="x.houma", region_code=HOUMA, object_repr="侯马的记录")
    AuditLog.objects.create(action="x.quwo", region_code="141021100200", object_repr="曲沃的记录")
    body = qw_admin.get("/audit/").content.decode()
    assert "曲沃的记录" in body and "侯马的记录" not in body
    export = qw_admin.get("/audit/export/")
    wb = openpyxl.load_workbook(io.BytesIO(export.content))
    reprs = [row[5] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "曲沃的记录" in reprs and "侯马的记录" not in reprs
    # An operator has no audit permission at all.
    assert client_for(staff["county_operator"]).get("/audit/").status_code == 404


def test_home_page_counts_only_own_points(qw, points):
    body = qw.get("/").content.decode()
    assert "曲沃县" in body and "侯马市" not in body


# ---- API ---------------------------------------------------------------------------------


def test_api_regions(qw, points):
    assert qw.get(f"/api/regions/{QUWO}").status_code == 200
    response = qw.get(f"/api/regions/{HOUMA}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert qw.get(f"/api/regions/{HOUMA}/children").status_code == 404
    assert qw.get("/api/regions/search", {"q": "hms"}).json() == []
    assert [r["name"] for r in qw.get("/api/regions/").json()] == ["曲沃县"]


def test_api_service_points(qw, points):
    houma = points["houma_market"].pk
    assert qw.get(f"/api/service-points/{houma}").status_code == 404
    patch = qw.patch(
        f"/api/service-points/{houma}", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert patch.status_code == 404
    listing = qw.get("/api/service-points/").json()
    assert listing["count"] == 2
    assert {p["name"] for p in listing["items"]} == {"曲沃县公共零工市场", "东北街村零工驿站"}
    created = qw.post(
        "/api/service-points/",
        json.dumps({"kind": "gig_station", "name": "越权驿站", "region_code": HOUMA}),
        content_type="application/json",
    )
    assert created.status_code == 403
    assert created.json()["code"] == "out_of_scope"


def test_api_me(qw):
    body = qw.get("/api/accounts/me").json()
    assert body["username"] == "qw_operator"
    assert body["assignments"][0]["region_code"] == QUWO

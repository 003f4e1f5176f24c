import pytest

from jiuye.accounts.models import Role, RoleAssignment, User
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import Scope, get_scoped_or_404, has_perm, scope_for, scoped
from jiuye.regions.models import Region, ServicePoint


def test_scope_keeps_only_the_widest_prefixes():
    scope = Scope.of(["141021000000", "141000000000", "141021100200", "140105000000"])
    assert scope.prefixes == ("140105", "1410")


def test_scope_contains_is_a_prefix_test():
    scope = Scope.of(["141021000000"])
    assert scope.contains("141021100200")
    assert scope.contains("141021")
    assert not scope.contains("141081000000")
    assert not scope.contains("141000000000")  # the city above is outside
    assert not scope.contains("not-a-code")


def test_empty_scope_matches_nothing(points):
    assert not Scope().filter(ServicePoint.objects.all()).exists()


def test_county_operator_sees_only_the_county(staff, points):
    user = staff["county_operator"]
    names = set(scoped(ServicePoint.objects.all(), user).values_list("name", flat=True))
    assert names == {"曲沃县公共零工市场", "东北街村零工驿站"}


def test_village_operator_sees_only_the_village(staff, points):
    names = set(
        scoped(ServicePoint.objects.all(), staff["village_operator"]).values_list("name", flat=True)
    )
    assert names == {"东北街村零工驿站"}


def test_province_sees_everything_in_the_province(staff, points):
    assert scoped(ServicePoint.objects.all(), staff["province_leader"]).count() == 4


def test_scope_is_per_permission(staff):
    leader = staff["province_leader"]
    assert has_perm(leader, Perm.VIEW, "141021100200")
    assert not has_perm(leader, Perm.EDIT, "141021100200")
    assert not has_perm(leader, Perm.MANAGE_USERS)
    assert has_perm(staff["county_admin"], Perm.MANAGE_USERS, "141021100000")
    assert not has_perm(staff["county_admin"], Perm.MANAGE_USERS, "141081000000")


def test_several_assignments_add_up(staff, points):
    user = staff["county_operator"]
    RoleAssignment.objects.create(user=user, role=Role.OPERATOR, region_code="140105000000")
    user = User.objects.get(pk=user.pk)  # a fresh object, as in a new request
    assert scope_for(user).prefixes == ("140105", "141021")
    assert scoped(ServicePoint.objects.all(), user).count() == 3


def test_inactive_and_anonymous_users_see_nothing(staff, points):
    from django.contrib.auth.models import AnonymousUser

    user = staff["province_leader"]
    user.is_active = False
    assert scope_for(user).is_empty
    assert scope_for(AnonymousUser()).is_empty


def test_superuser_sees_everything(db, points):
    root = User.objects.create_superuser("root", password="x")
    assert scoped(ServicePoint.objects.all(), root).count() == 4


def test_get_scoped_or_404_hides_out_of_scope_objects(staff, points):
    from django.http import Http404

    user = staff["county_operator"]
    assert get_scoped_or_404(ServicePoint.objects.all(), user, pk=points["quwo_market"].pk)
    with pytest.raises(Http404):
        get_scoped_or_404(ServicePoint.objects.all(), user, pk=points["houma_market"].pk)
    with pytest.raises(Http404):
        get_scoped_or_404(ServicePoint.objects.all(), user, pk="not-a-number")


def test_regions_are_scoped_by_their_own_code(staff):
    names = set(
        scoped(Region.objects.all(), staff["county_operator"], field="code").values_list(
            "name", flat=True
        )
    )
    assert names == {"曲沃县", "乐昌镇", "东北街村", "西南街村", "史村镇"}


def test_scope_filter_uses_one_range_condition_per_prefix(staff):
    sql = str(scoped(ServicePoint.objects.all(), staff["county_operator"]).query)
    assert "BETWEEN" in sql and "141021000000" in sql and "141021999999" in sql

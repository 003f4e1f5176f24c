"""Loading the shipped tree and the official NBS code file into the database."""

from __future__ import annotations

import io
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiuye.accounts.models import Role, RoleAssignment, User
from jiuye.regions import codes
from jiuye.regions.loaders import (
    load_nbs_code_file,
    load_region_tree,
    region_code_fields,
    region_pinyin,
    remap_region_codes,
)
from jiuye.regions.models import Region, ServicePoint, ServicePointKind

FIXTURES = Path(__file__).with_name("fixtures")
NBS_DAY = date(2025, 1, 1)

pytestmark = pytest.mark.django_db


def current(code: str) -> Region:
    return Region.objects.current().get(code=code)


def level_counts(prefix: str) -> dict[int, int]:
    rows = Region.objects.current().within(prefix).values_list("level", flat=True)
    return dict(Counter(rows))


@pytest.fixture
def haixi():
    return load_region_tree(roots=("6328",))


def test_load_haixi(haixi):
    assert level_counts("63") == {1: 1, 2: 1, 3: 7, 4: 43, 5: 377}
    assert haixi.current_by_source == {"gb2260": 8, "nbs": 1, "assigned": 420}
    mangya = current("632803000000")
    assert mangya.name == "茫崖市" and mangya.prefix == "632803"
    lenghu = current("632803100000")
    assert lenghu.name == "冷湖镇" and lenghu.parent == mangya and lenghu.code_source == "assigned"
    dachaidan = current("632857000000")
    assert dachaidan.code_source == "nbs" and dachaidan.parent.code == "632800000000"
    village = current("632801100200")
    assert (village.name, village.prefix, village.level) == ("中村", "632801100200", 5)
    assert village.pinyin == "zhongcun" and village.pinyin_initials == "zc"
    assert current("630000000000").valid_from == date(2024, 1, 1)


def test_report_says_codes_were_assigned(haixi):
    text = haixi.text()
    assert "乡镇、村级代码按顺序分配（未加载官方12位代码文件）" in text
    assert "township and village codes assigned in order" in text
    assert "420 regions" in text


def test_load_is_idempotent(haixi):
    before = list(Region.objects.order_by("id").values_list())
    again = load_region_tree(roots=("6328",))
    assert sum(again.created.values()) == 0
    assert sum(again.updated.values()) == 0
    assert again.unchanged == 429
    assert list(Region.objects.order_by("id").values_list()) == before


def test_load_updates_a_changed_name(haixi):
    Region.objects.filter(code="632801100000").update(name="旧名", pinyin="x")
    report = load_region_tree(roots=("6328",))
    assert report.updated == {4: 1}
    region = current("632801100000")
    assert (region.name, region.pinyin) == ("郭勒木德镇", region_pinyin("郭勒木德镇")[0])


def test_pinyin():
    assert region_pinyin("曲沃县") == ("quwoxian", "qwx")
    assert region_pinyin("长治市") == ("changzhishi", "czs")
    assert region_pinyin("洪洞县") == ("hongtongxian", "htx")
    assert region_pinyin("茶汉沙牧委会")[1] == "chsmwh"


def test_load_shanxi_counts_and_speed():
    started = time.perf_counter()
    report = load_region_tree(roots=("14",))
    seconds = time.perf_counter() - started
    assert level_counts("14") == {1: 1, 2: 11, 3: 117, 4: 1413, 5: 29933}
    assert report.created == {1: 1, 2: 11, 3: 117, 4: 1413, 5: 29933}
    assert report.current_by_source == {"gb2260": 129, "assigned": 31346}
    quwo = current("141021000000")
    assert quwo.pinyin_initials == "qwx" and quwo.pinyin == "quwoxian"
    assert current("140212100000").name == "古店镇"
    assert current("140214200000").name == "口泉乡"
    assert seconds < 30, f"loading Shanxi took {seconds:.1f} s"


def test_load_regions_command():
    out = io.StringIO()
    call_command("load_regions", "--roots", "6328", stdout=out)
    assert "township and village codes assigned in order" in out.getvalue()
    assert Region.objects.current().count() == 429


# --- the official NBS code file ------------------------------------------------------------


@pytest.fixture
def remapped_records(haixi):
    """Records that point at assigned codes the fixture file replaces."""
    points = {
        name: ServicePoint.objects.create(
            kind=ServicePointKind.GIG_STATION, name=name, region_code=code
        )
        for name, code in [
            ("河西街道零工驿站", "632802001000"),  # 河西街道 assigned 001 -> official 002
            ("河东街道零工驿站", "632802002000"),  # 河东街道 assigned 002 -> official 001
            ("乌兰干沟村服务点", "632802102201"),  # village under 柯鲁柯镇 102 -> 103
            ("卡格图村服务点", "632802101204"),  # village 204 -> official 206
            ("蓄集乡服务点", "632802200000"),  # township closed without replacement
            ("格尔木服务点", "632801100000"),  # outside the file: untouched
        ]
    }
    user = User.objects.create_user(
        username="dlh", password="x-Test-2026", home_region_code="632802102000"
    )
    RoleAssignment.objects.create(user=user, role=Role.OPERATOR, region_code="632802102000")
    return points, user


def test_nbs_file_replaces_assigned_codes(remapped_records):
    points, user = remapped_records
    report = load_nbs_code_file(FIXTURES / "nbs_delingha.csv", valid_from=NBS_DAY)
    assert report.ok, report.text()

    hedong, hexi = current("632802001000"), current("632802002000")
    assert (hedong.name, hedong.code_source) == ("河东街道", "nbs")
    assert (hexi.name, hexi.code_source) == ("河西街道", "nbs")
    assert hexi.valid_from == NBS_DAY
    old_hexi = Region.objects.get(code="632802001000", name="河西街道")
    assert old_hexi.valid_to == NBS_DAY and old_hexi.code_source == "assigned"

    # Villages the file does not list move with their replaced township, keeping their digits.
    moved = current("632802002001")
    assert (moved.name, moved.parent, moved.code_source) == ("建设路社区", hexi, "assigned")
    assert current("632802001001").name == "长江路社区"  # 河东's community moved the other way
    keluke = current("632802103000")
    assert keluke.name == "柯鲁柯镇" and keluke.children.count() == 19
    assert current("632802103201").name == "乌兰干沟村"
    assert not Region.objects.current().filter(code__startswith="632802102").exists()

    # Listed villages: updated in place, or replaced when the code changed.
    dongtan = current("632802101200")
    assert (dongtan.name, dongtan.urban_rural_code, dongtan.code_source) == (
        "东滩村委会",
        "220",
        "nbs",
    )
    assert current("632802101206").name == "卡格图村委会"
    # Not in the file although its siblings are: closed, history kept.
    assert Region.objects.get(code="632802101205").valid_to == NBS_DAY
    # A township the file no longer lists: closed with its villages.
    xuji = Region.objects.get(code="632802200000")
    assert xuji.valid_to == NBS_DAY
    assert not Region.objects.current().filter(code__startswith="632802200").exists()
    assert current("632802400000").name == "德令哈工业园管理委员会"
    # The county row itself is now official; the rest of Haixi is untouched.
    assert current("632802000000").code_source == "nbs"
    assert current("632801100000").code_source == "assigned"
    assert level_counts("632802") == {3: 1, 4: 7, 5: 69 - 8}

    assert report.code_changes["632802001000"] == "632802002000"
    assert report.code_changes["632802002000"] == "632802001000"
    assert report.code_changes["632802102201"] == "632802103201"
    assert report.created == {4: 4, 5: 38}
    assert report.closed == {4: 4, 5: 46}
    assert report.updated == {3: 1, 4: 3, 5: 5}

    for point in points.values():
        point.refresh_from_db()
    assert points["河西街道零工驿站"].region_code == "632802002000"
    assert points["河东街道零工驿站"].region_code == "632802001000"
    assert points["乌兰干沟村服务点"].region_code == "632802103201"
    assert points["卡格图村服务点"].region_code == "632802101206"
    assert points["蓄集乡服务点"].region_code == "632802200000"
    assert points["格尔木服务点"].region_code == "632801100000"
    user.refresh_from_db()
    assert user.home_region_code == "632802103000"
    assert user.role_assignments.get().region_code == "632802103000"
    assert report.remapped["regions.ServicePoint.region_code"] == 4
    assert report.remapped["accounts.User.home_region_code"] == 1


def test_every_current_region_is_consistent_after_nbs_load(haixi):
    load_nbs_code_file(FIXTURES / "nbs_delingha.csv", valid_from=NBS_DAY)
    seen = set()
    for region in Region.objects.current().select_related("parent"):
        assert region.code not in seen
        seen.add(region.code)
        assert region.prefix == codes.prefix_of(region.code)
        assert region.level == codes.level_of(region.code)
        if region.level > 1:
            assert region.parent.code == codes.parent_code(region.code), region
            assert region.parent.valid_to is None, region


def test_nbs_load_is_idempotent_and_tree_reload_does_not_resurrect(haixi):
    load_nbs_code_file(FIXTURES / "nbs_delingha.csv", valid_from=NBS_DAY)
    snapshot = list(Region.objects.order_by("id").values_list())
    again = load_nbs_code_file(FIXTURES / "nbs_delingha.csv", valid_from=NBS_DAY)
    assert again.ok and not again.created and not again.closed and not again.updated
    assert again.code_changes == {}
    tree = load_region_tree(roots=("6328",))
    assert sum(tree.created.values()) == 0 and sum(tree.updated.values()) == 0
    assert list(Region.objects.order_by("id").values_list()) == snapshot
    assert tree.skipped  # 蓄集乡 and 绿源村 stay closed


def test_gbk_file_without_header(haixi):
    report = load_nbs_code_file(FIXTURES / "nbs_delingha_gbk.csv", valid_from=NBS_DAY)
    assert report.ok, report.text()
    assert report.rows_in_source == 14
    assert current("632802101200").name == "东滩村委会"
    assert current("632802400000").name == "德令哈工业园管理委员会"


def test_bad_file_is_rejected_whole(haixi):
    snapshot = list(Region.objects.order_by("id").values_list())
    report = load_nbs_code_file(FIXTURES / "nbs_bad.csv", valid_from=NBS_DAY)
    assert not report.ok
    errors = {error.row: error.reason for error in report.errors}
    assert set(errors) == {2, 3, 4, 5}
    assert "12位数字" in errors[2]
    assert "层级 5 与代码不符" in errors[3]
    assert "不一致" in errors[4]
    assert "不存在" in errors[5]
    assert "第2行" in report.text() and "未写入任何数据" in report.text()
    assert list(Region.objects.order_by("id").values_list()) == snapshot


def test_load_nbs_codes_command(haixi, tmp_path):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_nbs_codes", str(FIXTURES / "nbs_bad.csv"), stdout=out)
    assert "第5行" in out.getvalue()
    out = io.StringIO()
    call_command(
        "load_nbs_codes",
        str(FIXTURES / "nbs_delingha.csv"),
        "--valid-from",
        "2025-01-01",
        stdout=out,
    )
    assert "代码变更 / code changes: 41" in out.getvalue()
    assert current("632802001000").valid_from == NBS_DAY


def test_nbs_file_with_bom_and_bad_level_text(haixi, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(
        "\ufeffcode,name,level,parent,type\n632801001000,昆仑路街道,四,632801000000,\n".encode()
    )
    report = load_nbs_code_file(path, valid_from=NBS_DAY)
    assert [error.row for error in report.errors] == [2]
    assert "层级" in report.errors[0].reason


def test_remap_handles_swaps_and_chains():
    values = ["140101001000", "140101002000", "140101003000", "140101004000", "140101009000"]
    points = [
        ServicePoint.objects.create(kind=ServicePointKind.SERVICE_POINT, name=v, region_code=v)
        for v in values
    ]
    mapping = {
        "140101001000": "140101002000",  # swap 001 <-> 002
        "140101002000": "140101001000",
        "140101003000": "140101004000",  # chain 003 -> 004 -> 005
        "140101004000": "140101005000",
    }
    counts = remap_region_codes(mapping)
    assert counts["regions.ServicePoint.region_code"] == 4
    got = [ServicePoint.objects.get(pk=p.pk).region_code for p in points]
    assert got == [
        "140101002000",
        "140101001000",
        "140101004000",
        "140101005000",
        "140101009000",
    ]


def test_region_code_fields():
    fields = {(model._meta.label, name) for model, name in region_code_fields()}
    assert ("regions.ServicePoint", "region_code") in fields
    assert ("accounts.User", "home_region_code") in fields
    assert ("accounts.RoleAssignment", "region_code") in fields
    # The audit trail keeps the codes it was written with.
    assert not any(label == "core.AuditLog" for label, _ in fields)

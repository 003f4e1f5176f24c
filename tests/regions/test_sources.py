"""The shipped region tree built from packaged data (no database)."""

from __future__ import annotations

from collections import Counter

import pytest

from jiuye.regions import codes, sources


@pytest.fixture(scope="module")
def tree() -> list[sources.RegionRow]:
    return sources.build_tree()


@pytest.fixture(scope="module")
def by_code(tree) -> dict[str, sources.RegionRow]:
    return {row.code: row for row in tree}


def children(tree, parent_code: str) -> dict[str, sources.RegionRow]:
    return {row.name: row for row in tree if row.parent_code == parent_code}


def test_shanxi_counts(tree):
    shanxi = Counter(row.level for row in tree if row.code.startswith("14"))
    assert dict(shanxi) == {1: 1, 2: 11, 3: 117, 4: 1413, 5: 29933}


def test_haixi_counts(tree):
    qinghai = [row for row in tree if row.code.startswith("63")]
    levels = Counter(row.level for row in qinghai)
    assert levels[1] == 1 and levels[2] == 1 and levels[3] == 7
    assert levels[4] == 43 and levels[5] == 377
    assert {row.name for row in qinghai if row.level == 1} == {"青海省"}
    counties = {row.code[:6]: row.name for row in qinghai if row.level == 3}
    assert counties == {
        "632801": "格尔木市",
        "632802": "德令哈市",
        "632803": "茫崖市",
        "632821": "乌兰县",
        "632822": "都兰县",
        "632823": "天峻县",
        "632857": "大柴旦行政委员会",
    }


def test_code_sources(tree, by_code):
    assert by_code["632857000000"].code_source == "nbs"
    assert by_code["140000000000"].code_source == "gb2260"
    assert by_code["630000000000"].code_source == "gb2260"
    assert by_code["140200000000"].code_source == "gb2260"
    assert {row.code_source for row in tree if row.level >= 4} == {"assigned"}
    assert Counter(row.code_source for row in tree if row.level <= 3) == {"gb2260": 137, "nbs": 1}


def test_codes_are_consistent(tree):
    seen = set()
    for row in tree:
        assert codes.CODE_RE.match(row.code), row
        assert row.code not in seen, row
        seen.add(row.code)
        assert codes.level_of(row.code) == row.level, row
        assert row.parent_code == codes.parent_code(row.code), row
        if row.parent_code:
            assert row.parent_code in seen, f"parent after child: {row}"  # parents come first


def test_deterministic():
    assert sources.build_tree() == sources.build_tree()


def test_no_old_county_names_remain(tree):
    shanxi_counties = {row.name for row in tree if row.code.startswith("14") and row.level == 3}
    for old in ("南郊区", "大同县", "长治县", "屯留县", "潞城市", "怀仁县", "太谷县", "郊区"):
        # 阳泉市 still has a 郊区 (140311): only Changzhi's is gone.
        if old == "郊区":
            assert "郊区" not in children(tree, "140400000000")
            continue
        assert old not in shanxi_counties
    assert "矿区" not in children(tree, "140200000000")
    assert "城区" not in children(tree, "140200000000")
    assert "城区" not in children(tree, "140400000000")


def test_datong_townships_follow_the_mapping(tree):
    assert children(tree, "140212000000")["古店镇"].parent_code == "140212000000"
    yungang = children(tree, "140214000000")
    for name in ("口泉乡", "高山镇", "云冈镇", "西花园街道", "老平旺街道", "新平旺街道"):
        assert name in yungang
    pingcheng = children(tree, "140213000000")
    for name in ("水泊寺乡", "马军营乡", "新旺乡", "南关街道", "开源街街道"):
        assert name in pingcheng
    assert "西花园街道" not in pingcheng
    assert "古店镇" not in pingcheng
    assert len(children(tree, "140215000000")) == 10  # 云州区 = the former 大同县


def test_merged_counties_are_numbered_together(tree, by_code):
    # 潞州区 = former 城区 (10 街道) then 郊区 (2 街道, 5 镇, 1 乡), numbered in that order.
    luzhou = [row for row in tree if row.parent_code == "140403000000"]
    assert len(luzhou) == 18
    assert by_code["140403001000"].name == "东街街道"
    assert by_code["140403011000"].name == "长北街道"
    assert by_code["140403100000"].name == "老顶山镇"
    assert by_code["140403200000"].name == "西白兔乡"


def test_township_and_village_numbering(by_code):
    assert by_code["632801001000"].name == "昆仑路街道"
    assert by_code["632801100000"].name == "郭勒木德镇"
    assert by_code["632801200000"].name == "大格勒乡"
    assert by_code["632801100200"].name == "中村"
    assert by_code["632801001001"].name == "博爱巷社区"
    # 德令哈市 河西街道 lists 6 communities before its villages.
    assert by_code["632802001006"].name == "尕南庄社区"
    assert by_code["632802001200"].name == "巴音河村"


def test_haixi_mangya_and_dachaidan(tree, by_code):
    mangya = children(tree, "632803000000")
    assert set(mangya) == {"冷湖镇", "花土沟镇", "茫崖镇"}
    assert by_code["632803100000"].name == "冷湖镇"  # 冷湖 comes first in the source
    assert set(children(tree, "632857000000")) == {"柴旦镇", "锡铁山镇"}


def test_roots_can_be_a_city():
    rows = sources.build_tree(("6328",))
    assert [row.level for row in rows[:2]] == [1, 2]
    assert {row.code[:4] for row in rows if row.level >= 2} == {"6328"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("东关村委会", "东关村"),
        ("张家庄村民委员会", "张家庄村"),
        ("城东社区居委会", "城东社区"),
        ("城东社区居民委员会", "城东社区"),
        ("后所营居民委员会", "后所营居委会"),
        ("居委会", "居委会"),
        ("小峪村委会会", "小峪村"),
        ("神灵村委会委会", "神灵村"),
        ("河东社区居民委会员", "河东社区"),
        ("和平社区居委", "和平社区"),
        ("后沟村委", "后沟村"),
        ("长江路居社区委会", "长江路社区"),
        ("岗茨牧委会", "岗茨牧委会"),
    ],
)
def test_village_names(raw, expected):
    assert sources.village_name(raw) == expected


def test_township_names_and_classes():
    assert sources.township_name("昆仑路街道办事处") == "昆仑路街道"
    assert sources.township_class("昆仑路街道") == 1
    assert sources.township_class("尕海镇") == 100
    assert sources.township_class("蓄集乡") == 200
    assert sources.township_class("某苏木") == 200
    assert sources.township_class("钟家庄办事处") == 400


def test_allocate_numbers_overflow_and_limit():
    assert sources.allocate_numbers([200, 1, 200, 1]) == [200, 1, 201, 2]
    # 200 communities run into the village range; villages skip the numbers taken.
    numbers = sources.allocate_numbers([1] * 200 + [200])
    assert numbers[-2] == 200 and numbers[-1] == 201
    with pytest.raises(sources.RegionSourceError):
        sources.allocate_numbers([200] * 801)


def test_county_changes_table():
    changes = sources.county_changes()
    assert all(len(change.new_county_code) == 6 for change in changes)
    assert any(change.old_township == "古店镇" for change in changes)
    assert all(change.effective_date and change.reference for change in changes)


def test_unmatched_old_county_fails_loudly(monkeypatch):
    kept = [c for c in sources.county_changes() if c.old_county != "大同县"]
    monkeypatch.setattr(sources, "county_changes", lambda: kept)
    with pytest.raises(sources.RegionSourceError, match="大同县"):
        sources.build_tree(("1402",))


def test_county_coordinates_cover_the_tree(tree):
    coordinates = sources.county_coordinates()
    wanted = {row.code for row in tree if row.level <= 3}
    assert wanted == set(coordinates)
    for lon, lat in coordinates.values():
        assert 73 < lon < 135 and 18 < lat < 54

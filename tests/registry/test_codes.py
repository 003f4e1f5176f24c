from collections import Counter

import pytest

from jiuye.registry import codes
from jiuye.registry.codes import (
    EDUCATION,
    EDUCATION_CHOICES,
    ETHNICITY,
    CodeLookupError,
    education_code,
    education_codes_at_least,
    education_rank,
    ethnicity_code,
    industry,
    industry_choices,
    industry_code,
    industry_section,
    occupation,
    occupation_ancestors,
    occupation_children,
    occupation_choices,
    occupation_code,
)
from jiuye.registry.labour_brands import SHANXI_LABOUR_BRANDS, ensure_labour_brands
from jiuye.registry.models import LabourBrand

# --- counts -----------------------------------------------------------------------------------


def test_occupation_counts_per_level():
    counts = Counter(r.level for r in codes.OCCUPATION.values())
    assert counts == {1: 8, 2: 79, 3: 450, 4: 1639}
    assert len(occupation_choices(4)) == 1639


def test_industry_counts_per_level():
    counts = Counter(r.level for r in codes.INDUSTRY.values())
    # 20 sections, 97 divisions, 473 groups; 1,381 classes where the amended standard has
    # 1,382 (the source lacks one; see data/README.md).
    assert counts == {1: 20, 2: 97, 3: 473, 4: 1381}
    assert [c for c, _ in industry_choices(1)] == list("ABCDEFGHIJKLMNOPQRST")
    assert [c for c, _ in industry_choices(2)] == [f"{n:02d}" for n in range(1, 98)]


def test_industry_tree_is_consistent():
    for record in codes.INDUSTRY.values():
        if record.level == 1:
            assert record.parent is None
            continue
        parent = codes.INDUSTRY[record.parent]
        assert parent.level == record.level - 1
        assert parent.section == record.section
        if record.level > 2:
            assert record.code.startswith(parent.code)


# --- education ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, code",
    [
        ("21", "21"),
        ("２１", "21"),
        (" 21 ", "21"),
        (21, "21"),
        (21.0, "21"),
        ("大学本科毕业", "21"),
        ("本科", "20"),
        ("大学本科", "20"),
        ("大本", "20"),
        ("大专", "30"),
        ("专科", "30"),
        ("高职", "30"),
        ("中专", "40"),
        ("中职", "40"),
        ("职高", "40"),
        ("技校", "40"),
        ("高中", "60"),
        ("普高", "60"),
        ("初中", "70"),
        ("小学", "80"),
        ("博士", "10"),
        ("硕士", "10"),
        ("研究生", "10"),
        ("文盲", "90"),
        ("半文盲", "90"),
        ("其他", "90"),
        ("本科毕业", "21"),
        ("大专肄业", "33"),
        ("高中 毕业", "61"),
        ("初中肄业", "73"),
        ("小学毕业", "81"),
        ("初中文化", "70"),
        ("本科学历", "20"),
        ("高中文化程度", "60"),
    ],
)
def test_education_code(value, code):
    assert education_code(value) == code


def test_education_table_has_the_standard_codes():
    assert set(EDUCATION) >= {"10", "19", "20", "28", "30", "33", "40", "49", "60", "63"}
    assert {"71", "73", "81", "83", "90"} <= set(EDUCATION)
    assert not {"72", "82"} & set(EDUCATION)
    assert [c for c, _ in EDUCATION_CHOICES] == ["10", "20", "30", "40", "60", "70", "80", "90"]


@pytest.mark.parametrize("value", ["", "大学生", "72", "99", "初中结业", None])
def test_unknown_education_raises_with_the_value(value):
    with pytest.raises(CodeLookupError) as info:
        education_code(value)
    assert str(value if value is not None else "") in str(info.value)


def test_education_rank():
    assert education_rank("81") < education_rank("71") < education_rank("61")
    assert education_rank("61") == education_rank("41") == education_rank("47")
    assert education_rank("61") < education_rank("31") < education_rank("21")
    assert education_rank("21") < education_rank("11") == education_rank("研究生")
    assert education_rank("90") < education_rank("83")
    at_least_senior = education_codes_at_least("高中")
    assert "61" in at_least_senior and "44" in at_least_senior and "11" in at_least_senior
    assert "71" not in at_least_senior and "90" not in at_least_senior


# --- ethnicity ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, code",
    [
        ("01", "01"),
        ("1", "01"),
        (1, "01"),
        ("０１", "01"),
        ("汉族", "01"),
        ("汉", "01"),
        ("蒙古族", "02"),
        ("蒙古", "02"),
        ("维吾尔", "05"),
        ("基诺族", "56"),
        ("97", "97"),
        ("其他", "97"),
        ("外国血统中国籍人士", "98"),
    ],
)
def test_ethnicity_code(value, code):
    assert ethnicity_code(value) == code


def test_ethnicity_table():
    assert len(ETHNICITY) == 58
    assert ETHNICITY["56"] == "基诺族"


@pytest.mark.parametrize("value", ["57", "火星族", "汉人族"])
def test_unknown_ethnicity_raises_with_the_value(value):
    with pytest.raises(CodeLookupError, match=value):
        ethnicity_code(value)


# --- industry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, code",
    [
        ("36", "36"),
        ("3611", "3611"),
        ("361", "361"),
        ("C36", "36"),
        ("C3611", "3611"),
        ("c3611", "3611"),
        ("Ｃ３６１１", "3611"),
        ("C", "C"),
        ("汽车制造业", "36"),
        ("汽柴油车整车制造", "3611"),
        ("制造业", "C"),
        # A name shared by a row and its only child denotes the deepest row.
        ("国际组织", "9700"),
        ("快递服务", "6020"),
        ("0111", "0111"),
        (5, "05"),
    ],
)
def test_industry_code(value, code):
    assert industry_code(value) == code


def test_industry_name_at_a_chosen_level():
    assert industry_code("国际组织", level=2) == "97"
    assert industry_code("国际组织", level=1) == "T"


@pytest.mark.parametrize("value", ["99", "9999", "X", "汽车制造"])
def test_unknown_industry_raises_with_the_value(value):
    with pytest.raises(CodeLookupError, match=value):
        industry_code(value)


def test_industry_code_in_the_wrong_section():
    with pytest.raises(CodeLookupError, match="36"):
        industry_code("B36")


def test_industry_number_that_lost_its_leading_zero_is_ambiguous():
    # 111 could be group 111 or class 0111 typed as a number.
    with pytest.raises(CodeLookupError, match="0111"):
        industry_code(111)


def test_industry_record_and_section():
    record = industry("C3611")
    assert (record.code, record.name, record.level, record.section, record.parent) == (
        "3611",
        "汽柴油车整车制造",
        4,
        "C",
        "361",
    )
    assert record.lettered_code == "C3611"
    assert industry_section("3611") == "C"
    assert industry_section("01") == "A"
    assert industry_section("97") == "T"
    assert industry("3741").name == "飞机制造"


# --- occupation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, code",
    [
        ("4-10-01-06", "4-10-01-06"),
        ("4 10 01 06", "4-10-01-06"),
        ("4100106", "4-10-01-06"),
        ("４－１０－０１－０６", "4-10-01-06"),
        ("4.10.01.06", "4-10-01-06"),
        ("4-10", "4-10"),
        ("410", "4-10"),
        ("4", "4"),
        ("家政服务员", "4-10-01-06"),
        (" 中式烹调师 ", "4-03-02-01"),
    ],
)
def test_occupation_code(value, code):
    assert occupation_code(value) == code


def test_occupation_name_used_by_several_codes():
    with pytest.raises(CodeLookupError) as info:
        occupation_code("国家权力机关负责人")
    assert "1-02-01" in str(info.value) and "1-02-01-00" in str(info.value)
    assert occupation_code("国家权力机关负责人", level=4) == "1-02-01-00"
    assert occupation_code("国家权力机关负责人", level=3) == "1-02-01"


@pytest.mark.parametrize("value", ["9-01-01-01", "4-10-01-99", "410010", "宇航厨师"])
def test_unknown_occupation_raises_with_the_value(value):
    with pytest.raises(CodeLookupError, match=value):
        occupation_code(value)


def test_occupation_tree():
    record = occupation("4-10-01-06")
    assert (record.name, record.level, record.parent) == ("家政服务员", 4, "4-10-01")
    assert [r.code for r in occupation_ancestors("4-10-01-06")] == ["4", "4-10", "4-10-01"]
    assert "4-10-01-06" in [r.code for r in occupation_children("4-10-01")]
    assert len(occupation_children("6")) > 0
    assert sum(len(occupation_children(c)) for c, _ in occupation_choices(1)) == 79


# --- labour brands ------------------------------------------------------------------------------


def test_labour_brand_codes_exist_in_the_classification():
    assert len(SHANXI_LABOUR_BRANDS) == 8
    for spec in SHANXI_LABOUR_BRANDS:
        assert occupation(spec.occupation_code).level == 4, spec.name
        assert len(spec.region_code) == 12 and spec.region_code.startswith("14"), spec.name
        assert spec.description


@pytest.mark.django_db
def test_ensure_labour_brands_is_idempotent():
    first = ensure_labour_brands()
    second = ensure_labour_brands()
    assert [b.pk for b in first] == [b.pk for b in second]
    assert LabourBrand.objects.count() == len(SHANXI_LABOUR_BRANDS)
    tianzhen = LabourBrand.objects.get(name="天镇保姆")
    assert (tianzhen.region_code, tianzhen.occupation_code) == ("140222000000", "4-10-01-06")

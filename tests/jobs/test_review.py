"""The forbidden-requirement check: what it flags (with exact offsets), what it leaves alone,
and how the review page shows it."""

from __future__ import annotations

import pytest

from jiuye.jobs.review import highlight, scan_fields, scan_text


def spans(text: str) -> list[tuple[int, int, str, str]]:
    return [(f.start, f.end, f.phrase, f.category) for f in scan_text(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("限男性", [(0, 3, "限男性", "sex")]),
        ("要求：仅限女性，能吃苦", [(3, 7, "仅限女性", "sex")]),
        ("男士优先", [(0, 4, "男士优先", "sex")]),
        ("销售经理，女性优先。", [(5, 9, "女性优先", "sex")]),
        ("只招女服务员", [(0, 3, "只招女", "sex")]),
        ("性别：男", [(0, 4, "性别：男", "sex")]),
        ("普工男3名、女2名", [(2, 5, "男3名", "sex"), (6, 9, "女2名", "sex")]),
        ("限汉族", [(0, 3, "限汉族", "ethnicity")]),
        ("汉族优先", [(0, 4, "汉族优先", "ethnicity")]),
        ("须本地户口", [(0, 5, "须本地户口", "hukou")]),
        ("本市户籍优先考虑", [(0, 6, "本市户籍优先", "hukou")]),
        ("外地人勿扰", [(0, 5, "外地人勿扰", "hukou")]),
        ("限山西籍", [(0, 4, "限山西籍", "hukou")]),
        ("要求已婚已育", [(0, 6, "要求已婚已育", "marriage")]),
        ("已婚已育优先", [(0, 6, "已婚已育优先", "marriage")]),
        ("未婚", []),
        ("限未婚", [(0, 3, "限未婚", "marriage")]),
        ("入职后无生育计划", [(3, 8, "无生育计划", "marriage")]),
        ("两年内不得生育", [(0, 7, "两年内不得生育", "marriage")]),
        ("入职体检含孕检", [(0, 7, "入职体检含孕检", "marriage")]),
        ("乙肝携带者勿扰", [(0, 7, "乙肝携带者勿扰", "health")]),
        ("体检含乙肝五项", [(3, 7, "乙肝五项", "health")]),
        ("hbv阳性者不予录用", [(0, 5, "hbv阳性", "health")]),
        ("身体健全", [(0, 4, "身体健全", "disability")]),
        ("无宗教信仰", [(0, 5, "无宗教信仰", "religion")]),
        (
            "五官端正，身高165cm以上",
            [(0, 4, "五官端正", "appearance"), (5, 14, "身高165cm以上", "appearance")],
        ),
        # Full-width characters are matched, and the offsets stay those of the stored text.
        ("ＨＢＶ携带者勿扰", [(0, 8, "ＨＢＶ携带者勿扰", "health")]),
        ("性别：男，年龄１８－４５", [(0, 4, "性别：男", "sex")]),
    ],
)
def test_flags_with_exact_offsets(text, expected):
    assert spans(text) == expected
    for start, end, phrase, _category in expected:
        assert text[start:end] == phrase


@pytest.mark.parametrize(
    "text",
    [
        "男女不限",
        "不限男女，年龄18-45岁",
        "性别不限",
        "不限户籍",
        "户籍不限，欢迎外地务工人员",
        "欢迎女性应聘，男女同工同酬",
        "急需女装导购",
        "入职需提供身份证、户口本复印件",
        "表现优秀者可解决本市户口",
        "少数民族优先",
        "残疾人优先",
        "不歧视乙肝携带者",
        "体检不含乙肝项目",
        "提供单身宿舍",
        "已婚职工可申请夫妻房",
        "女职工享受产假、哺乳假",
        "员工子女优先入托",
        "本公司现有员工120人，其中女性80人",
        "水族馆讲解员",
        "身体健康，能吃苦耐劳，形象气质佳",
        "负责男装区陈列",
        "民族不限，婚否不限",
        "退役军人优先，持证者优先",
        "不得以怀孕为由辞退女职工",
        "需要学籍证明",
        "招聘保安员3名",
        "负责户籍档案整理",
        "年龄18-45岁，高中以上学历",  # age is a structured field, not a text finding
    ],
)
def test_ordinary_text_is_not_flagged(text):
    assert spans(text) == []


def test_a_whole_advertisement():
    text = (
        "岗位职责：负责酿造车间生产。\n任职要求：1.限男性；2.本地户口优先；3.已婚已育；"
        "4.男女不限的岗位请看另一则。"
    )
    found = spans(text)
    assert [(p, c) for _s, _e, p, c in found] == [
        ("限男性", "sex"),
        ("本地户口优先", "hukou"),
        ("已婚已育", "marriage"),
    ]
    for start, end, phrase, _c in found:
        assert text[start:end] == phrase


def test_scan_fields_names_the_field():
    flags = scan_fields({"title": "保安（限男性）", "description": "男女不限", "address": ""})
    assert flags == [
        {"field": "title", "start": 3, "end": 6, "phrase": "限男性", "category": "sex"}
    ]


def test_highlight_escapes_and_marks():
    text = "<b>限男性</b> & 本地户口优先"
    flags = [f.as_dict() for f in scan_text(text)]
    html = str(highlight(text, flags, "description"))
    assert html.startswith("&lt;b&gt;<mark")
    assert '">限男性</mark>&lt;/b&gt; &amp; <mark' in html
    assert html.endswith(">本地户口优先</mark>")
    assert "<b>" not in html
    # Findings of another field, or with offsets outside the text, are ignored.
    assert "<mark" not in str(highlight("abc", [{"field": "title", "start": 0, "end": 2}], "x"))
    assert "<mark" not in str(
        highlight("abc", [{"field": "x", "start": 2, "end": 9, "category": "sex"}], "x")
    )

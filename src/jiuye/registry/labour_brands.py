"""Shanxi labour brands (劳务品牌) named in the domain brief, as seed data.

Each brand carries the 12-digit code of the region that runs it and the 2022 occupation
细类 (``jiuye.registry.codes``) that fits its work best; where the brand's own occupation is a
工种 rather than a 细类 (e.g. 叉车司机), the 细类 that contains it is used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabourBrandSpec:
    name: str
    region_code: str  # 12-digit statistical code
    occupation_code: str  # 职业分类大典 2022 细类
    description: str


SHANXI_LABOUR_BRANDS: tuple[LabourBrandSpec, ...] = (
    LabourBrandSpec(
        "天镇保姆",
        "140222000000",  # 大同市天镇县
        "4-10-01-06",  # 家政服务员
        "大同市天镇县培育的家政服务劳务品牌，组织当地劳动力经培训后从事住家保姆、育婴和居家照护等家政服务。",
    ),
    LabourBrandSpec(
        "吕梁护工",
        "141100000000",  # 吕梁市
        "4-14-01-02",  # 医疗护理员 (养老护理员 4-10-01-05 also fits)
        "吕梁市培育的护理劳务品牌，农村劳动力经培训后在医院、养老机构和家庭从事护理陪护服务。",
    ),
    LabourBrandSpec(
        "阳泉数智工",
        "140300000000",  # 阳泉市
        "4-04-05-05",  # 人工智能训练师 (its 工种 include 数据标注员)
        "阳泉市培育的数字技能劳务品牌，面向数据标注、人工智能训练等数字经济岗位。",
    ),
    LabourBrandSpec(
        "长治太行挖机",
        "140400000000",  # 长治市
        "6-30-05-05",  # 挖掘铲运和桩工机械司机
        "长治市培育的工程机械劳务品牌，以挖掘机等工程机械的驾驶操作为主。",
    ),
    LabourBrandSpec(
        "陵川叉车工",
        "140524000000",  # 晋城市陵川县
        "6-30-05-01",  # 起重装卸机械操作工 (工种 叉车司机)
        "晋城市陵川县培育的叉车操作劳务品牌，从事叉车等起重装卸机械的驾驶与搬运作业。",
    ),
    LabourBrandSpec(
        "浮山厨师",
        "141027000000",  # 临汾市浮山县
        "4-03-02-01",  # 中式烹调师
        "临汾市浮山县培育的餐饮劳务品牌，以中式烹调为主，输出厨师到各地餐饮企业。",
    ),
    LabourBrandSpec(
        "繁峙绣娘",
        "140924000000",  # 忻州市繁峙县
        "6-09-03-11",  # 抽纱刺绣工
        "忻州市繁峙县培育的刺绣劳务品牌，组织农村妇女居家或就近从事手工刺绣。",
    ),
    LabourBrandSpec(
        "广灵巧娘",
        "140223000000",  # 大同市广灵县
        "6-09-03-17",  # 民间工艺品制作工
        "大同市广灵县培育的手工技艺劳务品牌，组织农村妇女从事剪纸等民间工艺品制作。",
    ),
)


def ensure_labour_brands() -> list:
    """Create the brands that do not exist yet (matched by name) and return all of them.

    Existing brands are left as they are, so running this again never overwrites edits.
    """
    from jiuye.registry.models import LabourBrand

    brands = []
    for spec in SHANXI_LABOUR_BRANDS:
        brand, _created = LabourBrand.objects.get_or_create(
            name=spec.name,
            defaults={
                "region_code": spec.region_code,
                "occupation_code": spec.occupation_code,
                "description": spec.description,
            },
        )
        brands.append(brand)
    return brands

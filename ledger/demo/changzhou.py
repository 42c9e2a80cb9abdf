"""The Changzhou Water Conservancy Bureau (常州市水利局) as the demo records it: its divisions and
units, who holds each role, its inspection items with their legal bases, the city's districts and
towns, the kinds of targets each division supervises, and the words synthetic names are made of.

Plain data: ``bureau.py`` builds the registry from it, drawing from a seeded random generator.
"""

from __future__ import annotations

from typing import Any

OFFICE = "bgs"
ADMIN = "bgs-admin"
AGGREGATOR = "szc-aggregator"
SOURCE = "demo: Changzhou water bureau registry (synthetic)"

DIVISIONS = [  # (code, name, kind)
    ("bgs", "办公室", "other_unit"),
    ("jld", "局领导", "other_unit"),
    ("szc", "水政处", "aggregator"),
    ("ggc", "工管处", "business_division"),
    ("hhc", "河湖处", "business_division"),
    ("szyc", "水资源处", "business_division"),
    ("nsc", "农水处", "business_division"),
    ("szjczd", "常州市水政监察支队", "detachment"),
    ("szyfwzx", "常州市水资源服务中心", "service_centre"),
]
BUSINESS = ["szc", "ggc", "hhc", "szyc", "nsc"]  # divisions that own items and targets

ITEMS: list[dict[str, Any]] = [
    {
        "code": "qsxk",
        "name": "取水许可监督检查",
        "law": "《中华人民共和国水法》；《取水许可和水资源费征收管理条例》",
        "article": "水法第四十八条；条例见原文",
        "division": "szc",
        "executing_units": ["szyfwzx", "szjczd"],
        "object_type": "取水单位和个人",
        "checklist": [
            "取水许可证是否在有效期内",
            "是否按批准的取水量和用途取水",
            "取水计量设施是否安装并正常运行",
            "是否按规定缴纳水资源费",
            "是否按时报送年度取水计划和取水总结",
        ],
        "method": ["on_site", "documentary"],
        "item_class": "key",
        "ratio_percent": 10,
        "frequency_per_year": 1,
    },
    {
        "code": "jsyy",
        "name": "计划用水和节约用水监督检查",
        "law": "《中华人民共和国水法》",
        "article": "见原文",
        "division": "szyc",
        "executing_units": ["szyfwzx", "szjczd"],
        "object_type": "计划用水单位",
        "checklist": [
            "是否按下达的用水计划用水",
            "节水设施是否与主体工程同时设计、同时施工、同时投入使用",
            "用水计量和水平衡测试情况",
        ],
        "method": ["on_site", "documentary"],
        "item_class": "general",
        "ratio_percent": 5,
        "frequency_per_year": 1,
    },
    {
        "code": "rhpw",
        "name": "入河排污口设置监督检查",
        "law": "《中华人民共和国水法》",
        "article": "第三十四条",
        "division": "szyc",
        "executing_units": ["szjczd"],
        "object_type": "设置入河排污口的单位",
        "checklist": [
            "排污口设置是否经有管辖权的水行政主管部门同意",
            "排污口位置和排放方式是否与同意文件一致",
            "排污口标志牌设立和监测情况",
        ],
        "method": ["on_site"],
        "item_class": "general",
        "ratio_percent": 10,
        "frequency_per_year": 1,
    },
    {
        "code": "hdjs",
        "name": "河道管理范围内建设项目监督检查",
        "law": "《中华人民共和国防洪法》；《中华人民共和国河道管理条例》",
        "article": "防洪法第二十七条；条例第十一条",
        "division": "ggc",
        "executing_units": ["hhc", "szjczd"],
        "object_type": "河道管理范围内建设项目及其建设单位",
        "checklist": [
            "工程建设方案是否经河道主管机关审查同意",
            "是否按批准的位置和界限施工",
            "施工期度汛措施落实情况",
            "完工后施工围堰等阻水物是否清除",
        ],
        "method": ["on_site", "documentary"],
        "item_class": "key",
        "ratio_percent": 20,
        "frequency_per_year": 1,
    },
    {
        "code": "fhyx",
        "name": "非防洪建设项目洪水影响评价落实情况监督检查",
        "law": "《中华人民共和国防洪法》",
        "article": "见原文",
        "division": "ggc",
        "executing_units": ["szjczd"],
        "object_type": "洪泛区、蓄滞洪区内的非防洪建设项目",
        "checklist": ["洪水影响评价报告是否经批准", "防洪补救措施是否落实"],
        "method": ["on_site", "documentary"],
        "item_class": "general",
        "ratio_percent": 5,
        "frequency_per_year": 1,
    },
    {
        "code": "sgzl",
        "name": "水利工程建设质量与安全监督检查",
        "law": "《建设工程质量管理条例》；《水利工程质量管理规定》",
        "article": "见原文",
        "division": "ggc",
        "executing_units": ["szjczd"],
        "object_type": "在建水利工程项目",
        "checklist": [
            "质量监督手续是否办理",
            "参建单位质量和安全管理体系是否健全",
            "施工现场安全措施落实情况",
        ],
        "method": ["on_site", "documentary"],
        "item_class": "general",
        "ratio_percent": 10,
        "frequency_per_year": 1,
    },
    {
        "code": "hdcs",
        "name": "河道采砂监督检查",
        "law": "《中华人民共和国河道管理条例》",
        "article": "第二十五条",
        "division": "hhc",
        "executing_units": ["szjczd"],
        "object_type": "河道采砂单位和个人",
        "checklist": [
            "是否持有有效的河道采砂许可证",
            "是否按许可的范围、时间、深度和作业方式采砂",
            "采砂船舶和机具是否登记",
        ],
        "method": ["on_site"],
        "item_class": "key",
        "ratio_percent": 20,
        "frequency_per_year": 2,
    },
    {
        "code": "stbc",
        "name": "生产建设项目水土保持方案实施情况监督检查",
        "law": "《中华人民共和国水土保持法》",
        "article": "第四十三条",
        "division": "nsc",
        "executing_units": ["szjczd"],
        "object_type": "生产建设项目及其建设单位",
        "checklist": [
            "水土保持方案是否经批准",
            "水土保持措施是否与主体工程同时实施",
            "水土保持补偿费缴纳情况",
            "水土保持设施验收情况",
        ],
        "method": ["on_site", "documentary"],
        "item_class": "general",
        "ratio_percent": 5,
        "frequency_per_year": 1,
    },
]

# Who holds each role: (code, division, roles). Names are drawn from the seed.
OFFICIALS: list[tuple[str, str, list[str]]] = [
    (ADMIN, "bgs", ["admin"]),
    ("bgs-auditor", "bgs", ["auditor"]),
    ("jld-leader-1", "jld", ["leader_in_charge"]),
    ("jld-leader-2", "jld", ["leader_in_charge"]),
    (AGGREGATOR, "szc", ["plan_aggregator"]),
    ("szc-legal", "szc", ["legal_office"]),
    *[(f"{d}-clerk", d, ["clerk"]) for d in BUSINESS],
    *[(f"{d}-head", d, ["division_head"]) for d in BUSINESS],
    ("szjczd-inspector", "szjczd", ["inspector"]),
]


def inspector_official(code: str, unit: str) -> str:
    """The code of the official account of roster inspector ``code`` of ``unit``: never the
    inspector's own code (official and inspector codes never coincide); the admin binds the
    two by ``official.bound_to_inspector``."""
    return f"{unit}-{code}"


# Which divisions' plans each leader in charge reviews (the policy's [leaders], 分管).
LEADERS: dict[str, list[str]] = {"jld-leader-1": BUSINESS[:3], "jld-leader-2": BUSINESS[3:]}

# Where targets lie: region code of the credit code → (district, towns and streets).
DISTRICTS: dict[str, tuple[str, list[str]]] = {
    "320402": ("天宁区", ["青龙街道", "红梅街道", "雕庄街道", "茶山街道", "兰陵街道", "天宁街道"]),
    "320404": (
        "钟楼区",
        ["南大街街道", "荷花池街道", "五星街道", "永红街道", "北港街道", "邹区镇"],
    ),
    "320411": (
        "新北区",
        ["河海街道", "三井街道", "龙虎塘街道", "春江镇", "孟河镇", "薛家镇", "罗溪镇"],
    ),
    "320412": (
        "武进区",
        ["湖塘镇", "牛塘镇", "洛阳镇", "遥观镇", "横林镇", "雪堰镇", "前黄镇", "礼嘉镇"],
    ),
    "320413": ("金坛区", ["金城镇", "儒林镇", "直溪镇", "朱林镇", "薛埠镇", "指前镇"]),
    "320481": ("溧阳市", ["溧城镇", "埭头镇", "上黄镇", "戴埠镇", "天目湖镇", "别桥镇", "社渚镇"]),
}
TOWNS = dict(DISTRICTS.values())
REGION_WEIGHTS = {
    "320412": 28,
    "320411": 22,
    "320402": 12,
    "320404": 12,
    "320413": 11,
    "320481": 11,
    "320400": 4,  # registered at city level, located in an urban district
}
RIVERS = [
    "京杭运河", "新孟河", "德胜河", "澡港河", "北塘河", "关河", "武南河", "采菱港", "永安河",
    "丹金溧漕河", "太滆运河", "武宜运河", "扁担河", "藻江河", "通济河", "漕桥河",
]  # fmt: skip
ROADS = [
    "工业路", "兴业路", "创业路", "长江路", "通江路", "滨江路", "华山路", "黄河路", "太湖路",
    "东方路", "光明路", "建设路", "振兴路", "人民路", "青洋路", "龙城大道", "常澄路", "武宜路",
]  # fmt: skip
SURNAMES = (
    "张王李赵陈刘杨黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢钱汤恽"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚华建国峰鹏辉晨宇婷雪琳浩俊斌凯"
    "红文亮志新海波燕春永德荣玉兰"
)
WORDS = "鑫源泰华盛丰润达通恒博科金宇嘉瑞新宏兴隆安信德汇诚力"

# Target profiles: (division, items, share of targets, kinds with weights, industries).
PROFILES: list[tuple[str, list[str], float, dict[str, int], list[str]]] = [
    ("szc", ["qsxk"], 0.36, {"enterprise": 86, "public_body": 14},
     ["化工", "印染", "纺织", "热电", "食品", "酿造", "造纸", "制药", "建材", "电镀"]),
    ("szyc", ["jsyy"], 0.16, {"enterprise": 90, "public_body": 10},
     ["电子", "机械", "新材料", "汽车零部件", "精密制造", "酒店管理", "食品"]),
    ("szyc", ["jsyy", "rhpw"], 0.05, {"enterprise": 100}, ["印染", "化工", "电镀"]),
    ("szyc", ["rhpw"], 0.04, {"enterprise": 80, "public_body": 20}, ["污水处理", "水务"]),
    ("ggc", ["hdjs"], 0.13, {"project": 60, "enterprise": 40}, ["港务", "物流", "码头"]),
    ("ggc", ["fhyx"], 0.04, {"project": 100}, []),
    ("ggc", ["sgzl"], 0.06, {"project": 100}, []),
    ("hhc", ["hdcs"], 0.04, {"enterprise": 100}, ["航道疏浚", "砂石", "港务"]),
    ("nsc", ["stbc"], 0.12, {"project": 70, "enterprise": 30},
     ["房地产开发", "建设发展", "新能源", "置业", "矿业"]),
]  # fmt: skip
PROJECTS = {
    "hdjs": ("常水许可", ["跨{river}桥梁工程", "{river}码头工程", "穿{river}管道工程",
                       "{river}取排水口工程", "{road}临河道路工程"]),
    "fhyx": ("常水许可", ["{town}物流园建设项目", "{town}厂区扩建项目", "{road}片区开发项目"]),
    "sgzl": ("常水建", ["{river}河道整治工程", "{river}堤防加固工程", "{town}泵站改造工程",
                     "{town}水闸除险加固工程"]),
    "stbc": ("常水保", ["{town}工业园区开发项目", "{road}拓宽改造工程", "{town}光伏电站项目",
                     "{town}房地产开发项目"]),
}  # fmt: skip
STATUS_CHANGES = [  # (status, reason, source)
    ("deregistered", "企业已办理注销登记", "国家企业信用信息公示系统"),
    ("closed", "已停产关闭", "属地网格巡查"),
    ("revoked", "营业执照被吊销", "市场监管部门通报"),
    ("moved", "已迁出常州市", "市场监管部门迁移登记"),
]
CONFLICT_REASONS = [
    "配偶在该单位任职",
    "曾在该单位任职，离职未满三年",
    "与该单位负责人系近亲属",
    "近亲属持有该单位股份",
]
INSPECTOR_MOVES = [  # (status, reason)
    ("transferred", "调离执法岗位"),
    ("transferred", "调任其他单位"),
    ("transferred", "轮岗至非执法岗位"),
    ("suspended", "暂停执法资格：执法证件年度审验未通过"),
    ("suspended", "暂停执法资格：接受调查期间"),
    ("retired", "退休"),
]

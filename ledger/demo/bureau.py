"""A realistic demo registry for the Changzhou Water Conservancy Bureau (常州市水利局).

It follows the bureau's 2018 notice on "double random" inspections: the divisions and units the
notice names (水政处 as aggregator, 工管处, 河湖处, 市水政监察支队, 水资源服务中心) plus two
business divisions of the kind it calls "其他业务处室" (水资源处, 农水处: illustrative); officials
in every role; real water items with their legal bases (an article is given only where it is
certain, otherwise "见原文", see the law); targets with valid unified social credit codes across
the city's districts; an inspector roster with qualifications, moves and declared conflicts; and
the item list published by the aggregator.

Every entry is recorded through ``Registry`` commands acting as the official whose role permits
it, so the authority rules (谁审批谁监管) run exactly as in use. The ledger's operator acts only to
create the first division and the admin. Enterprise names, people and codes are synthetic.

The content is a function of ``seed`` and the year of ``today`` (permits and certificates are dated
relative to it, so that the demo stays valid): the same arguments give the same registry.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from verify.uscc import check_character

from ..application import LedgerApp
from ..errors import Conflict, NotFound
from ..registry.divisions import Division, division_id
from ..registry.service import Registry
from ..registry.targets import target_id
from .results import DemoResults, record_results
from .year import DemoYear, record_year

Progress = Callable[[str, int, int], None]

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


@dataclass(frozen=True)
class DemoSummary:
    divisions: int
    officials: int
    items: int
    targets: int
    individuals: int
    projects: int
    status_changes: int
    corrections: int
    inspectors: int
    inspector_moves: int
    conflicts: int
    item_list_number: int
    item_list_digest: str
    admin: str
    admin_token: str
    ledger_size: int
    year: DemoYear | None = None  # the plans and draws of 2026, when asked for
    results: DemoResults | None = None  # their inspections, results and publications


def build_demo(
    app: LedgerApp,
    *,
    targets: int = 2000,
    inspectors: int = 60,
    seed: int = 2018,
    progress: Progress | None = None,
    today: date | None = None,
    plans_and_draws: bool = False,
) -> DemoSummary:
    """Record the demo registry in ``app``; Conflict if the ledger holds it already.

    With ``plans_and_draws``, also a year (2026) of plans and draws (``demo_year.py``), whose
    ids are in the summary's ``year``, carried through inspections, results and publications
    (``demo_results.py``, in the summary's ``results``).
    """
    try:
        app.get(division_id(OFFICE), Division)
    except NotFound:
        pass
    else:
        raise Conflict(
            "this ledger holds the demo registry already (division 'bgs' exists): "
            "build the demo in a new data directory"
        )
    today = today or datetime.now(UTC).date()
    builder = _Builder(Registry(app), random.Random(seed), today, progress)
    summary = builder.build(targets, inspectors)
    if not plans_and_draws:
        return summary
    year = record_year(app, seed)
    results = record_results(app, year)
    size = app.recorder.max_notification_id() or 0
    return replace(summary, year=year, results=results, ledger_size=size)


class _Builder:
    def __init__(
        self, registry: Registry, rng: random.Random, today: date, progress: Progress | None
    ) -> None:
        self.registry = registry
        self.rng = rng
        self.today = today
        self.progress = progress or (lambda stage, done, total: None)
        self.codes: set[str] = set()
        self.names: set[str] = set()
        self.serial = 0

    def build(self, n_targets: int, n_inspectors: int) -> DemoSummary:
        registry = self.registry
        self.progress("divisions and officials", 0, 1)
        # (1) The ledger's operator creates the office and its admin; the admin does the rest.
        registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
        registry.register_official(self._official(*OFFICIALS[0]), by=None)
        for code, name, kind in DIVISIONS[1:]:
            registry.add_division({"code": code, "name": name, "kind": kind}, by=ADMIN)
        for official in OFFICIALS[1:]:
            registry.register_official(self._official(*official), by=ADMIN)
        for division in BUSINESS:
            registry.name_contact(division, f"{division}-clerk", "处室工作联系人", by=ADMIN)
        self.progress("divisions and officials", 1, 1)

        # (2) Each division's clerk lists its own items (谁审批谁监管).
        for item in ITEMS:
            registry.register_item(item, by=f"{item['division']}-clerk")
        self.progress("items", len(ITEMS), len(ITEMS))

        # (3) Each division's clerk imports its own targets; then some change status or are
        # corrected, each as a new event with its reason and source.
        rows = self._targets(n_targets)
        done = 0
        for division in BUSINESS:
            own = [r for r in rows if r["division"] == division]

            def report(n: int, total: int, base: int = done) -> None:
                if base + n < len(rows):
                    self.progress("targets", base + n, len(rows))

            result = registry.import_targets(own, f"{division}-clerk", SOURCE, progress=report)
            if result.problems:
                raise Conflict(f"demo targets refused: {result.problems[:3]}")
            done += len(own)
        self.progress("targets", len(rows), len(rows))
        ids = [self._target_id(r) for r in rows]
        status_changes = self._status_changes(rows, ids)
        corrections = self._corrections(rows, ids)

        # (4) The aggregator keeps the whole roster (水政处负责完成全局执法人员库录入工作).
        roster = self._inspectors(n_inspectors)
        result = registry.import_inspectors(roster, AGGREGATOR, today=self.today)
        if result.problems:
            raise Conflict(f"demo inspectors refused: {result.problems[:3]}")
        self.progress("inspectors", len(roster), len(roster))
        moves = self._inspector_moves(roster)
        conflicts = self._conflicts(roster, rows, ids)

        # (5) The aggregator publishes the consolidated item list; the admin takes a token.
        number, digest = registry.publish_item_list(by=AGGREGATOR)
        token = registry.issue_token(ADMIN, by=ADMIN)
        self.progress("published", 1, 1)
        return DemoSummary(
            divisions=len(DIVISIONS),
            officials=len(OFFICIALS),
            items=len(ITEMS),
            targets=len(rows),
            individuals=sum(r["kind"] == "individual" for r in rows),
            projects=sum(r["kind"] == "project" for r in rows),
            status_changes=status_changes,
            corrections=corrections,
            inspectors=len(roster),
            inspector_moves=moves,
            conflicts=conflicts,
            item_list_number=number,
            item_list_digest=digest,
            admin=ADMIN,
            admin_token=token,
            ledger_size=registry.app.recorder.max_notification_id() or 0,
        )

    # -- people ---------------------------------------------------------------------------------

    def _person(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _official(self, code: str, division: str, roles: list[str]) -> dict[str, Any]:
        return {"code": code, "name": self._person(), "division": division, "roles": roles}

    # -- targets --------------------------------------------------------------------------------

    def _targets(self, n: int) -> list[dict[str, Any]]:
        counts = [round(share * n) for _, _, share, _, _ in PROFILES]
        counts[0] += n - sum(counts)
        rows = []
        for (division, items, _, kinds, industries), count in zip(PROFILES, counts, strict=True):
            for _ in range(count):
                kind = self.rng.choices(list(kinds), weights=list(kinds.values()))[0]
                rows.append(self._target(kind, division, items, industries))
        # A handful of individuals: sand dredgers and a well owner (their data stays off the log).
        for number in range(max(1, n // 400)):
            division, items = (("hhc", ["hdcs"]), ("szc", ["qsxk"]))[number % 2]
            rows[-1 - number] = self._individual(number + 1, division, items)
        return rows

    def _place(self) -> tuple[str, str, str]:
        region = self.rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()))[0]
        located = region if region != "320400" else self.rng.choice(["320402", "320404", "320411"])
        district, towns = DISTRICTS[located]
        return region, district, self.rng.choice(towns)

    def _common(self, division: str, items: list[str], district: str, town: str) -> dict[str, Any]:
        credit = self.rng.choices("ABCD", weights=(55, 30, 10, 5))[0]
        flags: list[str] = []
        if credit in "CD" and self.rng.random() < 0.6:
            flags = self.rng.sample(
                [
                    "complaints",
                    "major_hazard",
                    "abnormal_operation",
                    "dishonest",
                    "past_violations",
                ],
                self.rng.choice((1, 2)),
            )
        elif self.rng.random() < 0.04:
            flags = ["complaints"]
        return {
            "district": district,
            "grid": f"{district}{town}第{self.rng.randint(1, 6)}网格",
            "division": division,
            "items": items,
            "credit_class": credit,
            "risk_flags": flags,
        }

    def _address(self, district: str, town: str) -> str:
        city = "常州市" if district.endswith("区") else "江苏省"
        return f"{city}{district}{town}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号"

    def _target(
        self, kind: str, division: str, items: list[str], industries: list[str]
    ) -> dict[str, Any]:
        region, district, town = self._place()
        row = self._common(division, items, district, town)
        if kind == "project":
            prefix, patterns = PROJECTS[items[0]]
            permit = self._permit(prefix + "〔{year}〕{serial}号", years=3)
            code = permit["permit_number"]
            name = self.rng.choice(patterns).format(
                river=self.rng.choice(RIVERS), road=self.rng.choice(ROADS), town=town
            )
            row.update(
                kind="project",
                code=code,
                name=self._unique(f"{district}{name}"),
                legal_representative=self._person(),
                address=f"{district}{town}",
                **permit,
            )
            return row
        public = kind == "public_body"
        if public:
            name = f"{district}{town}" + self.rng.choice(
                ["自来水厂", "污水处理厂", "卫生院", "中心小学"]
            )
        else:
            words = "".join(self.rng.sample(WORDS, 2))
            lead = self.rng.choice(["常州", "常州市", "江苏", district[:2]])
            suffix = self.rng.choice(["有限公司", "有限公司", "股份有限公司", "有限责任公司"])
            name = f"{lead}{words}{self.rng.choice(industries)}{suffix}"
        row.update(
            kind=kind,
            code=self._credit_code("12" if public else "91", region),
            name=self._unique(name),
            legal_representative=self._person(),
            address=self._address(district, town),
        )
        if items[0] == "qsxk":
            row.update(self._permit("取水(常)字[{year}]第{serial:05d}号", years=5))
        elif items[0] == "hdcs":
            row.update(self._permit("常采〔{year}〕{serial}号", years=1))
        elif items[0] in PROJECTS:
            row.update(self._permit(PROJECTS[items[0]][0] + "〔{year}〕{serial}号", years=3))
        return row

    def _individual(self, number: int, division: str, items: list[str]) -> dict[str, Any]:
        region, district, town = self._place()
        row = self._common(division, items, district, town)
        # An obviously synthetic identity number: the demo must never resemble a real person.
        row.update(kind="individual", code=f"DEMO{region}{number:06d}", name=self._person())
        permit = "常采" if items[0] == "hdcs" else "取水(常)字"
        row.update(self._permit(permit + "〔{year}〕个{serial}号", years=1))
        return row

    def _permit(self, pattern: str, *, years: int) -> dict[str, Any]:
        """A permit issued up to its validity (plus a quarter: a few have lapsed) ago."""
        start = self.today - timedelta(days=self.rng.randint(1, 365 * years + 90))
        leap_day = (start.month, start.day) == (2, 29)
        until = start.replace(year=start.year + years, day=28 if leap_day else start.day)
        until -= timedelta(days=1)
        return {
            "permit_number": pattern.format(year=start.year, serial=self._next()),
            "permit_valid_from": start.isoformat(),
            "permit_valid_until": until.isoformat(),
        }

    def _credit_code(self, head: str, region: str) -> str:
        """A valid GB 32100 code whose organisation-code part passes GB 11714 too."""
        while True:
            if head == "91" and self.rng.random() < 0.6:  # registered since 2015: 'MA' codes
                body = "MA" + "".join(self.rng.choice(_ORG_SAFE) for _ in range(6))
            else:
                body = "".join(self.rng.choice("0123456789") for _ in range(8))
            first17 = f"{head}{region}{body}{_organisation_check(body)}"
            code = first17 + check_character(first17)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{name}（{n}）"
        self.names.add(candidate)
        return candidate

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _target_id(self, row: dict[str, Any]) -> UUID:
        code = str(row["code"])
        if row["kind"] == "individual":  # the log knows a person only by a reference
            code = self.registry.people.reference(code)
        return target_id(row["kind"], code)

    def _status_changes(self, rows: list[dict[str, Any]], ids: list[UUID]) -> int:
        chosen = self._sample(rows, "enterprise", max(1, len(rows) // 40))
        for index in chosen:
            status, reason, source = self.rng.choice(STATUS_CHANGES)
            clerk = f"{rows[index]['division']}-clerk"
            self.registry.change_target_status(ids[index], status, reason, source, by=clerk)
        return len(chosen)

    def _corrections(self, rows: list[dict[str, Any]], ids: list[UUID]) -> int:
        chosen = self._sample(rows, "enterprise", max(1, len(rows) // 100))
        for n, index in enumerate(chosen):
            row = rows[index]
            head = f"{row['division']}-head"
            changes: dict[str, Any]
            if n % 2:
                town = self.rng.choice(TOWNS[row["district"]])
                changes = {"address": self._address(row["district"], town)}
                reason, source = "住所变更", "营业执照"
            else:
                flags = sorted({*row["risk_flags"], "past_violations"})
                # One class down from the current one, so the correction always changes it.
                lower = {"A": "B", "B": "C", "C": "D", "D": "C"}[row["credit_class"]]
                changes = {"credit_class": lower, "risk_flags": flags}
                reason, source = "有违法违规记录，信用等级调整", "信用常州"
            self.registry.update_target(ids[index], changes, reason, source, by=head)
            row.update(changes)
        return len(chosen)

    def _sample(self, rows: list[dict[str, Any]], kind: str, k: int) -> list[int]:
        # Never the individuals kept for the end; status changes and corrections do not overlap.
        pool = [i for i, r in enumerate(rows) if r["kind"] == kind and not r.get("_touched")]
        chosen = sorted(self.rng.sample(pool, min(k, len(pool))))
        for i in chosen:
            rows[i]["_touched"] = True
        return chosen

    # -- inspectors -----------------------------------------------------------------------------

    def _inspectors(self, n: int) -> list[dict[str, Any]]:
        roster = []
        for number in range(1, n + 1):
            draw = self.rng.random()
            division = self.rng.choice(BUSINESS)
            if draw < 0.45:
                unit, agency = "szjczd", False
            elif draw < 0.6:
                unit, agency, division = "szyfwzx", False, self.rng.choice(["szc", "szyc"])
            else:
                unit, agency = division, True
            own = [i["code"] for i in ITEMS if i["division"] == division]
            others = [i["code"] for i in ITEMS if i["division"] != division]
            extra = self.rng.sample(others, self.rng.randint(0, 2)) if unit == "szjczd" else []
            until = date(self.today.year + self.rng.randint(1, 5), 12, 31)
            roster.append(
                {
                    "code": f"insp-{number:03d}",
                    "name": self._person(),
                    "certificate_number": f"苏执-3204-{10000 + number:05d}",
                    "certificate_valid_until": until.isoformat(),
                    "unit": unit,
                    "division": division,
                    "agency_staff": agency,
                    "qualifications": sorted(own + extra),
                }
            )
        return roster

    def _inspector_moves(self, roster: list[dict[str, Any]]) -> int:
        k = min(len(INSPECTOR_MOVES), max(1, len(roster) // 10))
        chosen = self.rng.sample(range(len(roster)), k)
        for index, (status, reason) in zip(chosen, INSPECTOR_MOVES, strict=False):
            roster[index]["status"] = status
            self.registry.update_inspector(
                roster[index]["code"], {"status": status}, reason, by=AGGREGATOR
            )
        return k

    def _conflicts(
        self, roster: list[dict[str, Any]], rows: list[dict[str, Any]], ids: list[UUID]
    ) -> int:
        on_duty = [i for i in roster if i.get("status", "on_duty") == "on_duty"]
        chosen = self.rng.sample(on_duty, min(len(on_duty), max(1, len(roster) // 15)))
        for inspector in chosen:
            own = [n for n, r in enumerate(rows) if r["division"] == inspector["division"]]
            target = ids[self.rng.choice(own)]
            reason = self.rng.choice(CONFLICT_REASONS)
            self.registry.declare_conflict(inspector["code"], target, reason, by=AGGREGATOR)
        return len(chosen)


_ORG_SAFE = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # both GB 11714 and GB 32100 accept these
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _organisation_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


__all__ = ["DemoSummary", "build_demo"]

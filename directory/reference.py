"""Seed reference data, loaded by `manage.py load_reference`: real public institutions only.

Sources: the domain research notes, §6 (organizations, carriers) and §2.3 + §6.7 (sectors). Natural keys: an
organization's abbreviation (else its Simplified name), a carrier's chain of names, a sector's code. Where the
research gives no verified Chinese name (four InnoHK centres, two tech-transfer offices) the English name
stands in and the Chinese fields stay empty until someone checks the official name: inventing one is worse.
"""

from __future__ import annotations

from directory.models import Carrier, Organization, Region, Sector

K = Organization.Kind
HK, CN = Region.HONG_KONG, Region.MAINLAND

# Listed parents first: "parent" names an earlier entry by its natural key.
ORGANIZATIONS: list[dict] = [
    # §6.1 Universities: the eight UGC-funded ones plus HKMU.
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "HKU",
        "name": "香港大学",
        "name_zh_hant": "香港大學",
        "name_en": "The University of Hong Kong",
        "aliases": ["港大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "CUHK",
        "name": "香港中文大学",
        "name_zh_hant": "香港中文大學",
        "name_en": "The Chinese University of Hong Kong",
        "aliases": ["中大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "HKUST",
        "name": "香港科技大学",
        "name_zh_hant": "香港科技大學",
        "name_en": "The Hong Kong University of Science and Technology",
        "aliases": ["港科大", "科大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "PolyU",
        "name": "香港理工大学",
        "name_zh_hant": "香港理工大學",
        "name_en": "The Hong Kong Polytechnic University",
        "aliases": ["理大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "CityU",
        "name": "香港城市大学",
        "name_zh_hant": "香港城市大學",
        "name_en": "City University of Hong Kong",
        "aliases": ["CityUHK", "城大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "HKBU",
        "name": "香港浸会大学",
        "name_zh_hant": "香港浸會大學",
        "name_en": "Hong Kong Baptist University",
        "aliases": ["浸大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "LingU",
        "name": "岭南大学",
        "name_zh_hant": "嶺南大學",
        "name_en": "Lingnan University",
        "aliases": ["LU", "嶺大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "EdUHK",
        "name": "香港教育大学",
        "name_zh_hant": "香港教育大學",
        "name_en": "The Education University of Hong Kong",
        "aliases": ["教大"],
    },
    {
        "kind": K.UNIVERSITY,
        "abbreviation": "HKMU",
        "name": "香港都会大学",
        "name_zh_hant": "香港都會大學",
        "name_en": "Hong Kong Metropolitan University",
        "aliases": ["都大"],
    },
    # §6.2 InnoHK centres verified in the research, and the CAS institute CAIR belongs to.
    {
        "kind": K.RESEARCH_INSTITUTE,
        "abbreviation": "HKISI",
        "name": "中国科学院香港创新研究院",
        "name_zh_hant": "中國科學院香港創新研究院",
        "name_en": "Hong Kong Institute of Science & Innovation, Chinese Academy of Sciences",
        "aliases": ["中科院香港创新研究院"],
    },
    {
        "kind": K.INNOHK_CENTRE,
        "abbreviation": "CPII",
        "name": "博智感知交互研究中心",
        "name_zh_hant": "博智感知交互研究中心",
        "name_en": "Centre for Perceptual and Interactive Intelligence",
        "parent": "CUHK",
    },
    {
        "kind": K.INNOHK_CENTRE,
        "abbreviation": "COI",
        "name": "Centre for Oncology and Immunology",
        "name_en": "Centre for Oncology and Immunology",
        "parent": "HKU",
    },
    {
        "kind": K.INNOHK_CENTRE,
        "abbreviation": "AiDLab",
        "name": "Laboratory for Artificial Intelligence in Design",
        "name_en": "Laboratory for Artificial Intelligence in Design",
        "parent": "PolyU",
    },
    {
        "kind": K.INNOHK_CENTRE,
        "abbreviation": "CAiRS",
        "name": "Centre for Advances in Reliability and Safety",
        "name_en": "Centre for Advances in Reliability and Safety",
        "parent": "PolyU",
    },
    {
        "kind": K.INNOHK_CENTRE,
        "abbreviation": "CEVR",
        "name": "Centre for Eye and Vision Research",
        "name_en": "Centre for Eye and Vision Research",
        "parent": "PolyU",
    },
    {
        "kind": K.INNOHK_CENTRE,
        "abbreviation": "CAIR",
        "name": "中国科学院香港创新研究院人工智能与机器人创新中心",
        "name_zh_hant": "中國科學院香港創新研究院人工智能與機器人創新中心",
        "name_en": (
            "Centre for Artificial Intelligence and Robotics, Hong Kong Institute of Science & Innovation, "
            "Chinese Academy of Sciences"
        ),
        "parent": "HKISI",
    },
    # §6.3 Government bodies and public platforms.
    {
        "kind": K.PUBLIC_PLATFORM,
        "abbreviation": "HKSTP",
        "name": "香港科技园公司",
        "name_zh_hant": "香港科技園公司",
        "name_en": "Hong Kong Science and Technology Parks Corporation",
        "aliases": ["香港科学园", "香港科學園", "Hong Kong Science Park"],
    },
    {
        # In Futian, Shenzhen: the region says where it is.
        "kind": K.PUBLIC_PLATFORM,
        "region": CN,
        "name": "香港科学园深圳分园",
        "name_zh_hant": "香港科學園深圳分園",
        "name_en": "HKSTP Shenzhen Branch",
        "parent": "HKSTP",
    },
    {
        "kind": K.PUBLIC_PLATFORM,
        "name": "数码港",
        "name_zh_hant": "數碼港",
        "name_en": "Cyberport",
    },
    {
        "kind": K.PUBLIC_PLATFORM,
        "abbreviation": "HKPC",
        "name": "香港生产力促进局",
        "name_zh_hant": "香港生產力促進局",
        "name_en": "Hong Kong Productivity Council",
    },
    {
        "kind": K.RESEARCH_INSTITUTE,
        "abbreviation": "ASTRI",
        "name": "香港应用科技研究院",
        "name_zh_hant": "香港應用科技研究院",
        "name_en": "Hong Kong Applied Science and Technology Research Institute",
        "aliases": ["应科院"],
    },
    {
        "kind": K.GOVERNMENT,
        "abbreviation": "ITC",
        "name": "创新科技署",
        "name_zh_hant": "創新科技署",
        "name_en": "Innovation and Technology Commission",
    },
    {
        "kind": K.GOVERNMENT,
        "abbreviation": "ITIB",
        "name": "创新科技及工业局",
        "name_zh_hant": "創新科技及工業局",
        "name_en": "Innovation, Technology and Industry Bureau",
    },
    {
        "kind": K.GOVERNMENT,
        "abbreviation": "OASES",
        "name": "引进重点企业办公室",
        "name_zh_hant": "引進重點企業辦公室",
        "name_en": "Office for Attracting Strategic Enterprises",
    },
    {
        "kind": K.GOVERNMENT,
        "abbreviation": "InvestHK",
        "name": "投资推广署",
        "name_zh_hant": "投資推廣署",
        "name_en": "Invest Hong Kong",
    },
    {
        "kind": K.PUBLIC_PLATFORM,
        "abbreviation": "HKTDC",
        "name": "香港贸易发展局",
        "name_zh_hant": "香港貿易發展局",
        "name_en": "Hong Kong Trade Development Council",
    },
    {
        "kind": K.GOVERNMENT,
        "abbreviation": "PCPD",
        "name": "个人资料私隐专员公署",
        "name_zh_hant": "個人資料私隱專員公署",
        "name_en": "Office of the Privacy Commissioner for Personal Data",
    },
    {
        "kind": K.GOVERNMENT,
        "abbreviation": "UGC",
        "name": "大学教育资助委员会",
        "name_zh_hant": "大學教育資助委員會",
        "name_en": "University Grants Committee",
        "aliases": ["教资会"],
    },
    # §6.4 Competing locations.
    {
        "kind": K.COMPETING_LOCATION,
        "region": CN,
        "name": "河套深港科技创新合作区",
        "name_zh_hant": "河套深港科技創新合作區",
        "name_en": "Hetao Shenzhen–Hong Kong Science and Technology Innovation Cooperation Zone",
    },
    {
        # The zone's Hong Kong park lies on the Hong Kong side of the river: its region is HK.
        "kind": K.COMPETING_LOCATION,
        "region": HK,
        "name": "港深创新及科技园",
        "name_zh_hant": "港深創新及科技園",
        "name_en": "Hong Kong-Shenzhen Innovation and Technology Park",
        "aliases": ["河套香港园区", "Hong Kong Park of Hetao"],
        "parent": "河套深港科技创新合作区",
    },
    {
        "kind": K.COMPETING_LOCATION,
        "region": CN,
        "name": "前海深港现代服务业合作区",
        "name_zh_hant": "前海深港現代服務業合作區",
        "name_en": "Qianhai Shenzhen–Hong Kong Modern Service Industry Cooperation Zone",
    },
    {
        "kind": K.COMPETING_LOCATION,
        "region": CN,
        "name": "香港科技大学深港协同创新研究院",
        "name_zh_hant": "香港科技大學深港協同創新研究院",
        "name_en": "HKUST Shenzhen–Hong Kong Collaborative Innovation Research Institute",
        "parent": "HKUST",
    },
    {
        "kind": K.COMPETING_LOCATION,
        "region": CN,
        "name": "香港理工大学无锡科技创新研究院",
        "name_zh_hant": "香港理工大學無錫科技創新研究院",
        "name_en": "PolyU Wuxi Technology and Innovation Research Institute",
        "parent": "PolyU",
    },
    # §6.6 Associations and channels.
    {
        "kind": K.ASSOCIATION,
        "is_channel": True,
        "name": "香港江苏社团总会",
        "name_zh_hant": "香港江蘇社團總會",
        "name_en": "Hong Kong Federation of Jiangsu Associations",
    },
    {
        "kind": K.ASSOCIATION,
        "is_channel": True,
        "name": "香港苏州商会",
        "name_zh_hant": "香港蘇州商會",
        "name_en": "Suzhou Chamber of Commerce in Hong Kong",
    },
    {
        "kind": K.ASSOCIATION,
        "is_channel": True,
        "name": "香港青年科学家协会",
        "name_zh_hant": "香港青年科學家協會",
        "name_en": "Hong Kong Young Scientists Association",
    },
    {
        "kind": K.UNIVERSITY_UNIT,
        "is_channel": True,
        "abbreviation": "HKU TTO",
        "name": "HKU Technology Transfer Office",
        "name_en": "HKU Technology Transfer Office",
        "parent": "HKU",
    },
    {
        "kind": K.UNIVERSITY_UNIT,
        "is_channel": True,
        "abbreviation": "HKUST OKT",
        "name": "HKUST Office of Knowledge Transfer",
        "name_en": "HKUST Office of Knowledge Transfer",
        "parent": "HKUST",
    },
]

C = Carrier.Kind

# §6.5, as a tree. SINANO sits in the Dushu Lake district, SIBET in the Science & Technology Town.
CARRIERS: list[dict] = [
    {
        "kind": C.DISTRICT,
        "abbreviation": "SIP",
        "name": "苏州工业园区",
        "name_zh_hant": "蘇州工業園區",
        "name_en": "Suzhou Industrial Park",
        "children": [
            {
                "kind": C.SCIENCE_CITY,
                "name": "独墅湖科教创新区",
                "name_zh_hant": "獨墅湖科教創新區",
                "name_en": "Dushu Lake Science and Education Innovation District",
                "children": [
                    {
                        "kind": C.PLATFORM,
                        "abbreviation": "SINANO",
                        "name": "中科院苏州纳米所",
                        "name_zh_hant": "中科院蘇州納米所",
                        "name_en": "Suzhou Institute of Nano-Tech and Nano-Bionics, CAS",
                    },
                ],
            },
            {
                "kind": C.PARK,
                "abbreviation": "BioBAY",
                "name": "苏州生物医药产业园",
                "name_zh_hant": "蘇州生物醫藥產業園",
                "name_en": "Suzhou Biomedical Industrial Park",
            },
            {
                "kind": C.PARK,
                "name": "苏州纳米城",
                "name_zh_hant": "蘇州納米城",
                "name_en": "Nanopolis Suzhou",
            },
            {
                "kind": C.PLATFORM,
                "name": "材料科学姑苏实验室",
                "name_zh_hant": "材料科學姑蘇實驗室",
                "name_en": "Gusu Laboratory of Materials",
            },
            {
                "kind": C.SCIENCE_CITY,
                "name": "阳澄南岸创新城",
                "name_zh_hant": "陽澄南岸創新城",
                "name_en": "Yangcheng Lake South Innovation City",
            },
            {
                "kind": C.SCIENCE_CITY,
                "name": "吴淞湾未来城",
                "name_zh_hant": "吳淞灣未來城",
                "name_en": "Wusong Bay Future City",
            },
        ],
    },
    {
        "kind": C.DISTRICT,
        "abbreviation": "SND",
        "name": "苏州高新区（虎丘区）",
        "name_zh_hant": "蘇州高新區（虎丘區）",
        "name_en": "Suzhou New District (Suzhou Hi-tech Zone, Huqiu District)",
        "children": [
            {
                "kind": C.SCIENCE_CITY,
                "name": "太湖科学城",
                "name_zh_hant": "太湖科學城",
                "name_en": "Taihu Science City",
                "children": [
                    {
                        "kind": C.SCIENCE_CITY,
                        "name": "苏州科技城",
                        "name_zh_hant": "蘇州科技城",
                        "name_en": "Suzhou Science & Technology Town",
                        "children": [
                            {
                                "kind": C.PLATFORM,
                                "abbreviation": "SIBET",
                                "name": "中科院苏州医工所",
                                "name_zh_hant": "中科院蘇州醫工所",
                                "name_en": "Suzhou Institute of Biomedical Engineering and Technology, CAS",
                            },
                        ],
                    },
                ],
            },
            {
                "kind": C.PLATFORM,
                "name": "苏州市集成电路创新中心",
                "name_zh_hant": "蘇州市集成電路創新中心",
                "name_en": "Suzhou IC Innovation Center",
            },
            {
                "kind": C.PARK,
                "name": "太湖光子科技园",
                "name_zh_hant": "太湖光子科技園",
                "name_en": "Taihu Photonics Sci-Tech Park",
            },
            {
                "kind": C.PARK,
                "name": "江苏医疗器械科技产业园",
                "name_zh_hant": "江蘇醫療器械科技產業園",
                "name_en": "Jiangsu Medical Device Sci-Tech Industrial Park",
            },
        ],
    },
    {
        "kind": C.SCIENCE_CITY,
        "name": "吴淞江科创带",
        "name_zh_hant": "吳淞江科創帶",
        "name_en": "Wusong River Sci-Tech Belt",
    },
    {
        # Huagang Bay is where the circle meets the Wusong River belt; a tree allows one parent, the circle.
        "kind": C.SCIENCE_CITY,
        "name": "环太湖科创圈",
        "name_zh_hant": "環太湖科創圈",
        "name_en": "Taihu Lake Sci-Tech Circle",
        "children": [
            {
                "kind": C.PARK,
                "name": "花港湾科创商务区",
                "name_zh_hant": "花港灣科創商務區",
                "name_en": "Huagang Bay Sci-Tech Business District",
            },
        ],
    },
    {
        "kind": C.SCIENCE_CITY,
        "name": "长三角国际研发社区",
        "name_zh_hant": "長三角國際研發社區",
        "name_en": "Yangtze River Delta International R&D Community",
    },
    {
        "kind": C.PLATFORM,
        "name": "苏州香港双中心",
        "name_zh_hant": "蘇州香港雙中心",
        "name_en": "Suzhou–Hong Kong Dual Centres",
    },
]

G = Sector.Group

# §2.3: each first-level sector appears once, in the first list that names it (biomedicine, integrated
# circuits, AI and new energy are both the brief's and Suzhou's; quantum is also a future industry). Second
# level: the §6.7 keywords under the sector they belong to; a keyword that is a first-level sector is not repeated.
SECTORS: list[dict] = [
    {
        "code": "quantum",
        "group": G.BRIEF,
        "name": "量子",
        "name_zh_hant": "量子",
        "name_en": "Quantum",
        "children": [
            {
                "code": "quantum-computing",
                "name": "量子计算",
                "name_zh_hant": "量子計算",
                "name_en": "Quantum computing",
            },
            {
                "code": "quantum-communication",
                "name": "量子通信",
                "name_zh_hant": "量子通信",
                "name_en": "Quantum communication",
            },
        ],
    },
    {
        "code": "biomedicine",
        "group": G.BRIEF,
        "name": "生物医药",
        "name_zh_hant": "生物醫藥",
        "name_en": "Biomedicine",
    },
    {
        "code": "integrated-circuits",
        "group": G.BRIEF,
        "name": "集成电路",
        "name_zh_hant": "集成電路",
        "name_en": "Integrated circuits",
        "children": [
            {
                "code": "ic-design",
                "name": "集成电路设计",
                "name_zh_hant": "集成電路設計",
                "name_en": "IC design",
            },
            {
                "code": "third-gen-semiconductors",
                "name": "第三代半导体（碳化硅、氮化镓）",
                "name_zh_hant": "第三代半導體（碳化矽、氮化鎵）",
                "name_en": "Third-generation semiconductors (SiC, GaN)",
            },
            {"code": "ai-chips", "name": "AI芯片", "name_zh_hant": "AI芯片", "name_en": "AI chips"},
        ],
    },
    {
        "code": "artificial-intelligence",
        "group": G.BRIEF,
        "name": "人工智能",
        "name_zh_hant": "人工智能",
        "name_en": "Artificial intelligence",
        "children": [
            {"code": "large-models", "name": "大模型", "name_zh_hant": "大模型", "name_en": "Large models"},
        ],
    },
    {
        "code": "new-energy",
        "group": G.BRIEF,
        "name": "新能源",
        "name_zh_hant": "新能源",
        "name_en": "New energy",
        "children": [
            {
                "code": "energy-storage",
                "name": "储能与电池",
                "name_zh_hant": "儲能與電池",
                "name_en": "Energy storage and batteries",
            },
            {
                "code": "power-electronics",
                "name": "电力电子",
                "name_zh_hant": "電力電子",
                "name_en": "Power electronics",
            },
        ],
    },
    {
        "code": "industrial-software",
        "group": G.BRIEF,
        "name": "工业软件",
        "name_zh_hant": "工業軟件",
        "name_en": "Industrial software",
        "children": [
            {
                "code": "eda",
                "name": "EDA（电子设计自动化）",
                "name_zh_hant": "EDA（電子設計自動化）",
                "name_en": "Electronic design automation (EDA)",
            },
        ],
    },
    # Suzhou's four pillars (biomedicine is above).
    {
        "code": "electronic-information",
        "group": G.PILLAR,
        "name": "电子信息",
        "name_zh_hant": "電子信息",
        "name_en": "Electronic information",
    },
    {
        "code": "equipment-manufacturing",
        "group": G.PILLAR,
        "name": "装备制造",
        "name_zh_hant": "裝備製造",
        "name_en": "Equipment manufacturing",
    },
    {
        "code": "advanced-materials",
        "group": G.PILLAR,
        "name": "先进材料",
        "name_zh_hant": "先進材料",
        "name_en": "Advanced materials",
    },
    # Strategic emerging industries (IC, AI and new energy are above).
    {
        "code": "photonics",
        "group": G.EMERGING,
        "name": "光子",
        "name_zh_hant": "光子",
        "name_en": "Photonics",
    },
    {
        "code": "innovative-drugs",
        "group": G.EMERGING,
        "name": "创新药物",
        "name_zh_hant": "創新藥物",
        "name_en": "Innovative drugs",
        "children": [
            {
                "code": "antibodies",
                "name": "抗体药物",
                "name_zh_hant": "抗體藥物",
                "name_en": "Antibody drugs",
            },
        ],
    },
    {
        "code": "nano-materials",
        "group": G.EMERGING,
        "name": "纳米新材料",
        "name_zh_hant": "納米新材料",
        "name_en": "Nano-materials",
    },
    # Eight future industries (quantum technology is above).
    {
        "code": "frontier-materials",
        "group": G.FUTURE,
        "name": "前沿新材料",
        "name_zh_hant": "前沿新材料",
        "name_en": "Frontier materials",
    },
    {
        "code": "photonic-chips",
        "group": G.FUTURE,
        "name": "光子芯片与光器件",
        "name_zh_hant": "光子芯片與光器件",
        "name_en": "Photonic chips and devices",
    },
    {
        "code": "metaverse",
        "group": G.FUTURE,
        "name": "元宇宙",
        "name_zh_hant": "元宇宙",
        "name_en": "Metaverse",
    },
    {
        "code": "hydrogen",
        "group": G.FUTURE,
        "name": "氢能",
        "name_zh_hant": "氫能",
        "name_en": "Hydrogen energy",
    },
    {
        "code": "digital-finance",
        "group": G.FUTURE,
        "name": "数字金融",
        "name_zh_hant": "數字金融",
        "name_en": "Digital finance",
    },
    {
        "code": "cell-gene-therapy",
        "group": G.FUTURE,
        "name": "细胞和基因诊疗",
        "name_zh_hant": "細胞和基因診療",
        "name_en": "Cell and gene therapy",
    },
    {
        "code": "aerospace",
        "group": G.FUTURE,
        "name": "空天开发",
        "name_zh_hant": "空天開發",
        "name_en": "Aerospace",
    },
    # Additions of the 15th Five-Year Plan proposal.
    {
        "code": "embodied-ai-robots",
        "group": G.PLAN15,
        "name": "具身智能机器人",
        "name_zh_hant": "具身智能機器人",
        "name_en": "Embodied-AI robots",
        "children": [
            {
                "code": "logistics-robotics",
                "name": "物流机器人",
                "name_zh_hant": "物流機器人",
                "name_en": "Logistics robotics",
            },
        ],
    },
    {
        "code": "low-altitude-economy",
        "group": G.PLAN15,
        "name": "低空经济",
        "name_zh_hant": "低空經濟",
        "name_en": "Low-altitude economy",
        "children": [
            {"code": "drones", "name": "无人机", "name_zh_hant": "無人機", "name_en": "Drones"},
        ],
    },
    {
        "code": "connected-nev",
        "group": G.PLAN15,
        "name": "智能网联新能源汽车",
        "name_zh_hant": "智能網聯新能源汽車",
        "name_en": "Intelligent connected new-energy vehicles",
    },
    {
        "code": "high-end-medical-devices",
        "group": G.PLAN15,
        "name": "高端医疗器械",
        "name_zh_hant": "高端醫療器械",
        "name_en": "High-end medical devices",
        "children": [
            {
                "code": "medical-robotics",
                "name": "医疗机器人",
                "name_zh_hant": "醫療機器人",
                "name_en": "Medical robotics",
            },
            {
                "code": "in-vitro-diagnostics",
                "name": "体外诊断",
                "name_zh_hant": "體外診斷",
                "name_en": "In-vitro diagnostics",
            },
        ],
    },
]

# Years whose official calendars the command tries to load. A year a package does not have yet is skipped with
# a note (chinese_calendar publishes a mainland year after the State Council does, usually in the autumn).
CALENDAR_YEARS: dict[str, range] = {
    CN: range(2024, 2028),
    HK: range(2024, 2028),
}

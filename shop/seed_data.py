"""The tables behind the Longnan demo data: real counties, invented villages, cooperatives and products.

Counties are Longnan's nine real county-level divisions. Villages, cooperatives, people and
products are invented, in the spirit of DOMAIN.md: walnuts and Sichuan pepper in the low
valleys, olive oil in Wudu, gastrodia and zhuling in the high cold villages.
"""

# slug, name_zh, name_en, trace-code prefix, administrative division code
COUNTIES = [
    ("wudu", "武都区", "Wudu District", "WD", "621202"),
    ("cheng", "成县", "Cheng County", "CX", "621221"),
    ("wen", "文县", "Wen County", "WX", "621222"),
    ("tanchang", "宕昌县", "Tanchang County", "TC", "621223"),
    ("kang", "康县", "Kang County", "KX", "621224"),
    ("xihe", "西和县", "Xihe County", "XH", "621225"),
    ("li", "礼县", "Li County", "LX", "621226"),
    ("hui", "徽县", "Hui County", "HX", "621227"),
    ("liangdang", "两当县", "Liangdang County", "LD", "621228"),
]

# key, county slug, name_zh, name_en, altitude in metres
VILLAGES = [
    # Wudu: the warm Bailong River valley, Sichuan pepper on the slopes, olives by the river.
    ("jiaoping", "wudu", "椒坪村", "Jiaoping Village", 1180),
    ("liuwan", "wudu", "柳湾村", "Liuwan Village", 1050),
    ("jiangpan", "wudu", "江畔村", "Jiangpan Village", 880),
    ("youfangba", "wudu", "油坊坝村", "Youfangba Village", 960),
    # Cheng: low walnut country.
    ("hetaoping", "cheng", "核桃坪村", "Hetaoping Village", 1080),
    ("nangou", "cheng", "南沟村", "Nangou Village", 990),
    ("yangjiaba", "cheng", "杨家坝村", "Yangjiaba Village", 1150),
    # Wen: tea near Bikou in the south, herbs high in the north.
    ("bifeng", "wen", "碧峰村", "Bifeng Village", 760),
    ("chaping", "wen", "茶坪村", "Chaping Village", 920),
    ("hanpo", "wen", "寒坡村", "Hanpo Village", 2150),
    ("yunwu", "wen", "云雾村", "Yunwu Village", 2280),
    # Tanchang: high, cold and wet, gastrodia and other roots.
    ("gaoling", "tanchang", "高岭村", "Gaoling Village", 2240),
    ("maping", "tanchang", "麻坪村", "Maping Village", 1960),
    ("lengshui", "tanchang", "冷水村", "Lengshui Village", 2050),
    # Li: shaded high slopes for zhuling.
    ("yinpo", "li", "阴坡村", "Yinpo Village", 2060),
    ("qingsong", "li", "青松村", "Qingsong Village", 1880),
    # Kang: forest villages, bees and fungi.
    ("fengling", "kang", "蜂岭村", "Fengling Village", 1380),
    ("qinglin", "kang", "青林村", "Qinglin Village", 1190),
    ("baiyang", "kang", "白杨村", "Baiyang Village", 1250),
    # Hui: the Mayanhe river basin (麻沿河流域), in Mayanhe town.
    ("mayanhe", "hui", "麻沿河村", "Mayanhe Village", 1260),
    ("huaishuping", "hui", "槐树坪村", "Huaishuping Village", 1340),
    ("liulin", "hui", "柳林村", "Liulin Village", 1300),
    # Xihe and Liangdang.
    ("shibao", "xihe", "石堡村", "Shibao Village", 1620),
    ("baihua", "liangdang", "百花村", "Baihua Village", 1280),
    ("xiangyang", "liangdang", "向阳村", "Xiangyang Village", 1210),
]

# slug, name_zh, name_en, position
CATEGORIES = [
    ("walnuts", "核桃", "Walnuts", 1),
    ("pepper", "花椒", "Sichuan Pepper", 2),
    ("olive-oil", "橄榄油", "Olive Oil", 3),
    ("herbs", "中药材", "Medicinal Herbs", 4),
    ("honey", "蜂蜜", "Honey", 5),
    ("fungi", "木耳菌菇", "Fungi", 6),
    ("tea", "茶叶", "Tea", 7),
]

# Each cooperative: its village, the neighbouring villages its members also live in, terms,
# payout destination ("bank" with a bank name, or "stripe"), and how many member households.
# Dates are (year, month, day): when it registered on the platform and when staff approved it.
COOPERATIVES = [
    dict(key="cheng-walnut", slug="cheng-hetaoping-walnut", village="hetaoping",
         neighbours=["nangou", "yangjiaba"],
         name_zh="成县核桃坪薄皮核桃专业合作社", name_en="Hetaoping Thin-Shell Walnut Cooperative, Cheng County",
         story_zh="核桃坪村家家户户都有几十棵老核桃树，过去核桃只能等贩子上门低价收。二〇一七年二十二户农户联合成立合作社，统一采收、晾晒和分级。现在每一袋核桃都能查到来自哪几户人家。",
         story_en=("Every household in Hetaoping Village has dozens of old walnut trees, "
                   "and the nuts used to go cheaply to whichever trader came by. "
                   "In 2017 twenty-two households formed the cooperative to harvest, "
                   "dry and grade together. Now every bag can be traced back to the families who grew it."),
         contact_name="蒲建平", commission_bp=500, retention_bp=1000, shipping_fee_fen=1000, free_shipping_over_fen=9900,
         payout="bank", bank_name="甘肃成县农村商业银行城关支行", households=22,
         summary="薄皮核桃、核桃仁、核桃油", created=(2025, 3, 2), approved=(2025, 3, 9)),
    dict(key="wudu-pepper", slug="wudu-jiaoping-pepper", village="jiaoping", neighbours=["liuwan"],
         name_zh="武都区椒坪花椒种植专业合作社", name_en="Jiaoping Sichuan Pepper Growers' Cooperative, Wudu",
         story_zh="椒坪村的花椒种在白龙江北岸的向阳坡上，采椒季节全村老少齐上阵。合作社统一晾晒和筛选，让椒农不再因为阴雨天晒不干而贱卖。",
         story_en=("Jiaoping's pepper grows on the sunny north bank of the Bailong River, "
                   "and the whole village turns out at picking time. "
                   "The cooperative dries and sieves the harvest together, "
                   "so growers no longer have to sell cheap when rain stops the drying."),
         contact_name="何春生", commission_bp=600, retention_bp=800, shipping_fee_fen=800, free_shipping_over_fen=None,
         payout="stripe", households=20,
         summary="大红袍花椒、花椒粉、花椒油", created=(2025, 3, 5), approved=(2025, 3, 16)),
    dict(key="wudu-olive", slug="wudu-jiangpan-olive", village="jiangpan", neighbours=["youfangba"],
         name_zh="武都区江畔油橄榄专业合作社", name_en="Jiangpan Olive Growers' Cooperative, Wudu",
         story_zh="江畔村的河滩地过去只种玉米，二〇一二年起陆续改种油橄榄。合作社建了一间小型冷榨车间，果子采下当天就能压榨。",
         story_en=("Jiangpan's riverside fields grew only maize until families began planting olives in 2012. "
                   "The cooperative built a small cold-press room so fruit can be pressed the day it is picked."),
         contact_name="赵玉梅", commission_bp=700, retention_bp=1200, shipping_fee_fen=1200, free_shipping_over_fen=19800,
         payout="bank", bank_name="陇南市武都区农村信用合作联社江畔信用社", households=16,
         summary="特级初榨橄榄油、橄榄叶茶、盐渍橄榄", created=(2025, 3, 12), approved=(2025, 3, 20)),
    dict(key="tanchang-gastrodia", slug="tanchang-gaoling-gastrodia", village="gaoling",
         neighbours=["maping", "lengshui"],
         name_zh="宕昌县高岭天麻专业合作社", name_en="Gaoling Gastrodia Cooperative, Tanchang County",
         story_zh="高岭村海拔两千多米，种不了粮食却很适合天麻。合作社向农户统一供应菌种，并请县里的技术员上门指导，收获后统一蒸制烘干。",
         story_en=("At over 2,000 m, Gaoling is too high and cold for grain but ideal for gastrodia. "
                   "The cooperative supplies members with fungus cultures, "
                   "brings the county technician to their plots, and steams and dries the harvest together."),
         contact_name="苟永贵", commission_bp=800, retention_bp=1500, shipping_fee_fen=1200, free_shipping_over_fen=None,
         payout="stripe", households=18,
         summary="天麻、天麻片、当归、党参", created=(2025, 3, 18), approved=(2025, 4, 1)),
    dict(key="li-zhuling", slug="li-yinpo-herbs", village="yinpo", neighbours=["qingsong"],
         name_zh="礼县阴坡中药材专业合作社", name_en="Yinpo Medicinal Herb Cooperative, Li County",
         story_zh="阴坡村背阴的山坡冷凉潮湿，村民在林下仿野生种猪苓，三年才收一次。合作社帮农户记账、统一检测，让药材按质论价。",
         story_en=("Yinpo's shaded slopes are cool and damp; "
                   "villagers grow zhuling the wild way under the trees and harvest once every three years. "
                   "The cooperative keeps the records and has every batch tested, "
                   "so herbs are paid by quality."),
         contact_name="马世才", commission_bp=650, retention_bp=1000, shipping_fee_fen=1000, free_shipping_over_fen=None,
         payout="bank", bank_name="礼县农村信用合作联社城关信用社", households=15,
         summary="猪苓、大黄、黄芪、柴胡", created=(2025, 3, 25), approved=(2025, 4, 8)),
    dict(key="kang-honey", slug="kang-fengling-honey", village="fengling", neighbours=["baiyang"],
         name_zh="康县蜂岭土蜂蜜专业合作社", name_en="Fengling Native Honey Cooperative, Kang County",
         story_zh="蜂岭村的老人们祖祖辈辈用木桶养中蜂。合作社统一培训取蜜和卫生标准，让一年一次的成熟蜜卖出应有的价钱。",
         story_en=("Fengling's elders have kept Chinese honeybees in log hives for generations. "
                   "The cooperative trains members in harvesting and hygiene, "
                   "so honey taken once a year at full maturity fetches the price it deserves."),
         contact_name="李彩霞", commission_bp=400, retention_bp=900, shipping_fee_fen=1000, free_shipping_over_fen=12800,
         payout="bank", bank_name="康县农村商业银行蜂岭分理处", households=14,
         summary="土蜂蜜、巢蜜、洋槐蜜", created=(2025, 4, 2), approved=(2025, 4, 10)),
    dict(key="kang-fungus", slug="kang-qinglin-fungus", village="qinglin", neighbours=["baiyang", "fengling"],
         name_zh="康县青林黑木耳专业合作社", name_en="Qinglin Black Fungus Cooperative, Kang County",
         story_zh="青林村林下空气湿润，适合椴木木耳。合作社统一制作菌种、接种，农户负责林下管护和采摘。",
         story_en=("The damp forest air around Qinglin suits log-grown black fungus. "
                   "The cooperative prepares and inoculates the logs; "
                   "member households tend them under the trees and do the picking."),
         contact_name="张新旺", commission_bp=300, retention_bp=500, shipping_fee_fen=800, free_shipping_over_fen=None,
         payout="stripe", households=17,
         summary="黑木耳、小碗耳、香菇、猴头菇", created=(2025, 4, 6), approved=(2025, 4, 15)),
    dict(key="wen-tea", slug="wen-bifeng-tea", village="bifeng", neighbours=["chaping"],
         name_zh="文县碧峰茶叶专业合作社", name_en="Bifeng Tea Cooperative, Wen County",
         story_zh="碧峰村在碧口镇附近，是甘肃少有的产茶村。合作社建了手工炒茶坊，请老茶师带徒弟，春茶采下当天就能制好。",
         story_en=("Bifeng Village, near Bikou town, is one of the few tea villages in Gansu. "
                   "The cooperative set up a hand-firing workshop where an old tea master trains younger members, "
                   "and spring leaves are finished the day they are picked."),
         contact_name="罗秀英", commission_bp=550, retention_bp=1100, shipping_fee_fen=1000, free_shipping_over_fen=15000,
         payout="bank", bank_name="文县农村信用合作联社碧口信用社", households=19,
         summary="碧口绿茶、明前毛尖、红茶", created=(2025, 4, 9), approved=(2025, 4, 20)),
    dict(key="hui-mayanhe", slug="hui-mayanhe-walnut-bee", village="mayanhe", neighbours=["huaishuping", "liulin"],
         name_zh="徽县麻沿河核桃蜂业专业合作社", name_en="Mayanhe Valley Walnut & Bee Cooperative, Hui County",
         story_zh="麻沿河流域山大沟深，年轻人多在外打工，留在村里的老人守着核桃树和蜂箱。合作社把分散的小户组织起来，统一分级、包装和发货。",
         story_en=("The Mayanhe basin is all steep hills and deep gullies; many young people work away, "
                   "and the older residents who stay keep the walnut trees and the hives. "
                   "The cooperative brings the small households together to grade, pack and ship."),
         contact_name="王存喜", commission_bp=450, retention_bp=1300, shipping_fee_fen=1500, free_shipping_over_fen=None,
         payout="bank", bank_name="徽县农村商业银行麻沿支行", households=16,
         summary="核桃、核桃仁、百花蜜、巢蜜", created=(2025, 4, 14), approved=(2025, 4, 28)),
    dict(key="wen-herbs", slug="wen-hanpo-alpine-herbs", village="hanpo", neighbours=["yunwu"],
         name_zh="文县寒坡高山药材专业合作社", name_en="Hanpo Alpine Herb Cooperative, Wen County",
         story_zh="寒坡村和云雾村在海拔两千米以上，常年云雾缭绕。合作社在林下种天麻、猪苓和纹党，也带着农户试种羊肚菌。",
         story_en=("Hanpo and Yunwu villages lie above 2,000 m and are in cloud much of the year. "
                   "The cooperative grows gastrodia, zhuling and Wendang codonopsis under the forest, "
                   "and has members trying morels too."),
         contact_name="杨长福", commission_bp=750, retention_bp=1200, shipping_fee_fen=1200, free_shipping_over_fen=None,
         payout="stripe", households=13,
         summary="天麻、猪苓、纹党参、羊肚菌", created=(2025, 4, 20), approved=(2025, 5, 6)),
    # Waiting for staff: no products yet.
    dict(key="xihe-pinellia", slug="xihe-shibao-pinellia", village="shibao", neighbours=[], status="pending",
         name_zh="西和县石堡半夏种植专业合作社", name_en="Shibao Pinellia Growers' Cooperative, Xihe County",
         story_zh="石堡村的坡地土层深厚、排水好，适合种半夏。过去药材都卖给上门的药贩，合作社希望把药材直接卖给城里的买家。",
         story_en=("Shibao's hillside fields have deep, well-drained soil that suits pinellia. "
                   "The herbs used to go to travelling dealers; "
                   "the cooperative hopes to sell directly to buyers in the cities."),
         contact_name="田有成", commission_bp=500, retention_bp=1000, shipping_fee_fen=1000, free_shipping_over_fen=None,
         payout="bank", bank_name="西和县农村信用合作联社石堡信用社", households=0,
         summary="半夏、党参", created=(2026, 11, 18), approved=None),
    # Suspended by staff while its registration papers are renewed: members, no products on sale.
    dict(key="liangdang-bee", slug="liangdang-baihua-bee", village="baihua", neighbours=["xiangyang"],
         status="suspended",
         name_zh="两当县百花蜂业专业合作社", name_en="Baihua Apiculture Cooperative, Liangdang County",
         story_zh="百花村的蜂农在秦岭南坡放蜂，以椴树蜜和百花蜜为主。合作社正在更换到期的营业执照，暂停销售。",
         story_en=("Baihua's beekeepers work the southern slopes of the Qinling, "
                   "mostly for linden and wildflower honey. "
                   "Sales are paused while the cooperative renews its expired business licence."),
         contact_name="冯桂兰", commission_bp=500, retention_bp=1000, shipping_fee_fen=1200, free_shipping_over_fen=None,
         payout="bank", bank_name="两当县农村信用合作联社百花信用社", households=12,
         summary="椴树蜜、百花蜜", created=(2025, 4, 25), approved=(2025, 5, 12)),
]

# Harvest windows, (month, first day, last day); lots fall in one of them.
SEP_WALNUT = [(9, 5, 25)]
PEPPER = [(7, 20, 31), (8, 1, 18)]
OLIVE = [(10, 10, 30)]
ROOTS = [(10, 1, 28)]
GASTRODIA = [(10, 15, 31)]
ZHULING = [(9, 10, 30), (10, 1, 20)]
HONEY_SEP = [(9, 1, 25)]

# Each product: cooperative key, slug, SKU code, category, origin village, names,
# descriptions, featured flag, harvest windows and variants (size code, zh, en, price in fen, net g).
PRODUCTS = [
    # --- Cheng County walnuts ---
    dict(coop="cheng-walnut", slug="cheng-thin-shell-walnuts", code="WAL", category="walnuts", village="hetaoping",
         featured=True, season=SEP_WALNUT,
         name_zh="成县薄皮核桃", name_en="Cheng County Thin-Shell Walnuts",
         description_zh=("产自成县海拔一千米上下的核桃坪村，壳薄如纸，用手一捏就开。每年九月白露前后人工采收，去青皮后在竹席上自然晾晒两周，不漂白、不熏硫。仁色浅黄，香脆不涩。"
                         "开袋后请密封，放阴凉干燥处，夏季建议冷藏。"),
         description_en=("Grown at around 1,000 m in Hetaoping Village, Cheng County, "
                         "with shells thin enough to crack by hand. "
                         "Picked by hand around Bailu in early September, "
                         "hulled and dried on bamboo mats for two weeks, never bleached or sulphured. "
                         "The kernels are pale and crisp with no bitterness. "
                         "Reseal after opening and keep cool and dry; refrigerate in summer."),
         variants=[("500", "500 g 袋", "500 g bag", 3200, 500), ("1K", "1 kg 袋", "1 kg bag", 5800, 1000),
                   ("2KB", "2 kg 礼盒", "2 kg gift box", 9800, 2000)]),
    dict(coop="cheng-walnut", slug="cheng-walnut-kernels", code="WKN", category="walnuts", village="nangou",
         season=SEP_WALNUT, name_zh="成县核桃仁", name_en="Cheng County Walnut Kernels",
         description_zh="合作社妇女小组手工剥壳、挑拣，只留整半仁和大四分仁。核桃仁低温烘干至含水量百分之五以下，充氮包装。适合直接吃、打豆浆或做点心。开封后冷藏，一个月内吃完风味最佳。",
         description_en=("Shelled and sorted by hand by the cooperative's women's group, "
                         "keeping only halves and large quarters. "
                         "The kernels are dried at low temperature to below 5 % moisture and packed under nitrogen. "
                         "Eat them as they are, blend into soy milk or bake with them. "
                         "Refrigerate after opening and finish within a month for the best flavour."),
         variants=[("250", "250 g 袋", "250 g bag", 3600, 250), ("500J", "500 g 罐", "500 g jar", 6800, 500)]),
    dict(coop="cheng-walnut", slug="cheng-cold-pressed-walnut-oil", code="WOL", category="walnuts", village="hetaoping",
         season=SEP_WALNUT, name_zh="成县冷榨核桃油", name_en="Cheng County Cold-Pressed Walnut Oil",
         description_zh="用当年新核桃仁在六十摄氏度以下物理冷榨，静置沉淀后过滤，不添加任何溶剂。油色清亮，带淡淡坚果香，适合凉拌和给孩子拌饭。避光保存，开瓶后三个月内用完。",
         description_en=("Pressed below 60 °C from the season's fresh kernels, settled and filtered, "
                         "with no solvents. "
                         "Clear and lightly nutty; good in cold dishes and stirred into children's rice. "
                         "Keep away from light and use within three months of opening."),
         variants=[("250", "250 ml 瓶", "250 ml bottle", 7800, 230), ("500", "500 ml 瓶", "500 ml bottle", 9800, 460)]),
    dict(coop="cheng-walnut", slug="cheng-roasted-walnuts", code="RST", category="walnuts", village="yangjiaba",
         season=SEP_WALNUT, name_zh="成县手剥烤核桃", name_en="Cheng County Sand-Roasted Walnuts",
         description_zh="选用杨家坝村的薄皮核桃，在铁锅里用细沙慢火烘烤四十分钟，只加少许盐，不加香精。壳一捏就开，仁香脆。请密封放阴凉处，开袋后两周内吃完。",
         description_en=("Thin-shell walnuts from Yangjiaba Village, "
                         "roasted slowly in fine sand in an iron wok for forty minutes with a little salt and no flavourings. "
                         "The shells open with a squeeze and the kernels are fragrant and crunchy. "
                         "Keep sealed in a cool place and finish within two weeks of opening."),
         variants=[("500", "500 g 袋", "500 g bag", 4200, 500), ("1K", "1 kg 袋", "1 kg bag", 7800, 1000)]),
    # --- Wudu Sichuan pepper ---
    dict(coop="wudu-pepper", slug="wudu-dahongpao-pepper", code="DHP", category="pepper", village="jiaoping",
         featured=True, season=PEPPER, name_zh="武都大红袍花椒", name_en="Wudu Dahongpao Sichuan Pepper",
         description_zh=("大红袍是椒坪村的老品种，长在白龙江河谷海拔一千一百米左右的向阳坡上。七月底到八月中旬趁晴天手工采摘，当天摊在竹匾上晒到开口，再筛去椒籽和枝梗。颗粒大、色泽红亮，麻味足而持久。"
                         "请装入密封罐，避光防潮保存。"),
         description_en=("Dahongpao is Jiaoping Village's old cultivar, "
                         "grown on sunny slopes of the Bailong River valley at about 1,100 m. "
                         "It is picked by hand on dry days from late July to mid-August, "
                         "spread on bamboo trays to split open in the sun the same day, "
                         "then sieved free of seeds and stalks. "
                         "Large, bright red husks with a strong, lasting tingle. "
                         "Keep in an airtight jar away from light and damp."),
         variants=[("100", "100 g 袋", "100 g bag", 2500, 100), ("250", "250 g 袋", "250 g bag", 5800, 250),
                   ("500B", "500 g 礼盒", "500 g gift box", 10800, 500)]),
    dict(coop="wudu-pepper", slug="wudu-ground-pepper", code="PWD", category="pepper", village="jiaoping",
         season=PEPPER, name_zh="武都花椒粉", name_en="Wudu Ground Sichuan Pepper",
         description_zh="用去籽去梗的大红袍花椒小火焙干后石磨磨粉，每批只磨一周的量，保证香气。适合撒在凉菜、面条和烧烤上。开封后请拧紧盖子，放在远离灶台的阴凉处，两个月内用完。",
         description_en=("Seedless Dahongpao husks, toasted over a low fire and stone-ground; "
                         "each batch is only a week's worth, so the aroma stays fresh. "
                         "Sprinkle on cold dishes, noodles and barbecue. "
                         "Close tightly after opening, keep away from the stove and use within two months."),
         variants=[("100", "100 g 罐", "100 g jar", 2600, 100), ("200", "200 g 袋", "200 g bag", 4500, 200)]),
    dict(coop="wudu-pepper", slug="wudu-seedless-pepper", code="SDL", category="pepper", village="liuwan",
         season=PEPPER, name_zh="武都特级无籽花椒", name_en="Wudu Premium Seedless Sichuan Pepper",
         description_zh="柳湾村的椒农从头茬花椒中挑出开口最完整的椒粒，经过三道筛选，籽和枝梗含量低于百分之一。香味浓、麻度高，适合做火锅底料和椒麻汁。玻璃罐密封，常温避光可保存一年。",
         description_en=("Liuwan Village growers pick out the most fully opened husks from the first picking and sieve them three times, "
                         "leaving less than 1 % seeds and stalks. "
                         "Intense aroma and strong numbing heat, ideal for hotpot bases and pepper sauces. "
                         "Sealed in a glass jar; keeps a year at room temperature away from light."),
         variants=[("250", "250 g 罐", "250 g jar", 12000, 250)]),
    dict(coop="wudu-pepper", slug="wudu-pepper-oil", code="POL", category="pepper", village="liuwan",
         season=PEPPER, name_zh="武都花椒油", name_en="Wudu Sichuan Pepper Oil",
         description_zh="把当季鲜花椒投入温热的菜籽油中低温浸提，过滤后静置一个月再装瓶。几滴就能让凉拌菜和面条麻香扑鼻。开瓶后请拧紧，避光常温保存，半年内用完。",
         description_en=("Fresh-season pepper is steeped in warm rapeseed oil at low temperature, "
                         "filtered and left to settle for a month before bottling. "
                         "A few drops give cold dishes and noodles a fragrant tingle. "
                         "Close tightly after opening, keep away from light and use within six months."),
         variants=[("250", "250 ml 瓶", "250 ml bottle", 3800, 230)]),
    dict(coop="wudu-pepper", slug="wudu-pickled-pepper-shoots", code="PSH", category="pepper", village="jiaoping",
         season=[(4, 1, 25)], name_zh="武都腌花椒芽", name_en="Wudu Pickled Sichuan Pepper Shoots",
         description_zh="春天采摘花椒树的嫩芽，焯水后用淡盐水腌渍，是武都人家常吃的小菜。清香微麻，可直接佐粥或拌面。开罐后请冷藏，两周内吃完。",
         description_en=("Tender Sichuan pepper shoots picked in spring, blanched and pickled in light brine: "
                         "an everyday side dish in Wudu homes. "
                         "Fresh and faintly numbing; eat with congee or noodles. "
                         "Refrigerate after opening and finish within two weeks."),
         variants=[("250", "250 g 罐", "250 g jar", 2800, 250)]),
    # --- Wudu olive oil ---
    dict(coop="wudu-olive", slug="wudu-extra-virgin-olive-oil", code="EVO", category="olive-oil", village="jiangpan",
         featured=True, season=OLIVE, name_zh="武都特级初榨橄榄油", name_en="Wudu Extra Virgin Olive Oil",
         description_zh=("白龙江河谷海拔九百米左右，冬暖夏凉，是国内少有适合油橄榄生长的地方。果实十月中下旬采收，二十四小时内冷榨，酸度低于百分之零点五。带青草和鲜番茄的清香，尾韵微辣。"
                         "请避光、远离灶台保存，开瓶后两个月内用完。"),
         description_en=("At about 900 m, the Bailong River valley has mild winters and cool summers, "
                         "one of the few places in China where olives thrive. "
                         "The fruit is picked in mid to late October and cold-pressed within 24 hours; "
                         "acidity is below 0.5 %. Notes of fresh grass and green tomato, with a peppery finish. "
                         "Keep away from light and the stove; use within two months of opening."),
         variants=[("500", "500 ml 瓶", "500 ml bottle", 9800, 458), ("1L", "1 L 瓶", "1 L bottle", 16800, 916),
                   ("GB", "500 ml×2 礼盒", "2 × 500 ml gift box", 19800, 916)]),
    dict(coop="wudu-olive", slug="wudu-early-harvest-olive-oil", code="EHV", category="olive-oil", village="youfangba",
         season=[(10, 1, 10)], name_zh="武都早采青果橄榄油", name_en="Wudu Early-Harvest Olive Oil",
         description_zh="用十月初尚未转色的青果压榨，出油率只有成熟果的一半，但多酚含量更高。油色翠绿，苦辣感明显，适合蘸面包和拌沙拉。深色玻璃瓶装，开瓶后请放冷暗处。",
         description_en=("Pressed in early October from green fruit that has not yet turned colour; "
                         "the yield is half that of ripe fruit, but the polyphenols are higher. Bright green, "
                         "with pronounced bitterness and pepperiness, for dipping bread and dressing salads. "
                         "Bottled in dark glass; keep cool and dark after opening."),
         variants=[("250", "250 ml 瓶", "250 ml bottle", 6800, 229), ("500", "500 ml 瓶", "500 ml bottle", 12800, 458)]),
    dict(coop="wudu-olive", slug="wudu-olive-leaf-tea", code="OLT", category="tea", village="jiangpan",
         season=[(2, 1, 28)], name_zh="武都橄榄叶茶", name_en="Wudu Olive Leaf Tea",
         description_zh="二月给油橄榄树整枝时收集嫩叶，经杀青、揉捻后低温烘干。汤色黄绿，微苦回甘，不含咖啡因。每次三到五克，用九十度的水冲泡。开罐后密封防潮。",
         description_en=("Young leaves gathered when the olive trees are pruned in February, then fixed, "
                         "rolled and dried at low heat. "
                         "The liquor is yellow-green, slightly bitter with a sweet aftertaste, and caffeine-free. "
                         "Use 3–5 g per cup with water at 90 °C. Keep the tin sealed against damp."),
         variants=[("50", "50 g 罐", "50 g tin", 3600, 50)]),
    dict(coop="wudu-olive", slug="wudu-brined-olives", code="CUR", category="olive-oil", village="youfangba",
         season=OLIVE, name_zh="武都盐渍橄榄", name_en="Wudu Brined Table Olives",
         description_zh="挑选个大的鲜果，用清水反复浸泡去涩，再以淡盐水腌制六周，不加防腐剂。果肉紧实，咸中带果香。开罐后请冷藏，保持橄榄浸没在盐水中，三周内吃完。",
         description_en=("Large fresh olives are soaked repeatedly in clean water to remove bitterness, "
                         "then cured in light brine for six weeks with no preservatives. "
                         "Firm flesh, salty with a fruity note. Refrigerate after opening, "
                         "keep the olives under the brine and finish within three weeks."),
         variants=[("300", "300 g 罐", "300 g jar", 3600, 300)]),
    # --- Tanchang gastrodia and roots ---
    dict(coop="tanchang-gastrodia", slug="tanchang-gastrodia", code="GAS", category="herbs", village="gaoling",
         featured=True, season=GASTRODIA, name_zh="宕昌天麻", name_en="Tanchang Dried Gastrodia Tubers",
         description_zh="高岭村海拔两千二百米，林下阴冷湿润，天麻与蜜环菌共生两年才采挖。霜降前后收获，洗净蒸透，再用无烟炭火慢慢烘干十天。个头饱满，断面角质透亮。请密封后放阴凉干燥处，防虫防潮。",
         description_en=("Gaoling Village lies at 2,200 m; under its cold, "
                         "damp forest canopy gastrodia grows for two years alongside its honey-fungus partner before it is dug. "
                         "Harvested around Frost's Descent in late October, washed, "
                         "steamed through and slowly dried over smokeless charcoal for ten days. "
                         "Plump tubers with a translucent, horn-like cut face. "
                         "Store sealed in a cool, dry place, protected from insects and damp."),
         variants=[("250", "250 g 袋", "250 g bag", 12800, 250), ("500B", "500 g 礼盒", "500 g gift box", 23800, 500)]),
    dict(coop="tanchang-gastrodia", slug="tanchang-gastrodia-slices", code="GSL", category="herbs", village="maping",
         season=GASTRODIA, name_zh="宕昌天麻片", name_en="Tanchang Gastrodia Slices",
         description_zh="把蒸透的鲜天麻趁软切成两毫米薄片，晾至半干后低温烘干，方便炖汤和泡水。片形完整，色泽黄白。开封后放入密封罐，置阴凉干燥处。",
         description_en=("Steamed fresh tubers are cut into 2 mm slices while still soft, "
                         "air-dried halfway and finished at low heat, ready for soups and infusions. "
                         "Whole, yellowish-white slices. "
                         "After opening, transfer to an airtight jar and keep cool and dry."),
         variants=[("100", "100 g 袋", "100 g bag", 8800, 100), ("250", "250 g 罐", "250 g jar", 19800, 250)]),
    dict(coop="tanchang-gastrodia", slug="tanchang-forest-gastrodia-premium", code="FGP", category="herbs",
         village="gaoling", season=GASTRODIA, name_zh="宕昌仿野生天麻（特级）",
         name_en="Tanchang Forest-Grown Gastrodia, Premium Grade",
         description_zh="在海拔两千三百米的次生林里按野生方式种植，不搭棚、不施肥，三年才收一次。每公斤不超过十二个，由老药农逐个挑选。礼盒内附批次追溯码。请冷藏或放阴凉干燥处保存。",
         description_en=("Grown the wild way in secondary forest at 2,300 m, "
                         "with no shade nets and no fertiliser, and lifted only every third year. "
                         "No more than twelve tubers to the kilogram, each chosen by an experienced herb grower. "
                         "The box carries its lot trace code. Keep refrigerated or in a cool, dry place."),
         variants=[("500B", "500 g 礼盒", "500 g gift box", 39800, 500)]),
    dict(coop="tanchang-gastrodia", slug="tanchang-angelica-slices", code="ANG", category="herbs", village="lengshui",
         season=ROOTS, name_zh="宕昌当归片", name_en="Tanchang Angelica Root Slices",
         description_zh="冷水村海拔两千米，当归生长期长，根条粗壮、油性足。深秋采挖，在阴凉通风的棚里用柴火慢熏阴干，再切成斜片。香气浓郁，适合炖鸡和煲汤。请密封防潮，避免阳光直射。",
         description_en=("At 2,000 m in Lengshui Village angelica grows slowly, with thick, oily roots. "
                         "Dug in late autumn, smoke-dried slowly in a shaded, airy shed and cut on the diagonal. "
                         "Richly aromatic; good in chicken stews and soups. "
                         "Keep sealed and dry, out of direct sunlight."),
         variants=[("250", "250 g 袋", "250 g bag", 5800, 250)]),
    dict(coop="tanchang-gastrodia", slug="tanchang-codonopsis", code="COD", category="herbs", village="maping",
         season=ROOTS, name_zh="宕昌党参", name_en="Tanchang Codonopsis Root",
         description_zh="麻坪村的党参种在海拔一千九百多米的坡地上，两年生才采挖。晾晒时反复揉搓，使根条柔润、皮纹细密。味甜，适合炖汤或泡水。请放阴凉干燥处，防虫蛀。",
         description_en=("Codonopsis from Maping Village's slopes at over 1,900 m, dug in its second year. "
                         "The roots are rolled by hand again and again while drying, "
                         "which keeps them supple with finely wrinkled skin. "
                         "Sweet-tasting; use in soups or infusions. Keep cool and dry, and watch for insects."),
         variants=[("250", "250 g 袋", "250 g bag", 6500, 250), ("500", "500 g 袋", "500 g bag", 11800, 500)]),
    # --- Li County zhuling and roots ---
    dict(coop="li-zhuling", slug="li-zhuling", code="ZHL", category="herbs", village="yinpo",
         season=ZHULING, name_zh="礼县猪苓", name_en="Li County Zhuling",
         description_zh="猪苓是一种长在地下的菌核，喜欢海拔两千米以上冷凉的背阴林地。阴坡村在桦树和青冈林下仿野生栽培，三年一收。挖出后刷净泥土、晒干，外皮黑亮，断面洁白。请密封防潮，放阴凉处保存。",
         description_en=("Zhuling is an underground fungal sclerotium that favours cool, "
                         "shaded woodland above 2,000 m. "
                         "Yinpo Village grows it the wild way under birch and oak, lifting it every three years. "
                         "It is brushed clean and sun-dried: glossy black outside, pure white inside. "
                         "Keep sealed and dry in a cool place."),
         variants=[("250", "250 g 袋", "250 g bag", 9600, 250), ("500", "500 g 袋", "500 g bag", 17800, 500)]),
    dict(coop="li-zhuling", slug="li-zhuling-slices", code="ZSL", category="herbs", village="qingsong",
         season=ZHULING, name_zh="礼县猪苓片", name_en="Li County Zhuling Slices",
         description_zh="新挖的猪苓用清水快速冲洗后趁湿切片，晒至八成干再低温烘干，煎煮时更容易出味。片薄均匀，断面白净。开封后放入密封罐保存。",
         description_en=("Fresh zhuling is rinsed quickly and sliced while damp, "
                         "sun-dried to 80 % and finished at low heat, "
                         "so it gives up its flavour more readily when simmered. "
                         "Thin, even slices with clean white faces. Transfer to an airtight jar after opening."),
         variants=[("100", "100 g 袋", "100 g bag", 5800, 100)]),
    dict(coop="li-zhuling", slug="li-rhubarb-slices", code="RHB", category="herbs", village="yinpo",
         season=ROOTS, name_zh="礼县大黄片", name_en="Li County Rhubarb Root Slices",
         description_zh="礼县高山大黄生长三年以上，秋季采挖后刮去外皮，切片后挂在通风处阴干。色泽黄亮，气味清香。药用请遵医嘱。请密封保存，防潮防霉。",
         description_en=("Li County's mountain rhubarb grows for three years or more; it is dug in autumn, "
                         "peeled, sliced and hung to dry in the shade. Bright yellow with a clean scent. "
                         "For medicinal use, follow a doctor's advice. Keep sealed, dry and free of mould."),
         variants=[("500", "500 g 袋", "500 g bag", 4800, 500)]),
    dict(coop="li-zhuling", slug="li-astragalus-slices", code="AST", category="herbs", village="qingsong",
         season=ROOTS, name_zh="礼县黄芪片", name_en="Li County Astragalus Slices",
         description_zh="青松村海拔一千八百多米的沙质坡地种植，根长而直。深秋采挖，晒干后切成椭圆斜片。每天三到五片泡水或炖汤。请放阴凉干燥处，防虫蛀。",
         description_en=("Grown on sandy slopes at over 1,800 m in Qingsong Village, with long, straight roots. "
                         "Dug in late autumn, dried and cut into oval diagonal slices. "
                         "Use three to five slices a day in tea or soup. Keep cool and dry, and watch for insects."),
         variants=[("250", "250 g 袋", "250 g bag", 4200, 250)]),
    dict(coop="li-zhuling", slug="li-bupleurum-root", code="BUP", category="herbs", village="yinpo",
         season=[(4, 1, 28), (10, 1, 25)], name_zh="礼县柴胡", name_en="Li County Bupleurum Root",
         description_zh="阴坡村山地种植的北柴胡，春秋两季采挖，去净残茎和泥沙后晒干。根条整齐，气味微香。药用请遵医嘱。请放阴凉干燥处保存。",
         description_en=("Bupleurum grown on Yinpo Village's mountain fields, dug in spring and autumn, "
                         "cleaned of stem remains and soil, and sun-dried. Even roots with a faint aroma. "
                         "For medicinal use, follow a doctor's advice. Keep in a cool, dry place."),
         variants=[("250", "250 g 袋", "250 g bag", 3800, 250)]),
    # --- Kang County honey ---
    dict(coop="kang-honey", slug="kang-native-bee-honey", code="HNY", category="honey", village="fengling",
         featured=True, season=HONEY_SEP, name_zh="康县土蜂蜜", name_en="Kang County Native Bee Honey",
         description_zh=("蜂岭村的农户用木桶养中华蜜蜂，蜂群在海拔一千四百米的山林里采百花。一年只在九月取一次成熟封盖蜜，不加热、不浓缩，只用纱网过滤。天冷时会自然结晶，属正常现象。"
                         "常温密封保存，请用干燥的勺子取用。"),
         description_en=("Fengling Village households keep Chinese honeybees in log hives; "
                         "the colonies forage wild flowers in mountain forest at 1,400 m. Only capped, "
                         "mature honey is taken, once a year in September, never heated or concentrated, "
                         "only strained through gauze. It crystallises naturally in cold weather; this is normal. "
                         "Store sealed at room temperature and use a dry spoon."),
         variants=[("500", "500 g 瓶", "500 g jar", 6800, 500), ("1K", "1 kg 瓶", "1 kg jar", 12800, 1000)]),
    dict(coop="kang-honey", slug="kang-comb-honey", code="CMB", category="honey", village="fengling",
         season=HONEY_SEP, name_zh="康县原蜂巢蜜", name_en="Kang County Comb Honey",
         description_zh="整块切下的封盖巢脾，蜂蜡可以一起嚼食。采自九月的百花蜜，每盒都由合作社手工切割装盒。请常温保存，冷藏会使蜂蜡变硬。",
         description_en=("Whole pieces of capped comb; the wax can be chewed along with the honey. "
                         "September wildflower honey, cut and boxed by hand at the cooperative. "
                         "Store at room temperature; refrigeration hardens the wax."),
         variants=[("400", "400 g 盒", "400 g box", 9800, 400)]),
    dict(coop="kang-honey", slug="kang-acacia-honey", code="ACA", category="honey", village="baiyang",
         season=[(5, 5, 20)], name_zh="康县洋槐蜜", name_en="Kang County Acacia Honey",
         description_zh="五月洋槐花开时，白杨村的蜂农把蜂箱搬到槐树林边，花期只有十来天。蜜色浅如清水，甜而不腻，不易结晶。常温密封保存即可。",
         description_en=("When the black locust blooms in May, "
                         "Baiyang Village beekeepers move their hives to the edge of the groves; "
                         "the flow lasts barely ten days. "
                         "Water-pale, sweet without being cloying, and slow to crystallise. "
                         "Store sealed at room temperature."),
         variants=[("500", "500 g 瓶", "500 g jar", 6200, 500), ("1K", "1 kg 瓶", "1 kg jar", 11800, 1000)]),
    dict(coop="kang-honey", slug="kang-cliff-hive-honey", code="CLF", category="honey", village="fengling",
         season=[(9, 10, 30)], name_zh="康县岩蜂蜜", name_en="Kang County Cliff-Hive Honey",
         description_zh="蜂群安在向阳岩壁的石洞里，两年才割一次蜜，产量很少。色深琥珀，浓稠，带草药和焦糖香。请常温密封，避免阳光直射。",
         description_en=("The colonies live in stone niches in a sunny cliff, "
                         "and the honey is cut only every two years, so there is very little of it. "
                         "Deep amber and thick, with herbal and caramel notes. "
                         "Store sealed at room temperature, out of direct sunlight."),
         variants=[("250", "250 g 瓶", "250 g jar", 16800, 250)]),
    # --- Kang County fungi ---
    dict(coop="kang-fungus", slug="kang-black-fungus", code="BFG", category="fungi", village="qinglin",
         featured=True, season=[(5, 1, 31), (9, 1, 30)], name_zh="康县黑木耳", name_en="Kang County Black Fungus",
         description_zh="青林村把木耳菌种接在本地青冈木段上，放在海拔一千二百米的林下自然生长，春秋两季采摘。采后在竹架上晾晒，不用硫磺熏，不加明矾。泡发率高，口感脆嫩。请密封放干燥处，泡发后当天吃完。",
         description_en=("Qinglin Village inoculates local oak logs and lets the fungus grow naturally under forest at 1,200 m, "
                         "picking in spring and autumn. Sun-dried on bamboo racks, with no sulphur or alum. "
                         "Swells well when soaked and is crisp and tender. "
                         "Keep sealed and dry; eat soaked fungus the same day."),
         variants=[("250", "250 g 袋", "250 g bag", 4500, 250), ("500", "500 g 袋", "500 g bag", 8500, 500)]),
    dict(coop="kang-fungus", slug="kang-small-cup-fungus", code="SBF", category="fungi", village="qinglin",
         season=[(9, 1, 30)], name_zh="康县小碗耳", name_en="Kang County Small-Cup Black Fungus",
         description_zh="只挑秋季长出的小朵单片木耳，朵形像小碗，肉厚根小。泡发后口感更脆，适合凉拌。请密封防潮，避免挤压。",
         description_en=("Only the small, single-cup fungus of the autumn flush is picked: "
                         "thick-fleshed with a tiny base, shaped like a little bowl. "
                         "Even crunchier after soaking, ideal in cold dishes. Keep sealed, dry and uncrushed."),
         variants=[("250", "250 g 袋", "250 g bag", 5200, 250)]),
    dict(coop="kang-fungus", slug="kang-log-grown-shiitake", code="SHT", category="fungi", village="baiyang",
         season=[(4, 1, 30), (10, 1, 31)], name_zh="康县椴木香菇", name_en="Kang County Log-Grown Shiitake",
         description_zh="香菇在椴木上自然出菇，比菌棒栽培慢一倍，菌盖厚、花纹深。采后先晾后烘，香气浓郁。请放入密封袋，置阴凉干燥处保存。",
         description_en=("The shiitake fruit naturally on hardwood logs, half as fast as on sawdust blocks, "
                         "giving thick caps with deep cracking. Air-dried, then oven-finished, for a rich aroma. "
                         "Keep in a sealed bag in a cool, dry place."),
         variants=[("250", "250 g 袋", "250 g bag", 3800, 250), ("500", "500 g 袋", "500 g bag", 7200, 500)]),
    dict(coop="kang-fungus", slug="kang-lions-mane", code="HRC", category="fungi", village="qinglin",
         season=[(10, 1, 31)], name_zh="康县猴头菇", name_en="Kang County Lion's Mane Mushroom",
         description_zh="在林下大棚用木屑菌棒栽培，成熟后整朵采下，切片烘干。炖汤前先用温水泡软，挤去苦水。请密封防潮保存。",
         description_en=("Grown on sawdust blocks in a forest greenhouse, picked whole when mature, "
                         "sliced and dried. "
                         "Soften in warm water and squeeze out the bitter liquid before adding to soups. "
                         "Keep sealed and dry."),
         variants=[("150", "150 g 袋", "150 g bag", 4800, 150)]),
    # --- Wen County tea ---
    dict(coop="wen-tea", slug="bikou-green-tea", code="BKG", category="tea", village="bifeng",
         featured=True, season=[(4, 1, 25)], name_zh="碧口绿茶", name_en="Bikou Green Tea",
         description_zh="碧口镇地处白龙江下游，海拔七百多米，是甘肃少有的茶区。每年四月采一芽一叶，当天杀青、揉捻、炒干。汤色嫩绿，栗香明显，耐冲泡。请冷藏或密封避光保存，开罐后一个月内喝完。",
         description_en=("Bikou town lies on the lower Bailong River at just over 700 m, "
                         "one of Gansu's few tea districts. One bud and one leaf are picked in April, then fixed, "
                         "rolled and pan-dried the same day. "
                         "A fresh green liquor with a clear chestnut aroma that stands several infusions. "
                         "Keep refrigerated or sealed away from light; drink within a month of opening."),
         variants=[("100", "100 g 罐", "100 g tin", 6800, 100), ("250B", "250 g 礼盒", "250 g gift box", 16800, 250)]),
    dict(coop="wen-tea", slug="bikou-pre-qingming-maojian", code="MQJ", category="tea", village="bifeng",
         season=[(3, 22, 31), (4, 1, 3)], name_zh="碧口明前毛尖", name_en="Bikou Pre-Qingming Maojian",
         description_zh="清明节前十天采摘的单芽，一斤干茶需要五万多个芽头，产量很少。芽形细紧，白毫显露，滋味鲜爽。请冷藏保存，开封后尽快饮用。",
         description_en=("Single buds picked in the ten days before Qingming; "
                         "a jin of dry tea takes more than fifty thousand buds, so there is little of it. "
                         "Fine, tight buds with visible down and a bright, fresh taste. "
                         "Store refrigerated and drink soon after opening."),
         variants=[("50", "50 g 罐", "50 g tin", 9800, 50)]),
    dict(coop="wen-tea", slug="wen-gongfu-black-tea", code="WBT", category="tea", village="chaping",
         season=[(6, 1, 30), (7, 1, 20)], name_zh="文县工夫红茶", name_en="Wen County Gongfu Black Tea",
         description_zh="用夏季茶青制作，经过萎凋、揉捻、发酵和烘干，条索紧细乌润。汤色红亮，带蜜香和果香。常温密封避光保存，可存放两年。",
         description_en=("Black tea from the summer flush: withered, rolled, oxidised and dried into tight, "
                         "glossy dark strips. Bright red liquor with honey and fruit notes. "
                         "Store sealed at room temperature away from light; keeps for two years."),
         variants=[("100", "100 g 罐", "100 g tin", 5800, 100)]),
    dict(coop="wen-tea", slug="wen-highland-pan-fired-green-tea", code="HGT", category="tea", village="chaping",
         season=[(5, 1, 25)], name_zh="文县高山炒青", name_en="Wen County Highland Pan-Fired Green Tea",
         description_zh="茶坪村海拔九百多米，云雾多，昼夜温差大。五月采一芽两叶，铁锅手工炒制，香气高、滋味浓，适合日常大杯冲泡。请密封避光，放冰箱冷藏更好。",
         description_en=("Chaping Village sits above 900 m, often in mist, "
                         "with wide day-night temperature swings. "
                         "One bud and two leaves are picked in May and hand-fired in an iron wok: high aroma, "
                         "full taste, good for everyday mugs. Keep sealed away from light, ideally in the fridge."),
         variants=[("250", "250 g 袋", "250 g bag", 8800, 250)]),
    # --- Hui County, Mayanhe basin ---
    dict(coop="hui-mayanhe", slug="mayanhe-walnuts", code="MWL", category="walnuts", village="mayanhe",
         featured=True, season=SEP_WALNUT, name_zh="麻沿河核桃", name_en="Mayanhe Valley Walnuts",
         description_zh="麻沿河流域海拔一千二百多米，河谷两岸的老核桃树大多树龄三十年以上。九月中旬采收，脱去青皮后用山泉水清洗，自然晾干。果大仁满，油香足。请放阴凉干燥处，夏季冷藏。",
         description_en=("The Mayanhe basin lies above 1,200 m, "
                         "and most of the walnut trees along the valley are over thirty years old. "
                         "Picked in mid-September, hulled, washed in spring water and air-dried. "
                         "Large nuts with full, oily, fragrant kernels. Keep cool and dry; refrigerate in summer."),
         variants=[("1K", "1 kg 袋", "1 kg bag", 5200, 1000), ("2KB", "2 kg 礼盒", "2 kg gift box", 9600, 2000)]),
    dict(coop="hui-mayanhe", slug="mayanhe-wildflower-honey", code="MHN", category="honey", village="huaishuping",
         season=[(9, 10, 30)], name_zh="麻沿河百花蜜", name_en="Mayanhe Wildflower Honey",
         description_zh="槐树坪村的蜂农在油菜、洋槐、板栗和山花之间转场放蜂，秋季取一次成熟蜜。蜜色浅琥珀，花香丰富。低温下会结晶，隔瓶用温水融化即可，水温不要超过四十度。",
         description_en=("Huaishuping Village beekeepers follow the rapeseed, black locust, "
                         "chestnut and mountain flowers, taking mature honey once in autumn. "
                         "Light amber with layered floral notes. "
                         "It crystallises when cold; warm the jar in water below 40 °C to melt it."),
         variants=[("500", "500 g 瓶", "500 g jar", 6200, 500), ("1K", "1 kg 瓶", "1 kg jar", 11800, 1000)]),
    dict(coop="hui-mayanhe", slug="mayanhe-walnut-kernels", code="MWK", category="walnuts", village="liulin",
         season=SEP_WALNUT, name_zh="麻沿河核桃仁", name_en="Mayanhe Walnut Kernels",
         description_zh="柳林村的老人们在冬闲时手工剥仁，按颜色分级，只装浅色一级仁。低温烘干后真空包装。开罐后请冷藏，一个月内吃完。",
         description_en=("Shelled by hand by Liulin Village's older residents in the quiet winter months and graded by colour; "
                         "only light first-grade kernels go in the jar. "
                         "Dried at low temperature and vacuum-packed. "
                         "Refrigerate after opening and finish within a month."),
         variants=[("500", "500 g 罐", "500 g jar", 7200, 500)]),
    dict(coop="hui-mayanhe", slug="mayanhe-comb-honey", code="MCB", category="honey", village="huaishuping",
         season=[(9, 10, 30)], name_zh="麻沿河巢蜜", name_en="Mayanhe Comb Honey",
         description_zh="中蜂在木框里自己造的新脾，封盖率九成以上才切割。蜡质细软，蜜香浓郁。常温避光保存，不要冷藏。",
         description_en=("Fresh comb built by Chinese honeybees in wooden frames, "
                         "cut only once more than 90 % of it is capped. Soft, fine wax and rich honey. "
                         "Store at room temperature away from light; do not refrigerate."),
         variants=[("350", "350 g 盒", "350 g box", 8800, 350)]),
    # --- Wen County alpine herbs ---
    dict(coop="wen-herbs", slug="wen-highland-gastrodia", code="WGA", category="herbs", village="hanpo",
         season=GASTRODIA, name_zh="文县高山天麻", name_en="Wen County Highland Gastrodia",
         description_zh="寒坡村海拔两千一百五十米，常年阴冷多雾，天麻长得慢、质地坚实。霜降前后采挖，蒸透后用炭火烘干半个月。请密封，放阴凉干燥处。",
         description_en=("Hanpo Village sits at 2,150 m, cold and misty most of the year, "
                         "so gastrodia grows slowly and dense. "
                         "Dug around Frost's Descent, steamed through and dried over charcoal for two weeks. "
                         "Keep sealed in a cool, dry place."),
         variants=[("250", "250 g 袋", "250 g bag", 11800, 250)]),
    dict(coop="wen-herbs", slug="wen-zhuling", code="WZL", category="herbs", village="yunwu",
         season=ZHULING, name_zh="文县猪苓", name_en="Wen County Zhuling",
         description_zh="云雾村海拔两千二百八十米的林地里，猪苓和蜜环菌一起生长，三年采挖一次。刷净泥土后晾干，个大、皮黑、肉白。请密封防潮保存。",
         description_en=("In the woods of Yunwu Village at 2,280 m, "
                         "zhuling grows alongside honey fungus and is dug once every three years. "
                         "Brushed clean and air-dried: large, black-skinned and white inside. Keep sealed and dry."),
         variants=[("250", "250 g 袋", "250 g bag", 9200, 250)]),
    dict(coop="wen-herbs", slug="wen-wendang-codonopsis", code="WCD", category="herbs", village="hanpo",
         season=ROOTS, name_zh="文县纹党参", name_en="Wen County Wendang Codonopsis",
         description_zh="纹党是文县的传统党参品种，根头有明显的横纹，俗称“狮子盘头”。深秋采挖，边晒边揉，使其柔韧味甜。请放阴凉干燥处保存，防虫蛀。",
         description_en=("Wendang is Wen County's traditional codonopsis, "
                         "with pronounced rings at the crown known locally as the 'lion's head'. "
                         "Dug in late autumn and rolled repeatedly while drying, which makes it supple and sweet. "
                         "Store cool and dry, and watch for insects."),
         variants=[("250", "250 g 袋", "250 g bag", 7800, 250)]),
    dict(coop="wen-herbs", slug="wen-highland-morels", code="MRL", category="fungi", village="yunwu",
         season=[(4, 10, 30), (5, 1, 10)], name_zh="文县高山羊肚菌", name_en="Wen County Highland Morels",
         description_zh="春季冰雪初融时，羊肚菌在海拔两千米以上的林地里生长，合作社在林下仿野生种植。采后剪去带泥的菌柄，低温烘干。泡发后适合炖汤和清炒。请密封防潮，常温保存。",
         description_en=("Morels come up in spring as the snow melts in woodland above 2,000 m; "
                         "the cooperative grows them the wild way under the trees. "
                         "The muddy stem bases are trimmed and the caps dried at low heat. "
                         "Soak, then use in soups or stir-fries. Keep sealed and dry at room temperature."),
         variants=[("50", "50 g 罐", "50 g jar", 8800, 50), ("100", "100 g 罐", "100 g jar", 16800, 100)]),
]

# Storefront states the demo shows: one variant sold out, one nearly gone (SKU, units left).
SOLD_OUT_SKU = "WX-MQJ-50"
LOW_STOCK = ("TC-FGP-500B", 3)

# Days from harvest to the cooperative receiving the lot, by category (drying, processing).
PROCESSING_DAYS = {
    "walnuts": (4, 16), "pepper": (3, 10), "olive-oil": (2, 12), "herbs": (10, 20),
    "honey": (2, 8), "fungi": (4, 12), "tea": (1, 5),
}

# Household heads: common surnames of south-east Gansu and plain given-name characters,
# combined at random, so that no name belongs to anyone in particular.
SURNAMES = "王李张赵杨何马苟蒲刘陈罗任袁雷田姚董冯吴牛汪文"
GIVEN_FIRST = "建志秀春玉永德福金海有长世宝新兴红桂彩存双来满银占保天万小俊"
GIVEN_SECOND = "林平生强军兰英芳梅霞珍花娥贵祥全才明山成发云堂喜仓旺虎琴莲娃"
# Well-known people the combinations could produce; skipped.
FAMOUS_NAMES = frozenset({
    "王宝强", "张德江", "赵本山", "刘德华", "杨利伟", "王健林", "马化腾", "张艺谋", "李连杰",
    "杨振宁", "李小龙", "张学友", "冯小刚", "任正非", "罗永浩", "刘晓庆", "王岐山", "赵乐际",
    "王沪宁", "何立峰", "李克强", "刘少奇", "李先念", "杨尚昆", "王小川", "张小龙", "雷军",
    "刘永好", "马云", "马明哲", "冯小宁", "王金平", "王世贞", "李世民", "赵匡胤", "张春桥",
    "王洪文", "姚文元", "陈永贵", "雷锋", "王进喜", "杨小凯", "李秀成", "冯玉祥", "马海德",
})

# --- the year of history (shop/seed_history.py) ----------------------------------------------

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # for Stripe-style ids

# Buyers: city shoppers with invented names (common surnames and given names combined at random).
BUYER_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆范金石廖贾夏韦方白邹孟熊秦江薛段雷侯龙史陶贺顾毛郝龚邵万严武戴孔汤"
BUYER_GIVEN = (
    "晓雨", "子涵", "思远", "一鸣", "嘉怡", "欣然", "浩然", "雨桐", "梓萱", "宇轩", "诗琪", "俊杰", "佳慧",
    "文博", "雅婷", "志鹏", "晨曦", "明轩", "若楠", "天佑", "静怡", "博文", "可欣", "泽宇", "丽娟", "建华",
    "海燕", "国栋", "玉洁", "振宇", "立新", "凤英", "秋菊", "亚楠", "梦琪", "家豪", "慧敏", "少华", "春燕",
)
# (province, city, districts) where buyers live.
BUYER_CITIES = [
    ("北京市", "北京市", ("朝阳区", "海淀区", "丰台区", "西城区", "通州区")),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区")),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "番禺区")),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区")),
    ("四川省", "成都市", ("武侯区", "锦江区", "高新区", "青羊区")),
    ("陕西省", "西安市", ("雁塔区", "碑林区", "未央区", "长安区")),
    ("甘肃省", "兰州市", ("城关区", "七里河区", "安宁区")),
    ("甘肃省", "陇南市", ("武都区", "成县")),
    ("浙江省", "杭州市", ("西湖区", "拱墅区", "滨江区", "余杭区")),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "建邺区", "江宁区")),
    ("湖北省", "武汉市", ("武昌区", "洪山区", "江汉区")),
    ("重庆市", "重庆市", ("渝中区", "江北区", "南岸区", "渝北区")),
    ("天津市", "天津市", ("南开区", "河西区", "和平区")),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区")),
    ("河南省", "郑州市", ("金水区", "二七区", "郑东新区")),
]
# Invented street and estate names, generic enough to belong to no address in particular.
BUYER_STREETS = ("建设路", "人民路", "解放路", "和平路", "幸福路", "文化路", "青年路", "光明街", "团结路",
                 "长安路", "新华路", "东风路", "友谊路", "朝阳路", "花园路")
BUYER_ESTATES = ("阳光花园", "翠湖小区", "金色家园", "幸福里", "和平新村", "锦绣苑", "枫林小区", "嘉园",
                 "春华苑", "绿洲小区", "东方花园", "书香苑")

# Carriers a cooperative ships with, and how their tracking numbers look (prefix, digits).
CARRIERS = {
    "顺丰速运": ("SF", 13),
    "中通快递": ("75", 12),
    "中国邮政 EMS": ("11", 11),
    "京东物流": ("JDVA", 11),
}
# Which carriers each cooperative uses, most used first: EMS reaches every mountain village.
COOP_CARRIERS = {
    "cheng-walnut": ("中通快递", "中国邮政 EMS", "顺丰速运"),
    "wudu-pepper": ("中通快递", "顺丰速运", "中国邮政 EMS"),
    "wudu-olive": ("顺丰速运", "京东物流", "中通快递"),
    "tanchang-gastrodia": ("中国邮政 EMS", "顺丰速运"),
    "li-zhuling": ("中国邮政 EMS", "中通快递"),
    "kang-honey": ("中通快递", "中国邮政 EMS"),
    "kang-fungus": ("中通快递", "京东物流", "中国邮政 EMS"),
    "wen-tea": ("顺丰速运", "中国邮政 EMS"),
    "hui-mayanhe": ("中国邮政 EMS", "中通快递"),
    "wen-herbs": ("中国邮政 EMS", "顺丰速运"),
}

# Spring Festival (the first day of the lunar year): gifts sell in the weeks before it, and
# couriers rest for a week around it.
SPRING_FESTIVALS = (
    (2025, 1, 29), (2026, 2, 17), (2027, 2, 6), (2028, 1, 26), (2029, 2, 13), (2030, 2, 3),
    (2031, 1, 23), (2032, 2, 11), (2033, 1, 31), (2034, 2, 19), (2035, 2, 8), (2036, 1, 28),
)
# How busy the shop is in each month, January first (autumn: new walnuts and pepper, and 11.11).
MONTH_RATE = (1.1, 0.9, 0.7, 0.8, 0.8, 0.7, 0.65, 0.75, 1.4, 1.8, 1.9, 1.1)
# Months in which a category sells more than usual, and by how much.
CATEGORY_PEAKS = {
    "walnuts": ((9, 10, 11), 2.6), "pepper": ((9, 10, 11), 2.4), "tea": ((4, 5, 6), 2.6),
    "olive-oil": ((11, 12), 1.8), "herbs": ((11, 12, 1), 1.6), "honey": ((10, 11, 12, 1), 1.4),
    "fungi": ((9, 10), 1.4),
}

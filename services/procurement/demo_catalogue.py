"""The demo catalogue: what a Chinese boarding school's canteens and campus store buy.

(code, 中文名, English name, category, specification, base unit, purchase units, shelf life in days,
restricted food, reference price per base unit in yuan)
"""
from decimal import Decimal

D = Decimal

DEMO_ITEMS = [
    # rice, flour, cooking oil, coal: the bulk commodities bought from fixed suppliers
    ("RICE-DB1", "东北大米", "Northeast japonica rice", "rice", "一级粳米 25kg袋", "kg", {"bag": "25"}, 365, False, D("4.20")),
    ("RICE-DB2", "东北大米", "Northeast japonica rice", "rice", "二级粳米 25kg袋", "kg", {"bag": "25"}, 365, False, D("3.80")),
    ("RICE-XM", "籼米", "Indica rice", "rice", "一级籼米 25kg袋", "kg", {"bag": "25"}, 365, False, D("3.50")),
    ("RICE-GLU", "糯米", "Glutinous rice", "rice", "圆糯米 10kg袋", "kg", {"bag": "10"}, 365, False, D("5.60")),
    ("FLOUR-T1", "特一粉", "Special grade wheat flour", "flour", "特一粉 25kg袋", "kg", {"bag": "25"}, 270, False, D("3.90")),
    ("FLOUR-FQ", "富强粉", "Fuqiang wheat flour", "flour", "富强粉 25kg袋", "kg", {"bag": "25"}, 270, False, D("3.60")),
    ("FLOUR-DM", "玉米面", "Corn meal", "flour", "细玉米面 5kg袋", "kg", {"bag": "5"}, 180, False, D("4.00")),
    ("NOODLE-GM", "挂面", "Dried noodles", "flour", "龙须挂面 1kg×10把/箱", "kg", {"carton": "10"}, 365, False, D("6.50")),
    ("OIL-SOY5", "大豆油", "Soybean oil", "cooking_oil", "一级大豆油 5L桶", "L", {"drum5": "5", "drum20": "20"}, 540, False, D("9.80")),
    ("OIL-RAPE", "菜籽油", "Rapeseed oil", "cooking_oil", "压榨一级 5L桶", "L", {"drum5": "5"}, 540, False, D("13.50")),
    ("OIL-PEAN", "花生油", "Peanut oil", "cooking_oil", "压榨一级 5L桶", "L", {"drum5": "5"}, 540, False, D("24.00")),
    ("OIL-BLEND", "食用调和油", "Blended cooking oil", "cooking_oil", "20L桶", "L", {"drum20": "20"}, 540, False, D("10.50")),
    ("COAL-WY", "无烟煤", "Anthracite", "coal", "块煤 发热量≥6000大卡", "t", {}, None, False, D("1150.00")),
    ("COAL-YM", "烟煤", "Bituminous coal", "coal", "洗精煤", "t", {}, None, False, D("980.00")),
    # vegetables
    ("VEG-BC", "白菜", "Chinese cabbage", "vegetables", "大白菜 一级", "kg", {}, 10, False, D("1.60")),
    ("VEG-TD", "土豆", "Potato", "vegetables", "黄心 中大个", "kg", {}, 30, False, D("2.20")),
    ("VEG-LB", "白萝卜", "White radish", "vegetables", "一级", "kg", {}, 14, False, D("1.40")),
    ("VEG-HLB", "胡萝卜", "Carrot", "vegetables", "一级", "kg", {}, 21, False, D("2.40")),
    ("VEG-XHS", "西红柿", "Tomato", "vegetables", "大红 一级", "kg", {}, 7, False, D("4.60")),
    ("VEG-HG", "黄瓜", "Cucumber", "vegetables", "一级", "kg", {}, 7, False, D("3.80")),
    ("VEG-QZ", "茄子", "Eggplant", "vegetables", "长茄 一级", "kg", {}, 7, False, D("3.60")),
    ("VEG-QJ", "青椒", "Green pepper", "vegetables", "一级", "kg", {}, 7, False, D("4.20")),
    ("VEG-YC", "洋葱", "Onion", "vegetables", "黄皮", "kg", {}, 30, False, D("2.00")),
    ("VEG-BCAI", "菠菜", "Spinach", "vegetables", "一级", "kg", {}, 3, False, D("5.00")),
    ("VEG-YCAI", "油菜", "Bok choy", "vegetables", "上海青", "kg", {}, 4, False, D("3.40")),
    ("VEG-DG", "冬瓜", "Winter melon", "vegetables", "一级", "kg", {}, 20, False, D("1.50")),
    ("VEG-DJ", "豆角", "Green beans", "vegetables", "一级", "kg", {}, 5, False, D("6.80")),
    ("VEG-DF", "豆腐", "Tofu", "vegetables", "北豆腐 500g块", "kg", {"block": "0.5"}, 2, False, D("5.20")),
    ("VEG-SJ", "生姜", "Ginger", "vegetables", "一级", "kg", {}, 60, False, D("9.00")),
    ("VEG-DS", "大蒜", "Garlic", "vegetables", "白皮 一级", "kg", {}, 90, False, D("8.00")),
    # meat and eggs
    ("MEAT-PORK", "猪肉", "Pork", "meat_eggs", "白条猪 后腿肉 冷鲜", "kg", {}, 3, False, D("28.00")),
    ("MEAT-PRIB", "猪排骨", "Pork ribs", "meat_eggs", "冷鲜肋排", "kg", {}, 3, False, D("42.00")),
    ("MEAT-BEEF", "牛肉", "Beef", "meat_eggs", "冷鲜牛腿肉", "kg", {}, 3, False, D("72.00")),
    ("MEAT-CHK", "鸡腿", "Chicken leg", "meat_eggs", "冷冻琵琶腿 10kg箱", "kg", {"carton": "10"}, 180, False, D("16.00")),
    ("MEAT-FISH", "鲢鱼", "Silver carp", "meat_eggs", "鲜活 1.5kg以上", "kg", {}, 1, False, D("12.00")),
    ("EGG-CHK", "鸡蛋", "Eggs", "meat_eggs", "鲜鸡蛋 一级 散装", "kg", {"tray": "1.8"}, 30, False, D("9.20")),
    ("MILK-UHT", "纯牛奶", "UHT milk", "meat_eggs", "250mL×24盒/箱", "piece", {"carton": "24"}, 180, False, D("2.50")),
    # seasonings
    ("SEA-SALT", "食盐", "Iodised salt", "seasonings", "加碘精制盐 400g袋", "kg", {"bag": "0.4"}, 1095, False, D("4.50")),
    ("SEA-SOY", "酱油", "Soy sauce", "seasonings", "酿造生抽 特级 1.9L桶", "L", {"bottle": "1.9"}, 540, False, D("8.40")),
    ("SEA-VIN", "醋", "Vinegar", "seasonings", "陈醋 2.5L桶", "L", {"bottle": "2.5"}, 720, False, D("6.00")),
    ("SEA-SUG", "白砂糖", "White sugar", "seasonings", "一级 1kg袋", "kg", {"bag": "1"}, 720, False, D("7.20")),
    ("SEA-MSG", "味精", "MSG", "seasonings", "99% 1kg袋", "kg", {"bag": "1"}, 1095, False, D("12.00")),
    ("SEA-CHIL", "干辣椒", "Dried chilli", "seasonings", "二荆条", "kg", {}, 365, False, D("30.00")),
    ("SEA-HJ", "花椒", "Sichuan pepper", "seasonings", "大红袍", "kg", {}, 365, False, D("90.00")),
    ("SEA-DBJ", "豆瓣酱", "Chilli bean paste", "seasonings", "郫县豆瓣 1kg袋", "kg", {"bag": "1"}, 540, False, D("14.00")),
    ("SEA-STAR", "八角", "Star anise", "seasonings", "干货", "kg", {}, 365, False, D("48.00")),
    # campus store goods
    ("STO-WATER", "矿泉水", "Mineral water", "store_goods", "550mL×24瓶/箱", "piece", {"carton": "24"}, 540, False, D("1.20")),
    ("STO-BREAD", "面包", "Bread", "store_goods", "手撕面包 90g袋", "piece", {"carton": "20"}, 30, False, D("3.50")),
    ("STO-CHIPS", "薯片", "Potato chips", "store_goods", "原味 70g袋", "piece", {"carton": "22"}, 270, True, D("5.00")),
    ("STO-COLA", "可乐", "Cola", "store_goods", "330mL罐 ×24/箱", "piece", {"carton": "24"}, 365, True, D("2.60")),
    ("STO-INST", "方便面", "Instant noodles", "store_goods", "红烧牛肉面 桶装", "piece", {"carton": "12"}, 180, True, D("4.00")),
    ("STO-CHOC", "巧克力", "Chocolate", "store_goods", "牛奶巧克力 40g", "piece", {"carton": "48"}, 365, True, D("6.00")),
    ("STO-SPICY", "辣条", "Spicy gluten strips", "store_goods", "106g袋", "piece", {"carton": "40"}, 180, True, D("2.50")),
    ("STO-YOG", "酸奶", "Yoghurt", "store_goods", "常温酸奶 200g", "piece", {"carton": "12"}, 150, False, D("3.80")),
    ("STO-APPLE", "苹果", "Apples", "store_goods", "红富士 80#", "kg", {}, 30, False, D("8.00")),
    ("STO-BANANA", "香蕉", "Bananas", "store_goods", "一级", "kg", {}, 5, False, D("6.00")),
    ("STO-TOOTH", "牙膏", "Toothpaste", "store_goods", "含氟牙膏 120g", "piece", {"carton": "36"}, 1095, False, D("9.90")),
    ("STO-BRUSH", "牙刷", "Toothbrush", "store_goods", "软毛", "piece", {"carton": "60"}, None, False, D("4.50")),
    ("STO-TISSUE", "纸巾", "Tissues", "store_goods", "抽纸 3层 100抽", "piece", {"pack": "6"}, None, False, D("2.80")),
    ("STO-SOAP", "洗衣皂", "Laundry soap", "store_goods", "238g块", "piece", {"carton": "48"}, None, False, D("3.20")),
    ("STO-PEN", "中性笔", "Gel pen", "store_goods", "0.5mm 黑色", "piece", {"box": "12"}, None, False, D("1.50")),
    ("STO-NOTE", "笔记本", "Notebook", "store_goods", "B5 60页", "piece", {"pack": "10"}, None, False, D("3.00")),
]

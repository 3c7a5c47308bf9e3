"""Generate a large, valid content tree for the build benchmarks (documented in the README, "Content").

    .venv/bin/python loadtests/gen_catalog.py OUT_DIR --stations 10 --products 1000 [--seed 1]

OUT_DIR becomes a content folder: main/ (the supply: N products over ten
categories, 2–4 SKUs each, Markdown descriptions of realistic length with a
table and lists) and stations-1 substations (each sells all products or a large
subset, at a markup with some fixed prices). Same arguments, same bytes.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

# (id, name, nouns, SKU ladder: (id suffix, SKU name, face value in yuan))
CATEGORIES: list[tuple[str, str, list[str], list[tuple[str, str, int]]]] = [
    ("game-cards", "游戏点卡", ["游戏点卡", "一卡通", "钱包充值卡"],
     [("10", "10 元", 10), ("30", "30 元", 30), ("50", "50 元", 50), ("100", "100 元", 100), ("200", "200 元", 200), ("500", "500 元", 500)]),
    ("mobile-games", "手游充值", ["钻石直充卡", "点券卡", "元宝卡"],
     [("6", "6 元", 6), ("30", "30 元", 30), ("68", "68 元", 68), ("128", "128 元", 128), ("328", "328 元", 328), ("648", "648 元", 648)]),
    ("top-up", "话费充值", ["话费充值卡", "流量充值卡", "宽带充值卡"],
     [("20", "20 元", 20), ("30", "30 元", 30), ("50", "50 元", 50), ("100", "100 元", 100), ("200", "200 元", 200)]),
    ("video-vip", "视频会员", ["视频 VIP 会员", "影视黄金会员", "超级影视会员"],
     [("1m", "月卡", 25), ("3m", "季卡", 68), ("6m", "半年卡", 128), ("12m", "年卡", 248)]),
    ("music-vip", "音乐会员", ["音乐绿钻", "黑胶 VIP", "无损音乐会员"],
     [("1m", "月卡", 15), ("3m", "季卡", 45), ("12m", "年卡", 158)]),
    ("software", "软件授权", ["专业版授权", "办公套件密钥", "安全卫士激活码"],
     [("1y", "一年期", 199), ("2y", "两年期", 359), ("life", "永久授权", 899)]),
    ("gift-cards", "礼品卡", ["电子礼品卡", "购物卡", "充值礼品卡"],
     [("50", "50 元", 50), ("100", "100 元", 100), ("200", "200 元", 200), ("500", "500 元", 500), ("1000", "1000 元", 1000)]),
    ("cloud", "云存储", ["网盘会员", "云空间扩容卡", "相册会员"],
     [("1m", "月卡", 30), ("3m", "季卡", 88), ("12m", "年卡", 298)]),
    ("education", "学习会员", ["题库会员", "网课年卡", "词典 VIP"],
     [("1m", "月卡", 39), ("6m", "半年卡", 199), ("12m", "年卡", 359)]),
    ("food", "餐饮卡券", ["咖啡券", "外卖红包卡", "奶茶兑换券"],
     [("20", "20 元", 20), ("50", "50 元", 50), ("100", "100 元", 100)]),
]

PREFIX = "星云龙风火雷光月海山天银金玄青灵幻极速乐晴竹枫"
SUFFIX = "游娱网讯动盟途界域城谷境阁"
VARIANTS = ["国服", "港服", "国际版", "企业版", "学生版", "家庭版", "典藏版", "限定版"]

INTRO = [
    "{title}是{brand}官方发行的电子卡密，付款成功后订单页面几秒内就会显示卡号和密码，不用等人工发货。",
    "本店所有{noun}都从{brand}授权渠道批量采购，每一张卡密在入库前都会核对批次和面值。",
    "兑换后金额或时长直接进入你自己的账户，可以叠加使用，也可以分几次兑换给不同的账户。",
    "很多玩家会在大促前提前囤好卡密，活动开始时直接兑换，省去排队支付的麻烦。",
    "和淘宝代充不同，这里拿到的是完整卡密，兑换时不需要把账号和密码告诉任何人。",
    "卡密一经售出即视为已交付，但兑换失败的卡密我们会向上游核实，确属无效的会补发或退款。",
    "{brand}的卡密在全国通用，不区分地区和运营商，手机、电脑、平板上都能兑换。",
    "夜间和节假日同样自动发卡，库存页面上的数字是实时的，显示有货就一定能买到。",
    "如果你是给朋友送礼，可以把订单页面上的卡密截图或复制发给对方，由对方自行兑换。",
    "单笔订单有购买上限，超过上限请分几次下单，或者联系客服走批量采购通道。",
    "卡密有效期以{brand}官方公告为准，一般自售出之日起不少于十二个月，建议尽早兑换。",
    "支付支持银行卡、支付宝和微信支付，付款页面由支付机构提供，本店不会接触你的支付信息。",
]
STEPS = [
    "付款成功后，订单页面会直接显示卡密，同时发送一封包含订单链接的邮件。",
    "打开{brand}官方客户端或官网，登录需要充值的账户。",
    "进入「账户」→「充值中心」→「卡密兑换」，不同版本的入口名称可能略有不同。",
    "粘贴卡号和密码，注意不要多复制空格或换行，点击「确认兑换」。",
    "兑换成功后页面会显示到账金额或会员到期时间，刷新账户页面即可看到余额变化。",
    "如果提示「卡密已被使用」，请先确认没有重复兑换，再把订单号发给客服核实。",
]
NOTES = [
    "卡密属于虚拟商品，售出后不支持无理由退换，下单前请确认面值和适用区域。",
    "请在自己的设备上兑换，不要把卡密发给自称客服的陌生人。",
    "同一账户每天的兑换次数可能有上限，大额充值建议分几天完成。",
    "部分活动赠送的额外时长或点数以{brand}官方规则为准，本店不额外承诺。",
    "未成年人请在监护人同意后购买，游戏充值请遵守防沉迷规定。",
    "企业采购需要发票的，请在付款后 30 天内联系客服开具。",
    "订单页面需要用下单时填写的邮箱和查询密码才能再次打开，请妥善保管。",
    "兑换出现问题时，请保留订单号和报错截图，方便客服向上游核实。",
]
SUITS = ["日常零花、小额试用", "一次活动或一个月的消费", "常用玩家的月度储备", "大促囤货、送礼",
         "长期使用、性价比最高", "团队或家庭共享"]
QUESTIONS = [
    ("付款后多久能拿到卡密？", "正常情况下付款后 10 秒内到账；支付宝和微信支付偶尔会延迟一两分钟，订单页面会自动刷新。"),
    ("卡密可以兑换到别人的账户吗？", "可以。卡密不绑定购买人，谁兑换就充到谁的账户里。"),
    ("买错面值怎么办？", "卡密未兑换前请立即联系客服，我们会尽力协调，但已显示的卡密无法保证退回。"),
    ("可以开发票吗？", "可以，付款后 30 天内凭订单号申请电子发票。"),
    ("库存显示售罄怎么办？", "热门面值通常在一小时内补货，可以先收藏页面，稍后再来。"),
]


@dataclass(frozen=True)
class GeneratedProduct:
    id: str
    category: str
    skus: tuple[tuple[str, int], ...]  # (SKU id, wholesale in fen)


def money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def svg(label: str, colour: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 160" width="240" height="160" role="img" aria-label="{label}">\n'
        f"  <title>{label}</title>\n"
        f'  <rect width="240" height="160" rx="20" fill="{colour}"/>\n'
        '  <circle cx="214" cy="22" r="70" fill="#ffffff" fill-opacity=".1"/>\n'
        '  <rect x="24" y="104" width="120" height="12" rx="6" fill="#ffffff" fill-opacity=".7"/>\n'
        '  <rect x="24" y="124" width="80" height="10" rx="5" fill="#ffffff" fill-opacity=".45"/>\n'
        "</svg>\n"
    )


def colour(rng: random.Random) -> str:
    return "#" + "".join(f"{rng.randrange(30, 200):02x}" for _ in range(3))


class Generator:
    def __init__(self, out: Path, stations: int, products: int, seed: int) -> None:
        if stations < 1:
            raise ValueError("--stations must be at least 1 (the main station)")
        if products < 1:
            raise ValueError("--products must be at least 1")
        self.out = out
        self.stations = stations
        self.products = products
        self.rng = random.Random(seed)
        self.generated: list[GeneratedProduct] = []

    def write(self, relative: str, text: str) -> None:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")

    def run(self) -> None:
        self.main()
        for number in range(2, self.stations + 1):
            self.substation(number)

    # --- main station ------------------------------------------------------------------

    def main(self) -> None:
        rng = self.rng
        lines = [
            "# Generated by loadtests/gen_catalog.py for the build benchmarks.",
            "kind: main",
            "name: 压测卡盟总站",
            "domain: shop.bench.example",
            "language: zh-CN",
            "currency: CNY",
            "theme: default",
            "logo: logo.svg",
            "colors:",
            f'  primary: "{colour(rng)}"',
            f'  accent: "{colour(rng)}"',
            "announcement: 压测数据：全部商品自动发卡，7×24 小时在线",
            "tagline: 正版点卡 · 自动发卡 · 付款即到",
            "support_email: help@shop.bench.example",
            "categories:",
        ]
        for category_id, name, _, _ in CATEGORIES:
            lines += [f"  - id: {category_id}", f"    name: {name}"]
        self.write("main/station.yaml", "\n".join(lines) + "\n")
        self.write("main/images/logo.svg", svg("压测卡盟", colour(rng)))
        for category_id, name, _, _ in CATEGORIES:
            self.write(f"main/images/{category_id}.svg", svg(name, colour(rng)))
        self.write("main/landing.md", self.landing_body("压测卡盟总站", "全部货源"))
        self.write("main/pages/about.md", "---\ntitle: 关于我们\n---\n" + self.paragraphs(3, "本站", "卡密", "本站的商品") + "\n")
        self.write("main/pages/faq.md", "---\ntitle: 常见问题\n---\n" + self.faq() + "\n")
        self.write("main/pages/terms.md", "---\ntitle: 服务条款\n---\n" + self.terms() + "\n")

        titles: dict[str, set[str]] = {c[0]: set() for c in CATEGORIES}
        for index in range(self.products):
            category_id, _, nouns, ladder = CATEGORIES[index % len(CATEGORIES)]
            product_id = f"{category_id}-{index // len(CATEGORIES) + 1:04d}"
            brand = rng.choice(PREFIX) + rng.choice(SUFFIX)
            noun = rng.choice(nouns)
            title = f"{brand}{noun}"
            if title in titles[category_id]:
                title = f"{title}（{rng.choice(VARIANTS)}）"
            while title in titles[category_id]:
                title = f"{brand}{noun}（{rng.choice(VARIANTS)} {rng.randrange(2, 100)}）"
            titles[category_id].add(title)
            self.product(product_id, category_id, title, brand, noun, ladder)

    def product(self, product_id: str, category_id: str, title: str, brand: str, noun: str,
                ladder: list[tuple[str, str, int]]) -> None:
        rng = self.rng
        count = rng.randint(2, min(4, len(ladder)))
        start = rng.randrange(0, len(ladder) - count + 1)
        chosen = ladder[start:start + count]
        skus: list[tuple[str, int]] = []
        front = [
            "---",
            f"title: {title}",
            f"category: {category_id}",
            f"summary: {brand}{noun}，官方渠道卡密，付款后秒发",
            "fulfilment: card_key",
            f"images: [{category_id}.svg]",
            f"tags: [{brand}, {noun}, 自动发卡]",
        ]
        if rng.random() < 0.3:
            front.append(f"sort: {rng.randrange(1, 100)}")
        front.append("skus:")
        rows = []
        for suffix, name, face in chosen:
            face_fen = face * 100
            wholesale = face_fen * rng.randint(880, 975) // 1000
            retail = max(wholesale, min(face_fen, wholesale * rng.randint(1010, 1080) // 1000))
            sku_id = f"{product_id}-{suffix}"
            skus.append((sku_id, wholesale))
            front += [
                f"  - id: {sku_id}",
                f"    name: {name}",
                f"    face_value: {money(face_fen)}",
                f"    wholesale: {money(wholesale)}",
                f"    retail: {money(retail)}",
            ]
            if face >= 300:
                front.append(f"    max_per_order: {rng.choice([2, 3, 5])}")
            if rng.random() < 0.5:
                front.append(f"    low_stock: {rng.choice([5, 10, 20, 30, 50])}")
            rows.append(f"| {name} | ¥{money(retail)} | {rng.choice(SUITS)} |")
        front.append("---")
        body = [
            self.paragraphs(1, brand, noun, title),
            "",
            "## 兑换步骤",
            "",
            *(f"{n}. {step.format(brand=brand)}" for n, step in enumerate(rng.sample(STEPS, rng.randint(4, 5)), 1)),
            "",
            "## 面值怎么选",
            "",
            "| 规格 | 参考价 | 适合 |",
            "| --- | --- | --- |",
            *rows,
            "",
            "## 注意事项",
            "",
            *(f"- {note.format(brand=brand)}" for note in rng.sample(NOTES, rng.randint(3, 5))),
            "",
            self.paragraphs(1, brand, noun, title),
            "",
        ]
        if rng.random() < 0.5:
            body += ["## 常见问题", ""]
            for question, answer in rng.sample(QUESTIONS, 2):
                body += [f"**{question}**", "", answer, ""]
        self.write(f"main/products/{product_id}.md", "\n".join(front) + "\n" + "\n".join(body))
        self.generated.append(GeneratedProduct(product_id, category_id, tuple(skus)))

    # --- substations ---------------------------------------------------------------------

    def substation(self, number: int) -> None:
        rng = self.rng
        station_id = f"sub-{number:02d}"
        name = f"压测分站 {number:02d}"
        language = "en" if number % 5 == 0 else "zh-CN"
        if rng.random() < 0.5:
            sold = self.generated
            sells = ["sells: all"]
        else:
            share = rng.uniform(0.85, 0.98)
            sold = sorted(rng.sample(self.generated, max(1, round(len(self.generated) * share))), key=lambda p: p.id)
            sells = ["sells:", *(f"  - {p.id}" for p in sold)]
        markup = rng.choice(["5", "6", "8", "10", "12.5", "15"])
        fixed = []
        for product in rng.sample(sold, min(len(sold), rng.randint(3, 20))):
            sku_id, wholesale = rng.choice(product.skus)
            price = wholesale + wholesale * rng.randint(0, 60) // 1000
            fixed.append(f"    {sku_id}: {money(price)}")
        lines = [
            f"# Generated by loadtests/gen_catalog.py: substation {number}.",
            "kind: substation",
            f"name: {name}",
            f"domain: {station_id}.bench.example",
            f"language: {language}",
            "currency: CNY",
            "theme: default",
            "logo: logo.svg",
            "colors:",
            f'  primary: "{colour(rng)}"',
            f'  accent: "{colour(rng)}"',
            f"announcement: {name}：新用户首单立减，卡密自动发货",
            f"tagline: {name} · 专业卡密分销",
            f"support_email: kefu@{station_id}.bench.example",
            *sells,
            "pricing:",
            f"  markup_percent: {markup}",
        ]
        if fixed:
            lines += ["  fixed:", *sorted(fixed)]
        self.write(f"{station_id}/station.yaml", "\n".join(lines) + "\n")
        self.write(f"{station_id}/images/logo.svg", svg(name, colour(rng)))
        self.write(f"{station_id}/landing.md", self.landing_body(name, "精选货源"))
        if rng.random() < 0.5:
            self.write(f"{station_id}/pages/about.md", "---\ntitle: 关于本站\n---\n" + self.paragraphs(2, name, "卡密", name) + "\n")
        if rng.random() < 0.5:
            self.write(f"{station_id}/pages/faq.md", "---\ntitle: 常见问题\n---\n" + self.faq() + "\n")

    # --- text ------------------------------------------------------------------------------

    def paragraphs(self, count: int, brand: str, noun: str, title: str) -> str:
        out = []
        for _ in range(count):
            sentences = self.rng.sample(INTRO, self.rng.randint(3, 5))
            out.append("".join(s.format(brand=brand, noun=noun, title=f"**{title}**") for s in sentences))
        return "\n\n".join(out)

    def faq(self) -> str:
        return "\n\n".join(f"## {q}\n\n{a}" for q, a in QUESTIONS)

    def terms(self) -> str:
        items = "\n".join(f"{n}. {note.format(brand='本站')}" for n, note in enumerate(NOTES, 1))
        return f"使用本站即表示你同意以下条款。\n\n{items}\n\n本条款的解释权归本站所有，如有变更会在首页公告。"

    def landing_body(self, title: str, what: str) -> str:
        rng = self.rng
        rows = [f"| {name} | {len(ladder)} 种规格 | {rng.choice(SUITS)} |" for _, name, _, ladder in CATEGORIES]
        return "\n".join([
            "---",
            f"title: {title}",
            "---",
            f"## {what}，付款即发卡",
            "",
            self.paragraphs(1, title, "卡密", title),
            "",
            "## 热门分类",
            "",
            "| 分类 | 规格 | 适合 |",
            "| --- | --- | --- |",
            *rows,
            "",
            "## 为什么选我们",
            "",
            "- **秒发卡密**：付款成功后订单页面直接显示卡密。",
            "- **官方渠道**：全部卡密来自品牌授权渠道。",
            "- **售后无忧**：无效卡密核实后补发或退款。",
            "",
        ])


def generate(out: Path, stations: int = 10, products: int = 1000, seed: int = 1, force: bool = False) -> Path:
    """Write the content tree into `out` (which must be empty or absent unless force) and return it."""
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    Generator(out, stations, products, seed).run()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the content folder to create")
    parser.add_argument("--stations", type=int, default=10, help="stations in all, the main one included (default 10)")
    parser.add_argument("--products", type=int, default=1000, help="main-station products (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace OUT if it is not empty")
    args = parser.parse_args(argv)
    try:
        generate(args.out, args.stations, args.products, args.seed, args.force)
    except (FileExistsError, ValueError) as error:
        print(f"gen_catalog: {error}", file=sys.stderr)
        return 2
    files = sum(1 for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {files} files to {args.out}: {args.stations} station(s), {args.products} product(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

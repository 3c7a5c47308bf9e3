"""Checks of the commerce rules in content that one field's validator cannot see: order across a list."""
from __future__ import annotations

from collections.abc import Sequence

from kameng.sitegen.content import LevelSpec, SkuSpec
from kameng.sitegen.content_types import amount_text
from kameng.sitegen.problems import Problems


def check_tiers(problems: Problems, source: str, index: int, sku: SkuSpec) -> bool:
    """Tiers rise in quantity and fall (or stay) in price, from retail down to no lower than wholesale."""
    valid = True
    previous_min, previous_price, previous_name = sku.min_per_order, sku.retail, "retail"
    for position, tier in enumerate(sku.tiers):
        field = f"skus[{index}].tiers[{position}]"
        if tier.min <= previous_min:
            after = "min_per_order" if position == 0 else f"tiers[{position - 1}].min"
            problems.add(source, f"{field}.min", f"must be greater than {after} {previous_min}", tier.min)
            valid = False
        elif tier.min > sku.max_per_order:
            problems.add(
                source, f"{field}.min",
                f"must be ≤ max_per_order {sku.max_per_order}, or no order could reach it", tier.min,
            )
            valid = False
        if tier.price < sku.wholesale:
            problems.add(
                source, f"{field}.price",
                f"must be ≥ the wholesale price {amount_text(sku.wholesale)} (got {amount_text(tier.price)})",
            )
            valid = False
        elif tier.price > previous_price:
            problems.add(
                source, f"{field}.price",
                f"must be ≤ {previous_name} {amount_text(previous_price)}: buying more never costs more each"
                f" (got {amount_text(tier.price)})",
            )
            valid = False
        previous_min, previous_price = max(previous_min, tier.min), min(previous_price, tier.price)
        previous_name = f"tiers[{position}].price"
    return valid


def check_levels(problems: Problems, source: str, levels: Sequence[LevelSpec]) -> None:
    """The first level is everyone's (spend 0); thresholds rise; discounts never fall; names differ."""
    names: dict[str, int] = {}
    for position, level in enumerate(levels):
        field = f"levels[{position}]"
        if position == 0 and level.spend != 0:
            problems.add(
                source, f"{field}.spend",
                f"the first level is every shopper's: expected 0.00 (got {amount_text(level.spend)})",
            )
        if position > 0:
            before = levels[position - 1]
            if level.spend <= before.spend:
                problems.add(
                    source, f"{field}.spend",
                    f"must be greater than levels[{position - 1}].spend {amount_text(before.spend)}"
                    f" (got {amount_text(level.spend)})",
                )
            if level.discount_percent < before.discount_percent:
                problems.add(
                    source, f"{field}.discount_percent",
                    f"must be ≥ levels[{position - 1}].discount_percent {before.discount_percent}:"
                    " a higher level never gives less", level.discount_percent,
                )
        if level.name in names:
            problems.add(source, f"{field}.name", f"expected a name no other level uses; levels[{names[level.name]}] has it",
                         level.name)
        else:
            names[level.name] = position

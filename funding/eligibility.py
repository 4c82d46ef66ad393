"""Eligibility rules as data: a whitelist of lead fields, and their evaluation with a reason per rule.

A rule names a field of this whitelist, never a code path: nothing a user types is ever evaluated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from funding.models import ApplicationWindow, EligibilityRule, ProgramVersion
from funding.services.rates import RateBook, money_text
from projects.models import Lead

Operator = EligibilityRule.Operator
MONEY, PERCENT, COUNT, NUMBER, DATE = "money", "percent", "count", "number", "date"
COMPARISONS = (Operator.AT_LEAST, Operator.MORE_THAN, Operator.AT_MOST, Operator.LESS_THAN)
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    MONEY: (*COMPARISONS, Operator.FILLED),
    PERCENT: (*COMPARISONS, Operator.FILLED),
    COUNT: (*COMPARISONS, Operator.FILLED),
    NUMBER: (*COMPARISONS, Operator.FILLED),
    DATE: (Operator.WITHIN_WINDOW, Operator.FILLED),
}


@dataclass(frozen=True)
class LeadField:
    name: str
    kind: str  # money / percent / count / number / date
    label: str | Promise
    currency_field: str = ""

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_KIND[self.kind]


FIELDS: dict[str, LeadField] = {
    f.name: f
    for f in (
        LeadField("paid_in_cash", MONEY, gettext_lazy("paid-in cash"), "paid_in_currency"),
        LeadField(
            "registered_capital", MONEY, gettext_lazy("registered capital"), "registered_capital_currency"
        ),
        LeadField(
            "expected_investment", MONEY, gettext_lazy("expected investment"), "expected_investment_currency"
        ),
        LeadField("founder_equity_percent", PERCENT, gettext_lazy("founder equity")),
        LeadField("headcount_now", COUNT, gettext_lazy("headcount")),
        LeadField("rnd_staff_count", COUNT, gettext_lazy("R&D staff")),
        LeadField("hk_staff_count", COUNT, gettext_lazy("Hong Kong staff")),
        LeadField("trl", NUMBER, gettext_lazy("TRL")),
        LeadField("registered_on", DATE, gettext_lazy("registered on")),
    )
}


def check_rule(*, field: str, operator: str, threshold: Decimal | None, threshold_currency: str) -> LeadField:
    """Refuse a rule that could not be evaluated: a field off the whitelist, an operator that does not fit
    the field, a comparison without threshold, a money threshold without currency."""
    spec = FIELDS.get(field)
    if spec is None:
        raise ApplicationError(
            _("“%(field)s” is not a lead field rules may use. Use one of: %(fields)s.")
            % {"field": field, "fields": ", ".join(FIELDS)},
            field="field",
        )
    if operator not in Operator.values:
        raise ApplicationError(
            _("“%(operator)s” is not an operator.") % {"operator": operator}, field="operator"
        )
    if operator not in spec.operators:
        raise ApplicationError(
            _("“%(operator)s” does not fit %(label)s. Use one of: %(operators)s.")
            % {
                "operator": Operator(operator).label,
                "label": spec.label,
                "operators": ", ".join(str(Operator(o).label) for o in spec.operators),
            },
            field="operator",
        )
    if operator in COMPARISONS:
        if threshold is None:
            raise ApplicationError(
                _("A rule “%(operator)s” needs a threshold.") % {"operator": Operator(operator).label},
                field="threshold",
            )
        if threshold < 0 or (spec.kind == PERCENT and threshold > 100):
            raise ApplicationError(
                _("%(threshold)s is not a possible value of %(label)s.")
                % {"threshold": threshold, "label": spec.label},
                field="threshold",
            )
    elif threshold is not None:
        raise ApplicationError(
            _("A rule “%(operator)s” takes no threshold.") % {"operator": Operator(operator).label},
            field="threshold",
        )
    if spec.kind == MONEY and operator in COMPARISONS and not threshold_currency:
        raise ApplicationError(
            _("A rule on %(label)s needs the threshold's currency.") % {"label": spec.label},
            field="threshold_currency",
        )
    if threshold_currency and (spec.kind != MONEY or operator not in COMPARISONS):
        raise ApplicationError(
            _("Only a money threshold takes a currency; leave it empty for %(label)s.")
            % {"label": spec.label},
            field="threshold_currency",
        )
    return spec


@dataclass(frozen=True)
class RuleResult:
    """One rule against one lead: met True / False, or None when it cannot be decided (a missing rate, no
    batch to compare with), with the reason in words."""

    rule: EligibilityRule
    met: bool | None
    text: str


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    results: list[RuleResult] = field(default_factory=list)

    @property
    def missing(self) -> list[RuleResult]:
        """What stands between the lead and the programme: rules not met or not decidable."""
        return [result for result in self.results if result.met is not True]


def window_for(version: ProgramVersion, on: dt.date) -> ApplicationWindow | None:
    """The batch open on `on`, else the next one to open, else the last one (reads prefetched windows)."""
    windows = sorted(version.windows.all(), key=lambda w: (w.opens_on, w.pk))
    for window in windows:
        if window.opens_on <= on <= window.closes_on:
            return window
    upcoming = [w for w in windows if w.opens_on > on]
    if upcoming:
        return upcoming[0]
    return windows[-1] if windows else None


def evaluate(
    *,
    lead: Lead,
    version: ProgramVersion,
    on: dt.date,
    window: ApplicationWindow | None = None,
    rates: RateBook | None = None,
) -> Eligibility:
    """Check every rule of `version` against `lead` on `on`. Money converts at `on`'s rate; `window` (else the
    batch open on `on`, or the next one) is the batch a date rule compares with. Reads `version.rules` and
    `version.windows` through any prefetch, and `rates` when given, so a list of versions costs no query per
    version."""
    rates = rates or RateBook(on)
    results = [
        _result(rule, lead=lead, version=version, on=on, window=window, rates=rates)
        for rule in _rules(version)
    ]
    return Eligibility(eligible=all(r.met is True for r in results), results=results)


def _rules(version: ProgramVersion) -> list[EligibilityRule]:
    return sorted(version.rules.all(), key=lambda rule: rule.pk)


def _number_text(value: Decimal | int, kind: str) -> str:
    if kind == PERCENT:
        return f"{Decimal(value).normalize():f}%"
    if kind == MONEY:
        return money_text(Decimal(value))
    # Thresholds come back from the database with two places: "10", not "10.00" people.
    return f"{Decimal(value).normalize():f}"


def _result(
    rule: EligibilityRule,
    *,
    lead: Lead,
    version: ProgramVersion,
    on: dt.date,
    window: ApplicationWindow | None,
    rates: RateBook,
) -> RuleResult:
    spec = FIELDS.get(rule.field)
    if spec is None:
        return RuleResult(
            rule, None, _("“%(field)s” is not a lead field rules may use.") % {"field": rule.field}
        )
    value = getattr(lead, spec.name)
    if value is None:
        return RuleResult(rule, False, _("%(label)s not recorded") % {"label": spec.label})
    if rule.operator == Operator.FILLED:
        return RuleResult(rule, True, _("%(label)s recorded") % {"label": spec.label})
    if spec.kind == DATE:
        return _date_result(rule, spec, value, version=version, on=on, window=window)
    if rule.operator not in COMPARISONS or rule.threshold is None:
        return RuleResult(
            rule,
            None,
            _("The rule on %(label)s cannot be checked: it has no threshold.") % {"label": spec.label},
        )
    shown = _number_text(value, spec.kind)
    compared = Decimal(value)
    if spec.kind == MONEY:
        currency = getattr(lead, spec.currency_field)
        target = rule.threshold_currency or currency
        if currency != target:
            try:
                converted = rates.convert(compared, currency, target)
            except ApplicationError as exc:
                return RuleResult(
                    rule,
                    None,
                    _("%(label)s %(value)s cannot be compared with %(threshold)s: %(reason)s")
                    % {
                        "label": spec.label,
                        "value": money_text(compared, currency),
                        "threshold": money_text(rule.threshold, target),
                        "reason": exc.message,
                    },
                )
            compared = converted.amount
            shown = _("%(value)s (%(converted)s at %(rate)s)") % {
                "value": money_text(Decimal(value), currency),
                "converted": money_text(compared, target),
                "rate": converted.rate_text,
            }
        threshold_shown = money_text(rule.threshold, target)
    else:
        threshold_shown = _number_text(rule.threshold, spec.kind)
    met = {
        Operator.AT_LEAST: compared >= rule.threshold,
        Operator.MORE_THAN: compared > rule.threshold,
        Operator.AT_MOST: compared <= rule.threshold,
        Operator.LESS_THAN: compared < rule.threshold,
    }[Operator(rule.operator)]
    if rule.operator == Operator.AT_LEAST:
        text = _("%(label)s %(value)s of %(threshold)s") % {
            "label": spec.label,
            "value": shown,
            "threshold": threshold_shown,
        }
    else:
        text = _("%(label)s %(value)s (%(operator)s %(threshold)s)") % {
            "label": spec.label,
            "value": shown,
            "operator": Operator(rule.operator).label,
            "threshold": threshold_shown,
        }
    return RuleResult(rule, met, text)


def _date_result(
    rule: EligibilityRule,
    spec: LeadField,
    value: dt.date,
    *,
    version: ProgramVersion,
    on: dt.date,
    window: ApplicationWindow | None,
) -> RuleResult:
    window = window or window_for(version, on)
    if window is None:
        return RuleResult(
            rule,
            None,
            _("%(label)s %(value)s: the programme has no batch to compare with")
            % {"label": spec.label, "value": f"{value:%Y-%m-%d}"},
        )
    params = {
        "label": spec.label,
        "value": f"{value:%Y-%m-%d}",
        "opens": f"{window.opens_on:%Y-%m-%d}",
        "closes": f"{window.closes_on:%Y-%m-%d}",
    }
    if window.opens_on <= value <= window.closes_on:
        return RuleResult(
            rule, True, _("%(label)s %(value)s, within the batch %(opens)s – %(closes)s") % params
        )
    return RuleResult(
        rule, False, _("%(label)s %(value)s, outside the batch %(opens)s – %(closes)s") % params
    )

"""The cost report for people (markdown, csv) and as a chart a person would rather read
than a table: a PNG with a stacked daily bar per service for each environment."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from wpfleet.reports.cost import EnvCost

TOP_SERVICES = 6  # the rest is drawn as "other"


def as_markdown(envs: list[EnvCost]) -> str:
    lines: list[str] = []
    for env in envs:
        account = f" ({env.account})" if env.account else ""
        lines += [f"## {env.env}{account}", ""]
        lines.append(
            f"Total {env.total:.2f} {env.currency} over {len(env.daily)} days; "
            f"{env.average_daily:.2f}/day; projected month {env.projected_month:.2f}"
        )
        lines += ["", "| service | cost | share |", "|---|---:|---:|"]
        lines += [f"| {s.service} | {s.total:.2f} | {s.share:.1%} |" for s in env.services]
        if env.by_tenant:
            lines += ["", "| tenant | cost |", "|---|---:|"]
            lines += [
                f"| {t or '(untagged)'} | {c:.2f} |" for t, c in sorted(env.by_tenant.items())
            ]
        for a in env.anomalies:
            lines.append(f"\n- anomaly: {a.day} cost {a.amount:.2f} (typical {a.typical:.2f})")
        for r in env.recommendations:
            lines.append(f"- {r.kind}: {r.text} (about {r.monthly_saving:.2f}/month)")
        lines.append("")
    return "\n".join(lines)


def as_csv(envs: list[EnvCost]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["env", "service", "day", "cost", "currency"])
    for env in envs:
        for svc in env.services:
            for day, amount in svc.daily.items():
                writer.writerow([env.env, svc.service, day, f"{amount:.4f}", env.currency])
    return out.getvalue()


def tenants_csv(envs: list[EnvCost]) -> str:
    """Per-tenant cost (the cost-allocation tag; "" is spend no tenant is tagged with)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["env", "tenant", "cost", "currency"])
    for env in envs:
        for tenant, amount in sorted(env.by_tenant.items()):
            writer.writerow([env.env, tenant, f"{amount:.4f}", env.currency])
    return out.getvalue()


def write_chart(envs: list[EnvCost], path: Path) -> Path:
    """A PNG: one panel per environment, stacked daily cost by service."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(envs), 1, figsize=(10, 3.2 * len(envs)), squeeze=False)
    for ax, env in zip(axes[:, 0], envs, strict=True):
        days = list(env.daily)
        bottom = [0.0] * len(days)
        top = env.services[:TOP_SERVICES]
        rest = env.services[TOP_SERVICES:]
        series = [(s.service, [s.daily.get(d, 0.0) for d in days]) for s in top]
        if rest:
            series.append(("other", [sum(s.daily.get(d, 0.0) for s in rest) for d in days]))
        for name, values in series:
            ax.bar([d[5:] for d in days], values, bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylim(0, max(bottom, default=0.0) * 1.2 or 1.0)
        for anomaly in env.anomalies:
            ax.annotate(
                f"anomaly: {anomaly.amount / anomaly.typical:.1f}x typical",
                (days.index(anomaly.day), anomaly.amount),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                color="red",
                fontsize="small",
            )
        ax.set_title(
            f"{env.env}: {env.total:.2f} {env.currency}, projected month {env.projected_month:.2f}"
        )
        ax.set_ylabel(env.currency)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
    return path

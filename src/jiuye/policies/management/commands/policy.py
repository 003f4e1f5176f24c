"""``jiuye policy …``: the policy calculator, the situation format, parameters and runs.

    jiuye policy calculate situation.json [--policy CODE …] [--json]   # 政策计算器
    jiuye policy schema [--markdown]                                   # the situation format
    jiuye policy params [CODE]                                         # dated parameters
    jiuye policy run --user USERNAME --as-of DATE --region CODE [--policy CODE …]  # 政策找人

``calculate`` prints, per policy and per subject, 符合/不符合, the amount and every condition
with ✓/✗ and the facts behind it; ``--json`` prints exactly what ``POST
/api/policies/calculate`` answers. A file that cannot be read or a situation that is not valid
ends with a clear message and exit status 1, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.translation import gettext as _

from jiuye.core.errors import JiuyeError
from jiuye.policies.api.catalogue import (
    SchemaOut,
    answer_json,
    calculation,
    display_value,
    parameter_info,
    policy_parameters,
    read_situation,
    schema_info,
    schema_markdown,
)
from jiuye.policies.parameters import all_parameters
from jiuye.policies.rules import all_policies


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def _dates(v: dict) -> str:
    start = v["from"].isoformat() if isinstance(v["from"], dt.date) else str(v["from"])
    end = v["to"].isoformat() if isinstance(v.get("to"), dt.date) else (v.get("to") or "")
    return f"{start} – {end}" if end else _("from %(date)s") % {"date": start}


def render_answer(answer: dict) -> str:
    """The calculator's answer as text for a terminal (the page shows the same facts)."""
    subject_kinds = {"person": _("person"), "employer": _("employer")}
    lines = [_("Policy calculator · as of %(date)s") % {"date": answer["as_of"]}, ""]
    unconcerned = []
    for policy in answer["policies"]:
        results = policy["results"]
        if not results:
            # Nothing in the situation is of the policy's kind (no hire, no employer …).
            unconcerned.append(f"{policy['name']}（{policy['code']}）")
            continue
        mode = _("no application needed") if policy["no_application"] else _("on application")
        lines.append(f"■ {policy['name']}（{policy['code']}）· {mode} · {policy['fund_label']}")
        if policy["reference"]:
            lines.append("  " + _("Basis: %(reference)s") % {"reference": policy["reference"]})
        for r in results:
            who = _("%(kind)s %(id)s") % {
                "kind": subject_kinds.get(r["subject_type"], r["subject_type"]),
                "id": r["subject"],
            }
            if r["payee"] != r["subject"] or r["payee_type"] != r["subject_type"]:
                who += " → " + _("paid to %(kind)s %(id)s") % {
                    "kind": subject_kinds.get(r["payee_type"], r["payee_type"]),
                    "id": r["payee"],
                }
            period = "" if r["period"] == "once" else f" · {r['period']}"
            verdict = r["outcome_label"]
            if r["eligible"] and policy["pays"]:
                verdict += " · " + _("%(amount)s yuan") % {"amount": _money(r["amount"])}
            lines.append(f"  {who}{period}: {verdict}")
            conditions = r["conditions"]
            if not r["applicable"]:
                # Not concerned at all: the failed gate says why; the rest is noise.
                conditions = [c for c in conditions if c["gate"] and not c["passed"]]
            for c in conditions:
                mark = "✓" if c["passed"] else "✗"
                detail = f"（{c['detail']}）" if c["detail"] else ""
                lines.append(f"    {mark} {c['label']}{detail}")
        if any(r["applicable"] for r in results) and policy["parameters"]:
            lines.append("  " + _("Parameters used:"))
            for p in policy["parameters"]:
                lines += ["    " + line for line in _parameter_used(p)]
        lines.append("")
    if unconcerned:
        lines.append(
            _("Nobody in the situation concerns: %(policies)s")
            % {"policies": "、".join(unconcerned)}
        )
    return "\n".join(lines).rstrip() + "\n"


def _parameter_used(p: dict) -> list[str]:
    flag = " [" + _("UNCONFIRMED") + "]" if p["unconfirmed"] else ""
    if not p["values"]:  # an override has no dated value to show
        return [f"{p['name']}: {p['version']}{flag}"]
    return [
        f"{p['name']} = {display_value(v['value'])}{flag}（{_dates(v)}；{v['reference']}）"
        for v in p["values"]
    ]


def render_schema(info: dict) -> str:
    lines = []
    for column in info["top_level"]:
        lines.append(f"{column['name']:<28} {column['kind']:<6} {column['description']}")
    for entity in info["entities"]:
        lines += ["", f"{entity['key']} ({entity['entity']})"]
        for column in entity["columns"]:
            lines.append(f"  {column['name']:<26} {column['kind']:<6} {column['description']}")
    return "\n".join(lines) + "\n"


def render_parameters(parameters: list[dict], title: str) -> list[str]:
    lines = [title]
    for p in parameters:
        flag = "  [" + _("UNCONFIRMED") + "]" if p["unconfirmed"] else ""
        unit = f" ({p['unit']})" if p["unit"] else ""
        lines.append(f"  {p['name']}{unit}{flag}")
        if p["description"]:
            lines.append(f"    {p['description']}")
        for v in p["values"]:
            lines.append(f"    {display_value(v['value'])}  {_dates(v)}  {v['reference']}")
        if p["unconfirmed"] and p["note"]:
            lines.append(f"    {_('Note')}: {p['note']}")
    return lines


class Command(BaseCommand):
    help = (
        "政策计算器与政策参数 / Policy calculator, situation format, parameters and "
        "eligibility runs."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        calc = sub.add_parser(
            "calculate", help="政策计算器：计算一个情形 / calculate one situation (JSON file)"
        )
        calc.add_argument("file", help="情形 JSON 文件，- 为标准输入 / situation file, - for stdin")
        calc.add_argument(
            "--policy",
            action="append",
            default=[],
            metavar="CODE",
            help="只计算该政策（可重复）/ only this policy (repeatable)",
        )
        calc.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="输出 API 的 JSON / print the API's JSON answer",
        )
        schema = sub.add_parser("schema", help="情形格式 / the situation format")
        schema.add_argument(
            "--markdown", action="store_true", help="Markdown 表格（用于文档）/ Markdown tables"
        )
        schema.add_argument(
            "--json", dest="as_json", action="store_true", help="JSON, as GET /api/policies/schema"
        )
        params = sub.add_parser("params", help="政策参数 / dated policy parameters")
        params.add_argument("code", nargs="?", default="", help="政策代码 / a policy code")
        run = sub.add_parser("run", help="政策找人：对辖区人员批量计算 / an eligibility run")
        run.add_argument("--user", required=True, help="账号 / the account running it")
        run.add_argument("--as-of", required=True, help="计算日期 / as-of date, YYYY-MM-DD")
        run.add_argument("--region", required=True, help="区划代码 / region code")
        run.add_argument("--policy", action="append", default=[], metavar="CODE")
        tick = sub.add_parser(
            "tick",
            help="定时任务：发送待发通知、结束期满公示 / send queued notices, close ended 公示",
        )
        tick.add_argument("--limit", type=int, default=5000, help="最多发送条数 / notices to send")
        for command in (calc, schema, params, run, tick):
            command.add_argument(
                "--language", default=None, help="语言 / answer in this language (zh-hans, en)"
            )

    def handle(self, *args, action, language=None, **options):
        with translation.override(language or translation.get_language()):
            getattr(self, f"_{action}")(**options)

    # ---- calculate ---------------------------------------------------------------------------

    def _calculate(self, *, file, policy, as_json: bool, **options):
        if file == "-":
            text = sys.stdin.read()
        else:
            path = Path(file)
            try:
                text = path.read_bytes()
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror}
                ) from None
        try:
            answer = calculation(read_situation(text), policy or None)
        except JiuyeError as exc:
            name = "<stdin>" if file == "-" else file
            raise CommandError(f"{name}: {exc.message}") from None
        if as_json:
            # The same text as the API's answer, indented.
            self.stdout.write(answer_json(answer, indent=2))
        else:
            self.stdout.write(render_answer(answer), ending="")

    # ---- schema and parameters ---------------------------------------------------------------

    def _schema(self, *, markdown, as_json, **options):
        if markdown:
            self.stdout.write(schema_markdown(), ending="")
        elif as_json:
            info = SchemaOut.model_validate(schema_info()).model_dump(mode="json", by_alias=True)
            self.stdout.write(_json_text(info))
        else:
            self.stdout.write(render_schema(schema_info()), ending="")

    def _params(self, *, code, **options):
        policies = all_policies()
        if code:
            if code not in policies:
                raise CommandError(
                    _("Unknown policy %(code)s; known: %(known)s")
                    % {"code": code, "known": ", ".join(policies)}
                )
            policy = policies[code]
            parameters = policy_parameters(policy)
            own = [p for p in parameters if not p["shared"]]
            shared = [p for p in parameters if p["shared"]]
            lines = render_parameters(own, f"{policy.name}（{code}）")
            if shared:
                lines += ["", *render_parameters(shared, _("Shared parameters it reads"))]
        else:
            parameters = [parameter_info(p) for _n, p in sorted(all_parameters().items())]
            lines = render_parameters(parameters, _("All policy parameters"))
        self.stdout.write("\n".join(lines) + "\n", ending="")

    # ---- tick --------------------------------------------------------------------------------

    def _tick(self, *, limit, **options):
        """What a scheduler (cron, systemd timer) calls every few minutes."""
        from jiuye.policies import notify, workflows

        sent = notify.send_queued(limit=limit)
        closed = workflows.complete_public_notices()
        self.stdout.write(
            _("Notices sent: %(sent)s, failed: %(failed)s; public notices closed: %(closed)s")
            % {"sent": sent["sent"], "failed": sent["failed"], "closed": closed}
        )

    # ---- run ---------------------------------------------------------------------------------

    def _run(self, *, user, as_of, region, policy, **options):
        from jiuye.accounts.models import User

        # The batch action (政策找人), imported here: the calculator subcommands need no runs.
        from jiuye.policies.runs import run_policies

        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise CommandError(_("--as-of must be a date, YYYY-MM-DD")) from None
        try:
            actor = User.objects.get(username=user, is_active=True)
        except User.DoesNotExist:
            raise CommandError(_("No active user named %(name)s") % {"name": user}) from None
        unknown = [code for code in policy if code not in all_policies()]
        if unknown:
            raise CommandError(_("Unknown policy %(code)s") % {"code": ", ".join(unknown)})
        try:
            run = run_policies(actor=actor, as_of=day, region_code=region, policies=policy or None)
        except JiuyeError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            _("Run %(id)s (%(status)s): as of %(date)s, region %(region)s")
            % {"id": run.pk, "status": run.get_status_display(), "date": day, "region": region}
        )
        names = {code: str(p.name) for code, p in all_policies().items()}
        labels = {
            "candidates": _("candidates"),
            "eligible": _("eligible"),
            "amount": _("amount"),
            "notices": _("notices"),
            "load": _("loading"),
            "evaluate": _("evaluating"),
            "store": _("storing"),
            "total": _("total"),
        }
        for code, counts in (run.counts or {}).items():
            figures = ", ".join(f"{labels.get(k, k)} {v}" for k, v in counts.items())
            self.stdout.write(f"  {names.get(code, code)}（{code}）: {figures}")
        if run.timings:
            timings = ", ".join(
                f"{labels.get(k, k)} {v:.2f} s" if isinstance(v, int | float) else f"{k} {v}"
                for k, v in run.timings.items()
            )
            self.stdout.write("  " + _("Timings: %(timings)s") % {"timings": timings})
        if run.error:
            raise CommandError(run.error)


def _json_text(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)

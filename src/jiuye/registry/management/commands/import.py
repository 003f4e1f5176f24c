"""``jiuye import persons|households|employers|registrations|insurance FILE --user USERNAME``.

A thin wrapper around ``jiuye.registry.imports``, the function the upload page uses too: the
acting account's EDIT scope limits what is imported, exactly as on the page. Kinds other apps
register at start-up (``register_kind``, e.g. ``postings``) are offered too: ``KINDS`` is read
when the arguments are parsed, after every app is ready.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiuye.accounts.models import User
from jiuye.core.errors import JiuyeError
from jiuye.core.tabular import TableError
from jiuye.registry.imports import KINDS, error_report_xlsx, preview_import, run_import


class Command(BaseCommand):
    help = (
        "导入实名制台账（.xlsx/.xls/.ods/.csv）/ Import a registry ledger: "
        "persons, households, employers, registrations, insurance, or a kind another app "
        "registers (e.g. postings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS, help="导入内容 / what the file holds")
        parser.add_argument("path", help="文件 / the file (.xlsx, .xls, .ods or .csv)")
        parser.add_argument(
            "--user",
            required=True,
            help="经办人账号 / the acting staff account; its EDIT scope limits the import",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="更新已有记录 / update records already in the registry (audited)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="只检查，不写入 / validate and report, write nothing",
        )
        parser.add_argument(
            "--errors",
            metavar="OUT.xlsx",
            help="错误行另存为 Excel / write the bad rows with their reasons to this file",
        )
        parser.add_argument(
            "--max-errors",
            type=int,
            default=20,
            help="显示的错误条数 / how many errors to print (default %(default)s)",
        )

    def handle(self, *args, kind, path, user, update, dry_run, errors, max_errors, **options):
        try:
            actor = User.objects.get(username=user, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"没有这个有效账号 / no active user named {user!r}") from None
        if not Path(path).is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")

        name = Path(path).name
        progress = None
        if options["verbosity"] >= 2:

            def progress(done, total):
                self.stderr.write(f"已检查 / checked {done}/{total}")

        try:
            if dry_run:
                outcome = preview_import(
                    kind, path, name, actor=actor, update_existing=update, max_errors=max_errors
                )
            else:
                outcome = run_import(
                    kind, path, name, actor=actor, update_existing=update, progress=progress
                )
        except (TableError, JiuyeError) as exc:
            raise CommandError(str(exc)) from exc

        write = self.stdout.write
        write(
            f"{path}: 共 {outcome.total_rows} 行（表头在第 {outcome.header_row} 行），"
            f"有效 {outcome.valid_rows}，有错 {outcome.invalid_rows} / "
            f"{outcome.total_rows} rows, {outcome.valid_rows} valid, "
            f"{outcome.invalid_rows} with errors"
        )
        if outcome.unrecognised:
            write(f"未识别的列（已忽略）/ columns ignored: {'、'.join(outcome.unrecognised)}")
        if dry_run:
            write(
                f"预检（未写入）：将新增 {outcome.would_create}，将更新 {outcome.would_update}，"
                f"无变化 {outcome.unchanged} / dry run, nothing written: would create "
                f"{outcome.would_create}, update {outcome.would_update}, "
                f"unchanged {outcome.unchanged}"
            )
        elif outcome.written:
            write(
                self.style.SUCCESS(
                    f"已导入：新增 {outcome.created}，更新 {outcome.updated}，"
                    f"无变化 {outcome.unchanged} / imported: created {outcome.created}, "
                    f"updated {outcome.updated}, unchanged {outcome.unchanged}"
                )
            )
        for shown, error in enumerate(outcome.iter_errors()):
            if shown >= max_errors:
                write(f"…… 共 {outcome.error_count} 条错误 / {outcome.error_count} errors in all")
                break
            column = f" [{error.column}]" if error.column else ""
            value = f" “{error.value}”" if error.value else ""
            write(f"第 {error.row} 行 / row {error.row}{column}{value}: {error.reason}")
        if errors and outcome.bad_rows:
            Path(errors).write_bytes(error_report_xlsx(outcome))
            write(f"错误行已写入 / bad rows written to {errors}")
        if outcome.valid_rows == 0:
            message = getattr(outcome, "message", "") or (
                f"全部 {outcome.total_rows} 行均有错误 / all {outcome.total_rows} rows have errors"
            )
            raise CommandError(message)

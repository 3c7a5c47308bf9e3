"""`backup` and `restore`: the embedded shop's data folder, copied whole and verified, and put back."""
from __future__ import annotations

import argparse
from pathlib import Path

from kameng import config as configuration
from kameng import wiring
from kameng.adapters import data_backup
from kameng.cli.command import EXIT_OK, EXIT_USAGE, Command, Failure, actor, add_json, open_deps
from kameng.cli.output import print_json
from kameng.services import audit

BACKUP_EPILOG = """\
examples:
  kameng backup /mnt/backups/kameng-2026-12-06          a new folder
  kameng backup /mnt/backups/kameng-2026-12-06.tar.gz   one compressed file

Safe while the shop sells: each database is copied in one read transaction
(SQLite's backup API), so the copy is one moment of the shop. The backup is
restored into a scratch folder and compared with its manifest (every file's
digest, every table's rows and digest, SQLite's integrity check) before
success is reported. It holds the master key that seals the card keys:
whoever has the backup can read them, so it is written for your user alone
(0600 files, 0700 folder). Keep it as you keep that key. See docs/backups.md.
"""

RESTORE_EPILOG = """\
examples:
  kameng restore /mnt/backups/kameng-2026-12-06.tar.gz           into an empty data folder
  kameng restore /mnt/backups/kameng-2026-12-06.tar.gz --force   over a shop: stop it first

The backup is checked whole against its manifest first; a damaged or
truncated one is refused and nothing is replaced. With --force the data
folder's files are moved aside to <folder>.before-restore-<time>, never
deleted. See docs/backups.md.
"""

KEY_INCLUDED = ("the sealing key (master.key) is in this backup: whoever holds it can read every card key it "
                "holds. It is readable by your user alone (files 0600, folder 0700); keep it as you keep the "
                "key itself: encrypted, off this machine, never in the repository.")
KEY_MISSING = ("this backup holds no sealing key (no master.key in the data folder): its card keys can be read "
               "only with the key they were sealed under, kept elsewhere.")


def _embedded_data_dir() -> Path:
    chosen = configuration.load()
    if chosen.store != "sqlite":
        raise Failure("KAMENG_STORE=dynamodb: the table is backed up by point-in-time recovery, not by this "
                      "command; see docs/backups.md for the restore drill", EXIT_USAGE)
    return chosen.data_dir


def _summary(manifest: dict) -> str:
    rows = data_backup.table_rows(manifest)
    tables = sum(len(db["tables"]) for db in manifest["databases"].values())
    return (f"{len(manifest['files'])} files, {len(manifest['databases'])} databases, {tables} tables; "
            f"{rows.get('orders', 0)} orders, {rows.get('card_keys', 0)} card keys")


def _facts(manifest: dict) -> dict:
    rows = data_backup.table_rows(manifest)
    return {"taken_at": manifest["created_at"], "files": len(manifest["files"]), "orders": rows.get("orders", 0),
            "sealing_key": manifest["sealing_key"]["included"]}


def backup_command(args: argparse.Namespace) -> int:
    data_dir = _embedded_data_dir()
    try:
        made = data_backup.take(data_dir, args.dest)
    except data_backup.BackupRefused as refused:
        raise Failure(refused.message) from None
    # After the copy, so the entry is in the live log and not in the backup it speaks of.
    audit.record(open_deps(), actor(), configuration.load().main_station, "data.backup", str(made.path),
                 None, _facts(made.manifest))
    if args.json:
        print_json({"path": str(made.path), "verified": True, "manifest": made.manifest})
        return EXIT_OK
    print(f"backed up {data_dir} to {made.path} at {made.manifest['created_at']}")
    print(f"verified: restored into a scratch folder and equal to its manifest ({_summary(made.manifest)})")
    print(KEY_INCLUDED if made.sealing_key_included else KEY_MISSING)
    return EXIT_OK


def restore_command(args: argparse.Namespace) -> int:
    data_dir = _embedded_data_dir()
    try:
        done = data_backup.restore(args.src, data_dir, force=args.force)
    except data_backup.BackupRefused as refused:
        raise Failure(refused.message) from None
    # Whatever this process opened before now reads the files that were moved aside.
    wiring.use(None)
    audit.record(open_deps(), actor(), configuration.load().main_station, "data.restore", str(args.src.resolve()),
                 None, _facts(done.manifest) | {"set_aside": None if done.set_aside is None else str(done.set_aside)})
    print(f"restored {data_dir} from {args.src}, the backup of {done.manifest['created_at']} "
          f"({_summary(done.manifest)}), checked against its manifest")
    if done.set_aside is not None:
        print(f"the files it replaced are kept in {done.set_aside}")
    print("the sealing key (master.key) came back with it" if done.manifest["sealing_key"]["included"]
          else KEY_MISSING)
    return EXIT_OK


def _backup_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("dest", metavar="DEST", type=Path, help="a new folder, or a file ending in .tar.gz")
    add_json(sub)


def _restore_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("src", metavar="SRC", type=Path, help="a backup folder or .tar.gz made by `kameng backup`")
    sub.add_argument("--force", action="store_true",
                     help="replace a data folder that holds a shop (its files are moved aside, not deleted)")


BACKUP = Command("backup", "Back the data folder up, consistent while the shop sells, and verify the copy.",
                 BACKUP_EPILOG, backup_command, _backup_arguments)
RESTORE = Command("restore", "Restore the data folder from a backup, after checking it whole.",
                  RESTORE_EPILOG, restore_command, _restore_arguments)

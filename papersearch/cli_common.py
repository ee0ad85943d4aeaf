"""Shared CLI plumbing: settings from flags, JSON/table output, errors without tracebacks."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papersearch.settings import Settings

console = Console(stderr=False, emoji=False)
err = Console(stderr=True, emoji=False, soft_wrap=True)  # an error stays one line, whatever its length


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


def make_settings(**overrides) -> Settings:
    """Settings from env/defaults, with CLI flags (non-None) winning."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def print_kv_table(title: str, rows: list[tuple[str, object]]) -> None:
    table = Table(title=title, show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for k, v in rows:
        table.add_row(k, str(v))
    console.print(table)


@contextmanager
def friendly_errors(known: tuple[type[BaseException], ...]) -> Iterator[None]:
    """Turn expected failures into one clear line instead of a stack trace."""
    try:
        yield
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]: nothing was published; the previous index is still served")
        raise SystemExit(130) from None
    except ValidationError as exc:  # a bad PAPERSEARCH_* variable or flag value
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        where = f"setting {field} (PAPERSEARCH_{field.upper()})" if field else "settings"
        msg = str(first.get("msg", "")).removeprefix("Value error, ")
        err.print(f"[red]error:[/red] {escape(where)}: {escape(msg)}", highlight=False)
        raise SystemExit(2) from None
    except (UserError, OSError, UnicodeDecodeError, *known) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)  # "[...]" in a title is text
        raise SystemExit(2) from None


def existing_path(p: Path | None, what: str) -> Path | None:
    if p is not None and not Path(p).exists():
        raise UserError(f"{what} {p} does not exist")
    return p


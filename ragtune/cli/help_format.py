"""How ``--help`` names values: ``STUDY`` and ``N`` instead of Typer's ``{study}`` and ``<int>``.

Typer 0.2x prints required arguments as ``{name}`` and every value as ``<type>`` (``--json <bool>``,
``<list[str]>``). Users read those as literal syntax, so the CLI shows the click/POSIX style instead:
flags show no value, arguments and values are upper-case words (or the option's own metavar), and
choices stay ``a|b|c``. Applied once, when the CLI app is built; the library is not affected.
"""

from __future__ import annotations

from typing import Any

_WORDS = {"str": "TEXT", "int": "N", "float": "NUMBER", "Path": "PATH", "bool": "BOOL"}


def _value_word(label: str) -> str:
    inner = label.strip("<>").removesuffix(" range")
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[len("list[") : -1]
    if "|" in inner and not all(part in _WORDS for part in inner.split("|")):
        return inner  # choices: tpe|nsga2|...
    return _WORDS.get(inner, inner.upper())


def install() -> None:
    from typer import core

    option_cls: Any = core.TyperOption
    argument_cls: Any = core.TyperArgument
    if getattr(option_cls, "_ragtune_help", False):
        return
    base_option_type = option_cls.display_type_rich

    def option_type(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and getattr(self, "is_bool_flag", True):
            return None
        if self.metavar is not None:
            return str(self.metavar)
        shown = base_option_type(self, ctx)
        return None if shown is None else _value_word(str(shown))

    def argument_name(self: Any) -> str:
        name = str(self.metavar) if self.metavar is not None else str(self.name).upper()
        return name + ("..." if self.nargs != 1 else "")

    def argument_usage(self: Any) -> str:
        name = argument_name(self)
        return name if self.required else f"[{name}]"

    option_cls.display_type_rich = option_type
    if hasattr(argument_cls, "_usage_display_name"):
        argument_cls._usage_display_name = argument_usage
    if hasattr(argument_cls, "display_type_rich"):
        argument_cls.display_type_rich = lambda self, ctx: None
    if hasattr(argument_cls, "_rich_display_name"):
        argument_cls._rich_display_name = argument_name
    if hasattr(argument_cls, "display_name_raw"):
        argument_cls.display_name_raw = property(
            lambda self: str(self.metavar) if self.metavar is not None else str(self.name).upper()
        )
    option_cls._ragtune_help = True

"""Reading input files with one-line errors (exit 2): text files and YAML documents.

Shared by the contract's Pulumi stack source (``somastack_deploy.config_contract.sources``) and the offline
plan's stack-file loader (``somastack_deploy.plan.stackfile``).
"""

from __future__ import annotations

from .errors import InputError


def read_text(path: str, *, noun: str = "file") -> str:
    """The UTF-8 text of ``path``. Raises :class:`InputError` naming the file when it is missing,
    a directory, unreadable or not UTF-8; ``noun`` names the kind of file in the message
    (e.g. ``"stack file"`` → ``stack file not found``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{noun} not found", path=path) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, not a {noun}", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    except OSError as err:
        raise InputError(f"cannot read file ({err.strerror})", path=path) from None


def parse_yaml(path: str, text: str, *, compose: bool = False):
    """``yaml.safe_load`` of ``text`` (or, with ``compose=True``, the node graph of
    ``yaml.compose``, which keeps line numbers). Raises :class:`InputError` naming the file,
    the line and the parser's problem when it is not valid YAML."""
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader) if compose else yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None)
        raise InputError(f"not valid YAML{f' ({problem})' if problem else ''}", path=path,
                         line=(mark.line + 1) if mark else None) from None

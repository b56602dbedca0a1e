"""Plug-ins: a user's own algorithms and players, from a module, a file, or an installed package.

Three ways in, the same for algorithms and players:

- ``--import MODULE``: imported with the current folder first on the path, as ``python -m`` does, so a
  ``my_algo.py`` beside you loads as ``--import my_algo``;
- ``--import path/to/file.py``: that file, loaded as a module named after it;
- an entry point of an installed package, in the group :data:`ALGORITHM_GROUP` or :data:`PLAYER_GROUP`: found
  without flags (``[project.entry-points."infobargain.algorithms"] my_algo = "my_package.algo:train"``).

Importing a plug-in module runs its registrations (``@register_algorithm``, ``register_player``); an entry point
may also name the object itself, which is registered under the entry point's name. Every failure is one
:class:`PluginError` line naming the plug-in: a user's bug in their own module is theirs to read, not a
traceback from inside this library.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ALGORITHM_GROUP = "infobargain.algorithms"
PLAYER_GROUP = "infobargain.players"


class PluginError(ValueError):
    """A plug-in could not be found or raised while loading; the message names it."""


def _is_file(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or os.sep in spec


def import_plugin(spec: str, flag: str = "--import") -> ModuleType:
    """Import the module ``spec`` names (a module name, or a path to a ``.py`` file) and return it."""
    if _is_file(spec):
        path = Path(spec)
        if not path.is_file():
            raise PluginError(f"{flag}: {spec} is not a file")
        name = path.stem
        if not name.isidentifier():
            raise PluginError(f"{flag}: {spec}: the file name must be a Python identifier to load as a module")
        found = importlib.util.spec_from_file_location(name, path)
        if found is None or found.loader is None:
            raise PluginError(f"{flag}: cannot load {spec} as a Python module")
        module = importlib.util.module_from_spec(found)
        sys.modules[name] = module
        try:
            _run(lambda: found.loader.exec_module(module), spec, flag)  # type: ignore[union-attr]
        except PluginError:
            del sys.modules[name]
            raise
        return module
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does: a module beside the user is importable
    if spec in sys.modules:
        return sys.modules[spec]
    return _run(lambda: importlib.import_module(spec), spec, flag)  # type: ignore[no-any-return]


def _run(load: Callable[[], Any], spec: str, flag: str) -> Any:
    try:
        return load()
    except ModuleNotFoundError as error:
        if error.name and (spec == error.name or spec.startswith(f"{error.name}.")):
            raise PluginError(f"{flag}: no module named {spec!r} (run from the folder that holds it)") from None
        raise PluginError(f"{flag}: {spec} could not be imported: {error}") from None
    except PluginError:
        raise
    except Exception as error:
        raise PluginError(f"{flag}: importing {spec} raised {type(error).__name__}: {error}") from None


def load_object(spec: str, flag: str) -> Any:
    """The object ``MODULE:NAME`` or ``path/to/file.py:NAME`` names."""
    module_spec, _, attribute = spec.rpartition(":")
    if not module_spec or not attribute:
        raise PluginError(f"{flag}: expected MODULE:NAME, got {spec!r}")
    module = import_plugin(module_spec, flag)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise PluginError(f"{flag}: {module_spec} has no {attribute!r}") from None


def entry_points(group: str) -> list[tuple[str, Any]]:
    """``(name, loaded object)`` of every installed entry point in ``group``."""
    loaded = []
    for point in importlib.metadata.entry_points(group=group):
        try:
            loaded.append((point.name, point.load()))
        except Exception as error:
            raise PluginError(
                f"entry point {point.name!r} ({point.value}) in group {group!r} could not be loaded: "
                f"{type(error).__name__}: {error}"
            ) from None
    return loaded

"""Rendered pieces of a page kept in the shared cache under a key of everything they show: never stale, nothing to
forget when a record changes, and asked for in one query however many a page has. The same for any value kept under
such a key (`get_many`, `set_many`: a round's figures), with each worker remembering the latest it read."""

import hashlib
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.utils.safestring import SafeString, mark_safe

FRAGMENT_SECONDS = 24 * 3600

# A value under a key that says everything it is made of never changes: a worker may keep what it read or made and
# ask the shared cache only for keys it has not seen. The latest few hundred, small values only (fragments, figures).
LOCAL_ENTRIES = 512
_local: OrderedDict = OrderedDict()
_local_lock = threading.Lock()


def _remember(values: dict) -> None:
    with _local_lock:
        for key, value in values.items():
            _local[key] = value
            _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


def get_many(keys) -> dict:
    """The values kept under `keys` (each a key of everything its value is made of): this worker's own first, the
    rest from the shared cache in one request."""
    found, missing = {}, []
    with _local_lock:
        for key in keys:
            if key in _local:
                found[key] = _local[key]
                _local.move_to_end(key)
            else:
                missing.append(key)
    if missing:
        fetched = shared_cache.get_many(missing)
        _remember(fetched)
        found.update(fetched)
    return found


def set_many(values: dict, timeout: int = FRAGMENT_SECONDS) -> None:
    shared_cache.set_many(values, timeout)
    _remember(values)


def keep(key: str, value, timeout: int = FRAGMENT_SECONDS) -> None:
    shared_cache.set(key, value, timeout)
    _remember({key: value})


def forget_local() -> None:
    """Empty this worker's copies (the tests do between tests, as they empty the shared cache)."""
    with _local_lock:
        _local.clear()


def is_own(config) -> bool:
    """Whether an installed app is this project's (not a package installed into the environment)."""
    path = Path(config.path)
    return path.is_relative_to(settings.BASE_DIR) and not {"site-packages", "dist-packages"} & set(path.parts)


@cache
def code_fingerprint() -> str:
    """A digest of the code that renders pages: this project's templates and Python modules, and the versions of
    Django and the other installed apps. A deployment that changes any of them changes every fragment's key, so no
    server shows a fragment of older code. Worked out once per process."""
    root = Path(settings.BASE_DIR)
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", ())]
    folders += [Path(config.path) for config in apps.get_app_configs() if is_own(config)]
    packages = [
        (config.name, getattr(config.module, "__version__", ""))
        for config in apps.get_app_configs()
        if not is_own(config)
    ]
    digest = hashlib.sha256(repr((django.get_version(), packages)).encode())
    for folder in sorted(set(folders)):
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".html", ".py") and "migrations" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def fragment_key(name: str, *sources) -> str:
    """The key of fragment `name` rendered from `sources` (anything with a faithful repr) by the current code."""
    return f"fragment:{name}:" + hashlib.sha256(repr((code_fingerprint(), sources)).encode()).hexdigest()


class Fragments:
    """The fragments of one page: `Fragments(filter=(...sources), ...)` asks the cache for all of them at once;
    `get(name, render)` answers the kept one or renders, keeps and answers it. A fragment must hold nothing of the
    request or session (no CSRF token, no time of the request): whoever has the same sources gets it."""

    def __init__(self, **sources):
        self.keys = {name: fragment_key(name, *parts) for name, parts in sources.items()}
        self.found = get_many(list(self.keys.values()))

    def get(self, name: str, render) -> SafeString:
        key = self.keys[name]
        html = self.found.get(key)
        if html is None:
            html = str(render())
            keep(key, html)
        return mark_safe(html)

"""Fresh planner statistics after bulk writes: PostgreSQL otherwise plans the next queries for the old row counts.

Autovacuum analyses a table only after a share of it has changed and some time has passed; a catalogue import or a
carried-over round of tens of thousands of rows is read right after it was written (the crosswalk, the lists), so
every bulk path calls `analyze` with the models it filled. Generic on purpose: it lives in the base app so that
every app's bulk path can call it.
"""

from django.db import connections, router


def analyze(*models, using: str | None = None) -> None:
    """`ANALYZE` the tables of `models` (model classes, also auto-created through models); a no-op on other
    databases than PostgreSQL. Inside a transaction it counts the transaction's own rows and takes effect on commit."""
    tables_by_alias: dict[str, set[str]] = {}
    for model in models:
        alias = using or router.db_for_write(model)
        tables_by_alias.setdefault(alias, set()).add(model._meta.db_table)
    for alias, tables in tables_by_alias.items():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in sorted(tables)))


def models_of(*app_labels: str) -> list:
    """Every model of the apps, with the through tables of their many-to-many fields: for paths that fill them all."""
    from django.apps import apps

    return [
        model
        for label in app_labels
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]

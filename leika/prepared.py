"""Read queries that every page asks, built and compiled by the ORM once per process instead of once per request.

Building a queryset and compiling it to SQL costs Python time whatever the data: for the access scope's departments
(two subqueries, each used twice) about five times what PostgreSQL needs to answer it. A query whose shape is fixed,
whose values differ from request to request (a user's id, a list of ids), is built here once per shape with stand-in
values, compiled, and from then on sent as the same SQL with the request's values in their places; its rows pass
through the ORM's own converters, so they are what the queryset itself would have given.

    DEPARTMENTS = PreparedQuery(Department, lambda user: Department.objects.filter(...).values_list(...))
    rows = DEPARTMENTS(user=user.pk)

Rules for `build`: its arguments are ids (an int, or a list of ints that becomes `__in`); the queryset depends on
nothing else (no setting, no time, no value read from the database), and ends in `values()` or `values_list()`.
A list's length is part of the shape (`IN (%s, %s)`): each length is compiled once, up to `MAX_SHAPES` per query.
"""

from django.db import connections, router
from django.db.models.query import FlatValuesListIterable, ValuesIterable, ValuesListIterable

# Stand-ins for the values: negative, far from any id, a different one for every value and list item.
FIRST_STAND_IN = -987_654_321
MAX_SHAPES = 64


class Compiled:
    """One shape: the SQL, its parameters with the stand-ins' places, and how rows become the queryset's rows."""

    def __init__(self, queryset, alias: str, stand_ins: dict[int, tuple[str, int | None]]):
        self.compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.places = [(index, stand_ins[param]) for index, param in enumerate(self.params) if param in stand_ins]
        missing = set(stand_ins.values()) - {place for _, place in self.places}
        if missing:
            raise ValueError(f"Platzhalter ohne Stelle im SQL: {sorted(missing, key=str)}")
        iterable = queryset._iterable_class
        if iterable is ValuesIterable:
            query = queryset.query
            # As ValuesIterable names them (Django 5.2): in the order chosen, else fields before annotations.
            names = list(query.selected or [*query.extra_select, *query.values_select, *query.annotation_select])
            self.shape_row = lambda row: dict(zip(names, row, strict=True))
        elif iterable is FlatValuesListIterable:
            self.shape_row = lambda row: row[0]
        elif iterable is ValuesListIterable:
            self.shape_row = tuple
        else:
            raise TypeError("PreparedQuery braucht values() oder values_list().")

    def run(self, alias: str, values: dict) -> list:
        params = list(self.params)
        for index, (name, item) in self.places:
            params[index] = values[name] if item is None else values[name][item]
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        return [self.shape_row(row) for row in self.compiler.results_iter(results=[fetched])]


def sliced(queryset, rows: tuple[int, int] | None):
    return queryset if rows is None else queryset[rows[0] : rows[1]]


class PreparedQuery:
    """A read query of `model` of fixed shape: `build(**values)` gives its queryset (see the module's rules)."""

    def __init__(self, model, build):
        self.model = model
        self.build = build
        self.shapes: dict[tuple, Compiled] = {}

    def __call__(self, *, rows: tuple[int, int] | None = None, **values) -> list:
        """The rows for these values: tuples (values_list), dicts (values) or single values (flat). `rows`: (low,
        high), the slice [low:high] of the queryset's rows (part of the shape: LIMIT and OFFSET are written into the
        SQL)."""
        values = {name: list(value) if isinstance(value, list | tuple) else value for name, value in values.items()}
        for name, value in values.items():
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
                raise TypeError(f"{name}: nur ganze Zahlen (IDs) oder Listen davon")
            if isinstance(value, list) and len(set(value)) != len(value):
                raise ValueError(f"{name}: jede ID nur einmal")  # IN drops doubles: the places would shift
        if any(value == [] for value in values.values()):
            # IN () matches nothing: the ORM answers without asking the database.
            return list(sliced(self.build(**values), rows))
        alias = router.db_for_read(self.model)
        shape = (
            alias,
            rows,
            *sorted((name, len(value) if isinstance(value, list) else None) for name, value in values.items()),
        )
        compiled = self.shapes.get(shape)
        if compiled is None:
            compiled = self.compile(alias, values, rows)
            if len(self.shapes) < MAX_SHAPES:
                self.shapes[shape] = compiled
        return compiled.run(alias, values)

    def compile(self, alias: str, values: dict, rows) -> Compiled:
        stand_ins: dict[int, tuple[str, int | None]] = {}
        arguments = {}
        next_stand_in = FIRST_STAND_IN
        for name, value in values.items():
            if isinstance(value, list):
                arguments[name] = list(range(next_stand_in, next_stand_in - len(value), -1))
                stand_ins.update({stand_in: (name, item) for item, stand_in in enumerate(arguments[name])})
                next_stand_in -= len(value)
            else:
                arguments[name] = next_stand_in
                stand_ins[next_stand_in] = (name, None)
                next_stand_in -= 1
        return Compiled(sliced(self.build(**arguments), rows), alias, stand_ins)

"""The admin API's routes as its first requests find them: each resource's module imported by the first
request to one of its paths (mailhooks.admin.RESOURCES), and each path answered by one route only."""

import re

from mailhooks.admin import RESOURCES, import_routes
from mailhooks.admin.base import ROUTES


def _resource(path: str) -> str | None:
    return next(
        (module for prefix, module in RESOURCES.items() if path == prefix or path.startswith(f"{prefix}/")),
        None,
    )


def test_every_route_is_imported_by_a_request_to_its_own_path() -> None:
    import_routes()
    assert len(ROUTES) >= 25
    for route in ROUTES:
        module = route.function.__module__.rpartition(".")[2]
        assert _resource(route.path) == module, route.path


def test_no_two_routes_answer_the_same_method_and_path() -> None:
    import_routes()
    declared = [(route.method, re.sub(r"<\w+>", "<>", route.path)) for route in ROUTES]
    assert len(declared) == len(set(declared))


def test_each_body_is_taken_by_one_parameter_of_its_route() -> None:
    import_routes()
    with_bodies = [route for route in ROUTES if route.body is not None]
    assert len(with_bodies) >= 6
    for route in with_bodies:
        assert route.body_parameter in route.function.__code__.co_varnames

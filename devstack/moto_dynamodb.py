"""Where moto 5.2's DynamoDB costs grow with the size of a table or an item, the fix (moto_fixes applies it).

TransactWriteItems. moto backs up each table a transaction writes to before its first write, by
deep-copying it whole: every item, and every record the table's stream has ever had. On the local stack,
whose tables only grow, a transaction soon cost more than all of an inbound call's other requests together.
Here each write keeps a copy of its one item as it was, and where the table's stream ended; a cancelled
transaction puts those back, as DynamoDB leaves no trace of it, stream included. moto put the copied table
in the place of the table itself, so that a stream's shard iterators, which hold the table's shard, read a
shard no longer written to from then on; here the table stays the same one. The rest is moto's: the same
checks in the same order, the same errors. Only a transaction that names two operations in one of its items
is refused before any write, as DynamoDB refuses it, where moto had written the items before it and kept
them.

Query. moto gathers a query's candidates from all the table's items, sorted (a comparison of DynamoDB
values in Python for each step of the sort), and sorts the ones it keeps again: a query of one partition
cost a sort of the whole table. A query of the table gathers its partition's items alone, and a query of
an index all items unsorted; what the query keeps is sorted as before, so that it answers the same.

Items. moto checks an item's size (400 KB at most) as each of its attributes is set, by summing the sizes of
all those set before it, nested values walked again each time: a write of n attributes cost n² sums, half a
millisecond for a delivery's log (17 attributes). The item's size is summed once, with the same limit.

Answers with items. moto's serializer walks each AttributeValue of an answer through its shape, member by
member: ten members for each value, each looked up through a picker that builds a context and a dotted path
first. An answer with an item cost a millisecond or more of it. An AttributeValue as moto's DynamoDB keeps
it is already what the shape makes of it, but for a binary one (which the serializer encodes): any other is
answered as it is, and an item of such values too.

UpdateItem. moto parses an update expression twice per request (its handler, to check the names and values
used; its backend), and validates it by ten passes over the tree, each building a dict of the node types
it processes for every node it visits, and checking each node against those types (abstract classes, whose
checks are slow); before that it deep-copies the tree through copy's generic machinery. The tree of an
expression, which moto only reads or copies, is parsed once per expression; a pass finds what it does with
a class of node once; and a node copies itself as copy would, minus the machinery.
"""

import copy
import functools
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

from moto.core.model import MapShape, StructureShape
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DepthFirstTraverser,
    Expression,
    Node,
    UpdateExpressionFunction,
)
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


def _undoing(backend: DynamoDBBackend, table: Table, key: dict[str, Any]) -> Callable[[], None]:
    """What puts the item of this key back as it is now, and the table's stream back where it ends now."""
    hash_value, range_value = backend.get_keys_value(table, key)
    before: Item | None = copy.deepcopy(table.get_item(hash_value, range_value))
    shard = table.stream_shard
    records = len(shard.items) if shard is not None else 0

    def undo() -> None:
        items: dict[Any, Any] = table.items[hash_value] if range_value is not None else table.items
        place = hash_value if range_value is None else range_value
        if before is None:
            items.pop(place, None)
        else:
            items[place] = before
        if shard is not None:
            del shard.items[records:]

    return undo


def _write(backend: DynamoDBBackend, operation: str, write: dict[str, Any], key: dict[str, Any]) -> None:
    table_name = write["TableName"]
    condition = write.get("ConditionExpression")
    names = write.get("ExpressionAttributeNames")
    values = write.get("ExpressionAttributeValues")
    if operation == "Put":
        backend.put_item(
            table_name,
            write["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif operation == "Delete":
        backend.delete_item(
            table_name,
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif operation == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=write["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,  # type: ignore[arg-type]
            expression_attribute_values=values,  # type: ignore[arg-type]
        )


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    if any(len(item) > 1 for item in transact_items):
        raise TransactWriteSingleOpException
    undos: list[Callable[[], None]] = []
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]] = []

    def roll_back() -> None:
        for undo in reversed(undos):
            undo()

    for item in transact_items:
        original_item: dict[str, Any] | None = None
        try:
            operation, write = next(iter(item.items()))
            if operation not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = write["TableName"]
            if operation == "Put":
                attributes = write["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attributes[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attributes[table.range_key_attr]
            else:
                key = write["Key"]
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)

            current = self.get_item(table_name, key)
            condition = write.get("ConditionExpression")
            if condition is not None:
                expression = get_filter_expression(
                    condition, write.get("ExpressionAttributeNames"), write.get("ExpressionAttributeValues")
                )
                if not expression.expr(current):
                    if write.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if operation != "ConditionCheck":
                undos.append(_undoing(self, self.get_table(table_name), key))
                _write(self, operation, write, key)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            roll_back()
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), original_item))
        except Exception as error:  # moto's: any other failure cancels the transaction with its reason
            errors.append((type(error).__name__, str(error), original_item))

    if any(code is not None for code, _, _ in errors):
        roll_back()
        raise TransactionCanceledException(errors)


_moto_query = Table.query
_moto_all_items = Table.all_items
# The partition (its hash key) of the query of a table under way in this thread, or _AN_INDEX.
_querying = threading.local()
_AN_INDEX = object()


@functools.wraps(_moto_query)
def _query(self: Table, hash_key: DynamoType | None, *arguments: Any, **options: Any) -> Any:
    index_name = options["index_name"] if "index_name" in options else arguments[6]
    _querying.partition = _AN_INDEX if index_name else hash_key
    try:
        return _moto_query(self, hash_key, *arguments, **options)
    finally:
        _querying.partition = None


def _all_items(self: Table) -> list[Item]:
    partition = getattr(_querying, "partition", None)
    if partition is None:
        return _moto_all_items(self)  # a scan, an export: in moto's order
    if partition is _AN_INDEX:
        if self.range_key_attr is None:
            return list(self.items.values())  # type: ignore[arg-type]
        return [item for items in self.items.values() for item in items.values()]
    if partition not in self.items:  # items is a defaultdict: not looked up by [], which would add it
        return []
    found = self.items[partition]
    return list(found.values()) if self.range_key_attr is not None else [found]  # type: ignore[list-item]


_moto_serialize_structure = BaseJSONSerializer._serialize_type_structure
_moto_serialize_map = BaseJSONSerializer._serialize_type_map


def _as_it_is(value: Any) -> bool:
    """Whether an AttributeValue comes out of moto's serializer as it went in: any but a binary one."""
    if type(value) is not dict or len(value) != 1:
        return False
    [(kind, inner)] = value.items()
    if kind in ("S", "N"):
        return type(inner) is str
    if kind in ("BOOL", "NULL"):
        return type(inner) is bool
    if kind in ("SS", "NS"):
        return type(inner) is list and all(type(each) is str for each in inner)
    if kind == "M":
        return type(inner) is dict and all(_as_it_is(each) for each in inner.values())
    if kind == "L":
        return type(inner) is list and all(_as_it_is(each) for each in inner)
    return False


def _serialize_structure(
    self: BaseJSONSerializer,
    serialized: MutableMapping[str, Any],
    value: Any,
    shape: StructureShape,
    key: str,
) -> None:
    if (
        key
        and shape.name == "AttributeValue"
        and not getattr(self._value_picker, "response_transformers", None)
        and _as_it_is(value)
    ):
        serialized[self.get_serialized_name(shape, key)] = value
        return
    _moto_serialize_structure(self, serialized, value, shape, key)


def _serialize_map(
    self: BaseJSONSerializer, serialized: MutableMapping[str, Any], value: Any, shape: MapShape, key: str
) -> None:
    """An item (a map of AttributeValues) at once, where each of its values would come out as it is."""
    if (
        type(value) is dict
        and getattr(shape.value, "name", None) == "AttributeValue"
        and not getattr(self._value_picker, "response_transformers", None)
        and all(_as_it_is(each) for each in value.values())
    ):
        self._default_serialize(serialized, dict(value), shape, key)
        return
    _moto_serialize_map(self, serialized, value, shape, key)


_moto_make = UpdateExpressionParser.make.__func__


@functools.lru_cache(maxsize=1024)
def _parsed(expression: str) -> Any:
    return _moto_make(UpdateExpressionParser, expression)


def _make(cls: type, expression: str) -> Any:
    return _parsed(expression)


@functools.cache
def _is_node(node_class: type) -> bool:
    return issubclass(node_class, Node)


@functools.cache
def _has_clauses(node_class: type) -> bool:
    return issubclass(node_class, Expression | UpdateExpressionFunction)


# What a class of pass does with a class of node: the function of the first processor in its dict whose type
# the node is of, as moto picks it; None for none. A pass's processors are its own methods.
_processors: dict[tuple[type, type], Any] = {}


def _processor(self: Any, node_class: type) -> Any:
    key = (type(self), node_class)
    if key not in _processors:
        processing = self._processing_map().items()
        method = next((each for kind, each in processing if issubclass(node_class, kind)), None)
        _processors[key] = None if method is None else method.__func__
    return _processors[key]


def _traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
    """moto's, with the type checks (against abstract classes, slow) made once per class of node."""
    node_class: type = type(node)
    if not _is_node(node_class):
        return node
    parent_node = node.parent
    if node.children is not None:
        for index, child_node in enumerate(node.children):
            self.pre_processing_of_child(node, index)
            self.traverse_node_recursively(child_node, index)
    processor = _processor(self, node_class)
    if processor is not None:
        node = processor(self, node)
        node.parent = parent_node
        if parent_node:
            parent_node.children[child_id] = node
    return node


def _find_clauses(self: Any, clause_types: list[type]) -> list[Any]:
    """moto's, likewise."""
    clauses = []
    for child in self.children or []:
        child_class: type = type(child)
        if child_class in clause_types:
            clauses.append(child)
        elif _has_clauses(child_class):
            clauses.extend(child.find_clauses(clause_types))
    return clauses


_ATOMS = (str, int, float, bool, type(None))


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, _ATOMS):
        return value
    value_class: type = type(value)
    if _is_node(value_class) and id(value) not in memo:
        return _copied_node(value, memo)
    return copy.deepcopy(value, memo)


def _copied_node(self: Any, memo: dict[int, Any]) -> Any:
    """As copy.deepcopy copies it: its class, each of its attributes copied, a node met before (its parent)
    the copy made of it; but a child node copied directly, and a string, number or None kept."""
    copied = object.__new__(type(self))
    memo[id(self)] = copied
    copied.__dict__.update(
        {
            name: [_copied(child, memo) for child in value] if type(value) is list else _copied(value, memo)
            for name, value in self.__dict__.items()
        }
    )
    return copied


# moto's limit: DynamoDB's is 400 KB, and it was seen to accept items of up to 409 KB.
_ITEM_SIZE_LIMIT = 405_000


def _item(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's Item, its size summed once."""
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict(values)


def apply() -> None:
    Item.__init__ = _item  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    BaseJSONSerializer._serialize_type_structure = _serialize_structure  # type: ignore[method-assign]
    BaseJSONSerializer._serialize_type_map = _serialize_map  # type: ignore[method-assign]
    UpdateExpressionParser.make = classmethod(_make)
    DepthFirstTraverser.traverse_node_recursively = _traverse_node_recursively
    Node.find_clauses = _find_clauses
    Node.__deepcopy__ = _copied_node

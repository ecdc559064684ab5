"""Fixes to moto's cost model, applied wherever this repository runs moto: `make serve`, the tests (both start a
`local.backend.LocalBackend`) and the bench. Each keeps moto's answers, and `check()` proves it against moto's own
code on a scratch table when a backend starts (once per process); a fix that answers differently stops the start.

1. An item-level undo for TransactWriteItems instead of a copy of the whole table.
2. A Query that reads one partition of the table, or the items of one index key for an index, instead of sorting
   the whole table first (below).
3. Items in answers (Query, GetItem, BatchGetItem) passed through as the JSON they already are, instead of walked
   attribute by attribute through botocore's shapes: 250 provider records took moto ~0.3 s to encode.
4. An item's 400 KB limit checked once per item, instead of re-sizing the whole item for every attribute it sets
   (quadratic in attributes: ~1,000 items/s through BatchWriteItem).
5. The server's list of moto's services read once, instead of listing moto's package folder (an isdir per entry)
   for every request it routes: ~6% of `make serve`'s time under load.
6. EventBridge's input paths parsed once, instead of building a new JSONPath parser (ply's LALR tables) for every
   path of every target of every event put: ~5% of `make serve`'s time under load.

moto 5.2 backs up every table a transaction touches with `copy.deepcopy(table)` (all items and every stream record)
before it starts, so one transaction costs O(table) there, against O(items in the transaction) in DynamoDB: at 20,000
items a 10-item transaction took about a second, and `make serve` slowed down with every application it kept. This
keeps the same semantics (all or nothing, the stream rolled back too) by saving only the items the transaction names
and the stream's length, and restoring those on failure.
"""

from __future__ import annotations

import copy
from typing import Any

_PATCHED = "_motofix_item_level_undo"


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if _state["installed"]:
        return  # once per process: other wrappers (local.backend's) may sit on top of this one
    _state["installed"] = True
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        undo: list[tuple[Any, Any, Any, Any]] = []  # (table, hash value, range value, the item before or None)
        streams: dict[str, tuple[Any, int]] = {}
        for entry in transact_items:
            kind, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue  # the original reports the missing table
            attrs = op.get("Item") or op.get("Key") or {}
            if table.hash_key_attr not in attrs:
                continue  # malformed: the original raises before writing anything
            key = {k: attrs[k] for k in (table.hash_key_attr, table.range_key_attr) if k in attrs}
            hash_value = DynamoType(attrs[table.hash_key_attr])
            range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr in attrs else None
            before = self.get_item(table.name, key)
            # A Put or a Delete replaces or removes moto's Item object and leaves the old one as it was; only an
            # Update changes it in place, so only an Update's before-image is copied.
            if before is not None and kind == "Update":
                before = copy.deepcopy(before)
            undo.append((table, hash_value, range_value, before))
            if table.stream_shard is not None and table.name not in streams:
                streams[table.name] = (table.stream_shard, len(table.stream_shard.items))
        # The original's whole-table backup becomes a reference to the live table; the undo above replaces it.
        Table.__deepcopy__ = lambda table, memo: table  # type: ignore[attr-defined]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, before in reversed(undo):
                _restore(table, hash_value, range_value, before)
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    setattr(transact_write_items, _PATCHED, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _install_query(Table)
    _install_attribute_values()
    _install_item_size()
    _install_dispatch()
    _install_input_paths()


def installed() -> bool:
    """Whether every fix is in place (install() is idempotent)."""
    import jsonpath_ng.ext
    from moto import backends
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    patched = (
        Table.query,
        BaseJSONSerializer._serialize,
        Item.__init__,
        backends.list_of_moto_modules,
        jsonpath_ng.ext.parse,
    )
    return _state["installed"] and all(getattr(f, _PATCHED, False) for f in patched)


def _install_item_size() -> None:
    """moto 5.2's Item keeps its attributes in a LimitedSizeDict, whose __setitem__ sums the size of every attribute
    already set before adding one: building an item of n attributes sizes O(n^2) values. Sizes are never negative,
    so the running total only grows and the limit is crossed during the building exactly when the whole item is
    over it: the item is sized once, with moto's own sizes and error. Later SETs (UpdateItem) keep moto's path."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    if getattr(Item.__init__, _PATCHED, False):
        return
    original = Item.__init__

    def init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        if not _state["fast_size"]:
            original(self, hash_key, range_key, attrs)
            return
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in values.items()) > 405000:  # moto's own limit
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, values)  # dict's own update: no per-key re-sizing

    setattr(init, _PATCHED, True)
    Item.__init__ = init  # type: ignore[method-assign]


_state = {"installed": False, "fast_items": True, "fast_size": True}
_originals: dict[str, Any] = {}  # moto's own functions that fixes 5 and 6 stand in for, for check()


def _install_dispatch() -> None:
    """moto 5.2's DomainDispatcherApplication asks `backends.list_of_moto_modules()` for every request: a listdir of
    moto's package and an isdir per entry. The folders do not change while the process runs: listed once."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, _PATCHED, False):
        return
    original = backends.list_of_moto_modules
    _originals["list_of_moto_modules"] = original
    modules = tuple(original())

    def list_of_moto_modules() -> Any:
        return modules

    setattr(list_of_moto_modules, _PATCHED, True)
    backends.list_of_moto_modules = list_of_moto_modules


def _install_input_paths() -> None:
    """moto 5.2's EventTemplateParser.parse imports `jsonpath_ng.ext.parse` on each call and parses each input path
    with it, which builds a parser (ply's LALR tables) every time. A parsed path is an immutable expression: one per
    path string is kept. Calls with more than a path string go to the original."""
    import functools

    import jsonpath_ng.ext

    if getattr(jsonpath_ng.ext.parse, _PATCHED, False):
        return
    original = jsonpath_ng.ext.parse
    _originals["jsonpath_parse"] = original
    parsed = functools.lru_cache(maxsize=256)(original)

    def parse(path: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(path, str):
            return original(path, *args, **kwargs)
        return parsed(path)

    setattr(parse, _PATCHED, True)
    jsonpath_ng.ext.parse = parse


def _check_dispatch_and_input_paths() -> None:
    """Fix 5 lists what moto's own listing finds; fix 6's expressions find what freshly parsed ones find."""
    import jsonpath_ng.ext
    from moto import backends
    from moto.events.utils import EventTemplateParser

    if tuple(backends.list_of_moto_modules()) != tuple(_originals["list_of_moto_modules"]()):
        raise AssertionError("local/motofix.py: the kept list of moto's services differs from moto's own")
    event = {"id": "1", "detail-type": "T", "source": "s", "detail": {"a": [1, {"b": "c"}]}, "ingestion-time": 1}
    paths = [*EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP.values(), "$.detail.a[1].b", "$.detail.a[0]"]
    for path in paths:
        for _ in range(2):  # the second call is answered from the kept expressions
            kept = [m.value for m in jsonpath_ng.ext.parse(path).find(event)]
            if kept != [m.value for m in _originals["jsonpath_parse"](path).find(event)]:
                raise AssertionError(f"local/motofix.py: the kept JSONPath {path!r} finds differently")


_checked: dict[str, bool] = {}  # region: the fixes were checked there, in this process


def _install_attribute_values() -> None:
    """moto 5.2 encodes every answer by walking the operation's output shape, value by value (~1 ms per provider
    record, so reading costs as much as writing). An AttributeValue is already in its wire form in moto's result
    (`Item.to_json()`), so it is passed through as it is, except the binary types (B, BS: base64 on the way out),
    which keep the original path. `self_check` compares both encodings of the same answers."""
    from moto.core.serialize import BaseJSONSerializer

    original = BaseJSONSerializer._serialize
    if getattr(original, _PATCHED, False):
        return

    def _serialize(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if _state["fast_items"] and shape.name == "AttributeValue" and isinstance(value, dict) and _plain(value):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    setattr(_serialize, _PATCHED, True)
    BaseJSONSerializer._serialize = _serialize  # type: ignore[method-assign]


def _plain(value: Any) -> bool:
    """No binary anywhere in this attribute value."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in ("B", "BS"):
        return False
    if kind == "M":
        return isinstance(inner, dict) and all(_plain(v) for v in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(_plain(v) for v in inner)
    return True


def _install_query(table_class: Any) -> None:
    """moto 5.2's Table.query starts from `all_items()`, which sorts every item of the table by its key (about 0.7 s
    at 60,000 items, whatever the Query asks for), then keeps the matching items and sorts those again: by range key
    for a table Query, by the index's full key (unique, since it ends with the table's key) for an index Query. The
    first sort decides nothing, so during a Query `all_items` answers the Query's partition alone for the table, and
    the unsorted items for an index. `self_check` compares both against the original on a live table."""
    original = table_class.query
    if getattr(original, _PATCHED, False):
        return

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name")
        if index_name is None and len(args) >= 7:  # (range_comparison, range values, limit, start key,
            index_name = args[6]  # forward, projection, index_name, ...) as DynamoDBBackend.query passes them

        def unsorted() -> list[Any]:
            if index_name is None and self.range_key_attr:
                partition = self.items.get(hash_key)
                return list(partition.values()) if partition else []
            every = (
                [item for partition in self.items.values() for item in partition.values()]
                if self.range_key_attr
                else list(self.items.values())
            )
            conditions = kwargs.get("hash_key_conditions") or []
            if index_name is not None and len(conditions) == 1 and conditions[0][1].type == "S":
                # moto compares every item's index key through DynamoType.__eq__ (~3 us each); a string key is
                # equal exactly when type and text are, so the candidates are narrowed first, and moto checks them.
                name, wanted = conditions[0][0], conditions[0][1].value
                return [
                    item
                    for item in every
                    if (value := item.attrs.get(name)) is not None and value.type == "S" and value.value == wanted
                ]
            return every

        self.all_items = unsorted
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    setattr(query, _PATCHED, True)
    query.original = original  # type: ignore[attr-defined]
    table_class.query = query


def _restore(table: Any, hash_value: Any, range_value: Any, before: Any) -> None:
    if range_value is None:
        if before is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = before
        return
    if before is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = before


SCRATCH_TABLE = "local-motofix-self-check"


def check(region: str = "us-east-1") -> None:
    """install(), then self_check() on a scratch table shaped like the template's (PK/SK, index GSI1, a stream),
    created and deleted through the backend at AWS_ENDPOINT_URL; once per process and region. Raises
    AssertionError if a fix answers differently from moto's own code."""
    install()
    if _checked.get(region):
        return
    from local.backend import internal_client

    client = internal_client("dynamodb", region)
    strings = [{"AttributeName": a, "AttributeType": "S"} for a in ("PK", "SK", "GSI1PK", "GSI1SK")]
    client.create_table(
        TableName=SCRATCH_TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=strings,
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    try:
        self_check(client, SCRATCH_TABLE)
    finally:
        client.delete_table(TableName=SCRATCH_TABLE)
    _checked[region] = True


def self_check(client: Any, table: str) -> None:
    """A transaction whose second condition fails must leave neither its first write nor its stream record."""
    stream_before = _stream_length(client, table)
    key = {"PK": {"S": "MOTOFIX#txn"}, "SK": {"S": "KEPT"}}
    guard = {"PK": {"S": "MOTOFIX#txn"}, "SK": {"S": "GUARD"}}
    client.put_item(TableName=table, Item={**key, "n": {"N": "1"}})
    client.put_item(TableName=table, Item=guard)
    updated = {"PK": {"S": "MOTOFIX#txn"}, "SK": {"S": "UPDATED"}}
    client.put_item(TableName=table, Item={**updated, "n": {"N": "1"}})
    stream_before += 3
    try:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**key, "n": {"N": "2"}}}},
                {"Put": {"TableName": table, "Item": {"PK": {"S": "MOTOFIX#txn"}, "SK": {"S": "NEW"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": updated,
                        "UpdateExpression": "SET n = :five",
                        "ExpressionAttributeValues": {":five": {"N": "5"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": guard,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    except client.exceptions.TransactionCanceledException:
        pass
    else:
        raise AssertionError("the transaction should have been cancelled")
    kept = client.get_item(TableName=table, Key=key)["Item"]["n"]["N"]
    new = client.get_item(TableName=table, Key={"PK": {"S": "MOTOFIX#txn"}, "SK": {"S": "NEW"}}).get("Item")
    still = client.get_item(TableName=table, Key=updated)["Item"]["n"]["N"]
    if kept != "1" or still != "1" or new is not None or _stream_length(client, table) != stream_before:
        raise AssertionError("local/motofix.py: a cancelled transaction left writes behind")
    client.delete_item(TableName=table, Key=key)
    client.delete_item(TableName=table, Key=guard)
    client.delete_item(TableName=table, Key=updated)
    _check_query(client, table)
    _check_item_size()
    _check_dispatch_and_input_paths()


def _check_item_size() -> None:
    """Items built with the fix hold what moto's own Item holds, and one over the limit fails both ways."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    many: dict[str, Any] = {f"a{n}": {"S": "x" * n} for n in range(60)}
    many.update({"n": {"N": "1.50"}, "m": {"M": {"k": {"L": [{"S": "v"}, {"NS": ["1", "2"]}]}}}, "b": {"B": b"\x00"}})
    over = {"a": {"S": "x" * 300000}, "b": {"S": "y" * 105000}}  # each fits, together 405,002 bytes do not
    key = DynamoType({"S": "k"})
    built: list[Any] = []
    try:
        for fast in (True, False):
            _state["fast_size"] = fast
            item = Item(key, None, many)
            built.append((dict(item.attrs), type(item.attrs)))
            try:
                Item(key, None, over)
            except ItemSizeTooLarge:
                built.append("too large")
            else:
                built.append("accepted")
    finally:
        _state["fast_size"] = True
    if built[:2] != built[2:] or built[1] != "too large":
        raise AssertionError("local/motofix.py: items built with the fix differ from moto's")


def _check_query(client: Any, table: str) -> None:
    """The patched Query answers exactly what moto's own does: table and index, both directions, paged."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    items = [
        {
            "PK": {"S": f"MOTOFIX#q{p}"},
            "SK": {"S": f"S{n:02d}"},
            "GSI1PK": {"S": f"MOTOFIXQ#{n % 2}"},
            "GSI1SK": {"S": f"{(7 * n) % 5}"},
        }
        for p in range(3)
        for n in range(12)
    ]
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        client.batch_write_item(RequestItems={table: requests})  # moto processes every item of a batch
    moto_table = dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name].tables[table]
    patched: Any = type(moto_table).query
    original = patched.original
    cases = [
        (DynamoType({"S": "MOTOFIX#q1"}), None),
        (DynamoType({"S": "MOTOFIXQ#1"}), "GSI1"),
    ]
    for hash_key, index in cases:
        for forward in (True, False):
            for limit in (None, 5):
                start: Any = None
                for _ in range(10):
                    a = [
                        patched(moto_table, hash_key, None, [], limit, start, forward, None, index, False, None),
                        original(moto_table, hash_key, None, [], limit, start, forward, None, index, False, None),
                    ]
                    got, want = ([i.to_json() for i in r[0]] + [r[2]] for r in a)
                    if got != want:
                        raise AssertionError(f"local/motofix.py: the patched Query differs ({index}, {forward})")
                    start = a[1][2]
                    if not start:
                        break
    _check_attribute_values(client, table, items)
    for first in range(0, len(items), 25):
        keys = [{"DeleteRequest": {"Key": {"PK": i["PK"], "SK": i["SK"]}}} for i in items[first : first + 25]]
        client.batch_write_item(RequestItems={table: keys})


def _check_attribute_values(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    """Answers carrying every attribute type decode to the same thing with the pass-through as without it."""
    rich = {
        "PK": {"S": "MOTOFIX#q0"},
        "SK": {"S": "RICH"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\x01"},
        "bs": {"BS": [b"a", b"b"]},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2"]},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "v"}, "bb": {"B": b"\x02"}}}]},
        "m": {"M": {"s": {"S": "中文"}, "l": {"L": []}, "mm": {"M": {}}}},
    }
    client.put_item(TableName=table, Item=rich)
    requests = [
        lambda: client.query(
            TableName=table, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "MOTOFIX#q0"}}
        ),
        lambda: client.get_item(TableName=table, Key={"PK": rich["PK"], "SK": rich["SK"]}),
        lambda: client.batch_get_item(
            RequestItems={table: {"Keys": [{"PK": i["PK"], "SK": i["SK"]} for i in [rich, *items[:5]]]}}
        ),
    ]
    try:
        for request in requests:
            fast = request()
            _state["fast_items"] = False
            slow = request()
            _state["fast_items"] = True
            for answer in (fast, slow):
                answer.pop("ResponseMetadata", None)
            if fast != slow:
                raise AssertionError("local/motofix.py: items passed through differ from moto's encoding")
    finally:
        _state["fast_items"] = True
        client.delete_item(TableName=table, Key={"PK": rich["PK"], "SK": rich["SK"]})


def _stream_length(client: Any, table: str) -> int:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name].tables[table].stream_shard
    return len(shard.items) if shard is not None else 0

"""Python functions that call guest functions: the hot path of every call.

:func:`bind` makes, for one guest symbol, a real Python function (so ``help()`` and
``inspect.signature`` treat it as one) that lowers its arguments with a pooled packer, makes one
ctypes call lending a pooled scratch buffer, lifts the reply, gives guest memory back to the
guest's ``virgil_realloc``, and raises a guest failure as a Python exception whose traceback
continues into the guest's frames.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Dict, Optional, Protocol, Tuple, cast

import msgpack

from ._abi import (
    PIN_ABOVE,
    UNWRITTEN,
    CallState,
    Symbol,
    pin,
)
from ._crossing import Core, _decode, _forget_large, _reply, cross
from ._scope import Scope
from .codec import (
    ClosureInContext,
    DecodeError,
    LimitError,
    _NeedsExactEncoding,
    describe,
    encode_exact,
    extension_deferring_borrowed,
    lift,
    map_of_pairs,
    needs_exact_writer,
    new_packer,
)
from .exceptions import (
    ArgumentError,
    ForeignError,
    LibraryClosed,
    LimitExceeded,
    ResultError,
    exception_with_originals,
)
from .manifest import FunctionInfo, LiftError, parse_type
from .records import ExceptionRecord, RecordError, RecordLimitError

__all__ = ["Function", "bind"]

# Values that need no lifting (most results), so they skip a function call.
_PLAIN = frozenset((int, str, float, bool, bytes, type(None)))
# The canonical start of a success envelope: a one-entry map whose key is the str "ok".
_OK = b"\x81\xa2ok"
_MISSING = object()
# After a call with arguments larger than this, its state drops its reference to them, so that a
# pooled state does not keep them alive; beyond the second limit it also drops its packer, whose
# buffer grew to their size (below it, keeping the buffer saves growing one again next time).
# (The second limit is virgil._crossing's.)
_LARGE = 1 << 20


class Function(Protocol):
    """The type of a bound guest function. The objects are real Python functions (``help()`` and
    ``inspect.signature`` know them) carrying these attributes.

    Attributes:
        info: what the manifest says about the function, or None.
    """

    __name__: str
    info: Optional[FunctionInfo]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Lowers the arguments, calls the guest and lifts its result (or raises its exception)."""

    def raw(self, data: bytes) -> Any:
        """Sends ``data`` as the argument bytes, exactly as they are, and lifts the reply."""


# ---- Lowering failures ---------------------------------------------------------------------


def _arity_error(name: str, info: FunctionInfo, count: int) -> ArgumentError:
    params = ", ".join(param.name for param in info.params)
    expected = len(info.params)
    plural = "argument" if expected == 1 else "arguments"
    return ArgumentError(f"{name}: expected {expected} {plural} ({params}), got {count}")


def _reason(error: Exception) -> str:
    text = str(error)
    if isinstance(error, OverflowError) or "out of range" in text:
        return "an int outside the 64-bit range (-2**63 .. 2**64-1)"
    if "recursion limit" in text:
        return "nested too deeply"
    return text


def _lowering_error(name: str, args: Tuple[Any, ...], error: Exception) -> ArgumentError:
    """Names the first argument that cannot be sent, and why."""
    packer = new_packer()
    for position, arg in enumerate(args, start=1):
        try:
            packer.pack(arg)
        except (_NeedsExactEncoding, ClosureInContext):
            continue
        except Exception as failure:
            return ArgumentError(f"{name}: argument {position}: {_reason(failure)}")
    return ArgumentError(f"{name}: the arguments cannot be sent: {_reason(error)}")


def _encode_slow(
    state: CallState, name: str, args: Tuple[Any, ...], error: Exception
) -> Optional[bytes]:
    """After the packer failed: the exact encoding when a Float32 asked for it, None when the
    arguments hold callables (the call then lowers them as closures), else an ArgumentError
    saying which argument cannot be sent."""
    state.packer = new_packer()  # a packer that raised may hold a partial buffer
    if type(error) is ClosureInContext:
        return None
    if needs_exact_writer(error):
        try:
            return encode_exact(args)
        except ClosureInContext:
            return None
        except Exception as failure:
            error = failure
    raise _lowering_error(name, args, error) from None


def _lift_ok(name: str, value: Any, typed: Optional[Callable[[Any], Any]] = None) -> Any:
    """A success value lifted by the codec, then by the declared result type when there is
    one: a misfit is a ResultError naming the function and the field
    (``stats: result: field mean: want float, got str``)."""
    try:
        value = lift(value)
    except LimitError as error:
        raise LimitExceeded(f"{name}: {error}") from None
    except DecodeError as error:
        raise ResultError(f"{name}: {error}") from None
    if typed is None:
        return value
    try:
        return typed(value)
    except LiftError as error:
        raise ResultError(f"{name}: result: {error}") from None


def _failure(name: str, envelope: Any, scope: Optional[Scope] = None) -> BaseException:
    """The exception a reply other than ``{"ok": value}`` stands for: the guest's exception, or a
    ResultError saying what the reply was instead. With the scope of the call's closures, a level
    that is the record of an exception one of them raised is that exception object itself."""
    if type(envelope) is dict and len(envelope) == 1:
        record = envelope.get("error", _MISSING)
        if record is not _MISSING:
            try:
                originals = scope.raised if scope is not None else None
                return exception_with_originals(ExceptionRecord.from_wire(lift(record)), originals)
            except (RecordLimitError, LimitError) as error:
                return LimitExceeded(f"{name}: exception record: {error}")
            except (RecordError, DecodeError) as error:
                return ResultError(f"{name}: malformed exception record: {error}")
        (key,) = envelope
        return ResultError(
            f"{name}: the reply is an envelope with the key {key!r}, not 'ok' or 'error'"
        )
    return ResultError(f"{name}: the reply is {describe(envelope)}, not an envelope")


def _result(name: str, envelope: Any, typed: Optional[Callable[[Any], Any]] = None) -> Any:
    """The value of a success envelope (lifted by the result type ``typed`` lifts, if any);
    raises the failure any other reply stands for."""
    if type(envelope) is dict and len(envelope) == 1:
        value = envelope.get("ok", _MISSING)
        if value is not _MISSING:
            return _lift_ok(name, value, typed)
    raise _failure(name, envelope)


def _outcome(
    name: str,
    envelope: Any,
    typed: Optional[Callable[[Any], Any]] = None,
    scope: Optional[Scope] = None,
) -> Tuple[bool, Any]:
    """``(True, value)`` for a success envelope (lifted by ``typed``), else ``(False, exception
    to raise)`` (see :func:`_failure`)."""
    if type(envelope) is dict and len(envelope) == 1:
        value = envelope.get("ok", _MISSING)
        if value is not _MISSING:
            try:
                return True, _lift_ok(name, value, typed)
            except ResultError as error:
                return False, error
    return False, _failure(name, envelope, scope)


def _call_with_closures(
    core: Core,
    fn: Symbol,
    name: str,
    args: Tuple[Any, ...],
    typed: Optional[Callable[[Any], Any]] = None,
) -> Tuple[bool, Any]:
    """A call whose arguments hold callables: they cross as closures of a new scope, which closes
    (invalidating those the guest did not retain) when the guest returns. Returns ``(True,
    value)`` or ``(False, exception to raise)``. (Nothing is lent in such a call.)"""
    scope = Scope()
    try:
        try:
            data = scope.encode(args)
        except Exception as error:
            return False, _lowering_error(name, args, error)
        state = core.acquire()
        try:
            envelope = cross(core, state, fn, name, data)
        finally:
            if len(data) > _LARGE:
                state.inbox.ptr = None
            core.release(state)
    except (ForeignError, DecodeError) as error:
        return False, error
    finally:
        scope.close()
    return _outcome(name, envelope, typed, scope)


def _call_lending(
    core: Core,
    state: CallState,
    fn: Symbol,
    name: str,
    args: Tuple[Any, ...],
    lent: Tuple[Any, ...],
    typed: Optional[Callable[[Any], Any]] = None,
) -> Tuple[bool, Any]:
    """A call lending some of its arguments (cabi/ABI.md section 16): ``lent`` is ``args`` with
    those replaced by their borrowed values, which ``state``'s lender holds until the guest has
    replied and its reply was read; then the state goes back to the pool. Returns ``(True,
    value)`` or ``(False, exception to raise)``."""
    lender = state.lender
    envelope: Any = None
    try:
        try:
            data = state.packer.pack(lent)
        except Exception as error:
            data = _encode_slow(state, name, lent, error)
        if data is not None:
            envelope = cross(core, state, fn, name, data)
    except (ForeignError, DecodeError) as error:
        return False, error
    finally:
        lender.end()
        state.inbox.ptr = None
        core.release(state)
    if data is None:  # callables too: a call with closures, which lends nothing
        return _call_with_closures(core, fn, name, args, typed)
    return _outcome(name, envelope, typed)


# ---- Binding -------------------------------------------------------------------------------


def bind(
    core: Core,
    name: str,
    fn: Symbol,
    info: Optional[FunctionInfo],
    *,
    module: str,
    doc: Optional[str],
) -> Function:
    """A Python function calling the guest function ``fn`` (exported as ``name``).

    With ``info`` (from the manifest) it has a real signature, takes keyword arguments by the
    manifest's parameter names, checks the argument count before crossing, lowers ``float32``
    parameters as float 32 and lifts the result by its declared type (records by the struct
    rule). Without it, arguments go as they are and the guest checks them.
    """
    arity = len(info.params) if info is not None else -1
    signature = info.signature() if info is not None else None
    convert = info.lowerer() if info is not None else None
    result_type = parse_type(info.result) if info is not None else None
    # typed: the result's lifter (None for any); exact: the one type needing no lifting.
    typed = result_type.lifter() if result_type is not None else None
    exact = result_type.exact() if result_type is not None else None

    def prepare(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Tuple[Any, ...]:
        """Binds keyword arguments and checks the count: the slow path of a call."""
        if info is None or signature is None:
            if kwargs:
                raise ArgumentError(
                    f"{name}: keyword arguments need a manifest naming the parameters; "
                    "pass the arguments by position"
                )
            return args
        if kwargs:
            try:
                args = signature.bind(*args, **kwargs).args
            except TypeError as error:
                raise ArgumentError(f"{name}: {error}") from None
        if len(args) != arity:
            raise _arity_error(name, info, len(args))
        return args

    # The hot path, inlined into one frame, which is also the frame tracebacks show as the call
    # site in front of the guest's frames. The common reply, {"ok": value} in the scratch
    # buffer, is recognised by its first four bytes and only its value is decoded.
    pool = core.pool
    new_state = core.acquire
    unpackb = msgpack.unpackb
    plain = _PLAIN
    ok = _OK
    pin_above = PIN_ABOVE
    unwritten = UNWRITTEN
    pairs = map_of_pairs
    ext = extension_deferring_borrowed  # a borrowed value: decoded again, checked, below
    # Arguments of at least lend_at bytes are lent (section 16): 0 when the library does not
    # declare borrow, or no parameter of this function takes bytes or a str.
    lend_at = core.lend_at if info is not None and info.lends() else 0

    def function(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != arity:
            args = prepare(args, kwargs)
        if convert is not None:
            args = convert(args)
        if core.closed:
            raise LibraryClosed(f"{name}: the library {core.path} is closed")
        try:
            state = pool.pop()
        except IndexError:
            state = new_state()
        if lend_at:  # the library declares borrow (section 16): large arguments may be lent
            lent = state.lender.lend(args, lend_at)
            if lent is not None:
                succeeded, outcome = _call_lending(core, state, fn, name, args, lent, typed)
                if succeeded:
                    return outcome
                failure = outcome
                raise failure
        try:
            data = state.packer.pack(args)
        except Exception as error:
            data = _encode_slow(state, name, args, error)
        if data is None:  # callables in the arguments: they cross as closures
            pool.append(state)
            # (Raised outside the except clause, which would become the failure's __context__.)
            succeeded, outcome = _call_with_closures(core, fn, name, args, typed)
            if succeeded:
                return outcome
            failure = outcome
            raise failure
        inbox = state.inbox
        inbox.len = size = len(data)
        if size > pin_above:
            inbox.ptr, _pinned = pin(data)  # kept alive until the call returns
        else:
            inbox.ptr = data
        out = state.outbox
        capacity = out.len = state.capacity  # out.ptr is the scratch address already
        scratch = state.scratch
        scratch[0] = unwritten  # the unwritten-reply mark (section 2, check 6)
        fn(state.inref, state.outref)
        ptr = out.ptr
        length = out.len
        if ptr == state.scratch_address and length <= capacity and state.head == ok:
            # {"ok": value} canonically starts 81 a2 6f 6b, written by the guest over the mark:
            # only the value is decoded.
            try:  # (raw=False and timestamp=0 are msgpack's defaults, as in codec.unpack)
                value = unpackb(
                    scratch[4:length], strict_map_key=False, object_pairs_hook=pairs, ext_hook=ext
                )
            except Exception:  # malformed, or a borrowed value in it: decoded again, checked
                try:
                    envelope = _decode(name, scratch[:length], state.lender.hook)
                finally:
                    pool.append(state)
            else:
                if size > _LARGE:
                    _forget_large(state)
                pool.append(state)
                kind = type(value)
                if kind is exact or (typed is None and kind in plain):
                    return value
                return _lift_ok(name, value, typed)
        else:
            try:
                envelope = _reply(core, state, name, ptr, length)
            finally:
                if size > _LARGE:
                    _forget_large(state)
                pool.append(state)
        if type(envelope) is dict and len(envelope) == 1:
            value = envelope.get("ok", _MISSING)
            if value is not _MISSING:
                kind = type(value)
                if kind is exact or (typed is None and kind in plain):
                    return value
                return _lift_ok(name, value, typed)
        failure = _failure(name, envelope)
        raise failure

    def raw(data: bytes) -> Any:
        """Sends ``data`` as the argument bytes, exactly as they are, and lifts the reply."""
        if core.closed:
            raise LibraryClosed(f"{name}: the library {core.path} is closed")
        state = core.acquire()
        try:
            envelope = cross(core, state, fn, name, bytes(data))
        finally:
            if len(data) > _LARGE:
                state.inbox.ptr = None
            core.release(state)
        return _result(name, envelope, typed)

    python_name = name if name.isidentifier() else "guest_function"
    # Name the crossing frame after the function, so that tracebacks read "in add".
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        function.__code__ = function.__code__.replace(co_name=python_name)
    function.__name__ = python_name
    function.__qualname__ = python_name
    function.__module__ = module
    function.__doc__ = doc
    if signature is not None:
        function.__signature__ = signature  # type: ignore[attr-defined]
    function.info = info  # type: ignore[attr-defined]
    function.raw = raw  # type: ignore[attr-defined]
    return cast(Function, function)

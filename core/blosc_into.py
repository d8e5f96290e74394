"""Blosc compression into a caller's buffer, through c-blosc's C API in numcodecs' extension.

``numcodecs.Blosc.encode`` returns a new ``bytes`` object per call: for the 23 MB chunks of a
recording saved to zarr, each call allocates (and the kernel zero-fills, page by page) a fresh
output buffer that is unmapped again once the chunk is written, which costs a save a sizeable
share of its CPU time outside the codec. numcodecs builds c-blosc into its ``blosc`` extension
and exports its C API (``blosc_compress_ctx`` and friends, the functions numcodecs itself calls);
`BloscInto` calls the same function with the same arguments as ``Blosc.encode`` does without
Blosc's own threads, into a buffer that the caller keeps from chunk to chunk. The bytes are
those ``Blosc.encode`` returns (c-blosc with one thread is deterministic).

Where the extension does not export the C API (a numcodecs built otherwise), or for a codec
other than ``numcodecs.Blosc``, `BloscInto.of` returns None and callers use ``encode``.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import numpy as np

__all__ = ["BloscInto"]

#: c-blosc's ``BLOSC_MAX_OVERHEAD``: the header bytes a compressed buffer may add.
MAX_OVERHEAD = 16
#: numcodecs' shuffle codes.
_NOSHUFFLE, _SHUFFLE, _BITSHUFFLE, _AUTOSHUFFLE = 0, 1, 2, -1


@functools.cache
def _compress_ctx() -> Any:
    """``blosc_compress_ctx`` of numcodecs' extension, or None where it is not exported."""
    try:
        import numcodecs.blosc as blosc_extension

        library = ctypes.CDLL(blosc_extension.__file__)
        function = library.blosc_compress_ctx
        compcode = library.blosc_compname_to_compcode
    except (ImportError, OSError, AttributeError):
        return None
    # int blosc_compress_ctx(int clevel, int doshuffle, size_t typesize, size_t nbytes,
    #     const void* src, void* dest, size_t destsize, const char* compressor,
    #     size_t blocksize, int numinternalthreads)
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_size_t,
        ctypes.c_size_t,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_int,
    ]
    function.restype = ctypes.c_int
    compcode.argtypes = [ctypes.c_char_p]
    compcode.restype = ctypes.c_int
    return function, compcode


class BloscInto:
    """A ``numcodecs.Blosc`` codec that compresses into a given buffer.

    Build it with `BloscInto.of`. ctypes releases the GIL for the call, so threads compress in
    parallel, as with ``Blosc.encode``.

    Parameters
    ----------
    cname : bytes
        Compressor name (``b"zstd"``, ``b"lz4"``, ...).
    clevel : int
        Compression level.
    shuffle : int
        numcodecs shuffle code (``AUTOSHUFFLE`` resolved per buffer, as numcodecs does).
    blocksize : int
        Block size, 0 for c-blosc's automatic choice.
    typesize : int or None
        Element size given to c-blosc; None: the item size of the data.
    """

    def __init__(
        self, cname: bytes, clevel: int, shuffle: int, blocksize: int, typesize: int | None
    ) -> None:
        self.cname = cname
        self.clevel = int(clevel)
        self.shuffle = int(shuffle)
        self.blocksize = int(blocksize)
        self.typesize = typesize

    @classmethod
    def of(cls, codec: Any) -> BloscInto | None:
        """The equivalent of ``codec``, or None if it is not a ``numcodecs.Blosc`` that c-blosc's
        exported API can run (then use ``codec.encode``)."""
        from numcodecs import Blosc

        functions = _compress_ctx()
        if type(codec) is not Blosc or functions is None:
            return None
        cname = codec.cname.encode("ascii") if isinstance(codec.cname, str) else codec.cname
        typesize = getattr(codec, "_typesize", None)
        if codec.shuffle not in (_NOSHUFFLE, _SHUFFLE, _BITSHUFFLE, _AUTOSHUFFLE):
            return None
        if not isinstance(cname, bytes) or functions[1](cname) < 0:
            return None  # Blosc.encode raises its own error for an unknown compressor
        if typesize is not None and not (isinstance(typesize, int) and typesize >= 1):
            return None
        return cls(cname, codec.clevel, codec.shuffle, codec.blocksize, typesize)

    @staticmethod
    def output_size(nbytes: int) -> int:
        """Bytes an output buffer needs for ``nbytes`` of input, whatever the data."""
        return nbytes + MAX_OVERHEAD

    def compress(self, data: np.ndarray, out: np.ndarray) -> memoryview:
        """Compress C-contiguous ``data`` into ``out``; return the view of ``out`` it fills.

        Parameters
        ----------
        data : np.ndarray
            C-contiguous numeric array, less than 2 GiB (as ``Blosc.encode`` accepts).
        out : np.ndarray
            Writable uint8 buffer of at least ``output_size(data.nbytes)`` bytes.

        Returns
        -------
        memoryview
            The compressed bytes, the first bytes of ``out``.

        Raises
        ------
        ValueError
            If ``data`` is not C-contiguous or ``out`` is too small.
        RuntimeError
            If c-blosc reports an error.
        """
        if not data.flags.c_contiguous:
            raise ValueError("data must be C-contiguous")
        if out.dtype != np.uint8 or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("out must be a writable C-contiguous uint8 array")
        nbytes = data.nbytes
        if out.nbytes < self.output_size(nbytes):
            raise ValueError(f"out holds {out.nbytes} bytes, {self.output_size(nbytes)} needed")
        itemsize = self.typesize or data.dtype.itemsize
        shuffle = self.shuffle
        if shuffle == _AUTOSHUFFLE:
            shuffle = _BITSHUFFLE if itemsize == 1 else _SHUFFLE
        function = _compress_ctx()[0]
        size = function(
            self.clevel,
            shuffle,
            itemsize,
            nbytes,
            data.ctypes.data,
            out.ctypes.data,
            self.output_size(nbytes),  # as numcodecs: c-blosc's choices depend on it
            self.cname,
            self.blocksize,
            1,
        )
        if size <= 0:
            raise RuntimeError(f"error during blosc compression: {size}")
        return memoryview(out)[:size]

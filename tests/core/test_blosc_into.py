"""Blosc compression into a reused buffer (core.blosc_into): the bytes numcodecs' Blosc writes."""

from __future__ import annotations

import numpy as np
import pytest
from numcodecs import Blosc, Zstd

from core.blosc_into import BloscInto


def ephys_like(shape=(3000, 24), dtype="int16", seed=0):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 8, size=(shape[0], 1))
    return (rng.normal(0, 15, size=shape) + common).astype(dtype)


CODECS = {
    "default zstd bitshuffle": Blosc(cname="zstd", clevel=5, shuffle=Blosc.BITSHUFFLE),
    "lz4 shuffle": Blosc(cname="lz4", clevel=3, shuffle=Blosc.SHUFFLE),
    "blosclz noshuffle": Blosc(cname="blosclz", clevel=9, shuffle=Blosc.NOSHUFFLE),
    "zstd autoshuffle": Blosc(cname="zstd", clevel=1, shuffle=Blosc.AUTOSHUFFLE),
    "zlib blocksize": Blosc(cname="zlib", clevel=4, shuffle=Blosc.SHUFFLE, blocksize=16384),
    "typesize": Blosc(cname="zstd", clevel=5, shuffle=Blosc.SHUFFLE, typesize=4),
}
DATA = {
    "int16 ephys": ephys_like(),
    "float32 ephys": ephys_like(dtype="float32"),
    "uint8": ephys_like(dtype="int16").astype("uint8"),
    "incompressible": np.random.default_rng(2).integers(0, 256, 70_000, dtype="uint8"),
    "tiny": np.arange(5, dtype="int16"),
}


@pytest.mark.parametrize("data", list(DATA), ids=list(DATA))
@pytest.mark.parametrize("codec", list(CODECS), ids=list(CODECS))
def test_bytes_equal_numcodecs_blosc(codec, data):
    into = BloscInto.of(CODECS[codec])
    assert into is not None, "numcodecs' extension should export c-blosc's API"
    array = DATA[data]
    out = np.full(BloscInto.output_size(array.nbytes) + 100, 7, dtype=np.uint8)
    compressed = into.compress(array, out)
    assert bytes(compressed) == CODECS[codec].encode(array)
    decoded = np.frombuffer(CODECS[codec].decode(compressed), dtype=array.dtype)
    np.testing.assert_array_equal(decoded, array.ravel())


def test_a_reused_buffer_gives_each_chunk_its_own_bytes():
    codec = CODECS["default zstd bitshuffle"]
    into = BloscInto.of(codec)
    out = np.empty(BloscInto.output_size(DATA["int16 ephys"].nbytes), dtype=np.uint8)
    for seed in range(3):
        chunk = ephys_like(seed=seed)
        assert bytes(into.compress(chunk, out)) == codec.encode(chunk)


def test_other_codecs_have_no_equivalent():
    assert BloscInto.of(Zstd(level=3)) is None
    assert BloscInto.of(None) is None


def test_bad_buffers_are_refused():
    into = BloscInto.of(CODECS["default zstd bitshuffle"])
    data = DATA["int16 ephys"]
    with pytest.raises(ValueError, match="out holds"):
        into.compress(data, np.empty(data.nbytes, dtype=np.uint8))
    with pytest.raises(ValueError, match="C-contiguous"):
        into.compress(data[:, ::2], np.empty(data.nbytes + 16, dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        into.compress(data, np.empty(data.nbytes + 16, dtype=np.int16))

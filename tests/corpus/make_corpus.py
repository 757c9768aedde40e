"""Writes the regression corpus for `xavier info`: small .npy and safetensors
files that each break one rule of their format (every one must give exit 2
and a one-line error, never a traceback or a hang).

    python tests/corpus/make_corpus.py      (rewrites the files beside it)

tests/test_reader.py checks that the committed files equal what this script
makes.  FIFOs and directory entries cannot be committed: the tests make them.
"""
import json
import os
import struct
from typing import Dict, Tuple, Union

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def npy(header: Union[str, bytes], data: bytes = b"", version: Tuple[int, int] = (1, 0),
        length: Union[int, None] = None) -> bytes:
    """A .npy file with this header text (padded as np.save pads it)."""
    text = header.encode("latin1") if isinstance(header, str) else header
    prefix = 10 if version == (1, 0) else 12
    text += b" " * (-(prefix + len(text) + 1) % 64) + b"\n"
    fmt = "<H" if version == (1, 0) else "<I"
    return (b"\x93NUMPY" + bytes(version)
            + struct.pack(fmt, len(text) if length is None else length) + text + data)


def npy_dict(shape: str, descr: str = "'<f4'", fortran: str = "False") -> str:
    return f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}"


def st(header: Union[str, bytes, dict], data: bytes = b"",
       length: Union[int, None] = None) -> bytes:
    """A safetensors file with this JSON header (a dict is dumped)."""
    text = header if isinstance(header, bytes) else (
        json.dumps(header) if isinstance(header, dict) else header).encode("utf-8")
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def cases() -> Dict[str, bytes]:
    """File name -> contents."""
    one = {"a": F32}
    return {
        # safetensors: hangs, wrong answers and tracebacks seen before
        "st_offsets_negative.safetensors":
            st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, -1099511627776]}},
               b"\0" * 8),
        "st_overlap.safetensors":
            st({"a": F32, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
               b"\0" * 12),
        "st_gap.safetensors":
            st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
        "st_shape_vs_bytes.safetensors":
            st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
        "st_unknown_dtype.safetensors":
            st({"a": {"dtype": "F128", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
        "st_f32_7_bytes.safetensors":
            st({"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 7]}}, b"\0" * 7),
        "st_shape_string.safetensors":
            st({"a": {"dtype": "F32", "shape": "abc", "data_offsets": [0, 8]}}, b"\0" * 8),
        "st_shape_float.safetensors":
            st({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, b"\0" * 8),
        "st_shape_negative_zero.safetensors":
            st('{"a":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}'),
        "st_shape_overflow.safetensors":
            st({"a": {"dtype": "F32", "shape": [2**32, 2**32, 0], "data_offsets": [0, 0]}}),
        "st_shape_huge_int.safetensors":
            st('{"a":{"dtype":"F32","shape":[' + "9" * 5000 + '],"data_offsets":[0,0]}}'),
        "st_subbyte_misaligned.safetensors":
            st({"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, b"\0" * 2),
        "st_nested.safetensors": st('{"__metadata__":' + "[" * 3000 + "]" * 3000 + "}"),
        "st_metadata_list.safetensors": st({"__metadata__": [1], **one}, b"\0" * 8),
        "st_metadata_int_value.safetensors": st({"__metadata__": {"k": 1}, **one}, b"\0" * 8),
        "st_missing_offsets.safetensors":
            st({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8),
        "st_extra_field.safetensors": st({"a": {**F32, "x": 1}}, b"\0" * 8),
        "st_dtype_list.safetensors":
            st({"a": {"dtype": [], "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
        "st_entry_not_object.safetensors": st({"a": 5}),
        "st_offsets_three.safetensors":
            st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 8]}}, b"\0" * 8),
        "st_offsets_reversed.safetensors":
            st({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, b"\0" * 8),
        "st_duplicate_key.safetensors": st('{"a":%s,"a":%s}' % (json.dumps(F32), json.dumps(F32)),
                                           b"\0" * 8),
        "st_nan.safetensors": st('{"a":{"dtype":"F32","shape":[NaN],"data_offsets":[0,8]}}',
                                 b"\0" * 8),
        "st_lone_surrogate.safetensors": st('{"\\ud800":%s}' % json.dumps(F32), b"\0" * 8),
        "st_not_utf8.safetensors": st(b'{"\xff":1}'),
        "st_not_json.safetensors": st("{'a': 1}"),
        "st_not_object.safetensors": st("[]"),
        "st_trailing_data.safetensors": st(one, b"\0" * 9),
        "st_short_data.safetensors": st(one, b"\0" * 7),
        "st_header_past_end.safetensors": st(one, b"\0" * 8, length=1000),
        "st_header_over_limit.safetensors": st("{}", length=100_000_001),
        "st_header_length_u64_max.safetensors": st("{}", length=2**64 - 1),
        "st_too_short.safetensors": b"\x02\0\0",
        "empty.safetensors": b"",
        # .npy
        "npy_shape_2e40_squared.npy": npy(npy_dict(f"({2**40}, {2**40})"), b"\0" * 16),
        "npy_dim_over_int64.npy": npy(npy_dict(f"({2**63},)")),
        "npy_dim_huge_literal.npy": npy(npy_dict("(" + "9" * 5000 + ",)")),
        "npy_zero_size_overflow.npy": npy(npy_dict(f"(0, {2**62}, {2**62})")),
        "npy_negative_dim.npy": npy(npy_dict("(-2,)"), b"\0" * 8),
        "npy_too_many_dims.npy": npy(npy_dict("(" + "1, " * 65 + ")"), b"\0" * 4),
        "npy_unclosed_dict.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"),
        "npy_not_dict.npy": npy("[1, 2]"),
        "npy_missing_key.npy": npy("{'descr': '<f4', 'shape': (2,)}", b"\0" * 8),
        "npy_shape_string.npy": npy(npy_dict("'abc'"), b"\0" * 8),
        "npy_bad_descr.npy": npy(npy_dict("(2,)", descr="'<f128x'"), b"\0" * 8),
        "npy_object_dtype.npy": npy(npy_dict("(2,)", descr="'|O'"), b"\0" * 16),
        "npy_fortran_not_bool.npy": npy(npy_dict("(2,)", fortran="1"), b"\0" * 8),
        "npy_header_length_4gib.npy": npy(npy_dict("(2,)"), b"\0" * 8, (2, 0), 2**32 - 1),
        "npy_header_too_long.npy": npy(npy_dict("(2,)") + " " * 20_000, b"\0" * 8, (2, 0)),
        "npy_header_past_end.npy": npy(npy_dict("(2,)"), b"", (1, 0), 5000),
        "npy_version_4.npy": npy(npy_dict("(2,)"), b"\0" * 8, (4, 0)),
        "npy_v3_not_utf8.npy": npy(npy_dict("(2,)", descr="[('\xff', '<f4')]"), b"\0" * 8, (3, 0)),
        "npy_v3_python2_long.npy": npy(npy_dict("(2L,)"), b"\0" * 8, (3, 0)),
        "npy_truncated_data.npy": npy(npy_dict("(2,)"), b"\0" * 7),
        "npy_trailing_data.npy": npy(npy_dict("(2,)"), b"\0" * 9),
        "npy_magic_only.npy": b"\x93NUMPY",
    }


def main() -> None:
    for name, data in cases().items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

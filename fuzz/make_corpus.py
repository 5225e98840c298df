#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/ (run from anywhere; overwrites the seeds it names).

The seeds are committed; this script documents how each was made and regenerates them."""
import gzip
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def idx(dims, values=b"", rank=None, type_code=8):
    head = bytes([0, 0, type_code, len(dims) if rank is None else rank])
    return head + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(corpus, name, data):
    d = os.path.join(ROOT, corpus)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


images = idx([2, 3, 4], range(0, 240, 10))
labels = idx([5], [0, 1, 2, 9, 7])
plain = {
    "labels": labels,
    "images": images,
    "rank4": idx([1, 2, 2, 3], range(12)),
    "one_byte": idx([1], [200]),
    "truncated_data": images[:-5],
    "trailing_byte": labels + b"\x01",
    "truncated_header": idx([2, 3, 4])[:10],
    "zero_items": idx([0, 28, 28]),
    "zero_inner": idx([5, 0]),
    "rank0": idx([], b"\x2a"),
    "type_float": idx([1], b"\0\0\0\0", type_code=0x0D),
    "bad_magic": b"\x01" + labels[1:],
    # 368 * 329160311 * 4264051793 wraps to 16 in 64 bits.
    "product_wraps": idx([2, 368, 329160311, 4264051793], bytes(32)),
    "all_ones": idx([0xFFFFFFFF, 0xFFFFFFFF]),
    "claims_1gib": idx([1 << 30]),
}
for name, data in plain.items():
    write("idx_plain", name, data)

# idx_gzip: byte 0 is the mode (0 as is, 1 compress, 2 compress and cut, 3 compress and flip).
crc = bytearray(gz(images))
crc[-6] ^= 0x40
gzipped = {
    "gz_labels": b"\0" + gz(labels),
    "gz_images": b"\0" + gz(images),
    "gz_claims_4gib": b"\0" + gz(idx([65536, 65536], [1, 2, 3])),
    "gz_truncated": b"\0" + gz(images)[:-12],
    "gz_no_trailer": b"\0" + gz(images)[:-8],
    "gz_bad_crc": b"\0" + bytes(crc),
    "gz_two_members": b"\0" + gz(images[:13]) + gz(images[13:]),
    "gz_trailing_garbage": b"\0" + gz(labels) + b"garbage",
    "gz_trailing_data": b"\0" + gz(labels + b"\x05\x06"),
    "plain_images": b"\0" + images,
    "compress_images": b"\x01" + images,
    "compress_level1_rank4": b"\x05" + plain["rank4"],
    "compress_zero_items": b"\x01" + plain["zero_items"],
    "cut_images": b"\x02\x00\x14\x00" + images,
    "flip_images": b"\x03\x00\x16\x80" + images,
}
for name, data in gzipped.items():
    write("idx_gzip", name, data)

# csv: byte 0 = kind (bits 0-1: ClassIndex<3>, OneHot<3>, Binary, Real<Shape<2>>), header (bits
# 2-3: unset, true, false), labels_first (bit 4), delimiter (bits 5-7: , ; tab space | : " \n);
# byte 1 = bit 0 no na_tokens, bit 1 double.
def csv(kind, text, header=0, labels_first=False, delim=0, extra=0):
    return bytes([kind | header << 2 | int(labels_first) << 4 | delim << 5, extra]) + text


seeds = {
    "class_header": csv(0, b"x,y,label\n1,2,0\n3.5,-1e-3,2\n0,0,1\n"),
    "class_no_header": csv(0, b"1,2,0\r\n3,4,1\r\n", header=2),
    "class_header_true": csv(0, b"a,b,c\n1,2,2\n", header=1),
    "class_out_of_range": csv(0, b"1,2,3\n"),
    "class_not_whole": csv(0, b"1,2,1.5\n"),
    "onehot": csv(1, b"1,2,0,1,0\n4,5,1,0,0\n"),
    "onehot_labels_first": csv(1, b"0,0,1,7,8\n", labels_first=True),
    "binary_semicolon": csv(2, b"f1;f2;y\n0.5;NA;1\n;2;0\n", delim=1),
    "binary_bad": csv(2, b"1,2,2\n"),
    "real_tab_double": csv(3, b"1\t2\t3\t4\n5\t6\t7\t8\n", delim=2, extra=2),
    "real_missing_label": csv(3, b"1,2,NA,4\n"),
    "quoted_crlf_bom": csv(0, b"\xef\xbb\xbf\"a,\"\"b\"\"\",b,\"c\nd\"\r\n\"1\",2,0\r\n"),
    "unclosed_quote": csv(0, b"1,\"2,0\n"),
    "cr_only": csv(2, b"1,2,1\r3,4,0\r"),
    "wrong_columns": csv(0, b"1,2\n"),
    "too_large_float": csv(3, b"1e39,1,2,3\n"),
    "hex_inf": csv(3, b"0x10,inf,1,2\n"),
    "no_na_tokens": csv(0, b"NA,2,1\n", extra=1),
    "pipe_space": csv(0, b" 1 | 2 | 0 \n\n   \n", delim=4),
    "quote_delimiter": csv(0, b"1\"2\"0\n", delim=6),
    "newline_delimiter": csv(0, b"1\n2\n0\n", delim=7),
    "header_only": csv(0, b"a,b,c\n"),
}
for name, data in seeds.items():
    write("csv", name, data)

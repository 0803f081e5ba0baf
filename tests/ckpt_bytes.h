/* Checkpoint bytes for the tests, written from docs/checkpoint-format.md and
 * not from the library's code: little-endian fields, zlib's CRC-32 (its
 * polynomial written out here), the sections of a format 2 or 3 file,
 * format 3's settings entries, format 1 and 2 files built by hand (as the
 * writers of earlier releases wrote them), and the format 2 fixtures of
 * tests/fixtures/ckpt-v2/. A helper that meets bytes it cannot walk fails
 * the running test. */
#ifndef CNN_CKPT_BYTES_H
#define CNN_CKPT_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"

/* ---- fields ---- */

uint32_t cb_le32(const unsigned char *p);
uint64_t cb_le64(const unsigned char *p);
void cb_set_le32(unsigned char *p, uint32_t v);
void cb_set_le64(unsigned char *p, uint64_t v);
uint32_t cb_float_bits(float f);
float cb_bits_float(uint32_t v);

/* zlib's CRC-32 of n bytes, computed bit by bit. */
uint32_t cb_crc32(const unsigned char *p, size_t n);
/* Recomputes the trailing CRC of a len-byte file, so that only a deliberate
 * change is wrong. */
void cb_fix_crc(unsigned char *b, size_t len);

/* ---- sections (formats 2 and 3) ---- */

/* The section tags (docs/checkpoint-format.md). */
enum {
    CB_NETWORK = 1, CB_SCHEDULE = 2, CB_PROGRESS = 3, CB_DATA = 4, CB_PARAMS = 5,
    CB_MOMENTUM = 6, CB_STATE = 7, CB_OPTIONS = 8, CB_MOMENT2 = 9, CB_SETTINGS = 10
};

typedef struct { uint32_t tag; size_t len; const unsigned char *data; } cb_section;

/* The sections of a file after its 24-byte header, in file order, at most
 * max; returns how many. */
int cb_sections(const unsigned char *b, size_t len, cb_section *out, int max);

/* The offset in b of the data of the first section tagged tag (its length
 * field lies 8 bytes before it), its length in *slen (may be NULL); fails
 * the test when the file has none. */
size_t cb_section_at(const unsigned char *b, size_t len, uint32_t tag, size_t *slen);

/* A file of these sections, malloc'ed, its size in *len: the header holds
 * version, the count (n + count_delta) and the length; the CRC is right. */
unsigned char *cb_build(uint32_t version, const cb_section *s, int n, int count_delta,
                        size_t *len);

/* b (len bytes) with the section tagged tag left out (drop) or written
 * twice (twice), then extra_len bytes of a section tagged extra_tag
 * appended when extra_tag is not 0; malloc'ed, header and CRC right. */
unsigned char *cb_rearranged(const unsigned char *b, size_t len, uint32_t drop, uint32_t twice,
                             uint32_t extra_tag, const void *extra, size_t extra_len,
                             size_t *out_len);

/* b with the data of its section tagged tag replaced by data (data_len
 * bytes), in its place; malloc'ed, header and CRC right. */
unsigned char *cb_with_section(const unsigned char *b, size_t len, uint32_t tag,
                               const void *data, size_t data_len, size_t *out_len);

/* ---- format 3's settings entries ---- */

enum { CB_INT32 = 1, CB_FLOAT32 = 2, CB_UINT64 = 3, CB_TEXT = 4 };

/* One entry: its name, value type and value bytes (a text: its u32 length
 * and its bytes). */
typedef struct {
    char name[256];
    unsigned name_len; /* (a name may hold any byte: this, not strlen) */
    unsigned type;
    unsigned char value[300];
    size_t value_len;
} cb_entry;

cb_entry cb_int32(const char *name, uint32_t v);
cb_entry cb_float32(const char *name, float v);
cb_entry cb_uint64(const char *name, uint64_t v);
cb_entry cb_text(const char *name, const char *text);

/* The settings entries of a format 3 file, at most max; fails the test when
 * the section does not walk to its end. */
int cb_entries(const unsigned char *b, size_t len, cb_entry *out, int max);
/* The index of the entry called name, or -1. */
int cb_find_entry(const cb_entry *e, int n, const char *name);
/* A settings section's data: count (as declared), then n entries; returns
 * its length. out must hold it (n x 570 bytes is always enough). */
size_t cb_settings_data(const cb_entry *e, int n, uint32_t count, unsigned char *out);

/* b with its settings section holding these n entries under a declared
 * count; malloc'ed, header and CRC right. */
unsigned char *cb_with_entries(const unsigned char *b, size_t len, const cb_entry *e, int n,
                               uint32_t count, size_t *out_len);
/* b with the entry called `name` replaced by e (whose name, type and value
 * may differ); fails the test when b has no such entry. */
unsigned char *cb_with_setting(const unsigned char *b, size_t len, const char *name,
                               cb_entry e, size_t *out_len);
/* The same on the file at path, written back. */
void cb_patch_setting(const char *path, const char *name, cb_entry e);

/* ---- files of the earlier formats ---- */

/* ck as format 1 (fixed fields: its params and momentum; no data, state,
 * options or second moments). */
unsigned char *cb_v1_bytes(const checkpoint *ck, size_t *len);

/* ck as format 2, as the writer of commit 63f546c wrote it: sections 1 to 6,
 * 7 when ck has running statistics, 8 when an option differs from its
 * default (or always, when force_options), 9 when ck has second moments. */
unsigned char *cb_v2_bytes(const checkpoint *ck, int force_options, size_t *len);

/* The path of tests/fixtures/ckpt-v2/<name> (from the repository root, or
 * $CNN_FIXTURES_DIR/ckpt-v2); fails the test when it is missing. */
const char *cb_fixture(const char *name);

#endif

/* The JSON layer's internal API: the generic writer that model_token.c
 * reuses, its error/path state, and the registry names it shares. */
#ifndef MISTAPI_JSON_H
#define MISTAPI_JSON_H

#include <stddef.h>
#include <yajl/yajl_gen.h>

#include "core.h"

/* Registry names: core.array_mt and the "keys from the server" weak table. */
#define MISTAPI_ARRAY_MT    "mistapi.array"
#define MISTAPI_SERVER_KEYS "mistapi.server_keys"

/* yajl_gen refuses to open a level at YAJL_MAX_DEPTH (128): 127 fit. */
#define MISTAPI_ENCODE_MAX_DEPTH 127
#define MISTAPI_DECODE_MAX_DEPTH 512
/* core.decode's default memory budget: FACTOR times the text, plus FLOOR. */
#define MISTAPI_DECODE_BUDGET_FACTOR 4
#define MISTAPI_DECODE_BUDGET_FLOOR  ((size_t)4 * 1024 * 1024)

typedef struct mistapi_enc mistapi_enc;
/* A writer body: runs under lua_pcall with the encoded value at stack index
 * 2 and the caller's extra argument at 3; returns 0, or -1 after
 * mistapi_enc_fail. */
typedef int (*mistapi_enc_fn)(mistapi_enc *e, void *arg);

struct mistapi_enc {
    lua_State *L;
    yajl_gen g;
    int array_mt;          /* stack index of core.array_mt */
    int failed;
    mistapi_enc_fn fn;
    void *arg;
    size_t pathlen;
    char path[200];        /* "privileges[2].views[1]" */
    char err[400];
};

/* Runs fn over the values at stack indexes vidx and aidx (aidx 0: none):
 * pushes the JSON text and returns 1, or pushes nil, message and returns 2.
 * yajl's generator is freed on every path, a Lua error included. */
int mistapi_encode_run(lua_State *L, int vidx, int aidx, mistapi_enc_fn fn, void *arg);

/* The generic writer: any Lua value at idx (depth: nesting so far). */
int mistapi_enc_value(mistapi_enc *e, int idx, int depth);
int mistapi_enc_string(mistapi_enc *e, const char *s, size_t n);
int mistapi_enc_status(mistapi_enc *e, yajl_gen_status st);

/* Records "<path>: <message>" as the failure; returns -1. */
int mistapi_enc_fail(mistapi_enc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Path bookkeeping: push returns a mark that pop restores. */
size_t mistapi_path_key(mistapi_enc *e, const char *k, size_t n);
size_t mistapi_path_index(mistapi_enc *e, long long i);
void mistapi_path_pop(mistapi_enc *e, size_t mark);

/* Is the table at idx an array? Sets *n to its length. A table marked with
 * core.array_mt is one; otherwise a table whose keys are exactly 1..n, n > 0
 * (allow_empty: an empty unmarked table counts as an empty array). */
int mistapi_table_is_array(mistapi_enc *e, int idx, int allow_empty, size_t *n);

/* "string", "null", ... for messages about the value at idx. */
const char *mistapi_type_name(lua_State *L, int idx);
/* A table key for messages: "number 1", "boolean true", "table". */
void mistapi_describe_key(lua_State *L, int idx, char *out, size_t outsz);

void mistapi_json_register_encode(lua_State *L);

/* A session's 2xx answer decoded as it arrives: text as one object of the
 * model whose one-shape is `one` ("token"), under core.decode's default
 * limits. Pushes the object and returns 1; else pushes nothing and returns
 * 0 (not one object of the model, or refused: core.decode of the same text
 * says why, the same way). */
int mistapi_decode_object(lua_State *L, const char *text, size_t len, const char *one);

#endif

/* A growing byte buffer for response bodies and header lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define BUF_FIRST ((size_t)16 * 1024)
/* A buffer grown past this is freed between requests rather than kept. */
#define BUF_KEEP  ((size_t)1024 * 1024)

int mistapi_buf_append(mistapi_buf *b, const char *p, size_t n)
{
    size_t need, cap;
    char *data;
    if (n == 0)
        return 0;
    if (n > SIZE_MAX - b->len)
        return -1;
    need = b->len + n;
    if (need > b->cap) {
        cap = b->cap ? b->cap : BUF_FIRST;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        data = realloc(b->data, cap);
        if (data == NULL)
            return -1;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len = need;
    return 0;
}

void mistapi_buf_reset(mistapi_buf *b)
{
    b->len = 0;
    if (b->cap > BUF_KEEP)
        mistapi_buf_free(b);
}

void mistapi_buf_free(mistapi_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/*
 * The floor: the benchmark's work done in plain C, as lean as it gets with
 * public parts: one reused libcurl easy handle (curl_multi for concurrent
 * work) and cJSON from Debian, walking the parsed tree for the checksum.
 *
 *   floor get    BASE ORG ID COUNT      COUNT GETs of one token
 *   floor list   BASE ORG COUNT         COUNT GETs of the org's token list
 *   floor ids    BASE ORG IDSFILE CONC  GET each id, CONC at a time
 *   floor decode FILE COUNT             parse a list file COUNT times, no HTTP
 *   floor startup                       what a program does before its first
 *                                       request: curl_global_init, one handle
 *
 * Prints "checksum N": per token 1 + created_time + (last_used or 0).
 * The API token comes from MIST_APITOKEN and is never printed. Over https the
 * certificate to trust comes from BENCH_CA_FILE, and concurrent transfers wait
 * for a connection HTTP/2 can share (PIPEWAIT) rather than each opening its
 * own, as mistapi's do. (Over plain http PIPEWAIT would hold them until the
 * first answer showed HTTP/1.1.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

enum { URL_MAX = 512, MAX_IDS = 100000, MAX_CONC = 64 };

struct buf {
    char *p;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0; /* makes curl fail the transfer */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, add);
    b->len += add;
    return add;
}

static int sum_token(const cJSON *t, double *sum)
{
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(t, "created_time");
    const cJSON *used = cJSON_GetObjectItemCaseSensitive(t, "last_used");
    if (!cJSON_IsNumber(created))
        return -1;
    *sum += 1 + created->valuedouble + (cJSON_IsNumber(used) ? used->valuedouble : 0);
    return 0;
}

/* Parses one answer (a token, or an array of tokens) and adds to *sum. */
static int sum_answer(const struct buf *b, int is_list, double *sum)
{
    cJSON *root = cJSON_ParseWithLength(b->p, b->len);
    int rc = 0;
    if (!root)
        return -1;
    if (!is_list) {
        rc = sum_token(root, sum);
    } else if (!cJSON_IsArray(root)) {
        rc = -1;
    } else {
        const cJSON *t;
        cJSON_ArrayForEach(t, root) {
            if (sum_token(t, sum) != 0) {
                rc = -1;
                break;
            }
        }
    }
    cJSON_Delete(root);
    return rc;
}

static CURL *new_handle(struct curl_slist *hdrs, struct buf *b)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    if (curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L) != CURLE_OK || /* a stuck server can't hang the run */
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
        (getenv("BENCH_CA_FILE") && curl_easy_setopt(h, CURLOPT_CAINFO, getenv("BENCH_CA_FILE")) != CURLE_OK)) {
        curl_easy_cleanup(h);
        return NULL;
    }
    return h;
}

static int status_ok(CURL *h)
{
    long status = 0;
    return curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200;
}

/* One GET on the reused handle, then decode it into the checksum. */
static int get_one(CURL *h, struct buf *b, const char *url, int is_list, double *sum)
{
    b->len = 0;
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK)
        return -1;
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "floor: %s\n", curl_easy_strerror(rc));
        return -1;
    }
    if (!status_ok(h) || sum_answer(b, is_list, sum) != 0) {
        fprintf(stderr, "floor: bad answer from %s\n", url);
        return -1;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc((size_t)n + 1);
        if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        } else if (p) {
            p[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return p;
}

/* Splits the ids file in place into an array of pointers. */
static size_t split_ids(char *text, char **ids, size_t max)
{
    size_t n = 0;
    for (char *s = strtok(text, "\n"); s && n < max; s = strtok(NULL, "\n"))
        if (*s)
            ids[n++] = s;
    return n;
}

static int token_url(char *url, const char *base, const char *org, const char *id)
{
    int n = snprintf(url, URL_MAX, "%s/api/v1/orgs/%s/apitokens/%s", base, org, id);
    return (n > 0 && n < URL_MAX) ? 0 : -1;
}

/* One at a time on one reused easy handle. */
static int get_seq(struct curl_slist *hdrs, const char *base, const char *org,
                   char **ids, size_t n, double *sum)
{
    struct buf b = {0};
    char url[URL_MAX];
    int rc = 0;
    CURL *h = new_handle(hdrs, &b);
    if (!h)
        return -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = token_url(url, base, org, ids[i]) == 0 ? get_one(h, &b, url, 0, sum) : -1;
    curl_easy_cleanup(h);
    free(b.p);
    return rc;
}

/* CONC transfers at a time over curl_multi; each slot's handle is reused. */
static int get_many(struct curl_slist *hdrs, const char *base, const char *org,
                    char **ids, size_t n, int conc, double *sum)
{
    CURL *hs[MAX_CONC] = {0};
    struct buf bufs[MAX_CONC] = {{0}};
    char url[URL_MAX];
    size_t next = 0, done = 0;
    int rc = 0, running = 0;
    CURLM *m = curl_multi_init();
    if (!m)
        return -1;
    for (int i = 0; i < conc && next < n; i++) {
        hs[i] = new_handle(hdrs, &bufs[i]);
        if (!hs[i] || token_url(url, base, org, ids[next++]) != 0 ||
            curl_easy_setopt(hs[i], CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(hs[i], CURLOPT_PRIVATE, &bufs[i]) != CURLE_OK ||
            curl_easy_setopt(hs[i], CURLOPT_PIPEWAIT, strncmp(base, "https:", 6) == 0 ? 1L : 0L) != CURLE_OK ||
            curl_multi_add_handle(m, hs[i]) != CURLM_OK) {
            rc = -1;
            goto out;
        }
    }
    while (done < n) {
        CURLMsg *msg;
        int left;
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            rc = -1;
            goto out;
        }
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            struct buf *b = NULL;
            CURL *h = msg->easy_handle;
            if (msg->msg != CURLMSG_DONE)
                continue;
            done++;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&b);
            if (msg->data.result != CURLE_OK || !status_ok(h) || sum_answer(b, 0, sum) != 0) {
                fprintf(stderr, "floor: a concurrent GET failed\n");
                rc = -1;
                goto out;
            }
            curl_multi_remove_handle(m, h);
            if (next < n) {
                b->len = 0;
                if (token_url(url, base, org, ids[next++]) != 0 ||
                    curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
                    curl_multi_add_handle(m, h) != CURLM_OK) {
                    rc = -1;
                    goto out;
                }
            }
        }
        /* wait for a socket only when nothing just finished to act upon */
        if (done < n && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
            rc = -1;
            goto out;
        }
    }
out:
    for (int i = 0; i < conc; i++) {
        if (hs[i]) {
            curl_multi_remove_handle(m, hs[i]);
            curl_easy_cleanup(hs[i]);
        }
        free(bufs[i].p);
    }
    curl_multi_cleanup(m);
    return rc;
}

static int run_decode(const char *path, long count, double *sum)
{
    struct buf b = {0};
    int rc = 0;
    b.p = read_file(path, &b.len);
    if (!b.p)
        return -1;
    for (long i = 0; i < count && rc == 0; i++)
        rc = sum_answer(&b, 1, sum);
    free(b.p);
    return rc;
}

static int run_ids(struct curl_slist *hdrs, char **argv, double *sum)
{
    size_t len, n;
    int conc = atoi(argv[5]), rc = -1;
    char *text = read_file(argv[4], &len);
    char **ids = calloc(MAX_IDS, sizeof *ids);
    if (text && ids && conc >= 1 && conc <= MAX_CONC) {
        n = split_ids(text, ids, MAX_IDS);
        rc = conc == 1 ? get_seq(hdrs, argv[2], argv[3], ids, n, sum)
                       : get_many(hdrs, argv[2], argv[3], ids, n, conc, sum);
    }
    free(ids);
    free(text);
    return rc;
}

static int run_http(struct curl_slist *hdrs, int argc, char **argv, double *sum)
{
    struct buf b = {0};
    char url[URL_MAX];
    int is_list = strcmp(argv[1], "list") == 0, rc = -1, n;
    long count = atol(argv[is_list ? 4 : 5]);
    CURL *h = new_handle(hdrs, &b);
    if (is_list)
        n = snprintf(url, sizeof url, "%s/api/v1/orgs/%s/apitokens", argv[2], argv[3]);
    else
        n = argc == 6 ? snprintf(url, sizeof url, "%s/api/v1/orgs/%s/apitokens/%s", argv[2], argv[3], argv[4]) : -1;
    if (h && n > 0 && n < URL_MAX) {
        rc = 0;
        for (long i = 0; i < count && rc == 0; i++)
            rc = get_one(h, &b, url, is_list, sum);
    }
    if (h)
        curl_easy_cleanup(h);
    free(b.p);
    return rc;
}

int main(int argc, char **argv)
{
    double sum = 0;
    int rc = -1;
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "decode") == 0 && argc == 4) {
        rc = run_decode(argv[2], atol(argv[3]), &sum);
    } else if (strcmp(mode, "startup") == 0 && argc == 2) {
        struct buf b = {0};
        CURL *h;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return 1;
        h = new_handle(NULL, &b);
        rc = h ? 0 : -1;
        if (h)
            curl_easy_cleanup(h);
        curl_global_cleanup();
    } else if ((strcmp(mode, "get") == 0 && argc == 6) || (strcmp(mode, "list") == 0 && argc == 5) ||
               (strcmp(mode, "ids") == 0 && argc == 6)) {
        const char *token = getenv("MIST_APITOKEN");
        char auth[600];
        struct curl_slist *hdrs = NULL, *h2 = NULL;
        if (!token || snprintf(auth, sizeof auth, "Authorization: Token %s", token) >= (int)sizeof auth) {
            fprintf(stderr, "floor: MIST_APITOKEN missing or too long\n");
            return 2;
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return 1;
        hdrs = curl_slist_append(NULL, auth);
        h2 = hdrs ? curl_slist_append(hdrs, "Accept: application/json") : NULL;
        if (h2)
            rc = strcmp(mode, "ids") == 0 ? run_ids(h2, argv, &sum) : run_http(h2, argc, argv, &sum);
        curl_slist_free_all(hdrs);
        curl_global_cleanup();
    } else {
        fprintf(stderr, "usage: floor get BASE ORG ID COUNT | list BASE ORG COUNT | "
                        "ids BASE ORG IDSFILE CONC | decode FILE COUNT | startup\n");
        return 2;
    }
    if (rc != 0)
        return 1;
    printf("checksum %.0f\n", sum);
    return 0;
}

/* Driving the session's multi handle: start a prepared transfer, wait for
 * the next one to finish. request() and batch() both go through here, so
 * they share one connection cache and DNS cache. */
#include "http.h"

void mistapi_multi_start(lua_State *L, mistapi_session *s, mistapi_xfer *x)
{
    CURLMcode mc = s->curl.multi_add_handle(s->multi, x->easy);
    if (mc != CURLM_OK)
        luaL_error(L, "curl_multi_add_handle: %s", s->curl.multi_strerror(mc));
    x->attached = 1;
}

/* Takes one finished transfer off the multi handle, or returns NULL. */
static mistapi_xfer *take_done(mistapi_session *s, CURLcode *rc)
{
    CURLMsg *msg;
    int queued;
    while ((msg = s->curl.multi_info_read(s->multi, &queued)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            /* msg dies with remove_handle: copy first. */
            CURL *easy = msg->easy_handle;
            void *priv = NULL;
            mistapi_xfer *x;
            *rc = msg->data.result;
            s->curl.easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
            x = priv;
            s->curl.multi_remove_handle(s->multi, easy);
            x->attached = 0;
            return x;
        }
    }
    return NULL;
}

/* Waits for the next transfer to end. Each wait is bounded by
 * MISTAPI_POLL_MS and every transfer by its own timeout, so this ends. */
mistapi_xfer *mistapi_multi_next_done(lua_State *L, mistapi_session *s, CURLcode *rc)
{
    for (;;) {
        int running = 0;
        CURLMcode mc;
        mistapi_xfer *x = take_done(s, rc);
        if (x != NULL)
            return x;
        mc = s->curl.multi_perform(s->multi, &running);
        if (mc != CURLM_OK)
            luaL_error(L, "curl_multi_perform: %s", s->curl.multi_strerror(mc));
        x = take_done(s, rc);
        if (x != NULL)
            return x;
        if (running == 0)
            luaL_error(L, "curl_multi: no transfer left to wait for");
        mc = s->curl.multi_poll(s->multi, NULL, 0, MISTAPI_POLL_MS, NULL);
        if (mc != CURLM_OK)
            luaL_error(L, "curl_multi_poll: %s", s->curl.multi_strerror(mc));
    }
}
